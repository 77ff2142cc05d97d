"""The daily notice of overdue cases: one notification (in-app and email) per case, per
handler, per day. Run by `manage.py notify_overdue_cases` (cron or a systemd timer) or the
`notify_overdue_cases_task` background task; running it twice a day sends nothing new."""

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from garda.notifications.models import Kind
from garda.notifications.services import notify, office_language

from .models import Case, Status


def notify_overdue(*, now: datetime.datetime | None = None) -> int:
    """Notify the handler of every overdue case; returns how many notices were new."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    cases = Case.objects.overdue(now).select_related("handler", "wilayah").order_by("reported_at")
    for case in cases.iterator(chunk_size=500):
        with office_language():
            if case.status == Status.OPEN and case.response_due < now:
                text = _(
                    "Case %(number)s (%(title)s, %(desa)s) has had no response since %(when)s."
                )
                when = formats.date_format(timezone.localtime(case.reported_at), "j F Y")
            else:
                text = _(
                    "Case %(number)s (%(title)s, %(desa)s) is overdue for follow-up since %(when)s."
                )
                when = formats.date_format(case.follow_up_on or today, "j F Y")
            text = text % {
                "number": case.number,
                "title": case.title,
                "desa": case.wilayah,
                "when": when,
            }
        notice = notify(
            case.handler,
            kind=Kind.OVERDUE,
            text=text,
            link=case.get_absolute_url(),
            key=f"overdue:{case.pk}:{today.isoformat()}",
        )
        sent += notice is not None
    return sent
