"""The kabupaten rows (`AreaRollup`, `AreaScore`): the pages of a province, or of a reader's
several areas, read them instead of every PSM's rows, so they must say exactly what the PSM
rows say: compared here with a kecamatan's page, which reads the PSM rows themselves."""

import importlib

import pytest
from django.urls import reverse

from garda.accounts.models import RoleAssignment
from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, SUNGAILIAT, client_for, make_user
from garda.pilar.models import Pilar, Status
from garda.wilayah.models import Kind, Level, Wilayah

from .. import rollups, selectors
from ..models import AreaRollup, AreaScore
from . import factories as f
from .factories import MONTH, at

AUGUST = MONTH.replace(month=8)


@pytest.fixture
def province(bangka) -> Wilayah:
    province, _created = Wilayah.objects.get_or_create(
        code="19",
        defaults={
            "name": "Kepulauan Bangka Belitung",
            "level": Level.PROVINSI,
            "kind": Kind.PROVINSI,
        },
    )
    Wilayah.objects.filter(code=BANGKA).update(parent=province)
    return province


def board(code: str, **period) -> selectors.Dashboard:
    area = Wilayah.objects.get(code=code)
    return selectors.dashboard(area=area, month=MONTH, with_people=True, **period)


def summary(page: selectors.Dashboard) -> tuple:
    total = page.total
    return total.score, total.scored, total.values, page.histogram, page.trend


def test_a_province_page_says_what_the_psm_rows_say(province, scored):
    # Every PSM of the fixture works in Belinyu: its page (PSM rows) is the whole province.
    assert AreaRollup.objects.filter(month=MONTH, wilayah_id=BANGKA).exists()
    by_province, by_kecamatan = board("19"), board(BELINYU)
    assert summary(by_province) == summary(by_kecamatan)
    assert by_province.total.values[f.indicator("kegiatan_lapangan").pk] == 2
    assert by_province.total.scored == 2
    bangka = by_province.rows[0]
    assert (bangka.code, bangka.score, bangka.values) == (
        BANGKA,
        by_kecamatan.total.score,
        by_kecamatan.total.values,
    )


def test_one_desa_refreshed_rewrites_its_kabupaten_row(province, scored):
    f.report(scored["user_a"], LUMUT, occurred=at(6), submitted=at(6))
    rollups.rollup_refresh(MONTH, LUMUT)
    reports = f.indicator("kegiatan_lapangan").pk
    assert board("19").total.values[reports] == 3
    assert summary(board("19")) == summary(board(BELINYU))


def test_a_year_counts_each_psm_once_whichever_month_is_refreshed_first(province, scored):
    # C reported in August only, and left before September: scored in August, not September.
    c, user_c = f.psm(BINTET)
    f.target("kegiatan_lapangan", 4, month=AUGUST.month)
    f.report(user_c, BINTET, occurred=at(3, month=AUGUST), submitted=at(3, month=AUGUST))
    Pilar.objects.filter(pk=c.pk).update(status=Status.BERHENTI)
    rollups.rollup_refresh(MONTH)
    rollups.rollup_refresh(AUGUST)  # an earlier month refreshed later moves September's count
    year = {"year": MONTH.year}
    assert AreaScore.objects.get(wilayah_id=BANGKA, month=MONTH).psms == 2
    assert AreaScore.objects.get(wilayah_id=BANGKA, month=MONTH).psms_year == 3
    assert board("19", **year).total.scored == board(BELINYU, **year).total.scored == 3
    assert summary(board("19", **year)) == summary(board(BELINYU, **year))


def test_new_targets_rescore_the_kabupaten_rows(province, scored):
    before = board("19").total.score
    f.target("kegiatan_lapangan", 1, wilayah=LUMUT)
    rollups.scores_refresh(MONTH)
    assert board("19").total.score != before
    assert board("19").total.score == board(BELINYU).total.score


def test_a_reader_of_two_kecamatan_sees_both_side_by_side(scored):
    reader = make_user(Role.KOORDINATOR, BELINYU)
    RoleAssignment.objects.create(
        user=reader, role=Role.KOORDINATOR, wilayah_id=SUNGAILIAT, valid_from=at(1).date()
    )
    client = client_for(reader)
    url = reverse("monitoring:dashboard")
    page = client.get(url, {"bulan": f"{MONTH:%Y-%m}"})
    assert page.status_code == 200
    overview = page.context["board"]
    assert [row.code for row in overview.rows] == [SUNGAILIAT, BELINYU]
    belinyu = board(BELINYU)
    assert overview.rows[1].values == belinyu.total.values
    assert summary(overview)[:3] == summary(belinyu)[:3]  # Sungailiat has no PSM
    assert overview.villages == board(SUNGAILIAT).villages + belinyu.villages
    # Each area is still a page of its own; another district's is not the reader's.
    assert client.get(url, {"wilayah": SUNGAILIAT}).status_code == 200
    assert client.get(url, {"wilayah": "19.02"}).status_code == 404


def test_a_reader_of_one_area_sees_it_directly(scored):
    page = client_for(f.coordinator(BELINYU)).get(reverse("monitoring:dashboard"))
    assert page.context["area"].code == BELINYU
    assert not page.context["has_overview"]


def test_a_reader_whose_second_area_was_retired_sees_the_first_directly(scored):
    reader = make_user(Role.KOORDINATOR, BELINYU)
    RoleAssignment.objects.create(
        user=reader, role=Role.KOORDINATOR, wilayah_id=SUNGAILIAT, valid_from=at(1).date()
    )
    Wilayah.objects.filter(code=SUNGAILIAT).update(is_active=False)
    page = client_for(reader).get(reverse("monitoring:dashboard"))
    assert page.status_code == 200
    assert page.context["area"].code == BELINYU


def test_the_migration_adds_up_the_months_already_rolled_up(province, scored):
    from django.apps import apps

    migration = importlib.import_module("garda.monitoring.migrations.0003_area_rollups")
    before = summary(board("19"))
    AreaRollup.objects.all().delete()
    AreaScore.objects.all().delete()
    migration.add_up_existing_rollups(apps, None)
    assert AreaScore.objects.get(wilayah_id=BANGKA, month=MONTH).psms_year == 2
    assert summary(board("19")) == before


def test_areas_of_different_levels_side_by_side(scored):
    # A coordinator of Belinyu who also serves one desa of Sungailiat.
    reader = make_user(Role.KOORDINATOR, BELINYU)
    desa = Wilayah.objects.filter(parent_id=SUNGAILIAT).order_by("code").first()
    assert desa is not None
    RoleAssignment.objects.create(
        user=reader, role=Role.KOORDINATOR, wilayah_id=desa.code, valid_from=at(1).date()
    )
    page = client_for(reader).get(reverse("monitoring:dashboard"), {"bulan": f"{MONTH:%Y-%m}"})
    overview = page.context["board"]
    assert [row.code for row in overview.rows] == sorted([BELINYU, desa.code])
    by_code = {row.code: row for row in overview.rows}
    assert by_code[BELINYU].values == board(BELINYU).total.values
    assert by_code[desa.code].score is None  # nobody works there
    assert overview.villages == board(BELINYU).villages + 1
