"""Coverage: figures hand-computed on a small registry built by the real services, the page's
links and highlights, who may see it, and its query count."""

import re

import pytest
from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.selectors import coverage_by_child
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    OTHER_DISTRICT,
    SUNGAILIAT,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.wilayah.models import Wilayah

from .. import services
from ..coverage import coverage_by_area
from ..models import Status
from .factories import (
    dinas_admin,
    register,
)

KUTO_PANJI = "19.01.02.1001"
GUNUNG_MUDA = "19.01.02.2004"
SUNGAILIAT_DESA = "19.01.01.1001"
URL = "/pilar/cakupan/"


def coverage_url(code: str = "") -> str:
    return reverse("pilar:coverage") + (f"?wilayah={code}" if code else "")


@pytest.fixture
def registry(bangka):
    """Belinyu: Lumut two active PSMs and a Karang Taruna, Kuto Panji one active PSM, Bintet
    an inactive PSM, Gunung Muda a candidate; a TKSK of Belinyu. Sungailiat: one active PSM in
    Kelurahan Sungailiat. Tagana at the district level. Bangka Barat: an active PSM."""
    admin = dinas_admin(BANGKA)
    register(code=LUMUT, actor=admin, name="Siti Lumut")
    register(code=LUMUT, actor=admin, name="Sari Lumut")
    register(code=LUMUT, actor=admin, jenis="karang_taruna", name="Karang Taruna Lumut")
    register(code=KUTO_PANJI, actor=admin, name="Budi Kuto Panji")
    bintet = register(code=BINTET, actor=admin, name="Rudi Bintet")
    services.pilar_set_status(
        actor=admin, pilar=bintet, status=Status.NONAKTIF, reason="Tidak aktif"
    )
    register(code=GUNUNG_MUDA, actor=admin, status=Status.CALON, name="Calon Gunung Muda")
    register(code=BELINYU, actor=admin, jenis="tksk", name="Tksk Belinyu")
    register(code=SUNGAILIAT_DESA, actor=admin, name="Ani Sungailiat")
    register(code=BANGKA, actor=admin, jenis="tagana", name="Tagana Bangka")
    register(code=OTHER_DESA, name="Psm Bangka Barat")
    return admin


def others(row) -> dict[str, int]:
    return {cell.jenis.code: cell.count for cell in row.others}


class TestFigures:
    def test_district_rows_per_kecamatan(self, registry):
        [section] = coverage_by_area(user=registry, areas=[Wilayah.objects.get(code=BANGKA)])
        rows = {row.area.code: row for row in section.rows}
        assert len(rows) == 8
        belinyu = rows[BELINYU]
        # Lumut's two PSMs cover one desa and count twice; Bintet's inactive PSM and Gunung
        # Muda's candidate cover nothing.
        assert (belinyu.villages, belinyu.covered, belinyu.psm) == (12, 2, 3)
        assert others(belinyu) == {"tksk": 1, "tagana": 0, "karang_taruna": 1}
        assert (rows[SUNGAILIAT].villages, rows[SUNGAILIAT].covered, rows[SUNGAILIAT].psm) == (
            13,
            1,
            1,
        )
        assert (rows["19.01.03"].covered, rows["19.01.03"].psm) == (0, 0)
        assert others(section.whole_area) == {"tksk": 0, "tagana": 1, "karang_taruna": 0}
        total = section.total
        # Bangka Barat's PSM is outside the area: not in any figure.
        assert (total.villages, total.covered, total.psm) == (81, 3, 4)
        assert others(total) == {"tksk": 1, "tagana": 1, "karang_taruna": 1}
        assert [t.code for t in section.types] == ["tksk", "tagana", "karang_taruna"]
        assert len(section.uncovered) == 78
        assert {u.desa.code for u in section.uncovered}.isdisjoint(
            {LUMUT, KUTO_PANJI, SUNGAILIAT_DESA}
        )
        bintet = next(u for u in section.uncovered if u.desa.code == BINTET)
        assert bintet.within is not None and bintet.within.code == BELINYU

    def test_kecamatan_rows_per_desa(self, registry):
        coordinator = make_user(Role.KOORDINATOR, BELINYU)
        [section] = coverage_by_area(user=coordinator, areas=[Wilayah.objects.get(code=BELINYU)])
        rows = {row.area.code: row for row in section.rows}
        assert len(rows) == 12
        assert (rows[LUMUT].covered, rows[LUMUT].psm, others(rows[LUMUT])) == (
            1,
            2,
            {"tksk": 0, "karang_taruna": 1},
        )
        assert (rows[BINTET].covered, rows[BINTET].psm, rows[BINTET].uncovered) == (0, 0, 1)
        assert (rows[GUNUNG_MUDA].covered, rows[GUNUNG_MUDA].psm) == (0, 0)
        assert others(section.whole_area) == {"tksk": 1, "karang_taruna": 0}
        assert (section.total.villages, section.total.covered, section.total.psm) == (12, 2, 3)
        uncovered = {u.desa.code for u in section.uncovered}
        assert len(uncovered) == 10
        assert {BINTET, GUNUNG_MUDA} <= uncovered
        assert all(u.within is None for u in section.uncovered)
        # The desa chart: PSMs against the busiest desa (Lumut, 2).
        assert (rows[LUMUT].bar_percent, rows[KUTO_PANJI].bar_percent) == (100, 50)

    def test_another_districts_user_counts_nothing_here(self, registry):
        other = make_user(Role.ADMIN_DINAS, OTHER_DISTRICT)
        [section] = coverage_by_area(user=other, areas=[Wilayah.objects.get(code=BANGKA)])
        assert (section.total.psm, section.total.covered, section.total.others_total) == (0, 0, 0)
        [own] = coverage_by_area(user=other, areas=[Wilayah.objects.get(code=OTHER_DISTRICT)])
        assert (own.total.villages, own.total.covered, own.total.psm) == (1, 1, 1)

    def test_home_page_card_uses_the_registry(self, registry):
        make_user(Role.PSM, BINTET)  # an account without a profile covers nothing
        rows = {
            row.area.code: row
            for row in coverage_by_child(registry, [Wilayah.objects.get(code=BANGKA)])
        }
        assert (rows[BELINYU].villages, rows[BELINYU].covered) == (12, 2)
        body = client_for(registry).get(reverse("core:home")).content.decode()
        assert f'href="{URL}"' in body
        assert f'href="{URL}?wilayah={BELINYU}"' in body


class TestPage:
    def test_district_page_links_counts_to_the_filtered_list(self, registry):
        response = client_for(registry).get(coverage_url())
        assert response.status_code == 200
        body = response.content.decode()
        assert f'href="/pilar/?jenis=psm&amp;status=aktif&amp;wilayah={BELINYU}">3</a>' in body
        assert f'href="/pilar/?jenis=tksk&amp;status=aktif&amp;wilayah={BELINYU}">1</a>' in body
        # The district total needs no region: the list is already limited to the user's area.
        assert 'href="/pilar/?jenis=psm&amp;status=aktif">4</a>' in body
        assert f'href="?wilayah={BELINYU}"' in body
        assert "<svg" in body and "style=" not in body
        assert "<script>" not in body

    def test_drill_down_highlights_and_names_uncovered_desa(self, registry):
        response = client_for(registry).get(coverage_url(BELINYU))
        assert response.status_code == 200
        body = response.content.decode()
        link = f'href="/pilar/?jenis=psm&amp;status=aktif&amp;wilayah={LUMUT}">2</a>'
        assert link in body
        assert f"jenis=karang_taruna&amp;status=aktif&amp;wilayah={LUMUT}" in body
        rows = re.findall(r"<tr( class=\"uncovered\")?>\s*<td[^>]*><a[^>]*>([^<]+)</a>", body)
        highlighted = {name for marker, name in rows if marker}
        assert "Bintet" in highlighted and "Gunung Muda" in highlighted
        assert "Lumut" not in highlighted and "Kuto Panji" not in highlighted
        assert len(highlighted) == 10
        summary = body.split('class="uncovered-list"')[1].split("</p>")[0]
        assert "Bintet" in summary and "Lumut" not in summary
        assert 'href="?wilayah=19.01"' in body  # back up to the district

    def test_coordinator_lands_on_the_desa_of_their_kecamatan(self, registry):
        response = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(coverage_url())
        [section] = response.context["sections"]
        assert section.area.code == BELINYU and section.by_village
        assert len(section.rows) == 12

    def test_viewer_sees_counts_but_no_names_and_no_links_to_people(self, registry):
        client = client_for(make_user(Role.VIEWER, BANGKA))
        for url in (coverage_url(), coverage_url(BELINYU)):
            response = client.get(url)
            assert response.status_code == 200
            body = response.content.decode()
            for name in ("Siti Lumut", "Sari Lumut", "Rudi Bintet", "Tksk Belinyu"):
                assert name not in body
            assert "/pilar/?" not in body
        assert response.context["sections"][0].total.psm == 3

    @pytest.mark.parametrize("code", [LUMUT, "19.01.99", "x", OTHER_DISTRICT])
    def test_a_desa_an_unknown_or_an_outside_region_answers_404(self, registry, code):
        assert client_for(registry).get(coverage_url(code)).status_code == 404

    def test_query_count_does_not_grow_with_the_desa(self, registry, django_assert_num_queries):
        client = client_for(registry)
        client.get(coverage_url())  # warm the session

        # session, user, roles; regions, member counts, types; the session save (3)
        def pinned() -> None:
            with django_assert_num_queries(9):
                response = client.get(coverage_url())
            assert response.status_code == 200

        pinned()
        for code in ("19.01.03.2001", "19.01.04.2001", "19.01.05.2001", "19.01.06.2001"):
            register(code=code, actor=registry)
            register(code=code, actor=registry, jenis="karang_taruna")
        pinned()
        assert client.get(coverage_url()).context["sections"][0].total.covered == 7


class TestCoverageForCoordinator(ScopedViewContract):
    """A coordinator of Belinyu drills into Belinyu, never into Sungailiat; a PSM (no
    aggregates permission) is refused."""

    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.PSM, LUMUT)
    own_area = BELINYU
    other_area = SUNGAILIAT

    def make_object(self, code):
        return Wilayah.objects.get(code=code)

    def url_for(self, obj):
        return coverage_url(obj.code)


class TestCoverageForViewer(TestCoverageForCoordinator):
    allowed = (Role.VIEWER, BELINYU)
    wrong_role = (Role.OPERATOR_DESA, LUMUT)
