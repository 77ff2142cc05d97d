"""Server-side SVG charts: horizontal bars, stacked or grouped, with a legend.

A chart is plain SVG markup built here, so the same chart shows in a page (no script, nothing
inline that the strict CSP would block: colours are SVG presentation attributes, not styles)
and in a WeasyPrint PDF. It is readable without sight: the SVG is an image whose title and
description say what it shows, and every bar carries its own text (`<title>`) with the label
and each value, formatted by the caller (`value_text`, e.g. Rupiah).

    chart = BarChart(
        title="Penyaluran per kecamatan",
        series=[Series("tersalurkan", "Tersalurkan", OK), Series("gagal", "Gagal", BAD)],
        bars=[Bar("Belinyu", (12, 3)), Bar("Sungailiat", (40, 0))],
        value_text=rupiah,
    )
    {{ chart }}  in a template (it renders itself), or chart.svg() in Python.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Colours that read on white and in greyscale print, and differ for colour-blind readers.
OK = "#17663a"
BAD = "#a32020"
WARN = "#b7791f"
NEUTRAL = "#9aa5b1"
BRAND = "#0b5d7a"

# Drawing units; the SVG scales to its container (CSS: width 100%), so these are proportions:
# at 480 units across, a phone's 320 px draws the 13-unit text at about 9 px.
WIDTH = 480
LABEL_WIDTH = 120
NOTE_WIDTH = 48
GAP = 6
FONT_SIZE = 13
LEGEND_ROW = 20
BAR_HEIGHT = 16
GROUPED_BAR_HEIGHT = 8
ROW_GAP = 8
FONT = "DejaVu Sans, Arial, sans-serif"
MAX_LABEL = 16  # characters of a bar's label drawn; the full label is in its <title>


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Bar:
    label: str
    values: Sequence[float]
    note: str = ""  # text drawn after the bar (a total, a percentage)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass(frozen=True)
class BarChart:
    title: str
    series: Sequence[Series]
    bars: Sequence[Bar]
    stacked: bool = True
    value_text: Callable[[float], str] = _plain
    description: str = ""  # said before the values in the accessible description
    ident: str = field(default="", compare=False)

    def __html__(self) -> SafeString:
        return self.svg()

    def __str__(self) -> str:
        return self.svg()

    @property
    def chart_id(self) -> str:
        if self.ident:
            return self.ident
        digest = hashlib.blake2s(
            "|".join([self.title, *(b.label for b in self.bars)]).encode(), digest_size=4
        )
        return f"chart-{digest.hexdigest()}"

    @property
    def scale_max(self) -> float:
        if self.stacked:
            most = max((sum(b.values) for b in self.bars), default=0)
        else:
            most = max((max(b.values, default=0) for b in self.bars), default=0)
        return most or 1

    def bar_text(self, bar: Bar) -> str:
        """What a bar says in words: 'Belinyu: Tersalurkan Rp 1.000, Gagal Rp 0'."""
        parts = [
            f"{s.label} {self.value_text(v)}" for s, v in zip(self.series, bar.values, strict=True)
        ]
        text = f"{bar.label}: " + ", ".join(parts)
        return f"{text} ({bar.note})" if bar.note else text

    def summary(self) -> str:
        lines = [self.description] if self.description else []
        lines += [self.bar_text(bar) + "." for bar in self.bars]
        return " ".join(lines)

    def _legend(self) -> tuple[list[str], int]:
        parts: list[str] = []
        x, y = 0, 0
        for item in self.series:
            width = 18 + len(item.label) * 8 + 14
            if x and x + width > WIDTH:
                x, y = 0, y + LEGEND_ROW
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                    '<text x="{}" y="{}" font-size="{}">{}</text>',
                    x,
                    y + 2,
                    item.color,
                    x + 18,
                    y + 12,
                    FONT_SIZE,
                    item.label,
                )
            )
            x += width
        return parts, y + LEGEND_ROW + 6

    def _row_height(self) -> int:
        if self.stacked:
            return BAR_HEIGHT + ROW_GAP
        return GROUPED_BAR_HEIGHT * max(len(self.series), 1) + ROW_GAP

    def svg(self) -> SafeString:
        legend, top = self._legend()
        track = WIDTH - LABEL_WIDTH - GAP - NOTE_WIDTH - GAP
        x0 = LABEL_WIDTH + GAP
        row_height = self._row_height()
        scale = track / self.scale_max
        rows: list[str] = []
        for index, bar in enumerate(self.bars):
            y = top + index * row_height
            label = bar.label if len(bar.label) <= MAX_LABEL else bar.label[: MAX_LABEL - 1] + "…"
            shapes = [
                format_html(
                    '<text x="{}" y="{}" font-size="{}" text-anchor="end">{}</text>',
                    LABEL_WIDTH,
                    y + (row_height - ROW_GAP) / 2 + FONT_SIZE / 2 - 2,
                    FONT_SIZE,
                    label,
                )
            ]
            x = float(x0)
            for number, (item, value) in enumerate(zip(self.series, bar.values, strict=True)):
                width = max(value, 0) * scale
                if self.stacked:
                    box = (x, y, width, BAR_HEIGHT)
                    x += width
                else:
                    box = (x0, y + number * GROUPED_BAR_HEIGHT, width, GROUPED_BAR_HEIGHT - 1)
                if width > 0:
                    shapes.append(
                        format_html(
                            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                            "<title>{}: {}</title></rect>",
                            f"{box[0]:.1f}",
                            box[1],
                            f"{box[2]:.1f}",
                            box[3],
                            item.color,
                            item.label,
                            self.value_text(value),
                        )
                    )
            if bar.note:
                shapes.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="{}">{}</text>',
                        WIDTH - NOTE_WIDTH,
                        y + (row_height - ROW_GAP) / 2 + FONT_SIZE / 2 - 2,
                        FONT_SIZE,
                        bar.note,
                    )
                )
            rows.append(
                format_html(
                    '<g class="bar"><title>{}</title>{}</g>',
                    self.bar_text(bar),
                    mark_safe("".join(shapes)),  # noqa: S308 - made by format_html above
                )
            )
        height = top + max(len(self.bars), 1) * row_height
        ident = self.chart_id
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{font}" fill="#1d2733" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            '<g class="legend">{legend}</g>{rows}</svg>',
            w=WIDTH,
            h=height,
            font=FONT,
            id=ident,
            title=self.title,
            desc=self.summary(),
            legend=mark_safe("".join(legend)),  # noqa: S308 - made by format_html
            rows=mark_safe("".join(rows)),  # noqa: S308 - made by format_html
        )
