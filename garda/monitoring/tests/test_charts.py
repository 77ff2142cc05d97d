"""The monitoring charts: trend line, points drawing and tile map, as SVG without script."""

import re

from django.test import override_settings
from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.testing import BELINYU, client_for, make_user

from ..charts import LineChart, Point, ScatterMap, Spot, TileMap
from .factories import MONTH

SUNGAILIAT = Spot(-1.8563, 106.1237, "Kunjungan rumah, Siti", "Sungailiat")
BELINYU_SPOT = Spot(-1.6322, 105.7693, "Sosialisasi, Ani", "Belinyu")


def test_the_trend_names_every_month_and_leaves_gaps():
    svg = str(
        LineChart(title="Skor", points=[Point("Jan", 40), Point("Feb", None), Point("Mar", 80)])
    )
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
    assert "Jan: 40.0; Feb: —; Mar: 80.0" in svg
    assert svg.count("<circle") == 2


def test_points_keep_north_up():
    svg = str(ScatterMap(title="Titik", spots=[SUNGAILIAT, BELINYU_SPOT]))
    ys = {m[1]: float(m[0]) for m in re.findall(r'cy="([\d.]+)".*?<title>(\w+)', svg)}
    assert ys["Belinyu"] < ys["Sungailiat"]  # Belinyu lies north of Sungailiat


def test_the_tile_map_places_tiles_and_points_inside_the_view():
    chart = TileMap(title="Peta", spots=[SUNGAILIAT, BELINYU_SPOT], tiles="/t/{z}/{x}/{y}.png")
    svg = str(chart)
    assert re.search(r'<image href="/t/\d+/\d+/\d+\.png"', svg)
    for x, y in re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)"', svg):
        assert 0 <= float(x) <= chart.width and 0 <= float(y) <= chart.height


@override_settings(GARDA_MAP_TILES="https://peta.example/{z}/{x}/{y}.png")
def test_the_points_page_uses_the_tiles_when_configured(scored):
    response = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(
        reverse("monitoring:points"), {"bulan": f"{MONTH:%Y-%m}"}
    )
    assert 'href="https://peta.example/' in response.content.decode()
