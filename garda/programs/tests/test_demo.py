"""The demo programmes: participants by the programmes' rules, two periods of distributions with
failures and returns, the same on every run, and a second run writes nothing."""

import pytest
from django.db.models import Count, Sum

from garda.accounts.demo import build_demo_accounts
from garda.pilar.demo import build_demo_pillars
from garda.programs.demo import build_demo_programs
from garda.programs.models import (
    Distribution,
    DistributionEvent,
    DistributionStatus,
    Enrolment,
    EnrolmentEvent,
    Quota,
)
from garda.registry.demo import build_demo_residents


@pytest.fixture
def demo(bangka):
    build_demo_accounts()
    build_demo_pillars()
    build_demo_residents()
    return build_demo_programs()


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
    for status in (DistributionStatus.DELIVERED, DistributionStatus.FAILED):
        assert ("Tahap 3 2025", status) in seen
        assert ("Tahap 4 2025", status) in seen
    assert ("Tahap 4 2025", DistributionStatus.SCHEDULED) in seen
    assert ("Tahap 3 2025", DistributionStatus.RETURNED) in seen
    assert not Distribution.objects.filter(
        status__in=[DistributionStatus.FAILED, DistributionStatus.RETURNED], reason=""
    ).exists()
    delivered = Distribution.objects.filter(status=DistributionStatus.DELIVERED)
    assert not delivered.filter(distributed_on__isnull=True).exists()
    assert delivered.filter(accompanied_by__isnull=False).count() > delivered.count() // 2
    assert DistributionEvent.objects.count() == Distribution.objects.exclude(
        status=DistributionStatus.SCHEDULED
    ).count()
    assert all(d.amount == d.enrolment.program.benefit_amount for d in delivered[:50])


def test_a_second_run_writes_nothing(demo):
    total = Distribution.objects.aggregate(rupiah=Sum("amount"), n=Count("id"))
    again = build_demo_programs()
    assert again.created == 0
    assert again.enrolments == demo.enrolments
    assert Distribution.objects.aggregate(rupiah=Sum("amount"), n=Count("id")) == total
