"""Reads of field activities: lists, the coordinator's queue, a report's page and the monthly
reports. Every read starts from `visible_to(user, permission)`."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.cases.models import Case
from garda.core.periods import month_label
from garda.pilar.models import Pilar
from garda.wilayah.models import Wilayah

from .models import Activity, ActivityType, Meeting, Status


def activity_list(*, fetched_by: User, filters: dict[str, Any]) -> QuerySet[Activity]:
    activities = (
        Activity.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE)
        .select_related("jenis", "pilar", "wilayah")
        .annotate(photo_count=Count("photos"))
        .order_by("-occurred_at")
    )
    if filters.get("status"):
        activities = activities.filter(status=filters["status"])
    if filters.get("month"):
        year, month = filters["month"]
        activities = activities.in_month(year, month)
    return activities


def case_activities(*, case: Case, fetched_by: User) -> QuerySet[Activity]:
    """The activity reports about a social case that the user may read, newest first."""
    return (
        Activity.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE)
        .filter(case=case)
        .select_related("jenis", "pilar", "wilayah")
        .annotate(photo_count=Count("photos"))
        .order_by("-occurred_at")
    )


def review_queue(*, fetched_by: User) -> QuerySet[Activity]:
    """Submitted reports the user may verify, oldest first (others' reports only)."""
    return (
        Activity.objects.visible_to(fetched_by, Perm.VERIFY_ACTIVITIES)
        .filter(status=Status.SUBMITTED)
        .exclude(reported_by=fetched_by)
        .select_related("jenis", "pilar", "wilayah")
        .annotate(photo_count=Count("photos"))
        .order_by("submitted_at")
    )


def meeting_list(*, fetched_by: User) -> QuerySet[Meeting]:
    return (
        Meeting.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE)
        .select_related("wilayah")
        .annotate(attendee_count=Count("attendees", distinct=True))
        .order_by("-held_at")
    )


@dataclass
class TypeTotal:
    name: str
    count: int
    participants: int


@dataclass
class MonthlyReport:
    """A PSM's verified activities of one month, with their totals."""

    pilar: Pilar
    year: int
    month: int
    activities: list[Activity]
    by_type: list[TypeTotal]
    total: int
    participants: int
    photos: int
    households: int
    other_statuses: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return month_label(datetime.date(self.year, self.month, 1))


def monthly_report(*, pilar: Pilar, year: int, month: int) -> MonthlyReport:
    """Built from the month's verified activities only; others are counted, not listed."""
    month_activities = Activity.objects.filter(pilar=pilar).in_month(year, month)
    activities = list(
        month_activities.verified()
        .select_related("jenis", "wilayah", "program")
        .annotate(photo_count=Count("photos", distinct=True))
        .order_by("occurred_at")
    )
    types: dict[str, TypeTotal] = {}
    for activity in activities:
        total = types.setdefault(activity.jenis.code, TypeTotal(activity.jenis.name, 0, 0))
        total.count += 1
        total.participants += activity.participants
    order = {code: i for i, code in enumerate(ActivityType.objects.values_list("code", flat=True))}
    households = (
        Activity.households.through.objects.filter(activity__in=[a.pk for a in activities])
        .values("keluarga_id")
        .distinct()
        .count()
    )
    others = dict(
        month_activities.exclude(status=Status.VERIFIED)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return MonthlyReport(
        pilar=pilar,
        year=year,
        month=month,
        activities=activities,
        by_type=[types[c] for c in sorted(types, key=lambda c: order.get(c, 999))],
        total=len(activities),
        participants=sum(a.participants for a in activities),
        photos=sum(a.photo_count for a in activities),  # type: ignore[attr-defined]
        households=households,
        other_statuses={str(Status(k).label): v for k, v in others.items()},
    )


@dataclass
class SummaryRow:
    pilar: Pilar
    verified: int
    submitted: int
    returned: int
    participants: int
    photos: int


@dataclass
class KecamatanSummary:
    kecamatan: Wilayah
    year: int
    month: int
    rows: list[SummaryRow]
    by_type: list[TypeTotal]

    @property
    def label(self) -> str:
        return month_label(datetime.date(self.year, self.month, 1))

    @property
    def total_verified(self) -> int:
        return sum(r.verified for r in self.rows)

    @property
    def total_participants(self) -> int:
        return sum(r.participants for r in self.rows)

    @property
    def total_photos(self) -> int:
        return sum(r.photos for r in self.rows)

    @property
    def inactive(self) -> list[Pilar]:
        return [r.pilar for r in self.rows if r.verified == 0]


def kecamatan_summary(*, kecamatan: Wilayah, year: int, month: int) -> KecamatanSummary:
    """Every active PSM serving in the kecamatan, with their month in numbers (also those who
    reported nothing: a coordinator needs to see them)."""
    month_activities = Activity.objects.within(kecamatan.code).in_month(year, month)
    counts = {
        row["pilar_id"]: row
        for row in month_activities.values("pilar_id").annotate(
            verified=Count("id", filter=Q(status=Status.VERIFIED)),
            submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
            returned=Count("id", filter=Q(status=Status.RETURNED)),
            participants=Sum("participants", filter=Q(status=Status.VERIFIED)),
        )
    }
    photos = dict(
        month_activities.verified()
        .values("pilar_id")
        .annotate(n=Count("photos"))
        .values_list("pilar_id", "n")
    )
    members = (
        Pilar.objects.within(kecamatan.code)
        .filter(Q(status="aktif", jenis__code="psm") | Q(pk__in=list(counts)))
        .select_related("wilayah")
        .order_by("wilayah_id", "name")
    )
    rows = [
        SummaryRow(
            pilar=member,
            verified=counts.get(member.pk, {}).get("verified", 0),
            submitted=counts.get(member.pk, {}).get("submitted", 0),
            returned=counts.get(member.pk, {}).get("returned", 0),
            participants=counts.get(member.pk, {}).get("participants") or 0,
            photos=photos.get(member.pk, 0),
        )
        for member in members
    ]
    by_type = [
        TypeTotal(name, count, participants or 0)
        for name, count, participants in month_activities.verified()
        .values_list("jenis__name", "jenis__order")
        .annotate(n=Count("id"), p=Sum("participants"))
        .order_by("jenis__order")
        .values_list("jenis__name", "n", "p")
    ]
    return KecamatanSummary(kecamatan=kecamatan, year=year, month=month, rows=rows, by_type=by_type)
