"""Enrolment (kepesertaan): enrol one or many, suspend, resume, end; quotas, conflicts,
idempotency, history and permissions; then the pages."""

import datetime

import pytest

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    make_user,
)
from garda.registry.models import Individu
from garda.registry.tests.factories import SUNGAILIAT_DESA

from ..models import Enrolment, EnrolmentEvent, EnrolmentStatus, Program, TargetUnit
from ..services.enrolment import (
    enrolment_end,
    enrolment_enrol,
    enrolment_enrol_many,
    enrolment_resume,
    enrolment_suspend,
)
from .factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_person,
    make_program,
    make_quota,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staf(bangka):
    return make_user(Role.STAF_DINAS, BANGKA)


def events(enrolment: Enrolment) -> list[tuple[str, str]]:
    return list(enrolment.events.order_by("created_at").values_list("from_status", "to_status"))


# --- enrol -----------------------------------------------------------------------------------


def test_enrol_a_household_with_its_event_and_audit(staf) -> None:
    program = make_program(max_desil=4)
    keluarga = make_keluarga_with_members(code=LUMUT, desil=3)
    result = enrolment_enrol(actor=staf, program=program, subject=keluarga, note="Musdes")
    enrolment = result.enrolment
    assert result.outcome == "enrolled"
    assert (enrolment.status, enrolment.wilayah_id, enrolment.keluarga_id) == (
        EnrolmentStatus.ACTIVE,
        LUMUT,
        keluarga.pk,
    )
    event = enrolment.events.get()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        staf,
        "",
        EnrolmentStatus.ACTIVE,
        "Musdes",
    )
    assert AuditEvent.objects.for_object(enrolment).filter(action=Action.CREATE).exists()


def test_enrolling_twice_does_nothing(staf) -> None:
    program = make_program()
    keluarga = make_keluarga_with_members(code=LUMUT)
    first = enrolment_enrol(actor=staf, program=program, subject=keluarga).enrolment
    again = enrolment_enrol(actor=staf, program=program, subject=keluarga)
    assert again.outcome == "unchanged" and again.enrolment.pk == first.pk
    assert Enrolment.objects.filter(program=program).count() == 1
    assert EnrolmentEvent.objects.filter(enrolment=first).count() == 1


def test_an_ended_enrolment_is_reactivated_with_an_event(staf) -> None:
    program = make_program()
    keluarga = make_keluarga_with_members(code=LUMUT)
    enrolment = make_enrolment(program, keluarga, status=EnrolmentStatus.ENDED, reason="graduated")
    result = enrolment_enrol(actor=staf, program=program, subject=keluarga, note="Kembali miskin")
    assert result.outcome == "reactivated" and result.enrolment.pk == enrolment.pk
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_on) == (EnrolmentStatus.ACTIVE, None)
    assert events(enrolment)[-1] == (EnrolmentStatus.ENDED, EnrolmentStatus.ACTIVE)
    assert Enrolment.objects.filter(program=program).count() == 1


def test_a_suspended_participant_is_resumed_not_enrolled_again(staf) -> None:
    program = make_program()
    keluarga = make_keluarga_with_members(code=LUMUT)
    make_enrolment(program, keluarga, status=EnrolmentStatus.SUSPENDED, reason="x")
    with pytest.raises(InvalidState) as refusal:
        enrolment_enrol(actor=staf, program=program, subject=keluarga)
    assert "resume" in refusal.value.message


def test_someone_who_does_not_meet_the_rules_is_refused_with_the_reason(staf) -> None:
    program = make_program(max_desil=4, name="PKH Uji")
    keluarga = make_keluarga_with_members(code=LUMUT, desil=7)
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol(actor=staf, program=program, subject=keluarga)
    assert "PKH Uji" in refusal.value.message and "desil is 7" in refusal.value.message
    person = make_person(code=LUMUT, desil=2)
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol(actor=staf, program=program, subject=person)
    assert "for households" in refusal.value.message
    assert not Enrolment.objects.filter(program=program).exists()


def test_an_inactive_programme_takes_nobody(staf) -> None:
    program = make_program(is_active=False)
    with pytest.raises(InvalidState):
        enrolment_enrol(actor=staf, program=program, subject=make_keluarga_with_members(code=LUMUT))


def test_enrol_needs_the_permission_in_the_participants_desa(bangka) -> None:
    program = make_program()
    keluarga = make_keluarga_with_members(code=LUMUT)
    for user in (make_user(Role.PSM, LUMUT), make_user(Role.KOORDINATOR, BELINYU)):
        with pytest.raises(NotAllowed):
            enrolment_enrol(actor=user, program=program, subject=keluarga)
    other = make_keluarga_with_members(code=OTHER_DESA)
    with pytest.raises(NotAllowed):
        enrolment_enrol(actor=make_user(Role.STAF_DINAS, BANGKA), program=program, subject=other)
    assert not Enrolment.objects.exists()


# --- quotas ----------------------------------------------------------------------------------


def test_over_quota_is_refused_naming_the_desa_and_the_numbers(staf) -> None:
    program = make_program(name="Sembako Uji")
    make_quota(program, LUMUT, 2)
    for _ in range(2):
        enrolment_enrol(actor=staf, program=program, subject=make_keluarga_with_members(code=LUMUT))
    # An ended participant frees a place; a suspended one too.
    third = make_keluarga_with_members(code=LUMUT)
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol(actor=staf, program=program, subject=third)
    message = refusal.value.message
    assert "Lumut" in message and "Sembako Uji" in message and "2 of 2" in message
    assert not Enrolment.objects.filter(keluarga=third).exists()
    # Another desa has no quota.
    enrolment_enrol(actor=staf, program=program, subject=make_keluarga_with_members(code=BINTET))


def test_a_kecamatan_quota_counts_all_its_desa(staf) -> None:
    program = make_program()
    make_quota(program, BELINYU, 1)
    enrolment_enrol(actor=staf, program=program, subject=make_keluarga_with_members(code=LUMUT))
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol(
            actor=staf, program=program, subject=make_keluarga_with_members(code=BINTET)
        )
    assert "Belinyu" in refusal.value.message
    enrolment_enrol(
        actor=staf, program=program, subject=make_keluarga_with_members(code=SUNGAILIAT_DESA)
    )


def test_bulk_enrol_is_all_or_nothing_against_the_quota(staf) -> None:
    program = make_program()
    make_quota(program, LUMUT, 2)
    families = [make_keluarga_with_members(code=LUMUT) for _ in range(3)]
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol_many(actor=staf, program=program, subjects=families)
    assert "3 more were asked for" in refusal.value.message
    assert not Enrolment.objects.exists()
    results = enrolment_enrol_many(actor=staf, program=program, subjects=families[:2])
    assert [r.outcome for r in results] == ["enrolled", "enrolled"]
    # Those already in count once: asking again for the same two changes nothing.
    again = enrolment_enrol_many(actor=staf, program=program, subjects=families[:2])
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]


def test_bulk_enrol_refuses_all_when_one_fails_the_rules(staf) -> None:
    program = make_program(max_desil=4)
    good = make_keluarga_with_members(code=LUMUT, desil=2)
    bad = make_keluarga_with_members(code=LUMUT, desil=9)
    with pytest.raises(GardaError):
        enrolment_enrol_many(actor=staf, program=program, subjects=[good, bad])
    assert not Enrolment.objects.exists()


def test_resume_checks_the_quota(staf) -> None:
    program = make_program()
    make_quota(program, LUMUT, 1)
    first = make_keluarga_with_members(code=LUMUT)
    enrolment = enrolment_enrol(actor=staf, program=program, subject=first).enrolment
    enrolment_suspend(actor=staf, enrolment=enrolment, reason="Tidak ditemukan")
    enrolment_enrol(actor=staf, program=program, subject=make_keluarga_with_members(code=LUMUT))
    with pytest.raises(GardaError) as refusal:
        enrolment_resume(actor=staf, enrolment=enrolment, reason="Ditemukan")
    assert "1 of 1" in refusal.value.message
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.SUSPENDED


# --- conflicts -------------------------------------------------------------------------------


def test_a_conflicting_programme_is_warned_and_a_note_lets_it_through(staf) -> None:
    pkh = Program.objects.get(code="pkh")
    blt = Program.objects.get(code="blt-dd")
    keluarga = make_keluarga_with_members(code=LUMUT, desil=2)
    make_enrolment(pkh, keluarga)
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol(actor=staf, program=blt, subject=keluarga)
    assert refusal.value.field == "note"
    assert "Program Keluarga Harapan (PKH)" in refusal.value.message
    assert not Enrolment.objects.filter(program=blt).exists()
    result = enrolment_enrol(
        actor=staf, program=blt, subject=keluarga, note="PKH berakhir bulan ini, disepakati musdes"
    )
    assert result.outcome == "enrolled"
    assert result.enrolment.events.get().note.startswith("PKH berakhir")


def test_a_members_individual_programme_conflicts_with_a_household_one(staf) -> None:
    person_programme = make_program(target_unit=TargetUnit.INDIVIDUAL, name="Lansia Uji")
    household_programme = make_program(conflicts=[person_programme])
    keluarga = make_keluarga_with_members(code=LUMUT, ages=[70])
    make_enrolment(person_programme, Individu.objects.get(keluarga=keluarga))
    with pytest.raises(GardaError) as refusal:
        enrolment_enrol(actor=staf, program=household_programme, subject=keluarga)
    assert "Lansia Uji" in refusal.value.message
    # A programme without conflicts does not warn; an ended conflicting one does not either.
    other = make_keluarga_with_members(code=LUMUT, ages=[70])
    make_enrolment(
        person_programme,
        Individu.objects.get(keluarga=other),
        status=EnrolmentStatus.ENDED,
        reason="x",
    )
    enrolment_enrol(actor=staf, program=household_programme, subject=other)


# --- suspend, resume, end --------------------------------------------------------------------


def test_suspend_resume_end_each_an_event_with_the_reason(staf) -> None:
    program = make_program()
    enrolment = make_enrolment(program, make_keluarga_with_members(code=LUMUT))
    enrolment_suspend(actor=staf, enrolment=enrolment, reason="Tidak di alamat")
    enrolment_resume(actor=staf, enrolment=enrolment, reason="Sudah kembali")
    enrolment_end(
        actor=staf, enrolment=enrolment, reason="Graduasi", ended_on=datetime.date(2026, 7, 1)
    )
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_on, enrolment.reason) == (
        EnrolmentStatus.ENDED,
        datetime.date(2026, 7, 1),
        "Graduasi",
    )
    assert events(enrolment) == [
        ("", EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.ACTIVE, EnrolmentStatus.SUSPENDED),
        (EnrolmentStatus.SUSPENDED, EnrolmentStatus.ACTIVE),
        (EnrolmentStatus.ACTIVE, EnrolmentStatus.ENDED),
    ]
    notes = list(enrolment.events.order_by("created_at").values_list("note", flat=True))
    assert notes[1:] == ["Tidak di alamat", "Sudah kembali", "Graduasi"]
    assert all(e.actor == staf for e in enrolment.events.exclude(from_status=""))
    assert AuditEvent.objects.for_object(enrolment).filter(action=Action.UPDATE).count() == 3


def test_steps_need_a_reason_and_the_right_state(staf) -> None:
    enrolment = make_enrolment(make_program(), make_keluarga_with_members(code=LUMUT))
    with pytest.raises(GardaError) as refusal:
        enrolment_suspend(actor=staf, enrolment=enrolment, reason="  ")
    assert refusal.value.field == "reason"
    with pytest.raises(InvalidState):
        enrolment_resume(actor=staf, enrolment=enrolment, reason="x")
    enrolment_end(actor=staf, enrolment=enrolment, reason="Meninggal")
    with pytest.raises(InvalidState):
        enrolment_suspend(actor=staf, enrolment=enrolment, reason="x")
    with pytest.raises(GardaError):
        enrolment_end(
            actor=staf,
            enrolment=make_enrolment(make_program(), make_keluarga_with_members(code=LUMUT)),
            reason="x",
            ended_on=datetime.date(2000, 1, 1),
        )
    assert len(events(enrolment)) == 2


def test_a_stale_version_is_refused(staf) -> None:
    enrolment = make_enrolment(make_program(), make_keluarga_with_members(code=LUMUT))
    enrolment_suspend(actor=staf, enrolment=enrolment, reason="a", expected_version=1)
    with pytest.raises(ConcurrentEdit):
        enrolment_end(actor=staf, enrolment=enrolment, reason="b", expected_version=1)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.SUSPENDED
    assert len(events(enrolment)) == 2


def test_steps_outside_the_area_are_refused(bangka) -> None:
    enrolment = make_enrolment(make_program(), make_keluarga_with_members(code=LUMUT))
    with pytest.raises(NotAllowed):
        enrolment_suspend(actor=make_user(Role.PSM, LUMUT), enrolment=enrolment, reason="x")
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE
