"""The demo year of field activities: deterministic, idempotent, varied between active and
inactive workers, with GPS points in Bangka, photos in Belinyu's last quarter, and a monthly
report of a demo PSM whose totals match the database."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count

from garda.accounts.demo import build_demo_accounts
from garda.pilar.demo import build_demo_pillars
from garda.pilar.models import Pilar
from garda.registry.demo import build_demo_residents
from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load

from .. import selectors
from ..demo import build_demo_activities
from ..models import Activity, ActivityEvent, Meeting, Photo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Built once for the module (the residents take a while), removed afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            wilayah_load(source=BANGKA_SOURCE, scope="19.01")
            build_demo_accounts()
            build_demo_pillars()
            build_demo_residents()
            first = build_demo_activities()
            second = build_demo_activities()
            yield first, second
            transaction.set_rollback(True)


def test_a_second_run_creates_nothing(demo):
    first, second = demo
    assert first.created > 1000
    assert second.created == 0
    assert second.reports == first.reports == Activity.objects.count()
    assert Meeting.objects.count() == first.meetings == second.meetings


def test_workers_differ_from_very_active_to_hardly_active(demo):
    per_psm = Counter(Activity.objects.values_list("pilar_id", flat=True))
    monthly = sorted(count / 12 for count in per_psm.values())
    assert monthly[-1] >= 7  # some report several times a week
    assert monthly[0] <= 1.5  # some hardly at all
    inactive = Pilar.objects.filter(activities__isnull=False).exclude(status="aktif")
    for pilar in inactive.distinct():
        months = pilar.activities.dates("occurred_at", "month")
        assert max(m.month for m in months) <= 8  # stopped reporting


def test_statuses_events_and_positions_are_consistent(demo):
    statuses = Counter(Activity.objects.values_list("status", flat=True))
    assert statuses["verified"] > statuses["submitted"] > 0
    assert statuses["returned"] > 0 and statuses["draft"] > 0
    assert not Activity.objects.filter(status="submitted", occurred_at__month__lt=11).exists()
    steps = dict(
        Activity.objects.annotate(n=Count("events")).values_list("status").annotate(m=Count("id"))
    )
    assert steps
    for activity in Activity.objects.filter(status="verified")[:50]:
        assert [e.to_status for e in activity.events.order_by("created_at")] == [
            "draft",
            "submitted",
            "verified",
        ]
    assert (
        ActivityEvent.objects.filter(to_status="returned").exclude(note="").count()
        == (statuses["returned"])
    )
    located = Activity.objects.exclude(latitude=None)
    assert located.count() > 0.7 * Activity.objects.count()
    for activity in located[:200]:
        assert activity.latitude is not None and activity.longitude is not None
        assert Decimal("-2.3") < activity.latitude < Decimal("-1.4")
        assert Decimal("105.6") < activity.longitude < Decimal("106.4")
    assert Activity.households.through.objects.exists()


def test_belinyu_reports_of_the_last_quarter_have_photos(demo):
    photos = Photo.objects.select_related("activity")
    assert photos.exists()
    assert {p.activity.wilayah_id[:8] for p in photos} == {"19.01.02"}
    assert {p.activity.occurred_at.month for p in photos} <= {10, 11, 12}
    first = photos.first()
    assert first is not None
    with first.file.open("rb") as stored:
        assert stored.read(3) == b"\xff\xd8\xff"


def test_monthly_report_of_a_demo_psm_matches_the_database(demo):
    pilar = Pilar.objects.get(user__username="psm.lumut")
    report = selectors.monthly_report(pilar=pilar, year=2025, month=10)
    verified = Activity.objects.filter(
        pilar=pilar, status="verified", occurred_at__year=2025, occurred_at__month=10
    )
    assert report.total == verified.count()
    assert report.photos == Photo.objects.filter(activity__in=verified).count()
    assert report.participants == sum(verified.values_list("participants", flat=True))
