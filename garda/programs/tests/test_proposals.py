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
    OTHER_DISTRICT,
    ScopedViewContract,
    client_for,
    make_user,
    other_district,
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


def staff(code: str = BANGKA):
    return make_user(Role.STAF_DINAS, ".".join(code.split(".")[:2]))


def make_proposal(code: str = LUMUT, *, actor=None, **data: Any) -> Proposal:
    actor = actor or psm_of(code)
    return services.proposal_create(
        actor=actor,
        kind=ProposalKind.NEW_ENTRY,
        data=new_entry_data(code, **data),
        files=evidence(),
    )


def advance(proposal: Proposal, to: str) -> Proposal:
    """Take a proposal through the real steps up to `to`."""
    code = proposal.wilayah_id
    order: list[str] = [
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
            services.proposal_verify(actor=staff(code), proposal=proposal, approve=True)
        else:
            services.proposal_approve(
                actor=staff(code),
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
        assert (proposal.photo_front.name or "").endswith(".jpg")  # re-encoded

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
                actor=staff(),
                proposal=proposal,
                approve=False,
                reason="x",
                expected_version=version,
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

    def test_a_correction_page_names_each_corrected_field(self, bangka):
        psm = psm_of()
        head = Individu.objects.get(keluarga=register_family(code=LUMUT))
        correction = services.proposal_create(
            actor=psm,
            kind=ProposalKind.CORRECTION,
            data={"individu": head, "details": {"birth_place": "Sungailiat"}, "justification": "x"},
        )
        page = client_for(psm).get(correction.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="id")
        assert "<dt>Tempat lahir (perbaikan)</dt><dd>Sungailiat</dd>" in page.content.decode()

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
        services.window_set(
            actor=admin, wilayah=Wilayah.objects.get(code=BANGKA), first_day=16, last_day=24
        )
        services.window_set(
            actor=admin, wilayah=Wilayah.objects.get(code=BELINYU), first_day=1, last_day=10
        )
        nearest, district = (
            services.submission_window_for(LUMUT),
            services.submission_window_for(SUNGAILIAT_DESA),
        )
        assert nearest is not None and nearest.first_day == 1
        assert district is not None and district.first_day == 16
        proposal = make_proposal()
        with pytest.raises(GardaError) as outside:
            services.proposal_submit(
                actor=psm_of(), proposal=proposal, today=datetime.date(2026, 6, 20)
            )
        assert "1" in outside.value.message and "10" in outside.value.message
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DRAFT
        services.proposal_submit(
            actor=psm_of(), proposal=proposal, today=datetime.date(2026, 6, 10)
        )
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


# --- pages: the scoping contract -------------------------------------------------------------


def _prepare_area(code: str) -> None:
    if code.startswith(OTHER_DISTRICT):
        other_district()


class PsmContract(ScopedViewContract):
    """A PSM of Lumut reaches nothing of Bintet; the viewer (aggregates only) no proposal."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET
    status: ClassVar[str] = ProposalStatus.DRAFT

    def make_object(self, code: str) -> Any:
        _prepare_area(code)
        return proposal_at(self.status, code=code)


class DinasContract(PsmContract):
    """Dinas staff of Bangka reach Bangka's proposals, not another district's; a PSM may not
    take Dinas steps."""

    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    other_area = OTHER_DESA


class PostContract:
    method: ClassVar[str] = "post"
    ok_status: ClassVar[int] = 302
    current: Any = None

    def payload(self, obj: Any) -> dict[str, Any]:
        return {}

    def url_for(self, obj: Any) -> str:
        self.current = obj
        return self.path_for(obj)

    def path_for(self, obj: Any) -> str:
        raise NotImplementedError

    def request(self, client: Client, url: str):
        return client.post(url, self.payload(self.current))


def url(name: str, *extra: Any):
    def url_for(self, obj):
        return reverse(f"programs:{name}", args=[obj.pk, *extra])

    return url_for


class TestDetailForPsm(PsmContract):
    url_for = url("proposal_detail")


class TestDetailForDinas(DinasContract):
    wrong_role = (Role.VIEWER, BANGKA)
    url_for = url("proposal_detail")


class TestEvidenceDownload(PsmContract):
    url_for = url("proposal_file", "depan")


class TestKkDownloadForDinas(DinasContract):
    wrong_role = (Role.VIEWER, BANGKA)
    url_for = url("proposal_file", "kk")


class TestUpdatePage(PsmContract):
    wrong_role = (Role.PIMPINAN, BANGKA)  # sees proposals, proposes nothing
    url_for = url("proposal_update")


class TestUpdatePost(PostContract, PsmContract):
    wrong_role = (Role.PIMPINAN, BANGKA)

    def path_for(self, obj):
        return reverse("programs:proposal_update", args=[obj.pk])

    def payload(self, obj):
        data = new_entry_data(obj.wilayah_id, nik="", no_kk="", name="Nama Baru")
        return {
            **{k: v for k, v in data.items() if k != "wilayah"},
            "wilayah": obj.wilayah_id,
            "birth_date": data["birth_date"].isoformat(),
            "version": obj.version,
        }


class TestSubmitPost(PostContract, PsmContract):
    wrong_role = (Role.PIMPINAN, BANGKA)

    def path_for(self, obj):
        return reverse("programs:proposal_submit", args=[obj.pk])


class TestVerifyPage(DinasContract):
    status = ProposalStatus.DELIBERATED
    url_for = url("proposal_verify")


class TestVerifyPost(PostContract, DinasContract):
    status = ProposalStatus.DELIBERATED

    def path_for(self, obj):
        return reverse("programs:proposal_verify", args=[obj.pk])

    def payload(self, obj):
        return {"decision": "approve", "reason": "", "version": obj.version}


class DeliberationMixin:
    def make_object(self, code: str) -> Any:
        _prepare_area(code)
        return proposal_at(ProposalStatus.DELIBERATED, code=code).deliberation


class TestDeliberationDetail(DeliberationMixin, PsmContract):
    url_for = url("deliberation_detail")


class TestMinutesDownload(DeliberationMixin, PsmContract):
    url_for = url("deliberation_minutes")


class TestExport(DinasContract):
    """The export of an area outside the user's answers 404, like a missing page."""

    def make_object(self, code: str) -> Any:
        _prepare_area(code)
        return proposal_at(ProposalStatus.APPROVED, code=code)

    def url_for(self, obj):
        month = obj.approved_on.strftime("%Y-%m")
        return reverse("programs:proposal_export") + f"?month={month}&wilayah={obj.wilayah_id}"


class WindowContract(ScopedViewContract):
    allowed = (Role.ADMIN_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA

    def make_object(self, code: str) -> Any:
        _prepare_area(code)
        return SubmissionWindow.objects.create(wilayah_id=code, first_day=16, last_day=24)


class TestWindowUpdatePage(WindowContract):
    url_for = url("window_update")


class TestWindowDelete(PostContract, WindowContract):
    def path_for(self, obj):
        return reverse("programs:window_delete", args=[obj.pk])


# --- pages: what they do ---------------------------------------------------------------------

LIST = reverse("programs:proposal_list")


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("proposal_list", (Role.PSM, LUMUT), (Role.VIEWER, BANGKA)),
        ("proposal_create", (Role.PSM, LUMUT), (Role.PIMPINAN, BANGKA)),
        ("deliberation_create", (Role.OPERATOR_DESA, LUMUT), (Role.PSM, LUMUT)),
        ("proposal_approve", (Role.STAF_DINAS, BANGKA), (Role.OPERATOR_DESA, LUMUT)),
        ("proposal_export", (Role.STAF_DINAS, BANGKA), (Role.PSM, LUMUT)),
        ("window_list", (Role.STAF_DINAS, BANGKA), (Role.PIMPINAN, BANGKA)),
        ("window_create", (Role.ADMIN_DINAS, BANGKA), (Role.PSM, LUMUT)),
    ],
)
def test_pages_without_an_object(bangka, name, allowed, refused):
    path = reverse(f"programs:{name}")
    assert Client().get(path).status_code == 302
    assert client_for(make_user(*refused)).get(path).status_code == 403
    assert client_for(make_user(*allowed)).get(path).status_code == 200


def test_create_form_for_each_kind(bangka):
    client = client_for(psm_of())
    for kind in ProposalKind.values:
        assert client.get(reverse("programs:proposal_create_kind", args=[kind])).status_code == 200
    assert client.get(reverse("programs:proposal_create_kind", args=["x"])).status_code == 404


def _post_new_entry(client: Client, code: str = LUMUT, **extra: Any) -> Any:
    data = new_entry_data(code, **extra)
    payload = {**data, "wilayah": code, "birth_date": data["birth_date"].isoformat(), **evidence()}
    return client.post(
        reverse("programs:proposal_create_kind", args=[ProposalKind.NEW_ENTRY]), payload
    )


class TestPages:
    def test_psm_creates_a_new_entry_with_evidence(self, bangka):
        response = _post_new_entry(client_for(psm_of()))
        proposal = Proposal.objects.get()
        assert response["Location"] == proposal.get_absolute_url()
        assert proposal.photo_front and proposal.photo_kk and proposal.latitude is not None

    def test_a_psm_cannot_propose_in_another_desa(self, bangka):
        response = _post_new_entry(client_for(psm_of()), code=BINTET)
        assert response.status_code == 200
        assert response.context["form"].errors["wilayah"]
        assert not Proposal.objects.exists()

    def test_a_registered_nik_links_to_the_resident_only_when_visible(self, bangka):
        resident = register_individu(code=LUMUT)
        same: dict[str, Any] = {
            "nik": resident.nik,
            "birth_date": resident.birth_date,
            "sex": resident.sex,
        }
        mine = _post_new_entry(client_for(psm_of()), **same)
        assert resident.get_absolute_url() in str(mine.context["form"].errors["nik"])
        theirs = _post_new_entry(client_for(psm_of(BINTET)), code=BINTET, **same)
        errors = str(theirs.context["form"].errors["nik"])
        assert resident.get_absolute_url() not in errors and resident.name not in errors

    def test_aid_for_a_resident_found_by_nik_only_in_the_own_area(self, bangka):
        program = make_program(target_unit=TargetUnit.INDIVIDUAL)
        person = register_individu(code=LUMUT)
        path = reverse("programs:proposal_create_kind", args=[ProposalKind.AID])
        payload = {"subject": person.nik, "program": program.pk, "justification": "Lansia"}
        refused = client_for(psm_of(BINTET)).post(path, payload)
        assert refused.context["form"].errors["subject"]
        client_for(psm_of()).post(path, payload)
        assert Proposal.objects.get().individu == person

    def test_the_detail_page_shows_the_timeline_and_masks_the_nik(self, bangka):
        proposal = proposal_at(ProposalStatus.SUBMITTED)
        response = client_for(psm_of()).get(proposal.get_absolute_url())
        body = response.content.decode()
        assert proposal.nik not in body and proposal.nik_masked in body
        assert "12 Maret 1988" in body  # the proposed birth date, as people read it
        assert len(response.context["events"]) == 2
        assert AuditEvent.objects.filter(action=Action.VIEW, object_id=str(proposal.pk)).exists()

    def test_submit_outside_the_window_says_the_days(self, bangka):
        proposal = make_proposal()
        day = today().day
        first, last = (day % 28) + 1, (day % 28) + 1
        SubmissionWindow.objects.create(wilayah_id=BANGKA, first_day=first, last_day=last)
        client = client_for(psm_of())
        response = client.post(reverse("programs:proposal_submit", args=[proposal.pk]), follow=True)
        text = " ".join(str(m) for m in response.context["messages"])
        assert f"{first}" in text
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DRAFT

    def test_the_operator_records_the_musdes_for_the_submitted_proposals(self, bangka):
        agreed, refused = (
            proposal_at(ProposalStatus.SUBMITTED),
            proposal_at(ProposalStatus.SUBMITTED),
        )
        untouched = proposal_at(ProposalStatus.SUBMITTED)
        proposal_at(ProposalStatus.SUBMITTED, code=BINTET)
        client = client_for(operator_of())
        page = client.get(reverse("programs:deliberation_create"))
        assert {p.pk for p in page.context["form"].proposals} == {
            agreed.pk,
            refused.pk,
            untouched.pk,
        }
        response = client.post(
            reverse("programs:deliberation_create"),
            {
                "wilayah": LUMUT,
                "held_on": today().isoformat(),
                "attendees": "Kepala Desa\nBPD",
                "attendee_count": 20,
                "minutes": pdf_upload(),
                f"decision_{agreed.pk}": "agreed",
                f"decision_{refused.pk}": "rejected",
                f"reason_{refused.pk}": "Sudah menerima PKH",
            },
        )
        deliberation = Deliberation.objects.get()
        assert response["Location"] == deliberation.get_absolute_url()
        statuses = dict(Proposal.objects.values_list("pk", "status"))
        assert statuses[agreed.pk] == ProposalStatus.DELIBERATED
        assert statuses[refused.pk] == ProposalStatus.REJECTED
        assert statuses[untouched.pk] == ProposalStatus.SUBMITTED

    def test_a_step_out_of_order_on_a_page_is_a_clear_message(self, bangka):
        proposal = proposal_at(ProposalStatus.SUBMITTED)
        response = client_for(staff()).post(
            reverse("programs:proposal_verify", args=[proposal.pk]),
            {"decision": "approve", "version": proposal.version},
        )
        assert response.status_code == 200
        errors = " ".join(response.context["form"].non_field_errors())
        assert str(ProposalStatus.SUBMITTED.label) in errors
        assert str(ProposalStatus.DELIBERATED.label) in errors

    def test_batch_approval_and_export(self, bangka):
        first, second = proposal_at(ProposalStatus.VERIFIED), proposal_at(ProposalStatus.VERIFIED)
        client = client_for(staff())
        page = client.get(reverse("programs:proposal_approve") + f"?proposal={first.pk}")
        assert [str(pk) for pk in page.context["form"].initial["proposals"]] == [str(first.pk)]
        client.post(
            reverse("programs:proposal_approve"),
            {
                "proposals": [first.pk, second.pk],
                "decree_number": "188.45/9/HK/2026",
                "approved_on": today().isoformat(),
            },
        )
        assert set(Proposal.objects.values_list("status", flat=True)) == {ProposalStatus.APPROVED}
        response = client.get(reverse("programs:proposal_export"), {"month": f"{today():%Y-%m}"})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert response["Cache-Control"] == "no-store"
        sheet = load_workbook(io.BytesIO(response.content)).active
        niks = {row[10] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert niks == {first.nik, second.nik}

    def test_export_masks_identifiers_without_the_reveal_permission(self, bangka):
        proposal = proposal_at(ProposalStatus.APPROVED)
        rows = list(
            services.bnba_rows(
                services.approved_in_month(fetched_by=staff(), month=today()),
                reveal_areas=[],
                counter={"rows": 0, "revealed": 0},
            )
        )
        assert rows[0][10] == proposal.nik_masked and proposal.nik not in rows[0]

    def test_export_escapes_formulas(self, bangka):
        proposal_at(ProposalStatus.APPROVED, name='=HYPERLINK("http://x")')
        content = services.proposal_export_bnba(actor=staff(), month=today())
        sheet = load_workbook(io.BytesIO(content)).active
        assert sheet.cell(row=2, column=12).value.startswith("'=")

    def test_list_filters_summary_and_query_count(self, bangka, django_assert_max_num_queries):
        for _index in range(3):
            proposal_at(ProposalStatus.DRAFT)
        proposal_at(ProposalStatus.SUBMITTED, code=BINTET)
        client = client_for(staff())
        client.get(LIST)  # warm the session
        with django_assert_max_num_queries(14) as few:
            response = client.get(LIST)
        summary = {row["code"]: row for row in response.context["summary"]}
        assert summary[LUMUT]["total"] == 3 and summary[BINTET]["total"] == 1
        for _index in range(25):
            proposal_at(ProposalStatus.DRAFT, code=BINTET)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(LIST)
        assert len(response.context["object_list"]) == 25
        only = client.get(LIST, {"status": ProposalStatus.SUBMITTED, "wilayah": BINTET})
        assert [p.status for p in only.context["object_list"]] == [ProposalStatus.SUBMITTED]
        month = client.get(LIST, {"month": f"{today():%Y-%m}", "status": ProposalStatus.SUBMITTED})
        assert len(month.context["object_list"]) == 1

    def test_psm_list_shows_only_the_own_desa(self, bangka):
        proposal_at(ProposalStatus.DRAFT, code=BINTET)
        mine = proposal_at(ProposalStatus.DRAFT)
        response = client_for(psm_of()).get(LIST)
        assert list(response.context["object_list"]) == [mine]
        assert (
            list(client_for(psm_of()).get(LIST, {"wilayah": BINTET}).context["object_list"]) == []
        )

    def test_window_settings_page(self, bangka):
        client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
        client.post(
            reverse("programs:window_create"), {"wilayah": BELINYU, "first_day": 16, "last_day": 24}
        )
        window = SubmissionWindow.objects.get()
        assert (window.wilayah_id, window.first_day, window.last_day) == (BELINYU, 16, 24)
        bad = client.post(
            reverse("programs:window_update", args=[window.pk]),
            {"wilayah": BELINYU, "first_day": 24, "last_day": 16},
        )
        assert bad.status_code == 200 and bad.context["form"].errors


def test_bad_input_in_urls_answers_without_a_server_error(bangka):
    client = client_for(staff())
    assert client.get(reverse("programs:proposal_approve") + "?proposal=abc").status_code == 200
    assert client.get(reverse("programs:proposal_export"), {"month": "x"}).status_code == 400
    assert client.get(LIST, {"month": "2026-13", "status": "x"}).status_code == 200
    proposal = proposal_at(ProposalStatus.DELIBERATED)
    response = client.post(
        reverse("programs:proposal_verify", args=[proposal.pk]),
        {"decision": "approve", "version": "x"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    missing = reverse("programs:proposal_file", args=[proposal.pk, "lain"])
    assert client.get(missing).status_code == 404
