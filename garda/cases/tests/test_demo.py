"""The demo cases: every state in every kecamatan, referrals to real kinds of institutions,
the same plan every run, and a second run writes nothing."""

import collections

import pytest

from garda.accounts.demo import build_demo_accounts
from garda.registry.demo import build_demo_residents

from ..demo import PLAN, build_demo_cases
from ..models import Case, CaseEvent, EventKind, Institution, InstitutionKind, Referral, Status

pytestmark = pytest.mark.usefixtures("bangka")


@pytest.fixture
def demo_world(bangka):
    build_demo_accounts()
    build_demo_residents()


def test_demo_cases_cover_every_state_kecamatan_and_kind(demo_world):
    result = build_demo_cases()
    assert result.created == len(PLAN)
    states = collections.Counter(Case.objects.values_list("status", flat=True))
    assert set(states) == set(Status.values)
    kecamatan = {code[:8] for code in Case.objects.values_list("wilayah_id", flat=True)}
    assert len(kecamatan) == 8
    kinds = set(Institution.objects.values_list("kind", flat=True))
    assert {
        InstitutionKind.MENTAL_HOSPITAL,
        InstitutionKind.PUSKESMAS,
        InstitutionKind.PANTI,
        InstitutionKind.UPTD_PPA,
        InstitutionKind.POLICE_PPA,
        InstitutionKind.LKS,
    } <= kinds
    referral_states = set(Referral.objects.values_list("status", flat=True))
    assert referral_states == {"sent", "accepted", "refused", "completed"}
    assert CaseEvent.objects.filter(kind=EventKind.REOPENED).count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.TRANSFERRED).count() == 1
    assert Case.objects.overdue().exists()
    assert Case.objects.filter(subjects__isnull=False).count() >= len(PLAN) - 2
    # Events keep their order after the dates are moved back.
    for case in Case.objects.all():
        times = list(case.events.order_by("created_at").values_list("at", flat=True))
        assert times == sorted(times)
        assert times[0] == case.reported_at


def test_a_second_run_writes_nothing(demo_world):
    build_demo_cases()
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    again = build_demo_cases()
    assert again.created == 0
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)
