"""The server-side weight chart (homevisit.domain.growth.weight_chart_svg), read back as XML and checked by geometry."""

import logging
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from rcpchgrowth import measurement_from_sds

from homevisit.domain import growth

SVG = "{http://www.w3.org/2000/svg}"

TERM_BOY = {
    "sex": "male",
    "date_of_birth": "2024-01-01",
    "gestation_weeks": 40,
    "gestation_days": 0,
    "birth_weight_kg": 3.5,
}
PRETERM_GIRL = {
    "sex": "female",
    "date_of_birth": "2024-01-01",
    "gestation_weeks": 30,
    "gestation_days": 2,
    "birth_weight_kg": 1.4,
}


def _median_weights(child, ages_days, days_early=0):
    """Weights exactly on the 50th centile at the given ages (corrected by days_early), as visits."""
    born = date.fromisoformat(child["date_of_birth"])
    out = []
    for i, days in enumerate(ages_days):
        kg = measurement_from_sds("uk-who", 0.0, "weight", child["sex"], (days - days_early) / 365.25)
        out.append({"measured_on": (born + timedelta(days=days)).isoformat(), "weight_kg": kg, "visit_id": i})
    return out


def _chart(child, measurements, **kwargs):
    series = growth.growth_series(child, measurements)
    svg = growth.weight_chart_svg(child, series, **kwargs)
    return svg, ET.fromstring(svg), series


def _by_class(root, tag, name):
    return [el for el in root.iter(SVG + tag) if name in el.get("class", "").split()]


def _path_points(d):
    return [tuple(map(float, pair.split(","))) for pair in re.findall(r"-?[\d.]+,-?[\d.]+", d)]


def _y_on_path(d, x):
    """The path's y at x, reading each M...L run as straight segments."""
    for run in d.split("M")[1:]:
        pts = _path_points(run)
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            if x0 <= x <= x1 and x1 > x0:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise AssertionError(f"x={x} is not on the path")


def test_the_chart_has_nine_centile_lines_and_a_point_per_weight():
    svg, root, series = _chart(TERM_BOY, _median_weights(TERM_BOY, [20, 60, 120, 200, 300]))
    centiles = _by_class(root, "path", "centile")
    assert len(centiles) == 9
    assert len(_by_class(root, "circle", "weight-point")) == len(series) == 5
    assert len(_by_class(root, "circle", "latest")) == 1
    assert len(_by_class(root, "polyline", "weight-line")) == 1
    labels = [t.text for t in _by_class(root, "text", "centile-label")]
    assert sorted(labels) == sorted(["0.4th", "2nd", "9th", "25th", "50th", "75th", "91st", "98th", "99.6th"])
    fiftieth = next(p for p in centiles if "centile-50" in p.get("class"))
    assert float(fiftieth.get("stroke-width")) > max(
        float(p.get("stroke-width")) for p in centiles if p is not fiftieth
    )


def test_the_chart_is_accessible_and_csp_safe():
    svg, root, _ = _chart(TERM_BOY, _median_weights(TERM_BOY, [30, 90]))
    assert root.get("role") == "img"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title is not None and title.text
    assert desc is not None and "boy" in desc.text and "50th centile" in desc.text
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert "style=" not in svg and "<style" not in svg
    assert "<script" not in svg and "javascript:" not in svg.lower()
    assert not any(attr.startswith("on") for el in root.iter() for attr in el.attrib)


def test_a_chart_for_the_printed_record_leaves_its_title_to_the_record():
    measurements = _median_weights(TERM_BOY, [30, 90])
    _, drawn, _ = _chart(TERM_BOY, measurements)
    _, bare, _ = _chart(TERM_BOY, measurements, drawn_title=False)
    title = drawn.find(SVG + "title").text
    assert title == "Weight-for-age chart (UK-WHO), boy"
    assert [t for t in drawn.iter(SVG + "text") if t.text == title]
    assert not [t for t in bare.iter(SVG + "text") if t.text == title]
    assert bare.find(SVG + "title").text == title  # still named for screen readers
    # the plot takes the title's place: its frame starts higher and is taller
    frame = [r for r in drawn.iter(SVG + "rect") if r.get("fill") == "none"][0]
    bare_frame = [r for r in bare.iter(SVG + "rect") if r.get("fill") == "none"][0]
    assert float(bare_frame.get("y")) < float(frame.get("y"))
    assert float(bare_frame.get("height")) > float(frame.get("height"))


def _all_coordinates(root):
    for el in root.iter():
        tag = el.tag.replace(SVG, "")
        if tag == "circle":
            cx, cy, r = (float(el.get(a)) for a in ("cx", "cy", "r"))
            yield from [(cx - r, cy - r), (cx + r, cy + r)]
        elif tag == "path":
            yield from _path_points(el.get("d"))
        elif tag == "polyline":
            yield from _path_points(el.get("points"))
        elif tag == "line":
            yield (float(el.get("x1")), float(el.get("y1")))
            yield (float(el.get("x2")), float(el.get("y2")))
        elif tag == "rect":
            x, y, w, h = (float(el.get(a)) for a in ("x", "y", "width", "height"))
            yield from [(x, y), (x + w, y + h)]
        elif tag == "text" and el.get("transform") is None:
            yield (float(el.get("x")), float(el.get("y")))


@pytest.mark.parametrize("child", [TERM_BOY, PRETERM_GIRL])
@pytest.mark.parametrize("last_day", [40, 300, 500, 1200, 2000])
def test_everything_drawn_lies_inside_the_view_box(child, last_day):
    measurements = _median_weights(child, [5, last_day // 2, last_day])
    svg, root, _ = _chart(child, measurements, width=640, height=420)
    x0, y0, w, h = map(float, root.get("viewBox").split())
    coords = list(_all_coordinates(root))
    assert len(coords) > 100
    for x, y in coords:
        assert x0 <= x <= x0 + w and y0 <= y <= y0 + h, (x, y)


def test_a_weight_on_the_50th_centile_is_drawn_on_the_50th_line():
    _, root, series = _chart(TERM_BOY, _median_weights(TERM_BOY, [21, 45, 100, 180, 270, 330]))
    assert all(abs(e["sds"]) < 0.001 for e in series)
    d = next(p for p in _by_class(root, "path", "centile") if "centile-50" in p.get("class")).get("d")
    for point in _by_class(root, "circle", "weight-point"):
        cx, cy = float(point.get("cx")), float(point.get("cy"))
        assert _y_on_path(d, cx) == pytest.approx(cy, abs=1.0)


def test_a_preterm_baby_is_plotted_on_corrected_age():
    days_early = 280 - (30 * 7 + 2)
    # Weighed at 3, 6 and 10 months: on the 50th centile for their corrected age.
    _, root, series = _chart(PRETERM_GIRL, _median_weights(PRETERM_GIRL, [91, 182, 304], days_early))
    assert [e["age_used"] for e in series] == ["corrected"] * 3
    assert all(abs(e["sds"]) < 0.001 for e in series)
    d = next(p for p in _by_class(root, "path", "centile") if "centile-50" in p.get("class")).get("d")
    for point in _by_class(root, "circle", "weight-point"):
        assert _y_on_path(d, float(point.get("cx"))) == pytest.approx(float(point.get("cy")), abs=1.0)
    desc = root.find(SVG + "desc").text
    assert "30+2 weeks" in desc and "corrected for prematurity" in desc
    assert any(t.text == "Corrected age (months)" for t in root.iter(SVG + "text"))


def test_weights_before_term_extend_the_chart_into_gestation_weeks():
    # Born at 30+2 and weighed at 2 and 6 weeks old: 32 and 36 weeks of gestation.
    _, root, series = _chart(
        PRETERM_GIRL,
        [
            {"measured_on": "2024-01-15", "weight_kg": 1.5, "visit_id": 1},
            {"measured_on": "2024-02-12", "weight_kg": 2.2, "visit_id": 2},
        ],
    )
    assert all(e["plotted_age_days"] < 0 for e in series)
    assert len(_by_class(root, "circle", "weight-point")) == 2
    assert "weeks of gestation" in root.find(SVG + "desc").text


def _x_labels(root):
    return [
        t.text
        for t in root.iter(SVG + "text")
        if t.get("text-anchor") == "middle" and t.text and t.text.replace(" wk", "").isdigit()
    ]


@pytest.mark.parametrize(
    ("last_day", "last_label", "axis"),
    [
        (150, "12", "Age (months)"),
        (517, "24", "Age (months)"),
        (1100, "48", "Age (months)"),
        (2000, "6", "Age (years)"),
    ],
)
def test_the_age_range_follows_the_childs_age(last_day, last_label, axis):
    _, root, _ = _chart(TERM_BOY, _median_weights(TERM_BOY, [30, last_day]))
    assert _x_labels(root)[-1] == last_label
    assert any(t.text == axis for t in root.iter(SVG + "text"))


def test_impossible_weights_are_left_off_and_said_so():
    measurements = _median_weights(TERM_BOY, [30, 90]) + [
        {"measured_on": "2024-05-01", "weight_kg": 6450, "visit_id": "grams"}
    ]
    _, root, series = _chart(TERM_BOY, measurements)
    assert len(series) == 3
    assert len(_by_class(root, "circle", "weight-point")) == 2
    assert "1 weight could not be read against the chart: not plotted." in root.find(SVG + "desc").text


def test_a_chart_with_no_weights_still_shows_the_centiles():
    _, root, _ = _chart(TERM_BOY, [])
    assert len(_by_class(root, "path", "centile")) == 9
    assert not _by_class(root, "circle", "weight-point")
    assert "No weights have been recorded" in root.find(SVG + "desc").text


def test_text_is_escaped():
    svg = growth.weight_chart_svg(TERM_BOY, [], chart_id='a"><script>x</script>')
    assert "<script" not in svg
    assert ET.fromstring(svg).find(SVG + "title").get("id") == 'a"><script>x</script>-title'


def test_weasyprint_draws_the_chart_without_complaint(caplog):
    import weasyprint  # a dependency of the app: missing, this test fails rather than skips
    svg, _, _ = _chart(PRETERM_GIRL, _median_weights(PRETERM_GIRL, [60, 200, 400], 68))
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = weasyprint.HTML(string=f"<html><body><div>{svg}</div></body></html>").write_pdf()
    assert pdf.startswith(b"%PDF")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
