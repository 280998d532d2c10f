"""The body map's geometry and drawing (#15): every body site can be tapped, every target is big enough, and
the drawings say what the record says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from homevisit.domain import bodymap
from homevisit.domain.dictionary import BODY_SITES, MAP_VIEWS

SVG = "{http://www.w3.org/2000/svg}"


def test_every_body_site_has_a_region_on_some_view() -> None:
    drawn = {r.site for r in bodymap.REGIONS}
    assert drawn == {site for site, _label in BODY_SITES}


def test_every_site_is_drawn_on_its_default_view() -> None:
    for site, _label in BODY_SITES:
        region = bodymap.region_for(site)
        assert region is not None and region.view == bodymap.default_view(site), site


def test_the_views_are_the_dictionarys() -> None:
    assert [(key, title) for key, title, *_ in bodymap.VIEWS] == list(MAP_VIEWS)


@pytest.mark.parametrize("region", bodymap.REGIONS, ids=lambda r: f"{r.view}-{r.site}")
def test_each_region_is_at_least_30_units_and_inside_its_view(region: bodymap.Region) -> None:
    # 30 units in a view never drawn narrower than 300 CSS px for 200 units is 45 CSS px (WCAG 2.5.8 asks 24)
    assert min(region.w, region.h) >= 30
    _key, _title, width, height, _note = next(v for v in bodymap.VIEWS if v[0] == region.view)
    assert 0 <= region.x and region.x + region.w <= width
    assert 0 <= region.y and region.y + region.h <= height


@pytest.mark.parametrize("view", [key for key, *_ in bodymap.VIEWS])
def test_regions_on_a_view_do_not_overlap(view: str) -> None:
    regions = [r for r in bodymap.REGIONS if r.view == view]
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            apart = (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y)
            assert apart, (a, b)


def test_the_front_view_has_the_childs_right_on_the_readers_left_and_the_back_the_opposite() -> None:
    front_right = bodymap.region_for("right_upper_arm", "front")
    front_left = bodymap.region_for("left_upper_arm", "front")
    back_right = bodymap.region_for("right_upper_arm", "back")
    back_left = bodymap.region_for("left_upper_arm", "back")
    assert front_right and front_left and back_right and back_left
    assert front_right.x < front_left.x
    assert back_left.x < back_right.x


def test_face_only_sites_default_to_the_face_and_the_back_to_the_back() -> None:
    assert bodymap.default_view("left_cheek") == "face"
    assert bodymap.default_view("mouth_frenulum") == "face"
    assert bodymap.default_view("right_subconjunctiva") == "face"
    assert bodymap.default_view("buttocks") == "back"
    assert bodymap.default_view("back") == "back"
    assert bodymap.default_view("chest") == "front"
    assert bodymap.default_view("left_ear") == "front"


def test_a_view_a_site_is_not_on_falls_back_to_its_default_view() -> None:
    region = bodymap.region_for("chest", "back")
    assert region is not None and region.view == "front"
    assert bodymap.region_for(None) is None
    assert bodymap.region_for("") is None


def test_marks_are_numbered_in_list_order_and_spread_within_a_shared_region() -> None:
    marks = bodymap.placed_marks([{"body_site": "chest"}, {"body_site": "left_cheek", "map_view": "face"},
                                  {"body_site": "chest"}, {"body_site": None}])
    assert [m["number"] for m in marks] == [1, 2, 3, 4]
    chest = bodymap.region_for("chest")
    assert chest is not None
    first, third = marks[0], marks[2]
    assert (first["x"], first["y"]) != (third["x"], third["y"])
    for mark in (first, third):
        assert chest.x < mark["x"] < chest.x + chest.w and chest.y < mark["y"] < chest.y + chest.h
    assert marks[3]["region"] is None and "x" not in marks[3]
    assert bodymap.views_used(marks) == ["front", "face"]


def test_many_marks_in_one_region_each_get_their_own_point() -> None:
    marks = bodymap.placed_marks([{"body_site": "back"}] * 7)
    points = {(round(m["x"], 1), round(m["y"], 1)) for m in marks}
    assert len(points) == 7


def test_the_tappable_drawing_has_one_named_button_per_region() -> None:
    drawing = bodymap.svg("face", buttons=True, form_id="section-form")
    root = ET.fromstring(drawing)
    buttons = root.findall(f".//{SVG}foreignObject/{{http://www.w3.org/1999/xhtml}}button")
    face_regions = [r for r in bodymap.REGIONS if r.view == "face"]
    assert len(buttons) == len(face_regions)
    values = {b.get("value") for b in buttons}
    assert values == {f"add_injury:{r.site}:face" for r in face_regions}
    assert all(b.get("form") == "section-form" and b.get("type") == "submit" for b in buttons)
    names = ["".join(b.itertext()).strip() for b in buttons]
    assert "Add a mark: left cheek (face, close up)" in names
    assert "Add a mark: mouth or frenulum (face, close up)" in names


def test_the_offline_drawing_has_plain_buttons_the_form_handles() -> None:
    offline = bodymap.offline_map()
    assert [v["key"] for v in offline["views"]] == ["front", "back", "face"]
    for view in offline["views"]:
        assert 'type="button"' in view["svg"] and 'type="submit"' not in view["svg"]
    assert offline["default_views"]["left_cheek"] == "face"


def test_a_record_map_draws_only_the_views_with_marks_and_a_callout_a_mark() -> None:
    injuries = [{"type": "bruise", "body_site": "left_cheek", "map_view": "face", "size_mm": 5},
                {"type": "burn", "body_site": "back", "map_view": "back", "count": 3},
                {"type": "swelling"}]
    record = bodymap.record_map(injuries)
    assert record is not None
    assert [v["key"] for v in record["views"]] == ["back", "face"]
    assert [c["words"] for c in record["callouts"]] == [
        "Bruise, left cheek (face, close up), 5 mm", "Burn or scald, back (back of the body), 3 marks", "Swelling"]
    assert [c["placed"] for c in record["callouts"]] == [True, True, False]
    face = next(v["svg"] for v in record["views"] if v["key"] == "face")
    assert len(re.findall(r'class="bm-mark"', face)) == 1
    assert "<button" not in face  # the record's drawing takes no taps
    assert bodymap.record_map([]) is None


def test_text_in_the_drawing_is_escaped() -> None:
    drawing = bodymap.svg("front", buttons=True, form_id='x" onclick="alert(1)')
    assert 'onclick="alert(1)"' not in drawing
    ET.fromstring(drawing)  # still well-formed


def test_the_printed_view_draws_every_region_as_one_shape_with_the_marks_on_it():
    """#15: the record's diagram is the same picture in fewer elements: one outlined shape holding every
    region of the view (a rounded rectangle each), no region names, and every mark's numbered circle."""
    marks = bodymap.placed_marks([{"body_site": "left_cheek", "map_view": "face"},
                                  {"body_site": "chest", "map_view": "front"},
                                  {"body_site": "chest", "map_view": "front"}])
    printed = bodymap.svg("front", marks, printed=True)
    regions = [r for r in bodymap.REGIONS if r.view == "front"]
    assert printed.count("<path ") == 1 and printed.count("z") >= len(regions)
    assert 'class="bm-region"' not in printed and "bm-label" not in printed
    assert printed.count('class="bm-mark"') == 2
    on_screen = bodymap.svg("front", marks)
    assert on_screen.count('class="bm-region"') == len(regions) and on_screen.count("bm-label") == len(regions)
    record = bodymap.record_map([{"body_site": "left_cheek", "map_view": "face"}])
    assert [v["key"] for v in record["views"]] == ["face"] and "<path " in record["views"][0]["svg"]


def test_a_callout_says_only_the_answers_it_gives_in_full() -> None:
    """The record lists under a mark's heading only what the heading (its callout) does not already say."""
    record = bodymap.record_map([
        {"type": "bruise", "body_site": "left_cheek", "map_view": "face", "size_mm": 5, "count": 2},
        {"type": "burn", "body_site": "chest", "count": 1},  # no view answered: drawn on the front by default
        {"type": "bruise", "body_site": "left_cheek", "map_view": "back"},  # a view that does not show the site
        {"body_site": None, "type": None},
    ])
    assert record is not None
    says = [set(c["says"]) for c in record["callouts"]]
    assert says[0] == {"type", "body_site", "map_view", "size_mm", "count"}
    assert says[1] == {"type", "body_site"}  # "not observed" for the view and the size stay listed; a count of 1 too
    assert says[2] == {"type", "body_site"}  # the answer "back" stays listed: the heading names the face
    assert says[3] == set()


def test_the_records_drawing_puts_the_views_with_marks_side_by_side_in_one_svg() -> None:
    """#15: the signed record draws the views that have a mark as one SVG (each the printed view, placed as a
    nested drawing), each titled and oriented under it as the separate figures were, with every placed mark."""
    marks = bodymap.placed_marks([{"body_site": "left_cheek", "map_view": "face"},
                                  {"body_site": "back", "map_view": "back"},
                                  {"body_site": "back", "map_view": "back"},
                                  {"type": "swelling"}])  # no place: in the list only
    drawing = bodymap.record_drawing(marks)
    root = ET.fromstring(drawing)
    ns = "{http://www.w3.org/2000/svg}"
    views = root.findall(f"{ns}svg")
    assert [v.find(f"{ns}title").text for v in views] == ["Back of the body", "Face, close up"]
    assert [float(v.get("x")) for v in views] == [0, 200 + bodymap.DRAWING_GAP]
    assert root.get("viewBox") == f"0 0 {400 + bodymap.DRAWING_GAP} {420 + 32}"
    assert 'class="bm-drawing bm-drawing--2"' in drawing
    captions = [t.text for t in root.findall(f"{ns}text")]
    assert captions == ["Back of the body", "Child's left on the left", "Face, close up", "Child's right on the left"]
    for view in views:  # each the same picture as the printed view on its own
        key = {"Back of the body": "back", "Face, close up": "face"}[view.find(f"{ns}title").text]
        alone = ET.fromstring(bodymap.svg(key, marks, printed=True))
        assert [ET.tostring(e) for e in view] == [ET.tostring(e) for e in alone]
    assert [m.text for m in root.iter(f"{ns}text") if m.get("fill") == "#ffffff"] == ["2", "3", "1"]  # by view
    assert bodymap.record_drawing(bodymap.placed_marks([{"type": "swelling"}])) == ""
    assert bodymap.record_map([{"body_site": "chest"}])["drawing"].count("<svg") == 2  # one view, nested
