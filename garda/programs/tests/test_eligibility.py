"""Eligibility: who the candidates of a programme are, computed from its rules over the registry.
Each rule is tested both ways (a candidate who meets it, one who does not); then the
exclusions (not current, already enrolled), the scoping, and the query count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, make_user
from garda.registry.models import Individu, Keluarga, PpksStatus, PpksType
from garda.registry.tests.factories import SUNGAILIAT_DESA, assign_ppks
from garda.wilayah.models import Wilayah

from ..models import EnrolmentStatus, Program, TargetUnit
from ..selectors import (
    age_condition,
    eligibility_problems,
    eligible_candidates,
    quota_usage,
    residents,
    years_before,
)
from .factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_person,
    make_program,
    make_quota,
)

pytestmark = pytest.mark.django_db

FAKIR_MISKIN = 24
LANSIA_TERLANTAR = 8
DISABILITAS = 9


@pytest.fixture
def staf(bangka):
    return make_user(Role.STAF_DINAS, BANGKA)


def oldest(keluarga: Keluarga) -> Individu:
    return keluarga.members.order_by("birth_date")[0]


def candidates(program: Program, user, **kwargs) -> set:
    return set(eligible_candidates(program, user, **kwargs).values_list("pk", flat=True))


# --- household programmes ------------------------------------------------------------------


def test_desil_at_most_the_maximum(staf) -> None:
    program = make_program(max_desil=4)
    poor = make_keluarga_with_members(code=LUMUT, desil=4)
    better_off = make_keluarga_with_members(code=LUMUT, desil=5)
    unknown = make_keluarga_with_members(code=LUMUT, desil=None)
    assert candidates(program, staf) == {poor.pk}
    assert eligibility_problems(program, poor) == []
    assert "desil" in eligibility_problems(program, better_off)[0]
    assert eligibility_problems(program, unknown)


def test_no_desil_rule_takes_every_desil(staf) -> None:
    program = make_program(max_desil=None)
    a = make_keluarga_with_members(code=LUMUT, desil=9)
    b = make_keluarga_with_members(code=LUMUT, desil=None)
    assert candidates(program, staf) == {a.pk, b.pk}


def test_ppks_of_the_household_or_of_a_member(staf) -> None:
    program = make_program(ppks=[FAKIR_MISKIN, LANSIA_TERLANTAR])
    own = make_keluarga_with_members(code=LUMUT)
    assign_ppks(own, number=FAKIR_MISKIN)
    of_member = make_keluarga_with_members(code=LUMUT, ages=[40, 80])
    assign_ppks(oldest(of_member), number=LANSIA_TERLANTAR)
    other_type = make_keluarga_with_members(code=LUMUT)
    assign_ppks(other_type, number=DISABILITAS)
    none = make_keluarga_with_members(code=LUMUT)
    assert candidates(program, staf) == {own.pk, of_member.pk}
    assert eligibility_problems(program, of_member) == []
    assert "PPKS" in eligibility_problems(program, other_type)[0]
    assert eligibility_problems(program, none)


def test_resolved_ppks_and_a_deceased_members_ppks_do_not_count(staf) -> None:
    program = make_program(ppks=[LANSIA_TERLANTAR])
    resolved = make_keluarga_with_members(code=LUMUT)
    status = assign_ppks(resolved, number=LANSIA_TERLANTAR)
    PpksStatus.objects.filter(pk=status.pk).update(resolved_on=datetime.date(2025, 6, 1))
    deceased = make_keluarga_with_members(code=LUMUT, ages=[50, 85])
    elder = oldest(deceased)
    assign_ppks(elder, number=LANSIA_TERLANTAR)
    Individu.objects.filter(pk=elder.pk).update(is_deceased=True)
    assert candidates(program, staf) == set()
    assert eligibility_problems(program, deceased)


def test_filter_by_one_ppks_type(staf) -> None:
    program = make_program()
    poor = make_keluarga_with_members(code=LUMUT)
    assign_ppks(poor, number=FAKIR_MISKIN)
    make_keluarga_with_members(code=LUMUT)
    fakir = PpksType.objects.get(number=FAKIR_MISKIN)
    assert candidates(program, staf, ppks_type=fakir.pk) == {poor.pk}


@pytest.mark.usefixtures("english")
def test_any_member_within_the_age_range(staf) -> None:
    program = make_program(min_age=60, max_age=70)
    at_least = make_keluarga_with_members(code=LUMUT, ages=[30, 60])
    at_most = make_keluarga_with_members(code=LUMUT, ages=[70])
    too_young = make_keluarga_with_members(code=LUMUT, ages=[59, 20])
    too_old = make_keluarga_with_members(code=LUMUT, ages=[71])
    assert candidates(program, staf) == {at_least.pk, at_most.pk}
    assert "aged 60 to 70 years" in eligibility_problems(program, too_young)[0]
    assert eligibility_problems(program, too_old)


def test_age_of_a_moved_out_member_does_not_count(staf) -> None:
    program = make_program(min_age=60)
    keluarga = make_keluarga_with_members(code=LUMUT, ages=[40, 65])
    elder = oldest(keluarga)
    assert candidates(program, staf) == {keluarga.pk}
    Individu.objects.filter(pk=elder.pk).update(moved_out=True)
    assert candidates(program, staf) == set()


def test_age_boundaries_on_a_birthday(bangka) -> None:
    """Aged 60 to 60 on 1 March 2026: born 1 March 1966 is in; a day younger or a year older
    is out."""
    program = Program(min_age=60, max_age=60)
    day = datetime.date(2026, 3, 1)
    born = {
        "sixty_today": datetime.date(1966, 3, 1),
        "sixty_one_today": datetime.date(1965, 3, 1),
        "sixty_tomorrow": datetime.date(1966, 3, 2),
        "sixty_one_tomorrow": datetime.date(1965, 3, 2),
    }
    people = {name: make_person(code=LUMUT).pk for name in born}
    for name, birth_date in born.items():
        Individu.objects.filter(pk=people[name]).update(birth_date=birth_date)
    matched = set(
        residents()
        .filter(pk__in=people.values())
        .filter(age_condition(program, on=day))
        .values_list("pk", flat=True)
    )
    assert matched == {people["sixty_today"], people["sixty_one_tomorrow"]}
    assert years_before(datetime.date(2024, 2, 29), 1) == datetime.date(2023, 2, 28)


@pytest.mark.usefixtures("english")
def test_areas_rule(staf) -> None:
    program = make_program(areas=[BELINYU])
    inside = make_keluarga_with_members(code=BINTET)
    outside = make_keluarga_with_members(code=SUNGAILIAT_DESA)
    assert candidates(program, staf) == {inside.pk}
    assert "does not run" in eligibility_problems(program, outside)[0]


def test_the_region_that_runs_the_programme(staf) -> None:
    program = make_program(wilayah=Wilayah.objects.get(code=BANGKA))
    other = make_program(wilayah="19.02")
    keluarga = make_keluarga_with_members(code=LUMUT)
    assert candidates(program, staf) == {keluarga.pk}
    assert candidates(other, staf) == set()
    assert eligibility_problems(other, keluarga)


def test_a_household_nobody_lives_in_is_not_a_candidate(staf) -> None:
    program = make_program()
    keluarga = make_keluarga_with_members(code=LUMUT, ages=[70])
    Individu.objects.filter(keluarga=keluarga).update(is_deceased=True)
    assert candidates(program, staf) == set()
    assert eligibility_problems(program, keluarga)


def test_active_and_suspended_participants_are_not_candidates_ended_ones_are(staf) -> None:
    program = make_program()
    active = make_keluarga_with_members(code=LUMUT)
    suspended = make_keluarga_with_members(code=LUMUT)
    ended = make_keluarga_with_members(code=LUMUT)
    in_other_programme = make_keluarga_with_members(code=LUMUT)
    make_enrolment(program, active)
    make_enrolment(program, suspended, status=EnrolmentStatus.SUSPENDED, reason="x")
    make_enrolment(program, ended, status=EnrolmentStatus.ENDED, reason="x")
    make_enrolment(make_program(), in_other_programme)
    assert candidates(program, staf) == {ended.pk, in_other_programme.pk}


def test_candidates_are_scoped_and_narrowed_by_area(bangka) -> None:
    program = make_program()
    lumut = make_keluarga_with_members(code=LUMUT)
    bintet = make_keluarga_with_members(code=BINTET)
    sungailiat = make_keluarga_with_members(code=SUNGAILIAT_DESA)
    psm = make_user(Role.PSM, LUMUT)
    koordinator = make_user(Role.KOORDINATOR, BELINYU)
    viewer = make_user(Role.VIEWER, BANGKA)
    assert candidates(program, psm) == {lumut.pk}
    assert candidates(program, koordinator) == {lumut.pk, bintet.pk}
    assert candidates(program, koordinator, area=BINTET) == {bintet.pk}
    assert candidates(program, viewer) == set()
    staf = make_user(Role.STAF_DINAS, BANGKA)
    assert candidates(program, staf) == {lumut.pk, bintet.pk, sungailiat.pk}


# --- individual programmes -----------------------------------------------------------------


def test_individual_programme_uses_the_persons_own_ppks_and_age(staf) -> None:
    program = make_program(
        target_unit=TargetUnit.INDIVIDUAL, ppks=[DISABILITAS], min_age=18, max_desil=5
    )
    eligible = make_person(code=LUMUT, age=30, desil=3, ppks=[DISABILITAS])
    child = make_person(code=LUMUT, age=10, desil=3, ppks=[DISABILITAS])
    no_status = make_person(code=LUMUT, age=30, desil=3)
    rich = make_person(code=LUMUT, age=30, desil=8, ppks=[DISABILITAS])
    # A household's status is not the person's own.
    household_status = make_person(code=LUMUT, age=30, desil=3)
    assign_ppks(household_status.keluarga, number=DISABILITAS)
    assert candidates(program, staf) == {eligible.pk}
    assert eligibility_problems(program, eligible) == []
    assert eligibility_problems(program, child)
    assert eligibility_problems(program, no_status)
    assert eligibility_problems(program, rich)
    assert eligibility_problems(program, household_status)


@pytest.mark.usefixtures("english")
def test_individual_programme_takes_only_current_living_residents(staf) -> None:
    program = make_program(target_unit=TargetUnit.INDIVIDUAL)
    alive = make_person(code=LUMUT)
    dead = make_person(code=LUMUT)
    moved = make_person(code=LUMUT)
    merged = make_person(code=LUMUT)
    Individu.objects.filter(pk=dead.pk).update(is_deceased=True)
    Individu.objects.filter(pk=moved.pk).update(moved_out=True)
    Individu.objects.filter(pk=merged.pk).update(merged_into=alive)
    assert candidates(program, staf) == {alive.pk}
    dead.refresh_from_db()
    assert "not a current resident" in eligibility_problems(program, dead)[0]


@pytest.mark.usefixtures("english")
def test_the_wrong_kind_of_participant_is_named(staf) -> None:
    household_programme = make_program(target_unit=TargetUnit.HOUSEHOLD)
    person = make_person(code=LUMUT)
    assert "for households" in eligibility_problems(household_programme, person)[0]


# --- cost ------------------------------------------------------------------------------------


def test_candidates_are_one_query_whatever_the_rules(staf) -> None:
    program = make_program(max_desil=4, ppks=[FAKIR_MISKIN], min_age=18, areas=[BELINYU])
    for _ in range(3):
        keluarga = make_keluarga_with_members(code=LUMUT, desil=2, ages=[40, 12])
        assign_ppks(keluarga, number=FAKIR_MISKIN)
    rows = eligible_candidates(program, staf)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(rows)) == 3
    assert len(queries) == 1
    assert "EXISTS" in queries[0]["sql"].upper()


# --- quota usage -------------------------------------------------------------------------------


def test_quota_usage_per_kecamatan_and_desa(staf) -> None:
    program = make_program()
    make_quota(program, LUMUT, 2)
    make_quota(program, BINTET, 5)
    for _ in range(2):
        make_enrolment(program, make_keluarga_with_members(code=LUMUT))
    make_enrolment(
        program,
        make_keluarga_with_members(code=LUMUT),
        status=EnrolmentStatus.ENDED,
        reason="x",
    )
    make_enrolment(program, make_keluarga_with_members(code=SUNGAILIAT_DESA))
    usage = {row.wilayah.code: row for row in quota_usage(program=program, fetched_by=staf)}
    belinyu = usage[BELINYU]
    assert (belinyu.enrolled, belinyu.quota) == (2, 7)
    villages = {row.wilayah.code: row for row in belinyu.children}
    assert (villages[LUMUT].enrolled, villages[LUMUT].quota, villages[LUMUT].full) == (2, 2, True)
    assert (villages[BINTET].enrolled, villages[BINTET].left) == (0, 5)
    assert usage["19.01.01"].enrolled == 1 and usage["19.01.01"].quota is None
    psm = make_user(Role.PSM, LUMUT)
    mine = quota_usage(program=program, fetched_by=psm)
    assert [row.wilayah.code for row in mine] == [BELINYU]
    assert [v.wilayah.code for v in mine[0].children] == [LUMUT]
