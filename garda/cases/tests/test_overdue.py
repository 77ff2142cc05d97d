"""Overdue cases: the queryset, the daily notice (command and task) and its idempotence."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from garda.core.testing import LUMUT
from garda.notifications.models import Kind, Notification

from ..models import Case, PlanAction, Status
from ..notices import notify_overdue
from ..tasks import notify_overdue_cases_task
from .factories import case_in, open_case

pytestmark = pytest.mark.usefixtures("bangka")
HOUR = datetime.timedelta(hours=1)


def test_what_counts_as_overdue():
    now = timezone.now()
    fresh = open_case()
    no_response = open_case()
    Case.objects.filter(pk=no_response.pk).update(response_due=now - HOUR)
    late_follow_up = case_in(Status.ASSESSED)
    Case.objects.filter(pk=late_follow_up.pk).update(
        follow_up_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    late_action = case_in(Status.PLAN_ACTIVE)
    PlanAction.objects.filter(case=late_action).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    resolved_late = case_in(Status.RESOLVED)
    Case.objects.filter(pk=resolved_late.pk).update(
        follow_up_on=timezone.localdate() - datetime.timedelta(days=9)
    )
    overdue = set(Case.objects.overdue().values_list("pk", flat=True))
    assert overdue == {no_response.pk, late_follow_up.pk, late_action.pk}
    assert fresh.pk not in overdue


def test_one_notice_per_case_per_day_by_command_and_task():
    case = open_case()
    Case.objects.filter(pk=case.pk).update(response_due=timezone.now() - HOUR)
    out = StringIO()
    call_command("notify_overdue_cases", stdout=out)
    assert "1 overdue" in out.getvalue()
    call_command("notify_overdue_cases", stdout=StringIO())
    notify_overdue_cases_task.enqueue()  # the immediate backend runs it at once
    notices = Notification.objects.filter(user=case.handler, kind=Kind.OVERDUE)
    assert notices.count() == 1
    assert case.number in notices.get().text
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert notify_overdue(now=tomorrow) == 1
    assert notices.count() == 2


def test_the_command_can_queue_the_task():
    out = StringIO()
    call_command("notify_overdue_cases", "--enqueue", stdout=out)
    assert "Queued task" in out.getvalue()


def test_a_responded_case_is_not_overdue_for_its_first_response():
    case = case_in(Status.ASSESSED, code=LUMUT)
    Case.objects.filter(pk=case.pk).update(response_due=timezone.now() - HOUR)
    assert not Case.objects.overdue().filter(pk=case.pk).exists()
