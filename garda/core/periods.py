"""Months as Garda's pages and figures count them: a month is its first day; its bounds are
aware datetimes in the office's time zone; `?bulan=YYYY-MM` in addresses."""

import datetime

from django.utils import formats, timezone


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def month_dates(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month of `month` as [first day, first day of the next month)."""
    first = first_of_month(month)
    return first, next_month(first)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as an aware [start, end) range in the office's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(month, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(next_month(month), datetime.time()))
    return start, end


def parse_month(text: str | None, default: datetime.date | None = None) -> datetime.date:
    """'2026-09' -> 1 September 2026; anything else -> the current month (or `default`)."""
    fallback = default or first_of_month(timezone.localdate())
    try:
        year, month = (text or "").split("-")
        parsed = datetime.date(int(year), int(month), 1)
    except ValueError:
        return fallback
    return parsed if 2000 <= parsed.year <= 2100 else fallback


def month_label(month: datetime.date) -> str:
    return formats.date_format(month, "F Y")


def months_back(month: datetime.date, count: int) -> list[datetime.date]:
    months = [month]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months
