"""Reminders of an incident's 72 hours: the Dinas administrators of its region are told once
when a day is left and once when the time has passed while a notice (to the data subjects or
to the authority) is still missing. Run hourly by `manage.py remind_incident_deadlines`;
running it again sends nothing new."""

import datetime

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from garda.accounts.roles import Perm
from garda.accounts.selectors import permission_holders
from garda.notifications.models import Kind
from garda.notifications.services import notify, office_language

from .models import NOTICE_WINDOW, Incident

REMIND_BEFORE = datetime.timedelta(hours=24)


def remind_deadlines(*, now: datetime.datetime | None = None) -> int:
    """Tell the administrators of every incident near or past its deadline with a notice
    still missing; returns how many notices were new."""
    now = now or timezone.now()
    pending = Incident.objects.open().filter(
        Q(subjects_notified_at__isnull=True) | Q(authority_notified_at__isnull=True),
        discovered_at__lte=now - (NOTICE_WINDOW - REMIND_BEFORE),
    )
    sent = 0
    for incident in pending.order_by("discovered_at"):
        passed = now > incident.deadline
        text = _reminder_text(incident, now, passed=passed)
        stage = "passed" if passed else "day-left"
        for assignment in permission_holders(Perm.MANAGE_PRIVACY, incident.wilayah_id):
            notice = notify(
                assignment.user,
                kind=Kind.OVERDUE if passed else Kind.OTHER,
                text=text,
                link=incident.get_absolute_url(),
                key=f"incident:{incident.pk}:{stage}",
            )
            sent += notice is not None
    return sent


def _reminder_text(incident: Incident, now: datetime.datetime, *, passed: bool) -> str:
    with office_language():
        due = formats.date_format(timezone.localtime(incident.deadline), "j F Y H:i")
        values = {"number": incident.number, "title": incident.title, "due": due}
        if passed:
            return (
                _(
                    "Incident %(number)s (%(title)s): the 72 hours to notify ended on %(due)s "
                    "and a notice is still missing."
                )
                % values
            )
        hours = incident.deadline_status(now).hours_left
        return _(
            "Incident %(number)s (%(title)s): %(hours)s hours left to notify the data "
            "subjects and the authority (until %(due)s)."
        ) % {**values, "hours": hours}
