"""The demo: targets of the covered years, a visit to Belinyu three weeks ago with its
follow-ups, the rollups of the demo's twelve months; idempotent."""

import datetime

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from garda.accounts.demo import build_demo_accounts
from garda.accounts.roles import Role
from garda.activities.demo import demo_months
from garda.core.testing import BANGKA, client_for, make_user
from garda.core.tests.test_pdf import needs_pdftotext, pdf_text
from garda.pilar.demo import build_demo_pillars

from ..demo import BELINYU, TARGETS, build_demo_monitoring
from ..models import MonitoringVisit, Rollup, Score, Target


@pytest.fixture
def demo_world(bangka):
    build_demo_accounts()
    build_demo_pillars()


def test_demo_monitoring_is_complete_and_idempotent(demo_world):
    today = timezone.localdate()
    months = demo_months(today)
    first = build_demo_monitoring()
    assert first.visit_created
    years = {months[0].year, today.year}
    assert first.targets == len(TARGETS) * len(years)
    assert set(Target.objects.values_list("year", flat=True)) == years
    visit = MonitoringVisit.objects.get(wilayah_id=BELINYU)
    assert visit.visited_on == today - datetime.timedelta(days=21)
    actions = list(visit.actions.all())
    assert sorted(a.status for a in actions) == ["done", "done", "open", "open"]
    assert [a.description for a in actions if a.is_late(today)] == [
        "Usulan calon PSM untuk desa yang belum memiliki PSM aktif"
    ]
    done_on = [a.done_on for a in actions if a.status == "done"]
    assert all(d is not None and visit.visited_on <= d < today for d in done_on)
    assert set(Rollup.objects.values_list("month", flat=True)) == set(months)
    assert Score.objects.filter(month=months[-1]).exists()
    assert Score.objects.filter(month=months[0]).exists()
    rows = Rollup.objects.count()
    again = build_demo_monitoring()
    assert (again.targets, again.visit_created) == (0, False)
    assert MonitoringVisit.objects.count() == 1
    assert Rollup.objects.count() == rows
    assert Target.objects.count() == first.targets


@needs_pdftotext
def test_the_demo_reports_render_for_the_district_and_belinyu(demo_world, tmp_path):
    build_demo_monitoring()
    visited_on = MonitoringVisit.objects.get(wilayah_id=BELINYU).visited_on
    with translation.override("id"):
        shown = formats.date_format(visited_on, "j F Y")
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    for code in (BANGKA, BELINYU):
        response = client.get(
            reverse("monitoring:report_pdf"), {"wilayah": code, "bulan": f"{visited_on:%Y-%m}"}
        )
        assert response.status_code == 200
        text = pdf_text(response.content, tmp_path)
        assert "DINAS SOSIAL KABUPATEN BANGKA" in text
        assert "Belinyu" in text
        assert shown in text  # the visit
