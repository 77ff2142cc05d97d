"""The scheduled refresh: the command and the task recompute the current and previous month;
the refresh of one desa's month queued once a change to a report in it commits."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from garda.core.periods import first_of_month, previous_month
from garda.core.testing import BINTET, LUMUT

from ..models import Rollup
from ..tasks import refresh_desa_month_soon, refresh_desa_month_task, refresh_rollups_task
from . import factories as f
from .factories import MONTH, at


def test_the_command_refreshes_the_current_and_previous_month(bangka):
    f.psm(LUMUT)
    out = io.StringIO()
    call_command("refresh_rollups", stdout=out)
    current = first_of_month(timezone.localdate())
    assert set(Rollup.objects.values_list("month", flat=True)) == {
        previous_month(current),
        current,
    }
    assert f"{current:%Y-%m}" in out.getvalue()


def test_one_month_and_a_bad_month(bangka):
    f.psm(LUMUT)
    call_command("refresh_rollups", month="2025-03", stdout=io.StringIO())
    assert set(Rollup.objects.values_list("month", flat=True)) == {datetime.date(2025, 3, 1)}
    with pytest.raises(CommandError):
        call_command("refresh_rollups", month="March", stdout=io.StringIO())


def test_the_task_runs_the_same_refresh(bangka):
    f.psm(LUMUT)
    result = refresh_rollups_task.enqueue()
    assert result.return_value == Rollup.objects.count() > 0


def test_a_desa_month_is_refreshed_once_the_change_commits(
    bangka, django_capture_on_commit_callbacks
):
    _pilar, user = f.psm(LUMUT)
    f.psm(BINTET)
    f.report(user, LUMUT, occurred=at(3), submitted=at(3))
    with django_capture_on_commit_callbacks() as callbacks:
        refresh_desa_month_soon(LUMUT, at(3))
        assert not Rollup.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    counted = Rollup.objects.get(wilayah_id=LUMUT, indicator__code="kegiatan_lapangan")
    assert (counted.month, counted.value) == (MONTH, 1)
    assert not Rollup.objects.filter(wilayah_id=BINTET).exists()  # only the desa asked for


def test_a_refresh_already_waiting_is_not_queued_again(bangka, django_capture_on_commit_callbacks):
    _pilar, user = f.psm(LUMUT)
    f.report(user, LUMUT, occurred=at(3), submitted=at(3))
    DBTaskResult.objects.create(
        args_kwargs={"args": [LUMUT, MONTH.isoformat()], "kwargs": {}},
        task_path=refresh_desa_month_task.module_path,
        backend_name="default",
        run_after=get_date_max(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        refresh_desa_month_soon(LUMUT, at(20))
    assert not Rollup.objects.exists()  # the waiting task will do it
