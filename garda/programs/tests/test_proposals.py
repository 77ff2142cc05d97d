"""Proposals (usulan): the cycle PSM -> musdes -> Dinas verification -> bupati's approval ->
BNBA export, each step refused out of order; the submission window; duplicates; and the
scoping contract for every page, file and export."""

import datetime
import io
from typing import Any, ClassVar

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, Duplicate, GardaError, InvalidState, NotAllowed
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.programs.models import (
    Deliberation,
    Proposal,
    ProposalKind,
    ProposalStatus,
    RemovalReason,
    SubmissionWindow,
    TargetUnit,
)
from garda.programs.services import proposals as services
from garda.programs.services.proposals import BNBA_COLUMNS, Outcome
from garda.registry.models import Individu, Relation
from garda.registry.tests.factories import (
    SUNGAILIAT_DESA,
    jpeg_upload,
    nik_for,
    pdf_upload,
    register_family,
    register_individu,
)
from garda.wilayah.models import Wilayah

from .factories import make_program

BORN = datetime.date(1988, 3, 12)


def today() -> datetime.date:
    return timezone.localdate()


def evidence() -> dict[str, Any]:
    return {"photo_front": jpeg_upload(), "photo_inside": jpeg_upload(), "photo_kk": jpeg_upload()}


def new_entry_data(code: str = LUMUT, **data: Any) -> dict[str, Any]:
    data.setdefault("wilayah", Wilayah.objects.get(code=code))
    data.setdefault("name", "Rahmat Hidayat")
    data.setdefault("sex", "L")
    data.setdefault("birth_date", BORN)
    if "nik" not in data:
        data["nik"] = nik_for(data["birth_date"], data["sex"])
    data.setdefault("no_kk", "1901020103150777")
    data.setdefault("birth_place", "Belinyu")
    data.setdefault("mother_name", "Siti Aminah")
    data.setdefault("relation", Relation.KEPALA)
    data.setdefault("address", "Jl. Pantai Lumut")
    data.setdefault("dusun", "Dusun I")
    data.setdefault("rt", "002")
    data.setdefault("rw", "001")
    data.setdefault("justification", "Rumah tidak layak huni, tidak ada penghasilan tetap.")
    data.setdefault("latitude", "-1.633210")
    data.setdefault("longitude", "105.771020")
    return data


def psm_of(code: str = LUMUT):
    return make_user(Role.PSM, code)


def operator_of(code: str = LUMUT):
    return make_user(Role.OPERATOR_DESA, code)


def staff():
    return make_user(Role.STAF_DINAS, BANGKA)


def make_proposal(code: str = LUMUT, *, actor=None, **data: Any) -> Proposal:
    actor = actor or psm_of(code)
    return services.proposal_create(
        actor=actor, kind=ProposalKind.NEW_ENTRY, data=new_entry_data(code, **data), files=evidence()
    )


def advance(proposal: Proposal, to: str) -> Proposal:
    """Take a proposal through the real steps up to `to`."""
    code = proposal.wilayah_id
    order = [
        ProposalStatus.SUBMITTED,
        ProposalStatus.DELIBERATED,
        ProposalStatus.VERIFIED,
        ProposalStatus.APPROVED,
    ]
    for step in order[: order.index(to) + 1]:
        if step == ProposalStatus.SUBMITTED:
            services.proposal_submit(actor=psm_of(code), proposal=proposal)
        elif step == ProposalStatus.DELIBERATED:
            services.deliberation_record(
                actor=operator_of(code),
                wilayah=Wilayah.objects.get(code=code),
                held_on=today(),
                attendees="Kepala Desa\nBPD\nPSM",
                attendee_count=25,
                minutes=pdf_upload("berita-acara.pdf"),
                outcomes=[Outcome(proposal, agreed=True)],
            )
        elif step == ProposalStatus.VERIFIED:
            services.proposal_verify(actor=staff(), proposal=proposal, approve=True)
        else:
            services.proposal_approve(
                actor=staff(),
                proposals=[proposal],
                decree_number="188.45/100/HK/2026",
                approved_on=today(),
            )
        proposal.refresh_from_db()
    return proposal


def proposal_at(status: str, code: str = LUMUT, **data: Any) -> Proposal:
    proposal = make_proposal(code, **data)
    if status == ProposalStatus.DRAFT:
        return proposal
    return advance(proposal, status)


# --- the scenario ---------------------------------------------------------------------------


class TestCycle:
    def test_from_psm_to_the_approved_export(self, bangka):
        psm, operator, verifier = psm_of(), operator_of(), staff()
        proposal = services.proposal_create(
            actor=psm, kind=ProposalKind.NEW_ENTRY, data=new_entry_data(), files=evidence()
        )
        assert proposal.status == ProposalStatus.DRAFT
        assert proposal.nik_hash and proposal.nik.startswith("190102")
        assert proposal.photo_front.name.endswith(".jpg")  # re-encoded

        services.proposal_submit(actor=psm, proposal=proposal)
        deliberation = services.deliberation_record(
            actor=operator,
            wilayah=Wilayah.objects.get(code=LUMUT),
            held_on=today(),
            attendees="Kepala Desa Lumut\nKetua BPD",
            attendee_count=30,
            minutes=pdf_upload("ba.pdf"),
            outcomes=[Outcome(proposal, agreed=True)],
        )
        assert deliberation.kind == Deliberation.Kind.MUSDES
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DELIBERATED
        assert proposal.deliberation == deliberation

        services.proposal_verify(actor=verifier, proposal=proposal, approve=True)
        services.proposal_approve(
            actor=verifier,
            proposals=[proposal],
            decree_number="188.45/77/HK/2026",
            approved_on=today(),
        )
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.APPROVED
        steps = list(proposal.events.values_list("from_status", "to_status", "actor"))
        assert steps == [
            ("", ProposalStatus.DRAFT, psm.pk),
            (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, psm.pk),
            (ProposalStatus.SUBMITTED, ProposalStatus.DELIBERATED, operator.pk),
            (ProposalStatus.DELIBERATED, ProposalStatus.VERIFIED, verifier.pk),
            (ProposalStatus.VERIFIED, ProposalStatus.APPROVED, verifier.pk),
        ]

        content = services.proposal_export_bnba(actor=verifier, month=today())
        sheet = load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [c.header for c in BNBA_COLUMNS]
        assert len(rows) == 2
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["NIK"] == proposal.nik  # Dinas staff may reveal identifiers
        assert row["NO KK"] == "1901020103150777"
        assert row["NAMA"] == "Rahmat Hidayat"
        assert row["DESA"] == "Lumut" and row["KECAMATAN"] == "Belinyu"
        assert row["TANGGAL LAHIR"].date() == BORN
        assert row["NOMOR SK"] == "188.45/77/HK/2026"
        assert row["JENIS USULAN"] == str(ProposalKind.NEW_ENTRY.label)
        export = AuditEvent.objects.get(action=Action.EXPORT, actor=verifier)
        assert export.changes["rows"] == [None, 1]

    @pytest.mark.parametrize(
        ("status", "step"),
        [
            (ProposalStatus.DRAFT, "deliberate"),
            (ProposalStatus.DRAFT, "verify"),
            (ProposalStatus.DRAFT, "approve"),
            (ProposalStatus.SUBMITTED, "submit"),
            (ProposalStatus.SUBMITTED, "verify"),
            (ProposalStatus.SUBMITTED, "approve"),
            (ProposalStatus.DELIBERATED, "approve"),
            (ProposalStatus.DELIBERATED, "deliberate"),
            (ProposalStatus.VERIFIED, "verify"),
            (ProposalStatus.APPROVED, "submit"),
            (ProposalStatus.APPROVED, "approve"),
        ],
    )
    def test_a_step_out_of_order_is_refused_naming_both_steps(self, bangka, status, step):
        proposal = proposal_at(status)
        events, deliberations = proposal.events.count(), Deliberation.objects.count()
        expected = {
            "submit": ProposalStatus.DRAFT,
            "deliberate": ProposalStatus.SUBMITTED,
            "verify": ProposalStatus.DELIBERATED,
            "approve": ProposalStatus.VERIFIED,
        }[step]
        with pytest.raises(InvalidState) as refused:
            if step == "submit":
                services.proposal_submit(actor=psm_of(), proposal=proposal)
            elif step == "deliberate":
                services.deliberation_record(
                    actor=operator_of(),
                    wilayah=Wilayah.objects.get(code=LUMUT),
                    held_on=today(),
                    attendees="Kepala Desa",
                    attendee_count=10,
                    minutes=pdf_upload(),
                    outcomes=[Outcome(proposal, agreed=True)],
                )
            elif step == "verify":
                services.proposal_verify(actor=staff(), proposal=proposal, approve=True)
            else:
                services.proposal_approve(
                    actor=staff(), proposals=[proposal], decree_number="1/2026", approved_on=today()
                )
        assert str(ProposalStatus(status).label) in refused.value.message
        assert str(ProposalStatus(expected).label) in refused.value.message
        proposal.refresh_from_db()
        assert proposal.status == status
        assert proposal.events.count() == events
        assert Deliberation.objects.count() == deliberations  # nothing half-written

    def test_rejections_at_deliberation_and_verification_need_a_reason(self, bangka):
        first, second = make_proposal(), make_proposal()
        advance(first, ProposalStatus.SUBMITTED)
        advance(second, ProposalStatus.SUBMITTED)
        operator = operator_of()
        with pytest.raises(GardaError):
            services.deliberation_record(
                actor=operator,
                wilayah=Wilayah.objects.get(code=LUMUT),
                held_on=today(),
                attendees="Kepala Desa",
                attendee_count=10,
                minutes=pdf_upload(),
                outcomes=[Outcome(first, agreed=True), Outcome(second, agreed=False)],
            )
        assert not Deliberation.objects.exists()  # all or nothing
        first.refresh_from_db()
        assert first.status == ProposalStatus.SUBMITTED
        services.deliberation_record(
            actor=operator,
            wilayah=Wilayah.objects.get(code=LUMUT),
            held_on=today(),
            attendees="Kepala Desa",
            attendee_count=10,
            minutes=pdf_upload(),
            outcomes=[Outcome(first, agreed=True), Outcome(second, False, "Sudah mampu")],
        )
        second.refresh_from_db()
        assert second.status == ProposalStatus.REJECTED
        assert second.rejection_reason == "Sudah mampu"
        with pytest.raises(GardaError):
            services.proposal_verify(actor=staff(), proposal=first, approve=False, reason=" ")
        services.proposal_verify(actor=staff(), proposal=first, approve=False, reason="Desil 8")
        first.refresh_from_db()
        assert first.status == ProposalStatus.REJECTED

    def test_batch_approval_is_all_or_nothing(self, bangka):
        verified = proposal_at(ProposalStatus.VERIFIED)
        deliberated = proposal_at(ProposalStatus.DELIBERATED)
        with pytest.raises(InvalidState):
            services.proposal_approve(
                actor=staff(),
                proposals=[verified, deliberated],
                decree_number="188/1/2026",
                approved_on=today(),
            )
        verified.refresh_from_db()
        assert verified.status == ProposalStatus.VERIFIED
        other = proposal_at(ProposalStatus.VERIFIED)
        approved = services.proposal_approve(
            actor=staff(),
            proposals=[verified, other],
            decree_number="188/1/2026",
            approved_on=today(),
        )
        assert {p.status for p in approved} == {ProposalStatus.APPROVED}

    def test_a_kelurahan_holds_a_muskel(self, bangka):
        proposal = proposal_at(ProposalStatus.SUBMITTED, code=SUNGAILIAT_DESA)
        deliberation = services.deliberation_record(
            actor=operator_of(SUNGAILIAT_DESA),
            wilayah=Wilayah.objects.get(code=SUNGAILIAT_DESA),
            held_on=today(),
            attendees="Lurah",
            attendee_count=12,
            minutes=jpeg_upload("ba.jpg"),
            outcomes=[Outcome(proposal, agreed=True)],
        )
        assert deliberation.kind == Deliberation.Kind.MUSKEL

    def test_the_deliberation_decides_only_on_its_own_desa(self, bangka):
        bintet = proposal_at(ProposalStatus.SUBMITTED, code=BINTET)
        with pytest.raises(NotAllowed):
            services.deliberation_record(
                actor=make_user(Role.OPERATOR_DESA, BINTET),
                wilayah=Wilayah.objects.get(code=LUMUT),
                held_on=today(),
                attendees="x",
                attendee_count=1,
                minutes=pdf_upload(),
                outcomes=[Outcome(bintet, agreed=True)],
            )

    def test_roles(self, bangka):
        draft = make_proposal()
        with pytest.raises(NotAllowed):
            services.proposal_submit(actor=psm_of(BINTET), proposal=draft)
        deliberated = proposal_at(ProposalStatus.DELIBERATED)
        with pytest.raises(NotAllowed):
            services.proposal_verify(actor=operator_of(), proposal=deliberated, approve=True)
        with pytest.raises(NotAllowed):
            services.proposal_create(
                actor=make_user(Role.STAF_DINAS, BANGKA),
                kind=ProposalKind.NEW_ENTRY,
                data=new_entry_data(),
            )

    def test_two_verifiers_at_once_do_not_both_write(self, bangka):
        proposal = proposal_at(ProposalStatus.DELIBERATED)
        version = proposal.version
        services.proposal_verify(
            actor=staff(), proposal=proposal, approve=True, expected_version=version
        )
        with pytest.raises((InvalidState, ConcurrentEdit)):
            services.proposal_verify(
                actor=staff(), proposal=proposal, approve=False, reason="x", expected_version=version
            )
        assert proposal.events.filter(to_status=ProposalStatus.VERIFIED).count() == 1


class TestDraft:
    def test_malformed_nik_is_an_error_and_a_disagreement_needs_a_note(self, bangka):
        psm = psm_of()
        with pytest.raises(GardaError) as error:
            services.proposal_create(
                actor=psm, kind=ProposalKind.NEW_ENTRY, data=new_entry_data(nik="12345")
            )
        assert error.value.field == "nik"
        wrong_sex = nik_for(BORN, "P")  # a woman's NIK for a man
        with pytest.raises(GardaError) as warning:
            services.proposal_create(
                actor=psm, kind=ProposalKind.NEW_ENTRY, data=new_entry_data(nik=wrong_sex)
            )
        assert warning.value.field == "nik_note"
        proposal = services.proposal_create(
            actor=psm,
            kind=ProposalKind.NEW_ENTRY,
            data=new_entry_data(nik=wrong_sex, nik_note="Sesuai KTP"),
        )
        assert proposal.details["nik_note"] == "Sesuai KTP"

    def test_nik_already_registered_or_proposed_is_a_duplicate(self, bangka):
        resident = register_individu(code=LUMUT)
        with pytest.raises(Duplicate) as registered:
            make_proposal(nik=resident.nik, birth_date=resident.birth_date, sex=resident.sex)
        assert registered.value.existing == resident
        first = make_proposal()
        with pytest.raises(Duplicate) as proposed:
            make_proposal(nik=first.nik)
        assert proposed.value.existing == first
        # Once the first is rejected, the NIK may be proposed again.
        advance(first, ProposalStatus.SUBMITTED)
        services.deliberation_record(
            actor=operator_of(),
            wilayah=Wilayah.objects.get(code=LUMUT),
            held_on=today(),
            attendees="x",
            attendee_count=3,
            minutes=pdf_upload(),
            outcomes=[Outcome(first, False, "Belum memenuhi syarat")],
        )
        assert make_proposal(nik=first.nik).pk != first.pk

    def test_aid_correction_and_removal(self, bangka):
        psm = psm_of()
        program = make_program(target_unit=TargetUnit.HOUSEHOLD)
        keluarga = register_family(code=LUMUT)
        head = Individu.objects.get(keluarga=keluarga)
        with pytest.raises(GardaError) as wrong_unit:
            services.proposal_create(
                actor=psm,
                kind=ProposalKind.AID,
                data={"individu": head, "program": program, "justification": "x"},
            )
        assert wrong_unit.value.field == "subject"
        aid = services.proposal_create(
            actor=psm,
            kind=ProposalKind.AID,
            data={"keluarga": keluarga, "program": program, "justification": "Miskin ekstrem"},
        )
        assert aid.wilayah_id == LUMUT
        with pytest.raises(Duplicate):
            services.proposal_create(
                actor=psm,
                kind=ProposalKind.AID,
                data={"keluarga": keluarga, "program": program, "justification": "lagi"},
            )
        correction = services.proposal_create(
            actor=psm,
            kind=ProposalKind.CORRECTION,
            data={"individu": head, "details": {"birth_place": "Sungailiat"}, "justification": "x"},
        )
        assert correction.details == {"birth_place": "Sungailiat"}
        with pytest.raises(GardaError):
            services.proposal_create(
                actor=psm,
                kind=ProposalKind.CORRECTION,
                data={"individu": head, "details": {"nik": "1"}, "justification": "x"},
            )
        removal = services.proposal_create(
            actor=psm,
            kind=ProposalKind.REMOVAL,
            data={"individu": head, "removal_reason": RemovalReason.DECEASED, "justification": "x"},
        )
        assert removal.removal_reason == RemovalReason.DECEASED
        outsider = register_individu(code=BINTET)
        with pytest.raises(NotAllowed):
            services.proposal_create(
                actor=psm,
                kind=ProposalKind.REMOVAL,
                data={"individu": outsider, "removal_reason": "pindah", "justification": "x"},
            )

    def test_a_bad_photo_is_refused_and_nothing_is_saved(self, bangka):
        from django.core.files.uploadedfile import SimpleUploadedFile

        with pytest.raises(GardaError) as error:
            services.proposal_create(
                actor=psm_of(),
                kind=ProposalKind.NEW_ENTRY,
                data=new_entry_data(),
                files={"photo_front": SimpleUploadedFile("x.jpg", b"<script>", "image/jpeg")},
            )
        assert error.value.field == "photo_front"
        assert not Proposal.objects.exists()

    def test_submission_needs_the_evidence(self, bangka):
        psm = psm_of()
        proposal = services.proposal_create(
            actor=psm, kind=ProposalKind.NEW_ENTRY, data=new_entry_data()
        )
        with pytest.raises(GardaError) as error:
            services.proposal_submit(actor=psm, proposal=proposal)
        assert "KK" in error.value.message

    def test_only_a_draft_changes(self, bangka):
        proposal = make_proposal()
        psm = psm_of()
        services.proposal_update(
            actor=psm,
            proposal=proposal,
            data=new_entry_data(nik="", name="Rahmat H."),
            expected_version=proposal.version,
        )
        proposal.refresh_from_db()
        assert proposal.name == "Rahmat H." and proposal.nik  # empty NIK keeps the stored one
        with pytest.raises(ConcurrentEdit):
            services.proposal_update(
                actor=psm, proposal=proposal, data=new_entry_data(nik=""), expected_version=1
            )
        advance(proposal, ProposalStatus.SUBMITTED)
        with pytest.raises(InvalidState):
            services.proposal_update(actor=psm, proposal=proposal, data=new_entry_data(nik=""))


class TestWindow:
    def test_nearest_window_applies_and_the_message_names_its_days(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        services.window_set(actor=admin, wilayah=Wilayah.objects.get(code=BANGKA), first_day=16, last_day=24)
        services.window_set(actor=admin, wilayah=Wilayah.objects.get(code=BELINYU), first_day=1, last_day=10)
        assert services.submission_window_for(LUMUT).first_day == 1
        assert services.submission_window_for(SUNGAILIAT_DESA).first_day == 16
        proposal = make_proposal()
        with pytest.raises(GardaError) as outside:
            services.proposal_submit(
                actor=psm_of(), proposal=proposal, today=datetime.date(2026, 6, 20)
            )
        assert "1" in outside.value.message and "10" in outside.value.message
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DRAFT
        services.proposal_submit(actor=psm_of(), proposal=proposal, today=datetime.date(2026, 6, 10))
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.SUBMITTED

    def test_window_rules(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        with pytest.raises(GardaError):
            services.window_set(
                actor=admin, wilayah=Wilayah.objects.get(code=BANGKA), first_day=20, last_day=10
            )
        with pytest.raises(NotAllowed):
            services.window_set(
                actor=make_user(Role.PSM, LUMUT),
                wilayah=Wilayah.objects.get(code=LUMUT),
                first_day=1,
                last_day=5,
            )
        window = services.window_set(
            actor=admin, wilayah=Wilayah.objects.get(code=BANGKA), first_day=16, last_day=24
        )
        again = services.window_set(
            actor=admin, wilayah=Wilayah.objects.get(code=BANGKA), first_day=15, last_day=25
        )
        assert again.pk == window.pk and SubmissionWindow.objects.count() == 1
