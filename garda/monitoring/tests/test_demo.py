"""The demo: targets, a visit to Belinyu with its follow-ups, rollups; idempotent."""

import datetime

import pytest

from garda.accounts.demo import build_demo_accounts
from garda.pilar.demo import build_demo_pillars

from ..demo import BELINYU, TARGETS, build_demo_monitoring
from ..models import MonitoringVisit, Rollup, Score, Target


@pytest.fixture
def demo_world(bangka):
    build_demo_accounts()
    build_demo_pillars()


def test_demo_monitoring_is_complete_and_idempotent(demo_world):
    first = build_demo_monitoring()
    assert first.visit_created
    assert first.targets == len(TARGETS) * (datetime.date.today().year - 2025 + 1)  # noqa: DTZ011
    visit = MonitoringVisit.objects.get(wilayah_id=BELINYU)
    assert sorted(visit.actions.values_list("status", flat=True)) == ["done", "open", "open"]
    assert Rollup.objects.filter(month=datetime.date(2025, 6, 1)).exists()
    assert Score.objects.filter(month=datetime.date(2025, 6, 1)).exists()
    rows = Rollup.objects.count()
    again = build_demo_monitoring()
    assert (again.targets, again.visit_created) == (0, False)
    assert MonitoringVisit.objects.count() == 1
    assert Rollup.objects.count() == rows
    assert Target.objects.count() == first.targets
