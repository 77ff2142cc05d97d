"""The SVG bar chart: valid markup, bars in proportion, a legend, text for screen readers,
labels escaped, and nothing the page's CSP or WeasyPrint would refuse."""

import re
from xml.etree import ElementTree

from django.template import Context, Template

from garda.reports.charts import (
    BAD,
    GAP,
    LABEL_WIDTH,
    NOTE_WIDTH,
    OK,
    WIDTH,
    Bar,
    BarChart,
    Series,
)

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [Series("ok", "Tersalurkan", OK), Series("bad", "Gagal", BAD)]


def parse(chart: BarChart) -> ElementTree.Element:
    return ElementTree.fromstring(str(chart.svg()))  # noqa: S314 - markup this test made


def attr(element: ElementTree.Element, name: str) -> str:
    value = element.get(name)
    assert value is not None, name
    return value


def num(element: ElementTree.Element, name: str) -> float:
    return float(attr(element, name))


def child(element: ElementTree.Element, tag: str) -> ElementTree.Element:
    found = element.find(f"{SVG}{tag}")
    assert found is not None, tag
    return found


def text_of(element: ElementTree.Element) -> str:
    return element.text or ""


def bar_rects(root: ElementTree.Element) -> list[list[ElementTree.Element]]:
    return [g.findall(f"{SVG}rect") for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]


def rupiah(value: float) -> str:
    return "Rp " + f"{int(value):,}".replace(",", ".")


def test_stacked_bars_in_proportion_with_legend_and_accessible_text():
    chart = BarChart(
        title="Penyaluran per kecamatan",
        series=SERIES,
        bars=[Bar("Belinyu", (300, 100), note="75 %"), Bar("Sungailiat", (200, 0))],
        value_text=rupiah,
    )
    root = parse(chart)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert attr(child(root, "title"), "id") == title_id
    assert text_of(child(root, "title")) == "Penyaluran per kecamatan"
    desc = child(root, "desc")
    assert attr(desc, "id") == desc_id
    assert "Belinyu: Tersalurkan Rp 300, Gagal Rp 100 (75 %)." in text_of(desc)
    assert "Sungailiat: Tersalurkan Rp 200, Gagal Rp 0." in text_of(desc)
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text in ("Tersalurkan", "Gagal")]
    assert legend == ["Tersalurkan", "Gagal"]
    belinyu, sungailiat = bar_rects(root)
    track = WIDTH - LABEL_WIDTH - NOTE_WIDTH - 2 * GAP
    widths = [num(r, "width") for r in belinyu]
    assert widths == [track * 300 / 400, track * 100 / 400]
    # stacked: the second segment starts where the first ends
    assert num(belinyu[1], "x") == num(belinyu[0], "x") + widths[0]
    # a zero value draws nothing; the longest bar fills the track
    assert len(sungailiat) == 1
    assert num(sungailiat[0], "width") == track * 200 / 400
    assert [r.get("fill") for r in belinyu] == [OK, BAD]
    assert text_of(child(belinyu[0], "title")) == "Tersalurkan: Rp 300"


def test_grouped_bars_share_the_start_and_scale_by_the_largest_value():
    chart = BarChart(
        title="t", series=SERIES, bars=[Bar("A", (50, 100)), Bar("B", (25, 0))], stacked=False
    )
    a, b = bar_rects(parse(chart))
    assert a[0].get("x") == a[1].get("x")
    assert num(a[1], "width") == 2 * num(a[0], "width")
    assert num(b[0], "width") == num(a[0], "width") / 2
    assert num(a[1], "y") > num(a[0], "y")


def test_labels_are_escaped_and_long_labels_shortened():
    chart = BarChart(
        title="<script>alert(1)</script>",
        series=[Series("x", 'A "quoted" & <b>', OK)],
        bars=[Bar("Desa dengan nama yang sangat panjang sekali", (1,))],
    )
    markup = str(chart)
    assert "<script>" not in markup and "<b>" not in markup
    root = parse(chart)  # still well-formed XML
    drawn = [t.text for t in root.iter(f"{SVG}text")]
    assert "Desa dengan nam…" in drawn
    bar = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "bar")
    assert text_of(child(bar, "title")).startswith("Desa dengan nama yang sangat panjang sekali")


def test_no_styles_or_scripts_for_the_csp():
    markup = str(BarChart(title="t", series=SERIES, bars=[Bar("A", (1, 2))]))
    assert "style" not in markup and "<script" not in markup
    assert re.search(r'fill="#[0-9a-f]{6}"', markup)


def test_no_bars_and_all_zero_values():
    assert parse(BarChart(title="t", series=SERIES, bars=[])).get("role") == "img"
    root = parse(BarChart(title="t", series=SERIES, bars=[Bar("A", (0, 0))]))
    assert bar_rects(root) == [[]]


def test_renders_itself_in_a_template_and_ids_are_stable():
    chart = BarChart(title="t", series=SERIES, bars=[Bar("A", (1, 2))])
    html = Template("{{ chart }}").render(Context({"chart": chart}))
    assert html.startswith("<svg") and "&lt;" not in html
    assert chart.chart_id == BarChart(title="t", series=SERIES, bars=[Bar("A", (3, 4))]).chart_id
    assert chart.chart_id != BarChart(title="u", series=SERIES, bars=[Bar("A", (1, 2))]).chart_id
