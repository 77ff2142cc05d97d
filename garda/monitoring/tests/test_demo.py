"""The demo: targets, a visit to Belinyu with its follow-ups, rollups; idempotent."""

import datetime

import pytest
from django.urls import reverse

from garda.accounts.demo import build_demo_accounts
from garda.accounts.roles import Role
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


@needs_pdftotext
def test_the_demo_reports_render_for_the_district_and_belinyu(demo_world, tmp_path):
    build_demo_monitoring()
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    for code in (BANGKA, BELINYU):
        response = client.get(
            reverse("monitoring:report_pdf"), {"wilayah": code, "bulan": "2025-12"}
        )
        assert response.status_code == 200
        text = pdf_text(response.content, tmp_path)
        assert "DINAS SOSIAL KABUPATEN BANGKA" in text
        assert "Belinyu" in text
        assert "10 Desember 2025" in text  # the visit
