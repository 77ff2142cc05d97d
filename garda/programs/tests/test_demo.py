"""The demo programmes: participants by the programmes' rules, two periods of distributions with
failures and returns, the same on every run, and a second run writes nothing."""

import datetime

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from conftest import load_bangka
from garda.accounts.demo import build_demo_accounts
from garda.pilar.demo import build_demo_pillars
from garda.programs.demo import build_demo_programs, build_demo_proposals, recent_periods
from garda.programs.models import (
    Distribution,
    DistributionEvent,
    DistributionStatus,
    Enrolment,
    EnrolmentEvent,
    Objection,
    ObjectionStatus,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    Quota,
)
from garda.registry.demo import build_demo_residents

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo district built once for the module (the residents take a while), then removed:
    the programmes' demo and the proposals' demo, each run twice."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_bangka()
        build_demo_accounts()
        build_demo_pillars()
        build_demo_residents()
        programs = build_demo_programs()
        proposals = build_demo_proposals(), build_demo_proposals()
        yield programs, proposals
        transaction.set_rollback(True)


@pytest.fixture
def demo(built):
    return built[0]


def test_participants_follow_the_programmes_rules(demo):
    assert demo.created == demo.enrolments > 1000
    for code in ("pkh", "sembako"):
        households = Enrolment.objects.filter(program__code=code)
        assert households.count() > 100
        assert not households.filter(keluarga__desil__gt=4).exists()
        assert not households.filter(keluarga__isnull=True).exists()
    in_pkh_or_sembako = Enrolment.objects.filter(program__code__in=["pkh", "sembako"]).values(
        "keluarga"
    )
    assert not Enrolment.objects.filter(
        program__code="blt-dd", keluarga__in=in_pkh_or_sembako
    ).exists()
    assert Enrolment.objects.filter(program__code="pbi-jk", individu__isnull=False).count() > 100
    kecamatan = {code[:8] for code in Enrolment.objects.values_list("wilayah_id", flat=True)}
    assert len(kecamatan) == 8
    assert EnrolmentEvent.objects.count() == demo.enrolments


def test_quotas_hold_what_is_enrolled(demo):
    enrolled = {
        (row["program"], row["wilayah"]): row["n"]
        for row in Enrolment.objects.values("program", "wilayah").annotate(n=Count("id"))
    }
    quotas = {(q.program_id, q.wilayah_id): q.quota for q in Quota.objects.all()}
    assert set(enrolled) == set(quotas)
    assert all(quotas[key] > count for key, count in enrolled.items())


def test_two_periods_with_failures_returns_and_open_rows(demo):
    by_period = Distribution.objects.values("period__name", "status").annotate(n=Count("id"))
    seen = {(row["period__name"], row["status"]) for row in by_period}
    (finished, _, _), (current, starts, _) = recent_periods(timezone.localdate())
    assert (finished, DistributionStatus.DELIVERED) in seen
    assert (finished, DistributionStatus.FAILED) in seen
    assert (finished, DistributionStatus.RETURNED) in seen
    assert (current, DistributionStatus.SCHEDULED) in seen
    if timezone.localdate() - starts > datetime.timedelta(days=7):
        assert (current, DistributionStatus.DELIVERED) in seen
    assert not Distribution.objects.filter(
        status__in=[DistributionStatus.FAILED, DistributionStatus.RETURNED], reason=""
    ).exists()
    delivered = Distribution.objects.filter(status=DistributionStatus.DELIVERED)
    assert not delivered.filter(distributed_on__isnull=True).exists()
    assert not delivered.filter(distributed_on__gt=timezone.localdate()).exists()
    assert delivered.filter(accompanied_by__isnull=False).count() > delivered.count() // 2
    assert (
        DistributionEvent.objects.count()
        == Distribution.objects.exclude(status=DistributionStatus.SCHEDULED).count()
    )
    assert all(d.amount == d.enrolment.program.benefit_amount for d in delivered[:50])


def test_a_second_run_writes_nothing(demo):
    total = Distribution.objects.aggregate(rupiah=Sum("amount"), n=Count("id"))
    again = build_demo_programs()
    assert again.created == 0
    assert again.enrolments == demo.enrolments
    assert Distribution.objects.aggregate(rupiah=Sum("amount"), n=Count("id")) == total


def test_recent_periods_are_the_previous_and_the_current_quarter():
    assert recent_periods(datetime.date(2026, 11, 28)) == [
        ("Tahap 3 2026", datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)),
        ("Tahap 4 2026", datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)),
    ]
    assert recent_periods(datetime.date(2027, 2, 1))[0] == (
        "Tahap 4 2026",
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )


def test_proposals_at_every_step_and_objections_open_decided_lapsed(built):
    result, again = built[1]
    assert result.created
    statuses = set(Proposal.objects.values_list("status", flat=True))
    assert statuses == set(ProposalStatus.values)
    assert all(p.events.exists() for p in Proposal.objects.exclude(status=ProposalStatus.DRAFT))
    rejected_from = set(
        ProposalEvent.objects.filter(to_status=ProposalStatus.REJECTED).values_list(
            "from_status", flat=True
        )
    )
    assert rejected_from == {
        ProposalStatus.SUBMITTED,  # not agreed in the village deliberation
        ProposalStatus.DELIBERATED,  # refused by the Dinas verifier
    }
    assert not Proposal.objects.filter(status=ProposalStatus.APPROVED, decree_number="").exists()
    assert set(Objection.objects.values_list("status", flat=True)) == {
        ObjectionStatus.OPEN,
        ObjectionStatus.DISMISSED,
        ObjectionStatus.LAPSED,
    }
    assert (again.created, again.proposals, again.objections) == (False, 8, 3)
