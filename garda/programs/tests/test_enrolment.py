"""Enrolment (kepesertaan): enrol one or many, suspend, resume, end; quotas, conflicts,
idempotency, history and permissions; then the pages."""

import datetime
from typing import Any

import pytest
from django.urls import reverse

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed
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
from garda.registry.models import Individu
from garda.registry.tests.factories import SUNGAILIAT_DESA

from ..models import (
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Program,
    ProposalKind,
    ProposalStatus,
    TargetUnit,
)
from ..services.enrolment import (
    enrolment_end,
    enrolment_enrol,
    enrolment_enrol_many,
    enrolment_resume,
    enrolment_suspend,
)
from ..services.proposals import proposal_create
from .factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_person,
    make_program,
    make_quota,
)
from .test_proposals import advance, evidence, psm_of

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


@pytest.mark.usefixtures("english")
def test_a_suspended_participant_is_resumed_not_enrolled_again(staf) -> None:
    program = make_program()
    keluarga = make_keluarga_with_members(code=LUMUT)
    make_enrolment(program, keluarga, status=EnrolmentStatus.SUSPENDED, reason="x")
    with pytest.raises(InvalidState) as refusal:
        enrolment_enrol(actor=staf, program=program, subject=keluarga)
    assert "resume" in refusal.value.message


@pytest.mark.usefixtures("english")
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


@pytest.mark.usefixtures("english")
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


@pytest.mark.usefixtures("english")
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


def test_bulk_enrol_counts_a_repeated_candidate_once(staf) -> None:
    program = make_program()
    make_quota(program, LUMUT, 1)
    keluarga = make_keluarga_with_members(code=LUMUT)
    results = enrolment_enrol_many(actor=staf, program=program, subjects=[keluarga, keluarga])
    assert [r.outcome for r in results] == ["enrolled"]


def test_bulk_enrol_refuses_all_when_one_fails_the_rules(staf) -> None:
    program = make_program(max_desil=4)
    good = make_keluarga_with_members(code=LUMUT, desil=2)
    bad = make_keluarga_with_members(code=LUMUT, desil=9)
    with pytest.raises(GardaError):
        enrolment_enrol_many(actor=staf, program=program, subjects=[good, bad])
    assert not Enrolment.objects.exists()


@pytest.mark.usefixtures("english")
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


# --- pages: the scoping contract ---------------------------------------------------------------


def programme_of(code: str) -> Program:
    if code == OTHER_DISTRICT:
        other_district()
    return make_program(wilayah=code)


class TestCandidatesContract(ScopedViewContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = BANGKA
    other_area = OTHER_DISTRICT

    def make_object(self, code: str) -> Any:
        return programme_of(code)

    def url_for(self, obj: Any) -> str:
        return reverse("programs:candidates", args=[obj.pk])


class TestEnrolmentListContract(ScopedViewContract):
    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = BANGKA
    other_area = OTHER_DISTRICT

    def make_object(self, code: str) -> Any:
        return programme_of(code)

    def url_for(self, obj: Any) -> str:
        return reverse("programs:enrolment_list", args=[obj.pk])


class TestEnrolmentDetailContract(ScopedViewContract):
    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return make_enrolment(make_program(), make_keluarga_with_members(code=code))

    def url_for(self, obj: Any) -> str:
        return reverse("programs:enrolment_detail", args=[obj.pk])


class ActionContract(ScopedViewContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA
    status = EnrolmentStatus.ACTIVE
    name = ""

    def make_object(self, code: str) -> Any:
        return make_enrolment(
            make_program(), make_keluarga_with_members(code=code), status=self.status, reason="x"
        )

    def url_for(self, obj: Any) -> str:
        return reverse(f"programs:{self.name}", args=[obj.pk])


class TestSuspendContract(ActionContract):
    name = "enrolment_suspend"


class TestResumeContract(ActionContract):
    name = "enrolment_resume"
    status = EnrolmentStatus.SUSPENDED


class TestEndContract(ActionContract):
    name = "enrolment_end"


# --- pages: what they do -------------------------------------------------------------------------


def test_candidates_page_lists_filters_and_enrols_the_ticked(
    staf, django_assert_max_num_queries
) -> None:
    program = make_program(max_desil=4)
    lumut = [make_keluarga_with_members(code=LUMUT, desil=2) for _ in range(2)]
    bintet = make_keluarga_with_members(code=BINTET, desil=1)
    make_keluarga_with_members(code=LUMUT, desil=8)
    client = client_for(staf)
    url = reverse("programs:candidates", args=[program.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert {row.pk for row in response.context["object_list"]} == {
        *(k.pk for k in lumut),
        bintet.pk,
    }
    html = response.content.decode()
    assert lumut[0].no_kk_masked in html and lumut[0].no_kk not in html
    filtered = client.get(url, {"wilayah": BINTET}, headers={"HX-Request": "true"})
    assert [row.pk for row in filtered.context["object_list"]] == [bintet.pk]
    assert "<html" not in filtered.content.decode()
    done = client.post(url + f"?wilayah={LUMUT}", {"subject": [str(k.pk) for k in lumut]})
    assert done.status_code == 302 and done["Location"].endswith(f"?wilayah={LUMUT}")
    assert set(Enrolment.objects.active().values_list("keluarga", flat=True)) == {
        k.pk for k in lumut
    }
    assert {row.pk for row in client.get(url).context["object_list"]} == {bintet.pk}
    # The same form sent again (a double tap) enrols nobody twice, and says so.
    again = client.post(url, {"subject": [str(k.pk) for k in lumut]}, follow=True)
    notes = list(again.context["messages"])
    assert [m.level_tag for m in notes] == ["info"] and "2" in str(notes[0])
    assert Enrolment.objects.count() == 2
    assert EnrolmentEvent.objects.count() == 2


def test_candidates_show_and_filter_the_village_s_approved_proposals(staf) -> None:
    program = make_program(max_desil=4, target_unit=TargetUnit.HOUSEHOLD)
    approved, verified, plain = (make_keluarga_with_members(code=LUMUT, desil=2) for _ in "abc")

    def propose(keluarga: Any, status: str) -> Any:
        proposal = proposal_create(
            actor=psm_of(LUMUT),
            kind=ProposalKind.AID,
            data={
                "keluarga": keluarga,
                "program": program,
                "justification": "Tidak mampu",
                "latitude": "-1.6",
                "longitude": "105.7",
            },
            files=evidence(),
        )
        return advance(proposal, status)

    decree = propose(approved, ProposalStatus.APPROVED)
    propose(verified, ProposalStatus.VERIFIED)  # not approved yet: not "proposed" here
    client = client_for(staf)
    url = reverse("programs:candidates", args=[program.pk])
    page = client.get(url)
    rows = {row.pk: row.approved_proposal for row in page.context["object_list"]}
    assert rows == {approved.pk: decree, verified.pk: None, plain.pk: None}
    assert decree.get_absolute_url() in page.content.decode()
    assert decree.decree_number in page.content.decode()
    only = client.get(url, {"diusulkan": "on"})
    assert [row.pk for row in only.context["object_list"]] == [approved.pk]
    # Approved for another programme: not this one's proposal.
    other = make_program(max_desil=4, target_unit=TargetUnit.HOUSEHOLD)
    assert [
        row.pk
        for row in client.get(
            reverse("programs:candidates", args=[other.pk]), {"diusulkan": "on"}
        ).context["object_list"]
    ] == []


@pytest.mark.usefixtures("english")
def test_candidates_page_shows_the_quota_refusal_and_keeps_the_ticks(staf) -> None:
    program = make_program()
    make_quota(program, LUMUT, 1)
    families = [make_keluarga_with_members(code=LUMUT) for _ in range(2)]
    client = client_for(staf)
    url = reverse("programs:candidates", args=[program.pk])
    response = client.post(url, {"subject": [str(k.pk) for k in families]})
    assert response.status_code == 200
    errors = str(response.context["enrol_form"].non_field_errors())
    assert "Lumut" in errors and "0 of 1" in errors
    assert response.context["ticked"] == {str(k.pk) for k in families}
    assert not Enrolment.objects.exists()


def test_candidates_page_asks_for_a_note_on_a_conflict(staf) -> None:
    other = make_program(name="Pangan Lain")
    program = make_program(conflicts=[other])
    keluarga = make_keluarga_with_members(code=LUMUT)
    make_enrolment(other, keluarga)
    client = client_for(staf)
    url = reverse("programs:candidates", args=[program.pk])
    response = client.post(url, {"subject": [str(keluarga.pk)]})
    assert "Pangan Lain" in str(response.context["enrol_form"].errors["note"])
    assert not Enrolment.objects.filter(program=program).exists()
    response = client.post(url, {"subject": [str(keluarga.pk)], "note": "Disepakati musdes"})
    assert response.status_code == 302
    assert Enrolment.objects.get(program=program).events.get().note == "Disepakati musdes"


def test_candidates_outside_the_area_or_bad_ids_enrol_nobody(bangka) -> None:
    program = make_program()
    own = make_keluarga_with_members(code=LUMUT)
    other = make_keluarga_with_members(code=OTHER_DESA)
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    url = reverse("programs:candidates", args=[program.pk])
    response = client.post(url, {"subject": [str(own.pk), str(other.pk)]})
    assert response.status_code == 200 and not Enrolment.objects.exists()
    response = client.post(url, {"subject": ["not-an-id"]})
    assert response.status_code == 200 and "subject" in response.context["enrol_form"].errors
    response = client.post(url, {})
    assert response.status_code == 200 and not Enrolment.objects.exists()


def test_participant_list_filters_masks_and_pins_queries(
    staf, django_assert_max_num_queries
) -> None:
    program = make_program()
    people_programme = make_program(target_unit=TargetUnit.INDIVIDUAL)
    for _ in range(3):
        make_enrolment(program, make_keluarga_with_members(code=LUMUT, ages=[40, 10]))
    ended = make_enrolment(
        program, make_keluarga_with_members(code=BINTET), status=EnrolmentStatus.ENDED, reason="x"
    )
    person = make_person(code=LUMUT)
    make_enrolment(people_programme, person)
    client = client_for(staf)
    url = reverse("programs:enrolment_list", args=[program.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert len(response.context["object_list"]) == 4
    with django_assert_max_num_queries(12):
        response = client.get(url, {"status": EnrolmentStatus.ENDED}, headers={"HX-Request": "1"})
    assert [e.pk for e in response.context["object_list"]] == [ended.pk]
    assert "<html" not in response.content.decode()
    people = client.get(reverse("programs:enrolment_list", args=[people_programme.pk]))
    html = people.content.decode()
    assert person.name in html and person.nik_masked in html and person.nik not in html
    # A PSM sees only the participants of their own desa.
    psm = client_for(make_user(Role.PSM, BINTET))
    assert [e.pk for e in psm.get(url).context["object_list"]] == [ended.pk]


def test_enrolment_page_shows_history_and_logs_the_view(staf) -> None:
    keluarga = make_keluarga_with_members(code=LUMUT)
    enrolment = make_enrolment(make_program(), keluarga)
    enrolment_suspend(actor=staf, enrolment=enrolment, reason="Tidak di alamat")
    response = client_for(staf).get(enrolment.get_absolute_url())
    html = response.content.decode()
    assert "Tidak di alamat" in html and keluarga.no_kk_masked in html
    assert keluarga.no_kk not in html
    assert response.context["can_resume"] and not response.context["can_suspend"]
    assert AuditEvent.objects.for_object(enrolment).filter(action=Action.VIEW).exists()


def test_actions_through_the_pages(staf) -> None:
    enrolment = make_enrolment(make_program(), make_keluarga_with_members(code=LUMUT))
    client = client_for(staf)
    suspend = reverse("programs:enrolment_suspend", args=[enrolment.pk])
    refused = client.post(suspend, {"reason": "", "version": "1"})
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert client.post(suspend, {"reason": "Pindah sementara", "version": "1"}).status_code == 302
    again = client.post(suspend, {"reason": "lagi", "version": "2"})
    assert again.status_code == 200  # a suspended enrolment cannot be suspended again
    resume = reverse("programs:enrolment_resume", args=[enrolment.pk])
    assert client.post(resume, {"reason": "Kembali", "version": "2"}).status_code == 302
    end = reverse("programs:enrolment_end", args=[enrolment.pk])
    stale = client.post(end, {"reason": "Graduasi", "version": "1", "ended_on": "2026-07-01"})
    assert stale.status_code == 200
    ok = client.post(end, {"reason": "Graduasi", "version": "3", "ended_on": "2026-07-01"})
    assert ok.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENDED
    assert len(events(enrolment)) == 4
