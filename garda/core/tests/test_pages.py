"""Home page per role, coverage figures, error pages and security headers."""

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import path, reverse
from django.utils import translation

from config.urls import urlpatterns as project_urls
from garda.accounts.roles import Role
from garda.core.selectors import coverage_by_child, home_kind
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    SUNGAILIAT,
    client_for,
    make_user,
    menu_urls,
)
from garda.pilar.models import PilarType
from garda.pilar.services import pilar_register
from garda.wilayah.models import Wilayah


class TestHomePerRole:
    @pytest.mark.parametrize(
        ("role", "code", "kind", "heading"),
        [
            (Role.ADMIN_DINAS, BANGKA, "area", "Bangka"),
            (Role.PIMPINAN, BANGKA, "area", "Bangka"),
            (Role.VIEWER, BANGKA, "area", "Bangka"),
            (Role.KOORDINATOR, BELINYU, "area", "Belinyu"),
            (Role.PSM, LUMUT, "desa", "Lumut"),
            (Role.OPERATOR_DESA, LUMUT, "desa", "Lumut"),
            (None, LUMUT, "none", ""),
        ],
    )
    def test_each_role_lands_on_its_home(self, bangka, role, code, kind, heading):
        user = make_user(role, code)
        assert home_kind(user) == kind
        response = client_for(user).get(reverse("core:home"))
        assert response.status_code == 200
        assert f"core/home_{kind}.html" in [t.name for t in response.templates]
        assert heading in response.content.decode()

    def test_psm_sees_colleagues_of_own_village_only(self, bangka):
        me = make_user(Role.PSM, LUMUT, name="Siti Lumut")
        make_user(Role.OPERATOR_DESA, LUMUT, name="Operator Lumut")
        make_user(Role.PSM, BINTET, name="Budi Bintet")
        body = client_for(me).get(reverse("core:home")).content.decode()
        assert "Operator Lumut" in body
        assert "Budi Bintet" not in body

    def test_viewer_home_shows_no_names(self, bangka):
        make_user(Role.PSM, LUMUT, name="Siti Lumut")
        body = client_for(make_user(Role.VIEWER, BANGKA)).get(reverse("core:home")).content
        assert b"Siti Lumut" not in body

    def test_menu_follows_permissions(self, bangka):
        psm_nav = menu_urls(make_user(Role.PSM, LUMUT))
        admin_nav = menu_urls(make_user(Role.ADMIN_DINAS, BANGKA))
        assert reverse("accounts:user_list") not in psm_nav
        assert {reverse("accounts:user_list"), reverse("audit:list")} <= set(admin_nav)

    def test_menu_groups_the_pages_and_marks_the_current_one(self, bangka, english):
        client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
        page = client.get(reverse("accounts:user_list"))
        groups = {str(g.label): g for g in page.context["nav_groups"]}
        assert [item.url for item in groups["Administration"].items] == [
            reverse("wilayah:list"),
            reverse("accounts:user_list"),
            reverse("audit:list"),
            reverse("privacy:list"),
        ]
        assert groups["Administration"].current and not groups["Field work"].current
        body = page.content.decode()
        assert f'<a href="{reverse("accounts:user_list")}" aria-current="page">' in body
        assert body.count('class="nav-group-label"') == 4
        # A viewer's short menu: a group holding one page is a link in the bar, not a heading.
        viewer = client_for(make_user(Role.VIEWER, BANGKA)).get("/").content.decode()
        assert viewer.count('class="nav-group-label"') == 2
        assert "Administration" not in viewer
        assert f'<li><a href="{reverse("wilayah:list")}">Regions</a></li>' in viewer


class TestCoverage:
    """The home card counts villages with an active PSM in the pillar registry (the figures
    themselves are tested with the coverage page, in garda/pilar/tests/test_coverage.py)."""

    def test_counts_villages_with_an_active_psm_profile(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        psm = PilarType.objects.get(code="psm")
        for serial, (code, status) in enumerate(
            [(LUMUT, "aktif"), (LUMUT, "aktif"), (BINTET, "nonaktif"), ("19.01.01.1001", "aktif")],
            start=1,
        ):
            pilar_register(
                actor=admin,
                jenis=psm,
                wilayah=Wilayah.objects.get(code=code),
                data={"name": f"PSM {serial}", "nik": f"1901020101900{serial:03d}"},
                status=status,
            )
        make_user(Role.PSM, "19.01.03.2001")  # an account without a profile covers nothing
        district = Wilayah.objects.get(code=BANGKA)
        rows = {row.area.code: row for row in coverage_by_child(admin, [district])}
        assert len(rows) == 8
        assert (rows[BELINYU].villages, rows[BELINYU].covered) == (12, 1)
        assert rows[SUNGAILIAT].covered == 1
        assert rows["19.01.03"].covered == 0
        assert sum(r.villages for r in rows.values()) == 81

    def test_coordinator_gets_one_row_per_village(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        pilar_register(
            actor=admin,
            jenis=PilarType.objects.get(code="psm"),
            wilayah=Wilayah.objects.get(code=LUMUT),
            data={"name": "PSM Lumut", "nik": "1901020101900001"},
            status="aktif",
        )
        coordinator = make_user(Role.KOORDINATOR, BELINYU)
        rows = coverage_by_child(coordinator, [Wilayah.objects.get(code=BELINYU)])
        assert len(rows) == 12
        assert [r.area.code for r in rows if r.covered] == [LUMUT]
        body = client_for(coordinator).get(reverse("core:home")).content.decode()
        assert 'href="/pilar/cakupan/"' in body


def boom(request):
    raise RuntimeError("test failure")


urlpatterns = [path("boom/", boom), *project_urls]
handler500 = "garda.core.views.server_error"


class TestErrorPagesAndHeaders:
    def test_404_page_is_indonesian(self, db):
        response = Client().get("/tidak-ada/")
        assert response.status_code == 404
        assert "Halaman tidak ditemukan" in response.content.decode()

    @override_settings(ROOT_URLCONF=__name__)
    def test_500_page_is_rendered_without_leaking_the_error(self, db):
        client = Client(raise_request_exception=False)
        response = client.get("/boom/")
        assert response.status_code == 500
        body = response.content.decode()
        assert "500" in body
        assert "test failure" not in body

    def test_csp_forbids_inline_scripts_and_pages_carry_nonces(self, db):
        response = Client().get(reverse("accounts:login"))
        policy = response["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in policy
        assert "unsafe-inline" not in policy
        nonce = policy.split("'nonce-")[1].split("'")[0]
        assert f'nonce="{nonce}"' in response.content.decode()
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_english_is_switchable(self, db):
        client = Client()
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        body = client.get(reverse("accounts:login")).content.decode()
        assert '<html lang="en">' in body
        assert "Log in to Garda" in body


def test_numbers_in_links_are_not_grouped_like_numbers_on_screen(rf):
    # Indonesian grouping writes 1.234 on screen; page 1.234 in a link would not be read back.
    paginator = Paginator(range(100_000), 50)
    with translation.override("id"):
        html = render_to_string(
            "core/_pagination.html",
            {
                "is_paginated": True,
                "page_obj": paginator.page(1_500),
                "paginator": paginator,
                "request": rf.get("/warga/", {"q": "Siti", "page": "1500"}),
            },
        )
    assert "q=Siti&amp;page=1499" in html and "q=Siti&amp;page=1501" in html
    assert "1.500" in html and "100.000" in html  # the text is grouped as Indonesians read it
