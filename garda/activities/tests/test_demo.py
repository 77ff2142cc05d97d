"""The demo's twelve months of field activities, ending with the current month: deterministic,
idempotent, nothing dated today or later, fates relative to now (the last two months still
waiting, older ones verified), varied between active and inactive workers, with GPS points in
Bangka, photos in Belinyu's last three months, and a monthly report of a demo PSM whose totals
match the database."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone

from garda.accounts.demo import build_demo_accounts
from garda.pilar.demo import build_demo_pillars
from garda.pilar.models import Pilar
from garda.registry.demo import build_demo_residents
from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load

from .. import selectors
from ..demo import MONTHS, build_demo_activities, demo_months
from ..models import Activity, ActivityEvent, Meeting, MeetingTask, Photo

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


def midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def since(month: datetime.date) -> dict[str, datetime.datetime]:
    return {"occurred_at__gte": midnight(month)}


def test_a_second_run_creates_nothing(demo):
    first, second = demo
    assert first.created > 1000
    assert second.created == 0
    assert second.reports == first.reports == Activity.objects.count()
    assert Meeting.objects.count() == first.meetings == second.meetings


def test_the_twelve_months_end_yesterday(demo):
    today = timezone.localdate()
    months = demo_months(today)
    assert len(months) == MONTHS == 12
    assert months[-1] == today.replace(day=1)
    assert months == sorted(set(months))
    eleven_ago = today.year * 12 + today.month - 1 - 11
    assert months[0] == datetime.date(eleven_ago // 12, eleven_ago % 12 + 1, 1)
    dated = {(d.year, d.month) for d in Activity.objects.dates("occurred_at", "month")}
    assert dated <= {(m.year, m.month) for m in months}
    assert {(m.year, m.month) for m in months[:-1]} <= dated  # every full month has reports
    if today.day >= 3:
        assert (today.year, today.month) in dated  # this month up to yesterday
    # Nothing has happened yet today: no report, step, photo or meeting.
    assert not Activity.objects.filter(occurred_at__lt=midnight(months[0])).exists()
    assert not Activity.objects.filter(occurred_at__gte=midnight(today)).exists()
    assert not Activity.objects.filter(submitted_at__gte=midnight(today)).exists()
    assert not Activity.objects.filter(verified_at__gte=midnight(today)).exists()
    assert not ActivityEvent.objects.filter(created_at__gte=midnight(today)).exists()
    assert not Meeting.objects.filter(held_at__gte=midnight(today)).exists()
    held = {(d.year, d.month) for d in Meeting.objects.dates("held_at", "month")}
    assert {(m.year, m.month) for m in months[:-1]} <= held  # a meeting every month
    earlier = MeetingTask.objects.filter(meeting__held_at__lt=midnight(months[-1]))
    assert earlier.exists() and not earlier.filter(done=False).exists()


def test_an_earlier_day_plans_exactly_the_reports_before_it(demo, monkeypatch):
    """The plan of a month does not depend on the day of the run: run on an earlier day of
    this month, the plan is the reports dated before that day, all of them already there; so a
    run on a later day adds only the new days' reports."""
    today = timezone.localdate()
    if today.day == 1:
        pytest.skip("no earlier day in this month")
    earlier = today - datetime.timedelta(days=today.day // 2)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: earlier)
    rerun = build_demo_activities()
    assert rerun.created == 0
    assert rerun.reports == Activity.objects.filter(occurred_at__lt=midnight(earlier)).count()
    assert rerun.reports < Activity.objects.count()


def test_workers_differ_from_very_active_to_hardly_active(demo):
    months = demo_months(timezone.localdate())
    per_psm = Counter(Activity.objects.values_list("pilar_id", flat=True))
    monthly = sorted(count / 12 for count in per_psm.values())
    assert monthly[-1] >= 7  # some report several times a week
    assert monthly[0] <= 1.5  # some hardly at all
    inactive = list(Pilar.objects.filter(activities__isnull=False).exclude(status="aktif"))
    assert inactive
    for pilar in set(inactive):
        last = max(pilar.activities.dates("occurred_at", "month"))
        assert last < months[8]  # stopped reporting some months ago
        change = pilar.status_events.filter(to_status=pilar.status).first()
        if change is not None:  # and before their status changed
            assert last < change.effective_on.replace(day=1)


def test_fates_are_relative_to_now(demo):
    months = demo_months(timezone.localdate())
    recent = Activity.objects.filter(**since(months[-2]))  # this and last month
    older = Activity.objects.exclude(**since(months[-2]))
    statuses = Counter(recent.values_list("status", flat=True))
    assert statuses["submitted"] > 0 and statuses["returned"] > 0 and statuses["draft"] > 0
    assert not older.filter(status__in=["submitted", "draft"]).exists()
    old = Counter(older.values_list("status", flat=True))
    assert old["verified"] > 0.9 * sum(old.values())
    # This month's reports wait for the coordinator; most of last month's are verified.
    assert not Activity.objects.filter(status="verified", **since(months[-1])).exists()
    last_month = Activity.objects.filter(**since(months[-2])).exclude(**since(months[-1]))
    assert last_month.filter(status="verified").count() > last_month.count() / 2


def test_statuses_events_and_positions_are_consistent(demo):
    statuses = Counter(Activity.objects.values_list("status", flat=True))
    assert statuses["verified"] > statuses["submitted"] > 0
    assert statuses["returned"] > 0 and statuses["draft"] > 0
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
    for activity in Activity.objects.filter(status="draft")[:20]:
        assert [e.to_status for e in activity.events.all()] == ["draft"]
        assert activity.submitted_at is None
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


def test_belinyu_reports_of_the_last_three_months_have_photos(demo):
    months = demo_months(timezone.localdate())
    photos = Photo.objects.select_related("activity")
    assert photos.exists()
    assert {p.activity.wilayah_id[:8] for p in photos} == {"19.01.02"}
    assert all(p.activity.occurred_at >= midnight(months[-3]) for p in photos)
    assert photos.filter(activity__occurred_at__lt=midnight(months[-2])).exists()
    first = photos.first()
    assert first is not None
    with first.file.open("rb") as stored:
        assert stored.read(3) == b"\xff\xd8\xff"


def test_monthly_report_of_last_month_matches_the_database(demo):
    last = demo_months(timezone.localdate())[-2]
    pilar = Pilar.objects.get(user__username="psm.lumut")
    report = selectors.monthly_report(pilar=pilar, year=last.year, month=last.month)
    verified = Activity.objects.filter(
        pilar=pilar,
        status="verified",
        occurred_at__year=last.year,
        occurred_at__month=last.month,
    )
    assert report.total == verified.count() > 0
    assert report.photos == Photo.objects.filter(activity__in=verified).count()
    assert report.participants == sum(verified.values_list("participants", flat=True))
