"""A household's programme participation follows it when it moves, and a merge never leaves
one person enrolled twice in a programme."""

import datetime

import pytest

from garda.core.testing import BINTET, LUMUT
from garda.programs.models import (
    Distribution,
    DistributionStatus,
    Enrolment,
    EnrolmentStatus,
    TargetUnit,
)
from garda.programs.tests.factories import make_enrolment, make_period, make_program
from garda.registry import services
from garda.wilayah.models import Wilayah

from .factories import dinas_admin, register_family, register_individu

BORN = datetime.date(1970, 5, 17)


@pytest.fixture
def admin(bangka):
    return dinas_admin(LUMUT)


def test_enrolments_and_planned_distributions_follow_a_moving_household(admin):
    keluarga = register_family(code=LUMUT, actor=admin, members=1)
    member = keluarga.members.all()[0]
    household_programme = make_program(code="uji-keluarga", target_unit=TargetUnit.HOUSEHOLD)
    person_programme = make_program(code="uji-orang", target_unit=TargetUnit.INDIVIDUAL)
    family = make_enrolment(household_programme, keluarga)
    personal = make_enrolment(person_programme, member)
    done, coming = (make_period(household_programme, name=name) for name in ("Tahap 1", "Tahap 2"))
    delivered = Distribution.objects.create(
        enrolment=family,
        period=done,
        wilayah_id=LUMUT,
        amount=100,
        status=DistributionStatus.DELIVERED,
        distributed_on=datetime.date(2026, 1, 5),
    )
    scheduled = Distribution.objects.create(
        enrolment=family, period=coming, wilayah_id=LUMUT, amount=100
    )
    services.keluarga_move(
        actor=admin,
        keluarga=keluarga,
        wilayah=Wilayah.objects.get(code=BINTET),
        moved_on=datetime.date(2026, 2, 1),
        reason="Pindah rumah",
    )
    assert Enrolment.objects.get(pk=family.pk).wilayah_id == BINTET
    assert Enrolment.objects.get(pk=personal.pk).wilayah_id == BINTET
    assert Distribution.objects.get(pk=scheduled.pk).wilayah_id == BINTET
    assert Distribution.objects.get(pk=delivered.pk).wilayah_id == LUMUT  # where it happened


def test_a_merge_passes_participation_on_and_never_doubles_it(admin):
    keep = register_individu(code=LUMUT, actor=admin, name="Muhammad Ridwan", birth_date=BORN)
    other = register_individu(code=BINTET, actor=admin, name="Moh. Ridwan", birth_date=BORN)
    both = make_program(code="uji-dua", target_unit=TargetUnit.INDIVIDUAL)
    only_other = make_program(code="uji-satu", target_unit=TargetUnit.INDIVIDUAL)
    make_enrolment(both, keep)
    doubled = make_enrolment(both, other)
    passed_on = make_enrolment(only_other, other)
    candidate = services.duplicates_queue(individu=other)[0]
    services.duplicate_merge(actor=admin, candidate=candidate, keep=keep)
    doubled.refresh_from_db()
    passed_on.refresh_from_db()
    assert (passed_on.individu, passed_on.wilayah_id) == (keep, LUMUT)
    assert (doubled.individu_id, doubled.status) == (other.pk, EnrolmentStatus.ENDED)
    assert doubled.events.order_by("created_at").reverse()[0].to_status == EnrolmentStatus.ENDED
    assert Enrolment.objects.filter(individu=keep, status=EnrolmentStatus.ACTIVE).count() == 2
