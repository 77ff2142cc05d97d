"""Server-side SVG charts the bar charts of `garda.reports.charts` do not draw: a line over
months (trends) and a scatter of GPS points. Same conventions: plain SVG with presentation
attributes (no inline style, strict CSP), a <title>/<desc> for screen readers, a <title> on
every point; the same markup works in a page and in a WeasyPrint PDF."""

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from garda.reports.charts import BRAND, FONT, FONT_SIZE, NEUTRAL

WIDTH = 480
HEIGHT = 200
LEFT = 40
BOTTOM = 24
TOP = 10
RIGHT = 10


def _ident(*parts: str) -> str:
    return "chart-" + hashlib.blake2s("|".join(parts).encode(), digest_size=4).hexdigest()


@dataclass(frozen=True)
class Point:
    label: str  # x label, e.g. "Sep 2026"
    value: float | None  # None: no value that month (a gap)


@dataclass(frozen=True)
class LineChart:
    """Values over time, on a 0..`top` scale (100 for scores)."""

    title: str
    points: Sequence[Point]
    top: float = 100
    unit: str = ""

    def __html__(self) -> SafeString:
        return self.svg()

    def __str__(self) -> str:
        return self.svg()

    def _text(self, point: Point) -> str:
        value = "—" if point.value is None else f"{point.value:.1f}{self.unit}"
        return f"{point.label}: {value}"

    def svg(self) -> SafeString:
        ident = _ident(self.title, *(p.label for p in self.points))
        plot_w = WIDTH - LEFT - RIGHT
        plot_h = HEIGHT - TOP - BOTTOM
        top = self.top or 1
        step = plot_w / max(len(self.points) - 1, 1)
        grid = []
        for fraction in (0, 0.5, 1):
            y = TOP + plot_h * (1 - fraction)
            grid.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="0.5"/>'
                    '<text x="{}" y="{}" font-size="{}" text-anchor="end">{}</text>',
                    LEFT,
                    f"{y:.1f}",
                    WIDTH - RIGHT,
                    f"{y:.1f}",
                    NEUTRAL,
                    LEFT - 4,
                    f"{y + 4:.1f}",
                    FONT_SIZE - 2,
                    f"{top * fraction:.0f}",
                )
            )
        coords: list[tuple[float, float, Point]] = []
        labels = []
        every = max(1, len(self.points) // 6)
        for index, point in enumerate(self.points):
            x = LEFT + index * step
            last = index == len(self.points) - 1
            if (index % every == 0 and len(self.points) - 1 - index >= every) or last:
                labels.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="{}" text-anchor="{}">{}</text>',
                        f"{x:.1f}",
                        HEIGHT - 6,
                        FONT_SIZE - 2,
                        "end" if last else "middle",
                        point.label,
                    )
                )
            if point.value is not None:
                y = TOP + plot_h * (1 - min(max(point.value, 0), top) / top)
                coords.append((x, y, point))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _p in coords)
        dots = [
            format_html(
                '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}</title></circle>',
                f"{x:.1f}",
                f"{y:.1f}",
                BRAND,
                self._text(point),
            )
            for x, y, point in coords
        ]
        line = (
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', path, BRAND
            )
            if len(coords) > 1
            else ""
        )
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{font}" fill="#1d2733" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            "{grid}{labels}{line}{dots}</svg>",
            w=WIDTH,
            h=HEIGHT,
            font=FONT,
            id=ident,
            title=self.title,
            desc="; ".join(self._text(p) for p in self.points),
            grid=mark_safe("".join(grid)),  # noqa: S308 - made by format_html
            labels=mark_safe("".join(labels)),  # noqa: S308 - made by format_html
            line=line,
            dots=mark_safe("".join(dots)),  # noqa: S308 - made by format_html
        )


@dataclass(frozen=True)
class Spot:
    latitude: float
    longitude: float
    label: str
    group: str = ""  # e.g. the desa, drawn in the point's title


@dataclass(frozen=True)
class ScatterMap:
    """GPS points drawn in their own bounding box (no map tiles): where work happened,
    relative to each other. Longitude to x, latitude to y (north up)."""

    title: str
    spots: Sequence[Spot]

    def __html__(self) -> SafeString:
        return self.svg()

    def __str__(self) -> str:
        return self.svg()

    def svg(self) -> SafeString:
        ident = _ident(self.title, str(len(self.spots)))
        size = WIDTH - 20
        if self.spots:
            lats = [s.latitude for s in self.spots]
            lons = [s.longitude for s in self.spots]
            south, north, west, east = min(lats), max(lats), min(lons), max(lons)
        else:
            south = north = west = east = 0.0
        span = max(north - south, east - west, 0.01)
        dots = []
        for spot in self.spots:
            x = 10 + (spot.longitude - west) / span * size
            y = 10 + (north - spot.latitude) / span * size
            dots.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="4" fill="{}" fill-opacity="0.7">'
                    "<title>{} {} ({}, {})</title></circle>",
                    f"{x:.1f}",
                    f"{y:.1f}",
                    BRAND,
                    spot.group,
                    spot.label,
                    f"{spot.latitude:.5f}",
                    f"{spot.longitude:.5f}",
                )
            )
        height = int(10 + (north - south) / span * size + 20)
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{font}" '
            'aria-labelledby="{id}-title"><title id="{id}-title">{title}</title>'
            '<rect x="0" y="0" width="{w}" height="{h}" fill="none" stroke="{grey}"/>'
            "{dots}</svg>",
            w=WIDTH,
            h=max(height, 60),
            font=FONT,
            id=ident,
            title=self.title,
            grey=NEUTRAL,
            dots=mark_safe("".join(dots)),  # noqa: S308 - made by format_html
        )


TILE = 256


def _world(latitude: float, longitude: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a point at `zoom` (the tiles' own projection)."""
    scale = TILE * 2**zoom
    lat = math.radians(max(min(latitude, 85.0511), -85.0511))
    x = (longitude + 180) / 360 * scale
    y = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * scale
    return x, y


@dataclass(frozen=True)
class TileMap:
    """The points over map tiles, still without script: the tiles are SVG <image> elements
    placed by attribute (`tiles` is a URL template with {z}, {x} and {y}, e.g. of the
    office's own tile server; the site's Content-Security-Policy must allow its host)."""

    title: str
    spots: Sequence[Spot]
    tiles: str
    attribution: str = ""
    width: int = WIDTH
    height: int = 360
    max_zoom: int = 16

    def __html__(self) -> SafeString:
        return self.svg()

    def __str__(self) -> str:
        return self.svg()

    def zoom(self) -> int:
        for zoom in range(self.max_zoom, 0, -1):
            xs, ys = zip(*(_world(s.latitude, s.longitude, zoom) for s in self.spots), strict=True)
            if max(xs) - min(xs) <= self.width - 40 and max(ys) - min(ys) <= self.height - 40:
                return zoom
        return 1

    def svg(self) -> SafeString:
        ident = _ident("map", self.title, str(len(self.spots)))
        if not self.spots:
            return mark_safe("")
        zoom = self.zoom()
        points = [(_world(s.latitude, s.longitude, zoom), s) for s in self.spots]
        xs = [p[0][0] for p in points]
        ys = [p[0][1] for p in points]
        left = (min(xs) + max(xs)) / 2 - self.width / 2
        top = (min(ys) + max(ys)) / 2 - self.height / 2
        tiles = []
        for tx in range(int(left // TILE), int((left + self.width) // TILE) + 1):
            for ty in range(int(top // TILE), int((top + self.height) // TILE) + 1):
                if not 0 <= ty < 2**zoom:
                    continue
                url = self.tiles.format(z=zoom, x=tx % 2**zoom, y=ty)
                tiles.append(
                    format_html(
                        '<image href="{}" x="{}" y="{}" width="{}" height="{}"/>',
                        url,
                        f"{tx * TILE - left:.1f}",
                        f"{ty * TILE - top:.1f}",
                        TILE,
                        TILE,
                    )
                )
        dots = [
            format_html(
                '<circle cx="{}" cy="{}" r="5" fill="{}" stroke="#fff" stroke-width="1.5">'
                "<title>{} {} ({}, {})</title></circle>",
                f"{x - left:.1f}",
                f"{y - top:.1f}",
                BRAND,
                spot.group,
                spot.label,
                f"{spot.latitude:.5f}",
                f"{spot.longitude:.5f}",
            )
            for (x, y), spot in points
        ]
        credit = (
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>',
                self.width - 4,
                self.height - 4,
                self.attribution,
            )
            if self.attribution
            else ""
        )
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart map" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{font}" '
            'aria-labelledby="{id}-title"><title id="{id}-title">{title}</title>'
            "{tiles}{dots}{credit}</svg>",
            w=self.width,
            h=self.height,
            font=FONT,
            id=ident,
            title=self.title,
            tiles=mark_safe("".join(tiles)),  # noqa: S308 - made by format_html
            dots=mark_safe("".join(dots)),  # noqa: S308 - made by format_html
            credit=credit,
        )
