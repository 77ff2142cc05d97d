"""The case workflow through its services: every state, illegal steps refused with a clear
message, the area and role checks, the timeline, and the notices."""

import datetime
from typing import Any

import pytest
from django.core import mail
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation

from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed
from garda.core.testing import BELINYU, BINTET, LUMUT, OTHER_DESA, make_user
from garda.notifications.models import Kind, Notification
from garda.registry.tests.factories import register_individu
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Assessment, Case, CaseEvent, EventKind, ReferralStatus, ReferralTarget, Status
from .factories import (
    assess,
    case_in,
    coordinator,
    dinas_staff,
    institution,
    open_case,
    plan,
    psm,
    refer,
)

pytestmark = pytest.mark.usefixtures("bangka")


@pytest.fixture(autouse=True)
def english():
    """Refusals are asserted by their English wording; the Indonesian catalogue's completeness
    is checked by garda/core/tests/test_translations.py."""
    with translation.override("en"):
        yield


def kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def test_a_case_walks_through_every_state_and_each_step_is_an_event():
    worker = psm(LUMUT)
    chair = coordinator(LUMUT)
    person = register_individu(code=LUMUT)
    case = services.case_open(
        actor=worker,
        wilayah=Wilayah.objects.get(code=LUMUT),
        source="psm",
        urgency="tinggi",
        title="Orang dengan gangguan jiwa dipasung",
        narrative="Dipasung keluarga sejak 2024.",
        consent="family",
        consent_note="Kakak kandung",
        subjects=[person],
        handler=worker,
    )
    assert case.status == Status.OPEN
    assert case.number.startswith("KS/")
    assert list(case.subjects.all()) == [person]
    case = assess(case)
    assert case.status == Status.ASSESSED
    case = plan(case)
    assert case.status == Status.PLAN_ACTIVE
    rsj = institution(kind="rsj", name="RSJ Provinsi Kepulauan Bangka Belitung")
    referral = refer(case, target=rsj)
    case.refresh_from_db()
    assert case.status == Status.REFERRED
    assert referral.number == f"{case.number}/R1"
    services.referral_answer(actor=worker, referral=referral, accepted=True, note="Rawat inap")
    services.referral_complete(actor=worker, referral=referral, note="Pulang, kontrol rutin")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    services.service_record(actor=worker, case=case, kind="visit", description="Kunjungan rumah")
    services.case_resolve(actor=worker, case=case, note="Stabil, keluarga mendampingi")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    services.case_request_closing(actor=worker, case=case, note="")
    case.refresh_from_db()
    assert case.status == Status.CLOSING
    services.case_decide_closing(actor=chair, case=case, approve=True)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.closed_at is not None
    services.case_reopen(actor=worker, case=case, reason="Kambuh")
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert case.closed_at is None
    assert kinds(case) == [
        EventKind.OPENED,
        EventKind.ASSESSED,
        EventKind.ACTION_ADDED,
        EventKind.REFERRED,
        EventKind.REFERRAL_ACCEPTED,
        EventKind.REFERRAL_COMPLETED,
        EventKind.SERVICE,
        EventKind.RESOLVED,
        EventKind.CLOSING_REQUESTED,
        EventKind.CLOSED,
        EventKind.REOPENED,
    ]
    statuses = [(e.from_status, e.to_status) for e in case.events.all()]
    assert (Status.CLOSING, Status.CLOSED) in statuses
    assert (Status.CLOSED, Status.OPEN) in statuses
    assert CaseEvent.objects.get(case=case, kind=EventKind.CLOSED).actor == chair


@pytest.mark.parametrize(
    ("status", "step", "message"),
    [
        (Status.OPEN, "plan", "Assess the case before you plan actions."),
        (Status.OPEN, "resolve", "A case is resolved after a plan"),
        (Status.ASSESSED, "refer", "Plan at least one action before you refer the case."),
        (Status.OPEN, "close", "you cannot ask to close it now"),
        (Status.PLAN_ACTIVE, "decide", "you cannot decide on closing it now"),
        (Status.OPEN, "reopen", "you cannot reopen it now"),
        (Status.CLOSED, "assess", "you cannot assess it now"),
        (Status.CLOSED, "service", "you cannot record services now"),
        (Status.CLOSING, "plan", "you cannot plan actions now"),
    ],
)
def test_illegal_steps_are_refused_with_a_clear_message(status, step, message):
    case = case_in(status)
    worker = case.handler
    chair = coordinator(LUMUT)
    steps = {
        "plan": lambda: plan(case),
        "resolve": lambda: services.case_resolve(actor=worker, case=case, note="x"),
        "refer": lambda: refer(case),
        "close": lambda: services.case_request_closing(actor=worker, case=case),
        "decide": lambda: services.case_decide_closing(actor=chair, case=case, approve=True),
        "reopen": lambda: services.case_reopen(actor=worker, case=case, reason="x"),
        "assess": lambda: assess(case),
        "service": lambda: services.service_record(
            actor=worker, case=case, kind="visit", description="x"
        ),
    }
    before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(InvalidState) as refused:
        steps[step]()
    assert message in refused.value.message
    assert Case.objects.get(pk=case.pk).status == status
    assert CaseEvent.objects.filter(case=case).count() == before


def test_resolving_waits_for_open_referrals():
    case = case_in(Status.REFERRED)
    with pytest.raises(InvalidState, match="open referral"):
        services.case_resolve(actor=case.handler, case=case, note="Selesai")
    referral = case.referrals.get()
    services.referral_answer(actor=case.handler, referral=referral, accepted=False, note="Penuh")
    services.case_resolve(actor=case.handler, case=case, note="Ditangani keluarga")
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED


def test_a_refused_referral_needs_a_reason_and_cannot_be_answered_twice():
    case = case_in(Status.REFERRED)
    referral = case.referrals.get()
    with pytest.raises(GardaError, match="why the referral was refused"):
        services.referral_answer(actor=case.handler, referral=referral, accepted=False)
    services.referral_answer(actor=case.handler, referral=referral, accepted=True)
    with pytest.raises(InvalidState):
        services.referral_answer(actor=case.handler, referral=referral, accepted=True)
    with pytest.raises(GardaError, match="outcome"):
        services.referral_complete(actor=case.handler, referral=referral, note=" ")


def test_referral_to_dinas_and_to_another_pillar():
    from garda.pilar.tests.factories import register

    case = case_in(Status.PLAN_ACTIVE)
    to_dinas = services.referral_send(
        actor=case.handler, case=case, target=ReferralTarget.DINAS, reason="Butuh panti"
    )
    assert to_dinas.target_name == "Dinas Sosial"
    tksk = register(code=BELINYU, jenis="tksk")
    to_pilar = services.referral_send(
        actor=case.handler, case=case, target=ReferralTarget.PILAR, pilar=tksk, reason="Dampingi"
    )
    assert to_pilar.number.endswith("/R2")
    with pytest.raises(InvalidState, match="already referred there"):
        services.referral_send(
            actor=case.handler, case=case, target=ReferralTarget.DINAS, reason="Lagi"
        )


def test_referral_to_an_institution_of_another_district_is_refused():
    case = case_in(Status.PLAN_ACTIVE)
    far = institution(code="19.02")
    with pytest.raises(GardaError, match="institution of the district"):
        refer(case, target=far)


def test_closing_needs_the_coordinator_not_the_psm():
    case = case_in(Status.CLOSING)
    with pytest.raises(NotAllowed, match="coordinator"):
        services.case_decide_closing(actor=case.handler, case=case, approve=True)
    other_chair = coordinator("19.01.01.1001")
    with pytest.raises(NotAllowed):
        services.case_decide_closing(actor=other_chair, case=case, approve=True)
    with pytest.raises(GardaError, match="still missing"):
        services.case_decide_closing(actor=coordinator(LUMUT), case=case, approve=False)
    services.case_decide_closing(
        actor=dinas_staff(), case=case, approve=False, note="Lampirkan laporan kunjungan"
    )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    last = case.events.last()
    assert last is not None
    assert last.kind == EventKind.CLOSING_REFUSED


def test_a_psm_cannot_open_or_touch_a_case_outside_her_desa():
    worker = psm(LUMUT)
    with pytest.raises(NotAllowed):
        open_case(code=BINTET, actor=worker)
    case = open_case(code=BINTET)
    with pytest.raises(NotAllowed):
        services.case_assess(actor=worker, case=case, needs=["health"], risk="low", notes="x")
    with pytest.raises(NotAllowed):
        services.case_transfer(actor=worker, case=case, handler=worker, note="x")


def test_intake_checks():
    worker = psm(LUMUT)
    lumut = Wilayah.objects.get(code=LUMUT)
    base: dict[str, Any] = {
        "actor": worker,
        "wilayah": lumut,
        "source": "warga",
        "urgency": "rendah",
        "title": "Anak putus sekolah",
        "narrative": "Tidak sekolah sejak kelas 4.",
        "consent": "given",
        "handler": worker,
    }
    with pytest.raises(GardaError, match="describe the person") as refused:
        services.case_open(**base)
    assert refused.value.field == "unidentified_description"
    with pytest.raises(GardaError, match="consent") as refused:
        services.case_open(**{**base, "consent": "not_possible"}, unidentified_description="Anak")
    assert refused.value.field == "consent_note"
    outsider = register_individu(code=BINTET)
    with pytest.raises(NotAllowed, match="residents of your own area"):
        services.case_open(**base, subjects=[outsider])
    chair = coordinator(LUMUT)
    with pytest.raises(GardaError, match="desa or kelurahan"):
        services.case_open(
            **{
                **base,
                "actor": chair,
                "handler": chair,
                "wilayah": Wilayah.objects.get(code=BELINYU),
            },
            unidentified_description="A",
        )
    colleague = psm(BINTET)
    with pytest.raises(GardaError, match="cannot handle cases in this desa") as refused:
        services.case_open(**{**base, "handler": colleague}, unidentified_description="Anak")
    assert refused.value.field == "handler"
    assert not Case.objects.exists()


def test_case_numbers_are_unique_and_sequential():
    first, second = open_case(), open_case()
    assert int(second.number.rsplit("/", 1)[1]) == int(first.number.rsplit("/", 1)[1]) + 1


def test_narrative_and_notes_are_encrypted_and_kept_out_of_the_audit_trail():
    case = open_case(narrative="Korban kekerasan dalam rumah tangga")
    assess(case)

    def stored(model: Any, column: str) -> str:
        raw = model.objects.annotate(raw=Cast(column, output_field=TextField()))
        return str(raw.values_list("raw", flat=True).first())

    ciphertext = stored(Case, "narrative")
    assert len(ciphertext) > 40
    assert "kekerasan" not in ciphertext
    assert "Catatan" not in stored(Assessment, "notes")
    assert Case.objects.get(pk=case.pk).narrative == "Korban kekerasan dalam rumah tangga"
    trail = AuditEvent.objects.filter(object_id=str(case.pk))
    assert trail.exists()
    assert not any("kekerasan" in str(e.changes) for e in trail)


def test_second_editor_is_refused_and_nothing_is_overwritten():
    case = open_case(urgency="sedang")
    opened_version = case.version
    first, second = case.handler, coordinator(LUMUT)
    services.case_update(
        actor=first,
        case=Case.objects.get(pk=case.pk),
        data={"urgency": "tinggi"},
        expected_version=opened_version,
    )
    with translation.override("en"), pytest.raises(ConcurrentEdit) as refused:
        services.case_update(
            actor=second,
            case=Case.objects.get(pk=case.pk),
            data={"urgency": "rendah", "title": "Judul lain"},
            expected_version=opened_version,
        )
    assert "nothing was overwritten" in refused.value.message
    assert "saved tinggi, yours rendah" in refused.value.message
    stored = Case.objects.get(pk=case.pk)
    assert stored.urgency == "tinggi"
    assert stored.title == case.title


def test_transfer_keeps_history_and_notifies_the_new_handler(django_capture_on_commit_callbacks):
    case = case_in(Status.ASSESSED)
    chair = coordinator(LUMUT)
    chair.email = "koord@example.org"
    chair.save()
    with pytest.raises(GardaError, match="already handles"):
        services.case_transfer(actor=case.handler, case=case, handler=case.handler, note="x")
    with pytest.raises(GardaError, match="why the case is handed over"):
        services.case_transfer(actor=case.handler, case=case, handler=chair, note="")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_transfer(actor=case.handler, case=case, handler=chair, note="Perlu Dinas")
    case.refresh_from_db()
    assert case.handler == chair
    event = case.events.get(kind=EventKind.TRANSFERRED)
    assert "Perlu Dinas" in event.note
    notice = Notification.objects.get(user=chair)
    assert notice.kind == Kind.ASSIGNED
    assert notice.link == case.get_absolute_url()
    assert [m.to for m in mail.outbox] == [["koord@example.org"]]


def test_a_rolled_back_step_notifies_nobody():
    case = case_in(Status.ASSESSED)
    chair = coordinator(LUMUT)
    with pytest.raises(NotAllowed):
        services.case_transfer(actor=psm(BINTET), case=case, handler=chair, note="x")
    assert not Notification.objects.exists()


def test_closing_request_notifies_the_kecamatan_coordinator_and_the_decision_the_handler():
    case = case_in(Status.RESOLVED)
    chair = coordinator(LUMUT)
    coordinator("19.01.01.1001")  # another kecamatan: not asked
    services.case_request_closing(actor=case.handler, case=case)
    assert list(Notification.objects.values_list("user", "kind")) == [(chair.pk, Kind.CLOSING)]
    services.case_decide_closing(actor=chair, case=case, approve=True)
    assert Notification.objects.filter(user=case.handler, kind=Kind.CLOSING).count() == 1


def test_referral_answer_notifies_the_handler_when_someone_else_records_it():
    case = case_in(Status.REFERRED)
    referral = case.referrals.get()
    services.referral_answer(actor=dinas_staff(), referral=referral, accepted=True)
    notice = Notification.objects.get(user=case.handler)
    assert notice.kind == Kind.REFERRAL
    assert "accepted" in notice.text or "menerima" in notice.text


def test_follow_up_date_follows_the_target_of_the_urgency():
    case = open_case(urgency="darurat")
    assert case.response_due - case.reported_at == datetime.timedelta(hours=24)
    case = assess(case)
    assert case.follow_up_on == timezone.localdate() + datetime.timedelta(days=3)


def test_targets_are_data_an_administrator_can_change():
    from ..models import SlaTarget

    SlaTarget.objects.create(urgency="sedang", response_hours=48, follow_up_days=10)
    case = open_case(urgency="sedang")
    assert case.response_due - case.reported_at == datetime.timedelta(hours=48)


def test_plan_action_done_once():
    case = case_in(Status.PLAN_ACTIVE)
    action = case.actions.get()
    services.plan_action_complete(
        actor=case.handler, action=action, done_on=timezone.localdate(), note="Sudah"
    )
    with pytest.raises(InvalidState, match="already done"):
        services.plan_action_complete(
            actor=case.handler, action=action, done_on=timezone.localdate()
        )


def test_documents_are_not_added_to_a_closed_case():
    from .factories import upload

    case = case_in(Status.CLOSED)
    with pytest.raises(InvalidState, match="reopen"):
        services.document_add(actor=case.handler, case=case, title="Laporan", file=upload())


def test_institutions_are_managed_by_dinas_of_their_area_only():
    with pytest.raises(NotAllowed):
        services.institution_create(
            actor=make_user(Role.KOORDINATOR, BELINYU),
            data={"name": "Panti X", "kind": "panti", "wilayah": Wilayah.objects.get(code=BELINYU)},
        )
    with pytest.raises(NotAllowed):
        services.institution_create(
            actor=dinas_staff(),
            data={
                "name": "Panti Y",
                "kind": "panti",
                "wilayah": Wilayah.objects.get(code=OTHER_DESA[:5]),
            },
        )
    institution(name="Panti Z", code=BELINYU)
    with pytest.raises(GardaError, match="already listed"):
        institution(name="panti  z", code=BELINYU)
