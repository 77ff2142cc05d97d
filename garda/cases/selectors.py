"""Reads about social cases: the lists, the case page, the home-page summary and the figures of
an area (its page, and the oracle the monitoring rollups are tested against), all through the
one scoping path."""

import datetime
import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Left, TruncMonth
from django.utils import timezone

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.periods import month_bounds, months_back
from garda.wilayah.models import Level, Wilayah

from .models import (
    RESPONSE_KINDS,
    Case,
    CaseEvent,
    CaseQuerySet,
    EventKind,
    PlanAction,
    Referral,
    ReferralStatus,
    Status,
)

# Reading cases: PSM, coordinators, Dinas and the head of office; not village operators.
READ_PERMISSION = Perm.VIEW_CASES


def case_list(*, fetched_by: User, filters: dict[str, Any], mine: bool = False) -> QuerySet[Case]:
    cases = Case.objects.visible_to(fetched_by, READ_PERMISSION)
    if mine:
        cases = cases.filter(handler=fetched_by)
    if filters.get("status"):
        cases = cases.filter(status=filters["status"])
    if filters.get("urgency"):
        cases = cases.filter(urgency=filters["urgency"])
    if filters.get("ppks_type"):
        cases = cases.filter(ppks_type=filters["ppks_type"])
    if filters.get("region"):
        cases = cases.within(filters["region"].code)
    if filters.get("overdue"):
        cases = cases.overdue()
    today = timezone.localdate()
    late_action = PlanAction.objects.filter(
        case=OuterRef("pk"), done_on__isnull=True, due_on__lt=today
    )
    return (
        cases.select_related("wilayah__parent", "ppks_type", "handler")
        .annotate(has_late_action=Exists(late_action))
        .order_by("-reported_at")
    )


def is_overdue(case: Case, *, has_late_action: bool = False) -> bool:
    if not case.is_open:
        return False
    now = timezone.now()
    return bool(
        (case.status == Status.OPEN and case.response_due < now)
        or (case.follow_up_on and case.follow_up_on < timezone.localdate(now))
        or has_late_action
    )


def case_page(*, case: Case) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries."""
    actions = list(case.actions.all())
    return {
        "subjects": list(case.subjects.select_related("wilayah")),
        "assessments": list(case.assessments.select_related("assessed_by")),
        "actions": actions,
        "services": list(case.services.select_related("provided_by")),
        "referrals": list(case.referrals.select_related("institution", "pilar", "sent_by")),
        "documents": list(case.documents.select_related("referral", "uploaded_by")),
        "events": list(case.events.select_related("actor", "referral")),
        "overdue": is_overdue(case, has_late_action=any(a.is_late for a in actions)),
    }


# --- Home pages -----------------------------------------------------------------------------


def cases_home(user: User, *, limit: int = 5) -> dict[str, Any] | None:
    """The home-page block: the user's own cases and, for coordinators and Dinas, the area's
    overdue cases and the closings waiting for their approval. None if cases are not theirs."""
    if not user.has_garda_perm(Perm.HANDLE_CASES):
        return None
    mine = Case.objects.filter(handler=user).active()
    area = Case.objects.visible_to(user, Perm.HANDLE_CASES)
    my_overdue = list(mine.overdue().select_related("wilayah").order_by("response_due")[:limit])
    context: dict[str, Any] = {
        "my_open": mine.count(),
        "my_overdue_count": mine.overdue().count(),
        "my_overdue": my_overdue,
    }
    if user.has_garda_perm(Perm.APPROVE_CASE_CLOSING):
        area_overdue = area.overdue()
        context |= {
            "area_open": area.active().count(),
            "area_overdue_count": area_overdue.count(),
            "area_overdue": list(
                area_overdue.select_related("wilayah", "handler").order_by("response_due")[:limit]
            ),
            "awaiting_approval": list(
                Case.objects.visible_to(user, Perm.APPROVE_CASE_CLOSING)
                .filter(status=Status.CLOSING)
                .select_related("wilayah", "handler")[:limit]
            ),
        }
    return context


# --- Figures from the events ----------------------------------------------------------------


@dataclass(frozen=True)
class CaseMetrics:
    """What a monitoring dashboard needs, computed from the stored case events."""

    caseload: int  # cases open (not closed) at the end of the period
    opened: int  # cases opened in the period
    closed: int  # cases closed in the period
    responded: int  # cases opened in the period that had a first response
    median_hours_to_first_response: float | None
    median_days_to_close: float | None
    referrals_sent: int
    referrals_completed: int


def case_metrics(
    *,
    fetched_by: User,
    start: datetime.datetime,
    end: datetime.datetime,
    handler: User | None = None,
    region: str | None = None,
) -> CaseMetrics:
    """Figures for cases the user may see (optionally of one handler or region), from the
    events between `start` (inclusive) and `end` (exclusive)."""
    cases = Case.objects.visible_to(fetched_by, READ_PERMISSION)
    if region:
        cases = cases.within(region)
    if handler is not None:
        cases = cases.filter(handler=handler)
    events = CaseEvent.objects.filter(case__in=cases.values("pk"))
    # The status of every case at `end` is the to_status of its last event before `end`.
    before_end = events.filter(at__lt=end)
    last_status: dict[Any, str] = {}
    for case_id, status in before_end.order_by("case_id", "at", "created_at").values_list(
        "case_id", "to_status"
    ):
        last_status[case_id] = status
    caseload = sum(1 for status in last_status.values() if status != Status.CLOSED)

    opened_at = dict(
        events.filter(kind=EventKind.OPENED, at__gte=start, at__lt=end).values_list("case_id", "at")
    )
    first_response: dict[Any, datetime.datetime] = {}
    for case_id, at in (
        events.filter(kind__in=RESPONSE_KINDS, case_id__in=list(opened_at))
        .order_by("at")
        .values_list("case_id", "at")
    ):
        first_response.setdefault(case_id, at)
    response_hours = [
        (first_response[c] - opened_at[c]).total_seconds() / 3600 for c in first_response
    ]

    closed_events = list(
        events.filter(kind=EventKind.CLOSED, at__gte=start, at__lt=end).values_list("case_id", "at")
    )
    all_opened = dict(
        events.filter(
            kind=EventKind.OPENED, case_id__in=[c for c, _at in closed_events]
        ).values_list("case_id", "at")
    )
    close_days = [
        (at - all_opened[c]).total_seconds() / 86400 for c, at in closed_events if c in all_opened
    ]
    in_period = events.filter(at__gte=start, at__lt=end)
    counts = in_period.aggregate(
        sent=Count("pk", filter=Q(kind=EventKind.REFERRED)),
        completed=Count("pk", filter=Q(kind=EventKind.REFERRAL_COMPLETED)),
    )
    return CaseMetrics(
        caseload=caseload,
        opened=len(opened_at),
        closed=len(closed_events),
        responded=len(first_response),
        median_hours_to_first_response=round(statistics.median(response_hours), 1)
        if response_hours
        else None,
        median_days_to_close=round(statistics.median(close_days), 1) if close_days else None,
        referrals_sent=counts["sent"],
        referrals_completed=counts["completed"],
    )


@dataclass(frozen=True)
class AreaCases:
    """One row of an area's case figures: a region, its month, and its cases now."""

    area: Wilayah
    figures: CaseMetrics
    open_now: int
    overdue_now: int


@dataclass(frozen=True)
class CaseFigures:
    total: AreaCases
    rows: list[AreaCases]  # by child region (none for a desa)
    trend: list[tuple[datetime.date, int, int]]  # (month, opened, closed), last 12 months


def case_figures(*, fetched_by: User, area: Wilayah, month: datetime.date) -> CaseFigures:
    """The case figures of `area` for `month`, by child region, with the open and overdue cases
    of today and the cases opened and closed in each of the last 12 months."""
    start, end = month_bounds(month)
    children = (
        list(Wilayah.objects.filter(parent=area, is_active=True).order_by("code"))
        if area.level < Level.DESA
        else []
    )
    cases = Case.objects.visible_to(fetched_by, READ_PERMISSION).within(area.code)
    now = _open_and_overdue(cases, len(children[0].code) if children else None)

    def row(region: Wilayah) -> AreaCases:
        figures = case_metrics(fetched_by=fetched_by, start=start, end=end, region=region.code)
        open_now, overdue_now = now.get(region.code if region is not area else "", (0, 0))
        return AreaCases(region, figures, open_now, overdue_now)

    return CaseFigures(
        total=row(area),
        rows=[row(child) for child in children],
        trend=_opened_and_closed(cases, month),
    )


def _open_and_overdue(cases: CaseQuerySet, length: int | None) -> dict[str, tuple[int, int]]:
    """{child region code: (open, overdue)} today, and the same for the whole area under ""."""
    counts: dict[str, tuple[int, int]] = {"": (cases.active().count(), cases.overdue().count())}
    if length is None:
        return counts
    overdue = dict(
        cases.overdue()
        .annotate(child=Left("wilayah_id", length))
        .values_list("child")
        .annotate(n=Count("pk"))
        .values_list("child", "n")
    )
    for child, n in (
        cases.active()
        .annotate(child=Left("wilayah_id", length))
        .values_list("child")
        .annotate(n=Count("pk"))
        .values_list("child", "n")
    ):
        counts[child] = (n, overdue.get(child, 0))
    return counts


def _opened_and_closed(
    cases: QuerySet[Case], month: datetime.date
) -> list[tuple[datetime.date, int, int]]:
    """Cases opened and closed in each of the 12 months up to `month` (one query)."""
    months = months_back(month, 12)
    start, _end = month_bounds(months[0])
    _start, end = month_bounds(month)
    counted = {
        (timezone.localtime(m).date() if isinstance(m, datetime.datetime) else m, kind): n
        for m, kind, n in CaseEvent.objects.filter(
            case__in=cases.values("pk"),
            kind__in=(EventKind.OPENED, EventKind.CLOSED),
            at__gte=start,
            at__lt=end,
        )
        .annotate(m=TruncMonth("at", tzinfo=timezone.get_current_timezone()))
        .values_list("m", "kind")
        .annotate(n=Count("pk"))
        .values_list("m", "kind", "n")
    }
    return [
        (m, counted.get((m, EventKind.OPENED), 0), counted.get((m, EventKind.CLOSED), 0))
        for m in months
    ]


def open_referrals(*, fetched_by: User) -> QuerySet[Referral]:
    return (
        Referral.objects.visible_to(fetched_by, READ_PERMISSION)
        .filter(status__in=(ReferralStatus.SENT, ReferralStatus.ACCEPTED))
        .select_related("case", "institution", "pilar")
    )
