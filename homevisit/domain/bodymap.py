"""The body map: front, back and face diagrams of a baby or toddler, with a labelled region for every body site.

One geometry serves every place the map is drawn: the injuries page (each region is a real button that adds
a mark there, so tapping works without JavaScript and a keyboard or switch reaches every region), check your
answers and the visit page (the marks as numbered circles), the signed PDF record (the same drawing, which
WeasyPrint renders from SVG) and the offline form (which receives the page's drawing in its dictionary).

Coordinates are in SVG user units. The front and back views are 200 x 420 units and the face 200 x 300; the
smallest region is 30 units on its short side, and the page never draws a view narrower than 300 CSS px
(static/css/app.css), so every region is a target of at least 45 CSS px square, like the service's other
controls (WCAG 2.2 2.5.8 asks for 24). The list of regions under the diagrams adds a mark without tapping.

The front view is drawn facing the reader, so the child's right is on the reader's left; the back view is
seen from behind, so the child's left is on the reader's left. Each view says so under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from homevisit.domain.dictionary import BODY_SITES, INJURY_BY_NAME, MAP_VIEWS

SITE_LABELS = dict(BODY_SITES)
MARK_TYPE_LABELS = dict(INJURY_BY_NAME["type"].choices)

_VIEW_TITLES = dict(MAP_VIEWS)
VIEWS: tuple[tuple[str, str, int, int, str], ...] = (
    # key, title, width, height, orientation note
    ("front", _VIEW_TITLES["front"], 200, 420, "Child's right on the left"),
    ("back", _VIEW_TITLES["back"], 200, 420, "Child's left on the left"),
    ("face", _VIEW_TITLES["face"], 200, 300, "Child's right on the left"),
)
VIEW_TITLES = {key: title for key, title, *_ in VIEWS}


@dataclass(frozen=True)
class Region:
    site: str
    view: str
    x: int
    y: int
    w: int
    h: int

    @property
    def label(self) -> str:
        return SITE_LABELS[self.site]

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def _limbs(view: str, near: str, far: str) -> list[Region]:
    """Arms and legs: ``near`` is the side drawn on the reader's left."""
    regions = []
    for side, flip in ((near, False), (far, True)):
        for site, x, y, w, h in (
            ("upper_arm", 24, 104, 34, 50), ("forearm", 16, 156, 34, 44), ("wrist", 12, 202, 34, 30),
            ("hand", 6, 234, 40, 36),
            ("upper_leg", 60, 246, 38, 56), ("lower_leg", 62, 304, 36, 46), ("ankle", 62, 352, 36, 30),
            ("foot", 54, 384, 44, 32),
        ):
            regions.append(Region(f"{side}_{site}", view, 200 - x - w if flip else x, y, w, h))
    return regions


def _ears(view: str, near: str, far: str) -> list[Region]:
    return [Region(f"{near}_ear", view, 36, 34, 32, 34), Region(f"{far}_ear", view, 132, 34, 32, 34)]


REGIONS: tuple[Region, ...] = (
    # the front, facing the reader
    Region("head_scalp", "front", 70, 2, 60, 30),
    Region("face", "front", 70, 34, 60, 36),
    *_ears("front", "right", "left"),
    Region("neck", "front", 82, 72, 36, 30),
    Region("chest", "front", 60, 104, 80, 56),
    Region("abdomen", "front", 60, 162, 80, 48),
    Region("genitals", "front", 80, 212, 40, 32),
    *_limbs("front", "right", "left"),
    # the back, seen from behind
    Region("head_scalp", "back", 70, 2, 60, 68),
    *_ears("back", "left", "right"),
    Region("neck", "back", 82, 72, 36, 30),
    Region("back", "back", 60, 104, 80, 106),
    Region("buttocks", "back", 60, 212, 80, 32),
    *_limbs("back", "left", "right"),
    # the face, close up, facing the reader
    Region("head_scalp", "face", 40, 4, 120, 34),
    Region("face", "face", 44, 40, 112, 30),
    Region("right_eyelid", "face", 44, 72, 50, 30),
    Region("left_eyelid", "face", 106, 72, 50, 30),
    Region("right_subconjunctiva", "face", 44, 104, 50, 30),
    Region("left_subconjunctiva", "face", 106, 104, 50, 30),
    Region("right_eye", "face", 44, 136, 50, 30),
    Region("left_eye", "face", 106, 136, 50, 30),
    Region("right_ear", "face", 4, 96, 36, 64),
    Region("left_ear", "face", 160, 96, 36, 64),
    Region("right_cheek", "face", 30, 168, 64, 38),
    Region("left_cheek", "face", 106, 168, 64, 38),
    Region("right_jaw_angle", "face", 20, 210, 44, 40),
    Region("left_jaw_angle", "face", 136, 210, 44, 40),
    Region("mouth_frenulum", "face", 70, 210, 60, 34),
    Region("neck", "face", 70, 256, 60, 34),
)

# The word printed inside each region (the side is given by the view's note and by each button's name)
SHORT_LABELS = {
    "head_scalp": "Head", "face": "Face", "ear": "Ear", "neck": "Neck", "chest": "Chest", "abdomen": "Abdomen",
    "genitals": "Genitals", "back": "Back", "buttocks": "Buttocks", "upper_arm": "Arm", "forearm": "Forearm",
    "wrist": "Wrist", "hand": "Hand", "upper_leg": "Thigh", "lower_leg": "Leg", "ankle": "Ankle", "foot": "Foot",
    "eyelid": "Eyelid", "subconjunctiva": "Eye white", "eye": "Eye area", "cheek": "Cheek", "jaw_angle": "Jaw",
    "mouth_frenulum": "Mouth",
}


def short_label(site: str) -> str:
    return SHORT_LABELS.get(site) or SHORT_LABELS.get(site.split("_", 1)[-1], "")


_BY_VIEW_SITE = {(r.view, r.site): r for r in REGIONS}
_FACE_ONLY = {r.site for r in REGIONS if r.view == "face"} - {r.site for r in REGIONS if r.view != "face"}


def default_view(site: str) -> str:
    """Where a mark is drawn when it was not placed from a diagram (added from the list, the API or an export)."""
    if site in _FACE_ONLY:
        return "face"
    if site in ("back", "buttocks"):
        return "back"
    return "front"


def region_for(site: str | None, view: str | None = None) -> Region | None:
    """The region a mark at ``site`` is drawn in: on ``view`` if that view shows the site, else its default."""
    if not site:
        return None
    if view and (view, site) in _BY_VIEW_SITE:
        return _BY_VIEW_SITE[(view, site)]
    return _BY_VIEW_SITE.get((default_view(site), site))


def placed_marks(injuries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each mark with its number (its place in the list, from 1), region and the point its circle is drawn at.

    Marks in the same region are spread across it, so each number can be read."""
    marks = []
    for number, injury in enumerate(injuries, start=1):
        region = region_for(injury.get("body_site"), injury.get("map_view"))
        marks.append({"number": number, "injury": injury, "region": region})
    by_region: dict[Region, list[dict[str, Any]]] = {}
    for mark in marks:
        placed = mark["region"]
        if isinstance(placed, Region):
            by_region.setdefault(placed, []).append(mark)
    for region, group in by_region.items():
        columns = min(len(group), 3)
        rows = (len(group) + columns - 1) // columns
        for i, mark in enumerate(group):
            col, row = i % columns, i // columns
            mark["x"] = region.x + region.w * (col + 1) / (columns + 1)
            mark["y"] = region.y + region.h * (row + 1) / (rows + 1)
    return marks


def views_used(marks: Iterable[Mapping[str, Any]]) -> list[str]:
    used = {m["region"].view for m in marks if m.get("region") is not None}
    return [key for key, *_ in VIEWS if key in used]


# Presentation attributes, so the drawing is the same where no stylesheet reaches it (WeasyPrint's SVG); the
# page's stylesheet overrides them for hover and focus.
_OUTLINE = 'fill="#f3f2f1"'
_REGION = 'fill="#ffffff" stroke="#505a5f" stroke-width="1.5"'
_LABEL = 'fill="#505a5f" font-size="8" font-family="Arial, sans-serif"'
_MARK = 'fill="#d4351c" stroke="#ffffff" stroke-width="1.5"'
_MARK_TEXT = 'fill="#ffffff" font-size="11" font-weight="bold" font-family="Arial, sans-serif"'


def _outline(view: str, width: int, height: int) -> str:
    """The child's outline behind the regions: a head and a body, so the regions read as a body."""
    if view == "face":
        return (f'<ellipse class="bm-outline" {_OUTLINE} cx="100" cy="150" rx="86" ry="136"/>'
                f'<rect class="bm-outline" {_OUTLINE} x="66" y="250" width="68" height="46" rx="10"/>')
    return (f'<ellipse class="bm-outline" {_OUTLINE} cx="100" cy="36" rx="40" ry="36"/>'
            f'<rect class="bm-outline" {_OUTLINE} x="56" y="100" width="88" height="148" rx="18"/>')


def _rounded_rect(r: Region, radius: float = 6) -> str:
    """A region as path data: a rectangle with rounded corners, as ``<rect rx="6">`` draws it.

    Each corner is the cubic Bezier curve that draws a quarter circle (control points 0.5523 of the radius
    along the tangents), not an elliptical arc: the PDF renderer turns every arc into curves in Python, and the
    108 corners of a view's arcs cost about 11 ms of a record's render; the curves look the same."""
    x, y, w, h, k = r.x, r.y, r.w, r.h, radius
    c = round(k * 0.5523, 3)
    return (f"M{x + k} {y}h{w - 2 * k}c{c} 0 {k} {k - c} {k} {k}v{h - 2 * k}c0 {c} {c - k} {k} {-k} {k}"
            f"h{-(w - 2 * k)}c{-c} 0 {-k} {c - k} {-k} {-k}v{-(h - 2 * k)}c0 {-c} {k - c} {-k} {k} {-k}z")


def _label(r: Region) -> str:
    cx, cy = r.centre
    return (f'<text class="bm-label" {_LABEL} x="{cx:.0f}" y="{cy + 3:.0f}" text-anchor="middle" '
            f'aria-hidden="true">{escape(short_label(r.site))}</text>')


def svg(view: str, marks: Iterable[Mapping[str, Any]] = (), *, buttons: bool = False, form_id: str = "",
        button_type: str = "submit", label_prefix: str = "Add a mark:", printed: bool = False) -> str:
    """One view as an SVG element.

    With ``buttons`` every region holds an HTML button (in a foreignObject) named ``button`` whose value is
    ``add_injury:<site>:<view>``, so tapping a region submits the page's form and adds a mark there. Marks
    are drawn as numbered circles; a circle does not take taps, so the region under it still can be tapped.
    The offline form asks for ``button_type="button"`` and adds the mark itself.

    ``printed`` draws the view for the signed record and "check your answers": the regions as one outlined
    shape, without their names (a mark's circle covers its region's name, and the numbered list beside the
    drawing names every mark's place). One element instead of forty; each costs the PDF renderer time.
    """
    key, title, width, height, note = next(v for v in VIEWS if v[0] == view)
    parts = [f'<svg class="bm bm--{key}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
             f'role="group" aria-label="{escape(title)} of the body, {escape(note.lower())}">',
             f"<title>{escape(title)}</title>", _outline(key, width, height)]
    marks = list(marks)
    regions = [r for r in REGIONS if r.view == key]
    if printed:
        parts.append(f'<path {_REGION} d="{"".join(_rounded_rect(r) for r in regions)}"/>')
        regions = []
    for r in regions:
        parts.append(f'<rect class="bm-region" {_REGION} data-site="{r.site}" x="{r.x}" y="{r.y}" width="{r.w}" '
                     f'height="{r.h}" rx="6"><title>{escape(r.label)}</title></rect>')
        parts.append(_label(r))
        if buttons:
            form = f' form="{escape(form_id)}"' if form_id else ""
            parts.append(
                f'<foreignObject x="{r.x}" y="{r.y}" width="{r.w}" height="{r.h}">'
                f'<button xmlns="http://www.w3.org/1999/xhtml" type="{button_type}" name="button"{form} '
                f'value="add_injury:{r.site}:{key}" class="bm-button" data-site="{r.site}" data-view="{key}" '
                f'title="{escape(r.label)}"><span class="govuk-visually-hidden">{escape(label_prefix)} '
                f'{escape(r.label.lower())} ({escape(title.lower())})</span></button></foreignObject>')
    for mark in marks:
        region = mark.get("region")
        if region is None or region.view != key:
            continue
        x, y, n = mark["x"], mark["y"], mark["number"]
        parts.append(f'<g class="bm-mark" aria-hidden="true"><circle {_MARK} cx="{x:.1f}" cy="{y:.1f}" r="9"/>'
                     f'<text {_MARK_TEXT} x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{n}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


DRAWING_GAP = 15
"""Units between two views side by side in the record's drawing (4 mm at the record's 52 mm a view)."""
_CAPTION = 'font-size="10.8" font-family="Arial, sans-serif" text-anchor="middle"'  # 8 pt at 52 mm a view


def record_drawing(marks: Iterable[Mapping[str, Any]]) -> str:
    """The views that have a mark, side by side in one SVG, each with its title and orientation under it: what
    the signed record prints (the same picture as a figure a view, which the PDF renderer laid out three
    times as long). The views are the ``printed`` ones of :func:`svg`, placed as nested drawings."""
    marks = list(marks)
    used = [v for v in VIEWS if v[0] in views_used(marks)]
    if not used:
        return ""
    tallest = max(height for _k, _t, _w, height, _n in used)
    width = sum(w for _k, _t, w, _h, _n in used) + DRAWING_GAP * (len(used) - 1)
    words = "; ".join(f"{title}, {note.lower()}" for _k, title, _w, _h, note in used)
    parts = [f'<svg class="bm-drawing bm-drawing--{len(used)}" viewBox="0 0 {width} {tallest + 32}" '
             f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Marks on the body: {escape(words)}">']
    x = 0
    for key, title, w, h, note in used:
        view = svg(key, marks, printed=True)
        head = view.index(">") + 1  # the view's own root, placed here as a nested drawing of its size
        parts.append(f'<svg x="{x}" y="0" width="{w}" height="{h}" viewBox="0 0 {w} {h}">{view[head:]}')
        centre = x + w / 2
        parts.append(f'<text {_CAPTION} x="{centre:g}" y="{h + 13}" font-weight="bold" fill="#0b0c0c">'
                     f"{escape(title)}</text>")
        parts.append(f'<text {_CAPTION} x="{centre:g}" y="{h + 27}" fill="#505a5f">{escape(note)}</text>')
        x += w + DRAWING_GAP
    parts.append("</svg>")
    return "".join(parts)


def mark_says(mark: Mapping[str, Any]) -> frozenset[str]:
    """The mark's answers its callout (``mark_words``) gives in full, so a record need not list them again
    under it: the type, the body site, the view it is drawn on, the size, and a count other than one."""
    injury = mark["injury"]
    said = {"type"} if injury.get("type") in MARK_TYPE_LABELS else set()
    if injury.get("body_site"):
        said.add("body_site")
        if mark.get("region") is not None and injury.get("map_view") == mark["region"].view:
            said.add("map_view")
    if injury.get("size_mm") not in (None, ""):
        said.add("size_mm")
    if injury.get("count") not in (None, "", 1, "1"):
        said.add("count")
    return frozenset(said)


def mark_words(mark: Mapping[str, Any], type_labels: Mapping[str, str]) -> str:
    """A mark's callout: "Bruise, left cheek (face), 15 mm"."""
    injury = mark["injury"]
    words = [type_labels.get(str(injury.get("type")), "Mark")]
    site = injury.get("body_site")
    region = mark.get("region")
    if site:
        where = SITE_LABELS.get(site, str(site)).lower()
        words.append(f"{where} ({VIEW_TITLES[region.view].lower()})" if region else where)
    if injury.get("size_mm") not in (None, ""):
        words.append(f"{injury['size_mm']} mm")
    if injury.get("count") not in (None, "", 1, "1"):
        words.append(f"{injury['count']} marks")
    return ", ".join(words)


def record_map(injuries: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The marks of a visit as a record shows them: the diagrams that have a mark, each mark numbered as in
    the list of marks, and one callout line a mark. None when no mark was recorded."""
    marks = placed_marks(injuries)
    if not marks:
        return None
    views = [{"key": key, "title": title, "note": note, "svg": svg(key, marks, printed=True)}
             for key, title, _w, _h, note in VIEWS if key in views_used(marks)]
    return {"views": views, "drawing": record_drawing(marks),
            "callouts": [{"number": m["number"], "words": mark_words(m, MARK_TYPE_LABELS),
                          "placed": m["region"] is not None, "says": mark_says(m)} for m in marks]}


def offline_map() -> dict[str, Any]:
    """The body map as the offline form receives it in its dictionary: each view's drawing (its regions are
    plain buttons, the form adds the mark), and the view each site is drawn on by default."""
    return {"views": [{"key": key, "title": title, "note": note, "svg": svg(key, buttons=True, button_type="button")}
                      for key, title, _w, _h, note in VIEWS],
            "default_views": {site: default_view(site) for site in SITE_LABELS},
            "view_sites": {key: [r.site for r in REGIONS if r.view == key] for key, *_ in VIEWS}}
