"""Reminders of the 72 hours: once with a day left, once when they have passed, to the Dinas
administrators of the incident's region only, never while both notices are out."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, OTHER_DISTRICT, make_user
from garda.notifications.models import Kind, Notification

from ..models import Incident, Status
from ..reminders import remind_deadlines
from .factories import HOUR, advance, privacy_admin, record_incident

pytestmark = pytest.mark.usefixtures("bangka")


def discovered(incident: Incident, hours_ago: float) -> Incident:
    """As if the incident had been discovered `hours_ago` (its steps are not moved)."""
    Incident.objects.filter(pk=incident.pk).update(
        discovered_at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )
    incident.refresh_from_db()
    return incident


def test_a_day_left_then_the_deadline_passed_each_reminded_once():
    admin = privacy_admin(BANGKA)
    staff = make_user(Role.STAF_DINAS, BANGKA)  # runs no incidents: not told
    elsewhere = privacy_admin(OTHER_DISTRICT)  # another district's administrator
    incident = discovered(record_incident(actor=admin), hours_ago=40)
    assert remind_deadlines() == 0  # 32 hours left: not yet

    discovered(incident, hours_ago=50)
    assert remind_deadlines() == 1
    assert remind_deadlines() == 0  # the next hour: nothing new
    reminder = Notification.objects.get(user=admin)
    assert reminder.kind == Kind.OTHER
    assert incident.number in reminder.text and "21" in reminder.text  # 21 whole hours left
    assert reminder.link == incident.get_absolute_url()
    assert not Notification.objects.filter(user__in=[staff, elsewhere]).exists()

    discovered(incident, hours_ago=73)
    assert remind_deadlines() == 1
    late = Notification.objects.filter(user=admin).latest("created_at")
    assert late.kind == Kind.OVERDUE and incident.number in late.text
    assert remind_deadlines() == 0


def test_no_reminder_once_both_notices_are_out_or_the_incident_is_closed():
    admin = privacy_admin(BANGKA)
    done = record_incident(actor=admin, measures="Akun dinonaktifkan.")
    for step in (Status.CONTAINED, Status.SUBJECTS_NOTIFIED, Status.AUTHORITY_NOTIFIED):
        advance(done, step, actor=admin, at=timezone.now() - HOUR / 2)
    discovered(done, hours_ago=80)
    half = discovered(record_incident(actor=admin), hours_ago=80)
    advance(half, Status.CONTAINED, actor=admin)
    advance(half, Status.SUBJECTS_NOTIFIED, actor=admin)  # the authority still to be told
    assert remind_deadlines() == 1
    assert Notification.objects.get(user=admin).link == half.get_absolute_url()


def test_the_command_reports_how_many_it_sent(capsys):
    discovered(record_incident(), hours_ago=60)
    call_command("remind_incident_deadlines")
    assert capsys.readouterr().out.strip() == "1 incident reminders sent."
