"""Every monitoring page: the scoping contract (anonymous -> login, wrong role -> 403, other
area -> 404, own area -> served), what each role sees, and pinned query counts."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from garda.accounts.roles import Role
from garda.core.testing import (
    BANGKA,
    BELINYU,
    LUMUT,
    OTHER_DISTRICT,
    OTHER_KECAMATAN,
    SUNGAILIAT,
    ScopedViewContract,
    client_for,
    make_user,
    other_district,
)
from garda.pilar.models import Pilar
from garda.wilayah.models import Wilayah

from .. import rollups, services
from ..models import DIMENSIONS, FollowUpAction, MonitoringVisit, Score
from . import factories as f
from .factories import MONTH, at

MONTH_PARAM = f"{MONTH:%Y-%m}"


def visit_in(code: str) -> MonitoringVisit:
    district = ".".join(code.split(".")[:2])
    if district == OTHER_DISTRICT:
        other_district()
    return services.visit_record(
        actor=make_user(Role.STAF_DINAS, district),
        visited_on=datetime.date(2026, 9, 15),
        team="Tim Dinas Sosial",
        scores=dict.fromkeys(
            (
                "productivity",
                "service_quality",
                "responsiveness",
                "responsibility",
                "accountability",
            ),
            4,
        ),
        findings="Laporan lengkap.",
        wilayah=Wilayah.objects.get(code=code),
    )


def action_in(code: str) -> FollowUpAction:
    visit = visit_in(code)
    return services.follow_up_add(
        actor=make_user(Role.STAF_DINAS, ".".join(code.split(".")[:2])),
        visit=visit,
        description="Lengkapi foto kegiatan",
        owner="Koordinator",
        due_on=datetime.date(2026, 10, 15),
    )


def area_url(name: str):
    def url(self: Any, code: str) -> str:
        return f"{reverse(name)}?wilayah={code}&bulan={MONTH_PARAM}"

    return url


class TestDashboardContract(ScopedViewContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = SUNGAILIAT

    def make_object(self, code: str) -> str:
        return code

    url_for = area_url("monitoring:dashboard")


class TestRecognitionContract(ScopedViewContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.VIEWER, BANGKA)  # names are people's data
    own_area = BELINYU
    other_area = SUNGAILIAT

    def make_object(self, code: str) -> str:
        return code

    url_for = area_url("monitoring:recognition")


class TestPointsContract(TestRecognitionContract):
    own_area = LUMUT
    url_for = area_url("monitoring:points")


class TestReportPdfContract(ScopedViewContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.PSM, LUMUT)
    own_area = BELINYU
    other_area = SUNGAILIAT

    def make_object(self, code: str) -> str:
        return code

    url_for = area_url("monitoring:report_pdf")


class TestReportXlsxContract(TestReportPdfContract):
    url_for = area_url("monitoring:report_xlsx")


class TestPsmPageContract(ScopedViewContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = SUNGAILIAT + ".1001"

    def make_object(self, code: str) -> Pilar:
        return f.psm(code)[0]

    def url_for(self, obj: Pilar) -> str:
        return reverse("monitoring:psm", args=[obj.pk])


class TestVisitDetailContract(ScopedViewContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.PSM, LUMUT)
    own_area = BELINYU
    other_area = SUNGAILIAT

    def make_object(self, code: str) -> MonitoringVisit:
        return visit_in(code)

    def url_for(self, obj: MonitoringVisit) -> str:
        return obj.get_absolute_url()


class TestFollowUpAddContract(ScopedViewContract):
    method = "post"
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.KOORDINATOR, BELINYU)
    own_area = BELINYU
    other_area = OTHER_KECAMATAN
    ok_status = 302

    def make_object(self, code: str) -> MonitoringVisit:
        return visit_in(code)

    def url_for(self, obj: MonitoringVisit) -> str:
        return reverse("monitoring:follow_up_add", args=[obj.pk])

    def request(self, client, url):
        return client.post(
            url, {"description": "Rapat ulang", "owner": "Camat", "due_on": "2026-12-01"}
        )


class TestFollowUpStatusContract(ScopedViewContract):
    method = "post"
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.KOORDINATOR, BELINYU)
    own_area = BELINYU
    other_area = OTHER_KECAMATAN
    ok_status = 302

    def make_object(self, code: str) -> FollowUpAction:
        return action_in(code)

    def url_for(self, obj: FollowUpAction) -> str:
        return reverse("monitoring:follow_up_status", args=[obj.pk])

    def request(self, client, url):
        return client.post(url, {"status": "done", "note": "Sudah.", "done_on": "2026-10-01"})


class TestVisitCreateContract(ScopedViewContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.KOORDINATOR, BELINYU)
    own_area = BELINYU
    other_area = OTHER_KECAMATAN

    def make_object(self, code: str) -> str:
        return code

    def url_for(self, obj: str) -> str:
        return reverse("monitoring:visit_create")

    def test_other_area_answers_404(self, allowed_user) -> None:
        """A form page has no object: a kecamatan of another district is simply not offered,
        and posting it is refused."""
        other_district()
        response = client_for(allowed_user).post(
            self.url_for(""), {**visit_form(), "wilayah": OTHER_KECAMATAN}
        )
        assert response.status_code == 200
        assert not MonitoringVisit.objects.exists()


class TestTargetsContract(TestVisitCreateContract):
    def url_for(self, obj: str) -> str:
        return reverse("monitoring:targets")

    def test_other_area_answers_404(self, allowed_user) -> None:
        other_district()
        response = client_for(allowed_user).post(
            self.url_for(""),
            {
                "indicator": f.indicator("kunjungan_rumah").pk,
                "year": 2026,
                "month": 9,
                "wilayah": OTHER_KECAMATAN,
                "value": "5",
            },
        )
        assert response.status_code == 200
        assert not f.indicator("kunjungan_rumah").targets.exists()


class TestIndicatorUpdateContract(TestVisitCreateContract):
    def url_for(self, obj: str) -> str:
        return reverse("monitoring:indicator_update", args=[f.indicator("kunjungan_rumah").pk])

    def test_other_area_answers_404(self, allowed_user) -> None:
        """Indicators apply everywhere: a kecamatan-level manager (none exists today) or anyone
        without a district role is refused by the service."""
        response = client_for(allowed_user).get(reverse("monitoring:indicator_update", args=[9999]))
        assert response.status_code == 404


def visit_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "wilayah": BELINYU,
        "visited_on": "2026-09-15",
        "team": "Budi (Kabid Dayasos)\nSiti (Staf)",
        "findings": "Laporan lengkap, kunjungan rumah rutin.",
        "recommendations": "Tingkatkan laporan tepat waktu.",
        "productivity": "4",
        "service_quality": "3",
        "responsiveness": "5",
        "responsibility": "4",
        "accountability": "2",
    }
    data.update(overrides)
    return data


# --- What each role sees ------------------------------------------------------------------------


def test_district_dashboard_drills_to_kecamatan_with_scores(scored):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    response = client.get(reverse("monitoring:dashboard"), {"bulan": MONTH_PARAM})
    assert response.status_code == 200
    board = response.context["board"]
    belinyu = next(row for row in board.rows if row.code == BELINYU)
    # A: 2 of 4 reports (weight 2) and 2 of 2 home visits (weight 2) -> 75; B: 0 -> mean 37.5
    assert [s.score for s in Score.objects.filter(pilar=scored["a"])] == [Decimal("75.0")]
    assert belinyu.score == Decimal("37.5")
    assert f"?wilayah={BELINYU}" in response.content.decode()


def test_coverage_names_the_first_villages_and_counts_them_all(scored, monkeypatch):
    from .. import selectors

    monkeypatch.setattr(selectors, "COVERAGE_LISTED", 2)
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    board = client.get(reverse("monitoring:dashboard"), {"bulan": MONTH_PARAM}).context["board"]
    villages = Wilayah.objects.within(BANGKA).filter(level=4).count()
    assert board.villages == villages
    assert board.without_psm_count == villages - 2  # A serves Lumut, B the other Belinyu desa
    assert board.without_activity_count == villages - 1  # only Lumut reported
    assert [v.code for v in board.without_psm] == sorted(
        Wilayah.objects.within(BANGKA)
        .filter(level=4)
        .exclude(code__in=[LUMUT, "19.01.02.2008"])
        .values_list("code", flat=True)
    )[:2]


def test_a_desa_shows_its_psms_to_coordinators_and_only_totals_to_viewers(scored):
    coordinator = client_for(make_user(Role.KOORDINATOR, BELINYU))
    response = coordinator.get(
        reverse("monitoring:dashboard"), {"wilayah": LUMUT, "bulan": MONTH_PARAM}
    )
    assert scored["a"].name in response.content.decode()
    viewer = client_for(make_user(Role.VIEWER, BANGKA))
    response = viewer.get(reverse("monitoring:dashboard"), {"wilayah": LUMUT, "bulan": MONTH_PARAM})
    assert response.status_code == 200
    assert scored["a"].name not in response.content.decode()
    assert response.context["board"].total.values  # the desa's totals are there


def test_a_psm_sees_own_page_with_progress_and_not_a_colleague_s(scored):
    client = client_for(scored["user_a"])
    own = client.get(reverse("monitoring:psm", args=[scored["a"].pk]), {"bulan": MONTH_PARAM})
    assert own.status_code == 200
    progress = {p.indicator.code: p for p in own.context["page"].progress}
    assert progress["kegiatan_lapangan"].reached == 50
    assert progress["kunjungan_rumah"].reached == 100
    assert '<progress max="100" value="50"' in own.content.decode()
    colleague = f.psm(LUMUT)[0]
    assert client.get(reverse("monitoring:psm", args=[colleague.pk])).status_code == 404
    assert client.get(reverse("monitoring:dashboard")).status_code == 403


def test_my_page_redirects_a_psm_and_404s_without_a_profile(scored):
    response = client_for(scored["user_a"]).get(reverse("monitoring:mine"))
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:psm", args=[scored["a"].pk])
    assert client_for(make_user(Role.PSM, LUMUT)).get(reverse("monitoring:mine")).status_code == 404


def test_recognition_lists_best_and_who_needs_support(scored):
    client = client_for(make_user(Role.KOORDINATOR, BELINYU))
    response = client.get(reverse("monitoring:recognition"), {"bulan": MONTH_PARAM})
    assert [r.pilar for r in response.context["best"]] == [scored["a"]]
    assert [r.pilar for r in response.context["support"]] == [scored["b"]]
    yearly = client.get(reverse("monitoring:recognition"), {"tahun": "2026"})
    assert [r.pilar for r in yearly.context["best"]] == [scored["a"]]


def test_points_list_the_month_s_reports_with_gps(scored):
    client = client_for(make_user(Role.KOORDINATOR, BELINYU))
    response = client.get(reverse("monitoring:points"), {"bulan": MONTH_PARAM})
    assert len(response.context["reports"]) == 2
    assert "<svg" in response.content.decode()


def test_bad_month_and_region_answer_without_error(scored):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    assert client.get(reverse("monitoring:dashboard"), {"bulan": "2026-13"}).status_code == 200
    assert client.get(reverse("monitoring:dashboard"), {"bulan": "x"}).status_code == 200
    assert client.get(reverse("monitoring:dashboard"), {"wilayah": "'; drop"}).status_code == 404


def test_dashboard_queries_do_not_grow_with_history(scored, django_assert_max_num_queries):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    url = reverse("monitoring:dashboard")

    def count(**params: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"bulan": MONTH_PARAM, **params}).status_code == 200
        return len(queries)

    district, desa = count(), count(wilayah=LUMUT)
    for _ in range(3):
        user = f.psm(LUMUT)[1]
        f.report(user, LUMUT, occurred=at(5), submitted=at(5))
    rollups.rollup_refresh(MONTH)
    assert (count(), count(wilayah=LUMUT)) == (district, desa)
    with django_assert_max_num_queries(20):
        client.get(url, {"bulan": MONTH_PARAM})
    with django_assert_max_num_queries(20):
        client.get(url, {"bulan": MONTH_PARAM, "wilayah": LUMUT})


def test_a_visit_is_recorded_with_the_rubric_and_followed_up(bangka):
    staff = make_user(Role.STAF_DINAS, BANGKA)
    client = client_for(staff)
    form = client.get(reverse("monitoring:visit_create"))
    with translation.override(form.context["LANGUAGE_CODE"]):
        guidance = escape(str(DIMENSIONS[0][2]))
    assert guidance in form.content.decode()  # the guidance text of the rubric
    response = client.post(reverse("monitoring:visit_create"), visit_form())
    visit = MonitoringVisit.objects.get()
    assert response.status_code == 302
    assert visit.average == Decimal("3.6")
    client.post(
        reverse("monitoring:follow_up_add", args=[visit.pk]),
        {
            "description": "Pelatihan laporan",
            "owner": "Koordinator Belinyu",
            "due_on": "2026-10-01",
        },
    )
    action = visit.actions.get()
    refused = client.post(
        reverse("monitoring:follow_up_status", args=[action.pk]), {"status": "done"}
    )
    assert refused.status_code == 302
    action.refresh_from_db()
    assert action.status == "open"  # "done" needs what was done
    client.post(
        reverse("monitoring:follow_up_status", args=[action.pk]),
        {"status": "done", "note": "Pelatihan diadakan.", "done_on": "2026-09-30"},
    )
    action.refresh_from_db()
    assert (action.status, action.done_on) == ("done", datetime.date(2026, 9, 30))
    assert [e.to_status for e in action.events.order_by("created_at")] == ["open", "done"]


def test_a_visit_without_scores_or_findings_is_refused(bangka):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    response = client.post(
        reverse("monitoring:visit_create"), visit_form(productivity="9", findings="")
    )
    assert response.status_code == 200
    assert not MonitoringVisit.objects.exists()
    future = client.post(reverse("monitoring:visit_create"), visit_form(visited_on="2099-01-01"))
    assert future.status_code == 200
    assert not MonitoringVisit.objects.exists()


def test_setting_a_target_rescores_the_month(scored):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    client.post(
        reverse("monitoring:targets"),
        {
            "indicator": f.indicator("kegiatan_lapangan").pk,
            "year": 2026,
            "month": 9,
            "wilayah": LUMUT,
            "value": "2",
        },
    )
    # Lumut's own target 2 (before the general 4): A reached 100 % on both -> 100
    assert Score.objects.get(pilar=scored["a"]).score == Decimal("100.0")


def test_dinas_changes_an_indicator_weight_and_the_audit_keeps_it(scored):
    from garda.audit.models import AuditEvent

    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    indicator = f.indicator("kunjungan_rumah")
    response = client.post(
        reverse("monitoring:indicator_update", args=[indicator.pk]),
        {
            "name": indicator.name,
            "description": "",
            "weight": "0",
            "direction": "higher",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.weight == 0
    assert AuditEvent.objects.filter(object_type="monitoring.indicator").exists()
    bad = client.post(
        reverse("monitoring:indicator_update", args=[indicator.pk]),
        {"name": "", "weight": "-1", "direction": "sideways"},
    )
    assert bad.status_code == 200
    indicator.refresh_from_db()
    assert (indicator.name, indicator.weight) != ("", -1)


def test_a_year_adds_up_the_months(scored):
    later = datetime.date(2026, 10, 1)
    f.report(scored["user_a"], LUMUT, occurred=at(2, month=later), submitted=at(2, month=later))
    rollups.rollup_refresh(later)
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    month_page = client.get(reverse("monitoring:dashboard"), {"bulan": "2026-10"}).content.decode()
    assert 'tahun=2026">' in month_page  # not "2.026", which Indonesian grouping writes
    assert "Setahun penuh 2026" in month_page
    response = client.get(reverse("monitoring:dashboard"), {"tahun": "2026"})
    board = response.context["board"]
    reports = f.indicator("kegiatan_lapangan").pk
    assert board.total.values[reports] == 3  # 2 in September + 1 in October
    # The targets are September's only: October has no score; the year's mean is September's.
    expected = Score.objects.filter(month__year=2026).exclude(score=None)
    mean = sum(s.score or Decimal(0) for s in expected) / len(expected)
    assert mean == Decimal("37.5")
    assert board.total.score == Decimal(mean).quantize(Decimal("0.1"))
    assert board.label == "2026"
    xlsx = client.get(reverse("monitoring:report_xlsx"), {"wilayah": BELINYU, "tahun": "2026"})
    assert xlsx.status_code == 200
    assert "2026.xlsx" in xlsx["Content-Disposition"]


def test_other_pages_have_pinned_query_counts(scored, django_assert_max_num_queries):
    coordinator = client_for(make_user(Role.KOORDINATOR, BELINYU))
    params = {"bulan": MONTH_PARAM}
    with django_assert_max_num_queries(15):
        coordinator.get(reverse("monitoring:psm", args=[scored["a"].pk]), params)
    with django_assert_max_num_queries(10):
        coordinator.get(reverse("monitoring:recognition"), params)
    with django_assert_max_num_queries(10):
        coordinator.get(reverse("monitoring:points"), params)
    visit_in(BELINYU)
    with django_assert_max_num_queries(8):
        coordinator.get(reverse("monitoring:visits"))


def test_reading_someone_else_s_performance_is_logged(scored):
    from garda.audit.models import Action, AuditEvent

    coordinator = make_user(Role.KOORDINATOR, BELINYU)
    client_for(coordinator).get(reverse("monitoring:psm", args=[scored["a"].pk]))
    assert AuditEvent.objects.filter(actor=coordinator, action=Action.VIEW).count() == 1
    client_for(scored["user_a"]).get(reverse("monitoring:psm", args=[scored["a"].pk]))
    assert not AuditEvent.objects.filter(actor=scored["user_a"], action=Action.VIEW).exists()


def test_my_page_sends_a_coordinator_to_the_area_board(bangka):
    client = client_for(make_user(Role.KOORDINATOR, BELINYU))
    response = client.get(reverse("monitoring:mine"))
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:dashboard")
    assert (
        client_for(make_user(Role.VIEWER, BANGKA)).get(reverse("monitoring:mine")).status_code
        == 403
    )
