"""Each indicator's value against figures worked out by hand on a small fixture of one month
(September 2026), with the edges: a draft, a returned report, a report filed late, a PSM who
served in another desa part of the month, a PSM who did nothing, no data at all."""

import datetime
from decimal import Decimal

import pytest

from garda.cases import services as case_services
from garda.cases.models import Case, Referral
from garda.cases.selectors import case_metrics
from garda.cases.tests.factories import case_in, institution, open_case
from garda.core.testing import BINTET, LUMUT
from garda.monitoring import rollups
from garda.monitoring.models import Rollup, Score
from garda.programs.models import DistributionStatus, ProposalStatus

from . import factories as f
from .factories import MONTH, at

D = Decimal


@pytest.fixture
def september(bangka):
    """PSM A of Lumut (who also reported once from Bintet), PSM B of Bintet who did nothing."""
    a, user_a = f.psm(LUMUT)
    b, _user_b = f.psm(BINTET)
    k1, k2, k3, k4 = f.households(LUMUT, 4)
    checker = f.coordinator(LUMUT)
    from garda.activities import services as activity_services

    r1 = f.report(user_a, LUMUT, occurred=at(3), submitted=at(3, 17), visited=[k1, k2])
    activity_services.activity_verify(actor=checker, activity=r1)
    f.report(user_a, LUMUT, occurred=at(10), submitted=at(34), visited=[k2, k3])  # Oct 4
    r3 = f.report(user_a, LUMUT, occurred=at(20), submitted=at(39), jenis="sosialisasi")  # Oct 9
    activity_services.activity_return(actor=checker, activity=r3, reason="Foto kurang.")
    f.report(user_a, LUMUT, occurred=at(25), visited=[k4])  # a draft
    f.report(user_a, LUMUT, occurred=at(32), submitted=at(32))  # October
    moved = f.report(user_a, LUMUT, occurred=at(28), submitted=at(28))
    type(moved).objects.filter(pk=moved.pk).update(wilayah_id=BINTET)  # filed while in Bintet

    # Cases handled by A: c1 answered after 6 h; c2 after 48 h and closed after 10 days;
    # c3 opened in August, its referral completed in September; c4 not answered yet; c5 in
    # October.
    c1 = case_in("assessed", code=LUMUT, actor=user_a)
    f.set_event_times(c1, {"opened": at(2), "assessed": at(2, 15)})
    c2 = case_in("closed", code=LUMUT, actor=user_a)
    f.set_event_times(
        c2,
        {
            "opened": at(5),
            "assessed": at(7),
            "action_added": at(7, 10),
            "resolved": at(14),
            "close_request": at(14, 10),
            "closed": at(15),
        },
    )
    c3 = case_in("plan_active", code=LUMUT, actor=user_a)
    referral = case_services.referral_send(
        actor=user_a,
        case=c3,
        target="institution",
        institution=institution(code="19.01"),
        reason="Pemeriksaan.",
    )
    case_services.referral_answer(actor=user_a, referral=referral, accepted=True)
    referral = Referral.objects.get(pk=referral.pk)
    case_services.referral_complete(actor=user_a, referral=referral, note="Sudah diperiksa.")
    f.set_event_times(
        c3,
        {
            "opened": at(-10),
            "assessed": at(-9),
            "action_added": at(-9, 10),
            "referred": at(-8),
            "ref_accepted": at(-7),
            "ref_completed": at(12),
        },
    )
    c4 = open_case(code=LUMUT, actor=user_a)
    f.set_event_times(c4, {"opened": at(29)})
    c5 = open_case(code=LUMUT, actor=user_a)
    f.set_event_times(c5, {"opened": at(33)})

    delivered = DistributionStatus.DELIVERED
    f.distribution(k1, accompanied_by=a, on=datetime.date(2026, 9, 10), status=delivered)
    f.distribution(k2, accompanied_by=a, on=datetime.date(2026, 10, 1), status=delivered)
    f.distribution(k3, accompanied_by=a, on=datetime.date(2026, 9, 11), status="gagal")
    f.distribution(k4, accompanied_by=None, on=datetime.date(2026, 9, 12), status=delivered)

    approved = ProposalStatus.APPROVED
    f.proposal(user_a, LUMUT, status=approved, submitted=at(8), approved=datetime.date(2026, 9, 25))
    f.proposal(user_a, LUMUT, status=ProposalStatus.SUBMITTED, submitted=at(20))
    f.proposal(user_a, LUMUT, status=ProposalStatus.DRAFT, submitted=None)
    f.proposal(user_a, LUMUT, status=approved, submitted=at(-1), approved=datetime.date(2026, 9, 2))
    return {"a": a, "b": b, "user_a": user_a}


def values(pilar, desa: str) -> dict[str, Decimal | None]:
    rows = Rollup.objects.filter(pilar=pilar, wilayah_id=desa, month=MONTH)
    return dict(rows.values_list("indicator__code", "value"))


EXPECTED_A_LUMUT = {
    "kegiatan_lapangan": D(2),  # r1 verified, r2 submitted; not the draft, the returned one
    "kunjungan_rumah": D(2),
    "laporan_terverifikasi": D("33.33"),  # 1 verified of 3 submitted
    "laporan_tepat_waktu": D("66.67"),  # by 5 October: r1 and r2, not r3 (9 October)
    "cakupan_keluarga": D("75.00"),  # k1, k2, k3 of 4 households (k4 only in the draft)
    "beban_kasus": D(3),  # c1, c3, c4 open at the end of September; c2 closed; c5 October
    "respons_pertama": D("27.00"),  # median of 6 h and 48 h
    "waktu_penutupan": D("10.00"),
    "rujukan_selesai": D(1),
    "pendampingan_penyaluran": D(1),  # delivered in September with A; not the failed one
    "usulan_diajukan": D(2),
    "usulan_disahkan": D(2),
}


def test_every_indicator_of_a_psm_equals_the_hand_count(september):
    rollups.rollup_refresh(MONTH)
    assert values(september["a"], LUMUT) == EXPECTED_A_LUMUT


def test_a_psm_who_moved_desa_has_the_other_desa_s_work_there(september):
    rollups.rollup_refresh(MONTH)
    bintet = values(september["a"], BINTET)
    assert bintet["kegiatan_lapangan"] == 1
    assert bintet["laporan_tepat_waktu"] == D("100.00")
    assert bintet["laporan_terverifikasi"] == D(0)
    assert bintet["cakupan_keluarga"] is None  # no households registered in Bintet
    assert "respons_pertama" not in bintet  # no cases there


def test_an_active_psm_without_work_gets_zero_counts_and_no_shares(september):
    rollups.rollup_refresh(MONTH)
    b = values(september["b"], BINTET)
    assert b["kegiatan_lapangan"] == 0
    assert b["usulan_diajukan"] == 0
    assert b["laporan_terverifikasi"] is None
    assert "respons_pertama" not in b and "waktu_penutupan" not in b


def test_case_figures_agree_with_the_case_selector(september):
    rollups.rollup_refresh(MONTH)
    start, end = rollups.month_bounds(MONTH)
    metrics = case_metrics(
        fetched_by=f.staff(), start=start, end=end, handler=september["user_a"], region=LUMUT
    )
    a = values(september["a"], LUMUT)
    assert a["beban_kasus"] == metrics.caseload
    assert a["respons_pertama"] == D(str(metrics.median_hours_to_first_response))
    assert a["waktu_penutupan"] == D(str(metrics.median_days_to_close))
    assert a["rujukan_selesai"] == metrics.referrals_completed


def test_refresh_is_idempotent_and_follows_changes(september):
    first = rollups.rollup_refresh(MONTH)
    assert rollups.rollup_refresh(MONTH) == first
    assert Rollup.objects.filter(month=MONTH).count() == first
    Case.objects.filter(pk__in=[]).delete()
    f.report(september["user_a"], LUMUT, occurred=at(15), submitted=at(15))
    rollups.rollup_refresh(MONTH)
    assert values(september["a"], LUMUT)["kegiatan_lapangan"] == 3


def test_refresh_of_one_region_leaves_the_others(september):
    rollups.rollup_refresh(MONTH)
    others = Rollup.objects.filter(month=MONTH).exclude(wilayah_id=LUMUT).count()
    Rollup.objects.filter(wilayah_id=LUMUT).update(value=D(99))
    rollups.rollup_refresh(MONTH, LUMUT)
    assert values(september["a"], LUMUT) == EXPECTED_A_LUMUT
    assert Rollup.objects.filter(month=MONTH).exclude(wilayah_id=LUMUT).count() == others


def test_a_month_without_data_gives_zero_rows_for_active_psms_only(bangka):
    a, _user = f.psm(LUMUT)
    rollups.rollup_refresh(datetime.date(2025, 1, 1))
    rows = Rollup.objects.filter(month=datetime.date(2025, 1, 1))
    assert set(rows.values_list("pilar_id", flat=True)) == {a.pk}
    assert {r.value for r in rows if r.indicator.code == "kegiatan_lapangan"} == {0}
    assert Score.objects.filter(month=datetime.date(2025, 1, 1)).count() == 1


def test_on_time_deadline_is_the_end_of_day_n_of_the_next_month():
    deadline = rollups.on_time_deadline(datetime.date(2026, 1, 1), 31)
    assert deadline.date() == datetime.date(2026, 3, 1)  # February has 28 days
    assert rollups.on_time_deadline(MONTH, 5).date() == datetime.date(2026, 10, 6)


def test_refreshing_one_desa_keeps_the_work_of_a_psm_serving_elsewhere(september):
    rollups.rollup_refresh(MONTH)
    everywhere = values(september["a"], BINTET)
    rollups.rollup_refresh(MONTH, BINTET)
    assert values(september["a"], BINTET) == everywhere
    assert everywhere["kegiatan_lapangan"] == 1
