"""The scheduled refresh: the command and the task recompute the current and previous month."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from garda.core.testing import LUMUT

from ..models import Rollup
from ..rollups import first_of_month, previous_month
from ..tasks import refresh_rollups_task
from . import factories as f


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
