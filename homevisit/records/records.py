"""The visit record: the "Check your answers" data laid out for print, as a signed PDF/A-3b file.

This is the only module that imports WeasyPrint. WeasyPrint fetches ``file://`` and network URLs by
default; here every resource goes through :class:`StrictURLFetcher`, which serves ``data:`` URLs and
files under the app's static folder and refuses everything else before any file or socket is opened.
The visit's JSON is embedded in the PDF as an associated file, so the record carries its own data.
"""

from __future__ import annotations

import base64
import gc
import io
import logging
import mimetypes
import os
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from itertools import islice
from math import inf
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname
from xml.etree import ElementTree

import cssselect2
import pydyf
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML, Attachment
from weasyprint import svg as weasyprint_svg
from weasyprint.css import ColorProfile
from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.draw.text import draw_emojis, draw_first_line
from weasyprint.matrix import Matrix
from weasyprint.svg.bounding_box import extend_bounding_box
from weasyprint.svg.text import Style as SVGTextStyle
from weasyprint.svg.text import TextBox as SVGTextBox
from weasyprint.svg.utils import normalize
from weasyprint.svg.utils import size as svg_size
from weasyprint.text.fonts import FontConfiguration
from weasyprint.text.line_break import split_first_line
from weasyprint.urls import URLFetcher, URLFetcherResponse

from homevisit.domain.dictionary import CHILD_BY_NAME
from homevisit.domain.presentation import date_words
from homevisit.records.signing import sign_pdf
from homevisit.records.stackroom import with_stack_room

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "pdf"
PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "homevisit-srgb"
SIGNATURE_FIELD = "Visitor"
REFERRAL_SIGNATURE_FIELD = "Referrer"
"""The signature field of the practitioner's signature; a supervisor countersigns in another field."""

MAX_DATA_URL_BYTES = 4 * 1024 * 1024

ProgressCallback = Callable[[int, int, str], None]


class RecordError(Exception):
    """A record could not be rendered (bad input) or signed; says which record."""


class URLRefused(ValueError):
    """The strict fetcher refused a URL without fetching it."""


class StrictURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and files under ``static_dir`` only.

    Every other URL (``file:`` outside the folder, ``http(s):``, ``ftp:``...) is refused before any file is
    opened or connection made. ``fetched`` and ``refused`` list the URLs seen, for logs and tests.
    """

    def __init__(self, static_dir: Path | str) -> None:
        super().__init__(timeout=1, allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=False)
        self.static_root = Path(static_dir).resolve()
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource at ``url`` if it is allowed; raise :class:`URLRefused` otherwise."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        try:
            if scheme == "data":
                response = self._data(url)
            elif scheme == "file":
                response = self._static_file(url)
            else:
                raise URLRefused(f"Refused to fetch {url[:200]!r}: only data: URLs and static files")
        except URLRefused:
            self.refused.append(url)
            raise
        self.fetched.append(url if scheme != "data" else url[:60])
        return response

    def _data(self, url: str) -> URLFetcherResponse:
        header, comma, payload = url[5:].partition(",")
        if not comma or len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
            raise URLRefused("Refused a malformed or oversized data: URL")
        params = [p.strip() for p in header.split(";")]
        media_type = params[0].lower() or "text/plain"
        try:
            body = base64.b64decode(payload, validate=False) if "base64" in params[1:] else unquote_to_bytes(payload)
        except ValueError as error:
            raise URLRefused("Refused a data: URL that is not valid base64") from error
        return URLFetcherResponse(url[:60], body=body, headers={"Content-Type": media_type})

    def _static_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise URLRefused(f"Refused to fetch {url[:200]!r}: remote file URL")
        # Judge the path as written first, so nothing outside the folder is even looked at on disk; then
        # resolve it, so a symbolic link inside the folder cannot lead outside it.
        written = Path(os.path.normpath(url2pathname(parts.path)))
        if not written.is_absolute() or not written.is_relative_to(self.static_root):
            raise URLRefused(f"Refused to fetch {url[:200]!r}: not a file in the static folder")
        path = written.resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            raise URLRefused(f"Refused to fetch {url[:200]!r}: not a file in the static folder")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": media_type})


# --------------------------------------------------------------------------------------------- HTML
def render_record_html(record: dict[str, Any]) -> str:
    """The record as an HTML page for print: every answer, growth, actions and the signature.

    ``record`` is the contract built by the view (see the module tests for a full example). Every value
    is escaped; only the growth chart SVG (drawn by the app) is embedded, and then as an image.
    """
    signature_png = record["signature"]["png"]
    if not isinstance(signature_png, (bytes, bytearray)) or not bytes(signature_png).startswith(b"\x89PNG\r\n\x1a\n"):
        raise RecordError(f"Record {record.get('record_id')}: the signature must be a cleaned PNG")
    growth = record["growth"]
    chart_src = None
    if growth and growth.get("chart_svg"):
        chart_src = _data_url(growth["chart_svg"].encode("utf-8"), "image/svg+xml")
    return (
        _environment()
        .get_template("record.html")
        .render(
            record=record,
            signature_src=_data_url(bytes(signature_png), "image/png"),
            chart_src=chart_src,
        )
    )


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        long_date=_long_date,
        nhs_number=_nhs_number,
        sex_words=_sex_words,
        number=_number,
        signed=_signed,
        capitalize_first=_capitalize_first,
        answer_groups=_answer_groups,
        fact_groups=_fact_groups,
    )
    return env


LONG_ANSWER_CHARS = 240

LIBERATION_DIR = Path("/usr/share/fonts/truetype/liberation")
"""Debian's fonts-liberation (``make setup`` installs it): the record's font, whose widths say which answers
fit on one line."""

ONE_LINE_EMS = 50.0
"""How wide (in ems of the 9 pt text) a question and its answer may be to count as one line: the column is
56.7 ems (180 mm), less room for the answer's indent, a "Not observed" box, and a fallback font."""


def _answer_groups(rows: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Answers as the record lays them out: long free text full width (``("long", row)``), and between
    them lists of short answers (``("list", segments)``).

    In a list, answers that fit on one line are run together into one paragraph, a line each
    (``("run", rows)``); an answer that may wrap is a paragraph of its own (``("row", row)``), so a wrapped
    line is never mistaken for the next question. A run prints exactly as a paragraph per answer would,
    in two thirds of the layout time.
    """
    groups: list[tuple[str, Any]] = []
    for row in rows:
        value = str(row["value"])
        if row["observed"] and (len(value) > LONG_ANSWER_CHARS or "\n" in value):
            groups.append(("long", row))
            continue
        if not groups or groups[-1][0] != "list":
            groups.append(("list", []))
        segments = groups[-1][1]
        if not _fits_one_line(row):
            segments.append(("row", row))
        elif segments and segments[-1][0] == "run":
            segments[-1][1].append(row)
        else:
            segments.append(("run", [row]))
    return groups


def _fact_groups(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A mark's answers as the record prints them: the short ones run together in one paragraph, a question
    and its answer (bold) after another, and the long free text (an explanation in the carer's words) in
    full below it. A mark printed as a list of seventeen lines cost the record a sixth more to lay out per
    mark (#15); every answer is still there, in the same order."""
    short: list[dict[str, Any]] = []
    long: list[dict[str, Any]] = []
    for row in rows:
        value = str(row["value"])
        (long if row["observed"] and (len(value) > LONG_ANSWER_CHARS or "\n" in value) else short).append(row)
    return short, long


def _fits_one_line(row: dict[str, Any]) -> bool:
    """Whether a question and its answer (bold) surely fit on one line of the record."""
    question, answer = str(row["question"]), str(row["value"])
    widths = _glyph_widths()
    if widths is None:  # no font file to measure with: at most 0.8 em a character, for any Latin text
        return 0.8 * (len(question) + len(answer)) <= ONE_LINE_EMS
    regular, bold = widths
    answer_widths = bold if row["observed"] else regular
    ems = sum(regular.get(ord(c), 1.0) for c in question) + sum(answer_widths.get(ord(c), 1.0) for c in answer)
    return ems <= ONE_LINE_EMS


@lru_cache(maxsize=1)
def _glyph_widths() -> tuple[dict[int, float], dict[int, float]] | None:
    """Advance widths in ems of Liberation Sans regular and bold, by code point (None without the fonts)."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency

    widths = []
    try:
        for name in ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"):
            with TTFont(LIBERATION_DIR / name, lazy=True) as font:
                units, advances = font["head"].unitsPerEm, font["hmtx"]
                widths.append({code: advances[glyph][0] / units for code, glyph in font.getBestCmap().items()})
    except (OSError, KeyError, ValueError):
        return None
    return widths[0], widths[1]


def _data_url(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _long_date(value: Any) -> str:
    try:
        return date_words(value)
    except ValueError:
        return str(value)


def _nhs_number(value: Any) -> str:
    digits = re.sub(r"\s", "", str(value))
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 and digits.isdigit() else str(value)


def _sex_words(value: Any) -> str:
    return CHILD_BY_NAME["sex"].label_for(value)


def _number(value: Any, places: int = 1) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{places}f}"
    return str(value)


def _signed(value: Any, places: int = 2) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:+.{places}f}"
    return str(value)


def _capitalize_first(value: Any) -> str:
    text = str(value)
    return text[:1].upper() + text[1:]


@with_stack_room
def render_bundle_index(bundle: dict[str, Any]) -> bytes:
    """The index printed at the front of a supervisor's bundle of signed records, as a PDF/A-3b file.

    ``bundle`` has ``organisation``, ``service_name``, ``marking``, ``bundle_id``, ``printed_by``,
    ``printed_at_words``, ``selection_words``, ``total_pages`` and ``entries`` (each with ``child_name``,
    ``visited_at_words``, ``visitor_name``, ``copy_words``, ``visit_id``, ``sha256`` and ``start_page``).
    The index has no images, so the fetcher is rooted where there are no files at all.
    """
    html = _environment().get_template("bundle_index.html").render(bundle=bundle)
    return html_to_pdf(html, TEMPLATE_DIR / "no-static-files")


# ---------------------------------------------------------------------------------------------- PDF
@with_stack_room
def render_record_pdf(
    record: dict[str, Any],
    static_dir: Path | str,
    *,
    url_fetcher: StrictURLFetcher | None = None,
) -> bytes:
    """The record as an unsigned PDF/A-3b file with the visit's JSON embedded as its source data.

    Resources may come only from ``data:`` URLs and files under ``static_dir``. Pass ``url_fetcher`` to see
    what was fetched and refused (it must be a :class:`StrictURLFetcher`).
    """
    fetcher = url_fetcher if url_fetcher is not None else StrictURLFetcher(static_dir)
    if not isinstance(fetcher, StrictURLFetcher):
        raise TypeError("url_fetcher must be a StrictURLFetcher")
    return html_to_pdf(
        render_record_html(record),
        static_dir,
        fetcher=fetcher,
        attachments=[_source_json(record["visit_json"], "visit", record["record_id"], fetcher)],
    )


def _source_json(data: bytes, kind: str, record_id: str, fetcher: StrictURLFetcher) -> Attachment:
    """The record's JSON as its PDF/A-3 associated source file, ``<kind>-<id>.json``."""
    return Attachment(string=bytes(data), name=f"{kind}-{record_id}.json",
                      description=f"The {kind} as recorded (JSON), record {record_id}", relationship="Source",
                      url_fetcher=fetcher)


def html_to_pdf(
    html: str,
    static_dir: Path | str,
    *,
    fetcher: StrictURLFetcher | None = None,
    attachments: list[Attachment] | None = None,
) -> bytes:
    """Lay out record HTML with the print stylesheet as PDF/A-3b, fetching only through the strict fetcher."""
    fetcher = fetcher if fetcher is not None else StrictURLFetcher(static_dir)
    base_url = Path(static_dir).resolve().as_uri() + "/"
    document = RecordHTML(string=html, base_url=base_url, url_fetcher=fetcher, media_type="print")
    with _svg_text_in_one_piece(), _drawn_in_full():
        return _write_pdf(document, attachments)


class _ErrorsLogged(logging.Handler):
    """The errors WeasyPrint logs in one thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _drawn_in_full() -> Iterator[None]:
    """Raise :class:`RecordError` if WeasyPrint could not draw part of the record.

    WeasyPrint logs an image or drawing it cannot load or draw (an SVG whose drawing raises halfway, say) and
    carries on without it, so the record would print, and be signed, with a body map or chart missing or half
    drawn. A record must show everything it was given, or not be made."""
    handler = _ErrorsLogged()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise RecordError(f"The record could not be drawn in full: {'; '.join(handler.messages[:3])}")


def _write_pdf(document: RecordHTML, attachments: list[Attachment] | None) -> bytes:
    return document.write_pdf(
        stylesheets=[_stylesheet()],
        font_config=_font_config(),
        pdf_variant=PDF_VARIANT,
        attachments=attachments or [],
        # The sRGB output intent PDF/A needs, passed in ourselves: WeasyPrint 70's built-in one leaves the
        # ICC file open (a ResourceWarning on every render). A fresh profile per render keeps threads apart.
        color_profiles={
            OUTPUT_INTENT: ColorProfile(
                io.BytesIO(_srgb_icc()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
            )
        },
        output_intent=OUTPUT_INTENT,
        finisher=_finish_pdf,
    )


_svg_text_state = threading.local()
_SVG_TEXT_TAGS = ("a", "text", "textPath", "tspan")
_weasyprint_svg_text = weasyprint_svg.TAGS["text"]


@contextmanager
def _svg_text_in_one_piece() -> Iterator[None]:
    """Draw the record's SVG text (the growth chart's axes, the body map's labels) a string at a time.

    WeasyPrint 70 lays out and draws SVG text a letter at a time, each letter a Pango layout and a text object
    of its own: the chart's 37 labels and a body-map view's 27 cost a tenth of a record's render time. A
    ``<text>`` placed at one point with nothing set per letter (no ``dx``, ``dy``, ``rotate``, ``textLength``
    or ``letter-spacing``) is laid out once and drawn as one run instead, in the same place and size (and
    kerned, as the page's text is). Anything else, and every document not rendered here, is drawn by
    WeasyPrint's own code. A test checks that the hook still takes effect."""
    if weasyprint_svg.TAGS["text"] is not _svg_text:
        # ``draw_node`` compares each tag's drawer with the module's ``text``: both must be ours.
        weasyprint_svg.text = _svg_text
        weasyprint_svg.TAGS.update(dict.fromkeys(_SVG_TEXT_TAGS, _svg_text))
        weasyprint_svg.TAGS["path"] = _svg_path
        weasyprint_svg.SVG.draw_node = _draw_svg_node
    depth = _svg_text_depth()
    _svg_text_state.depth = depth + 1
    try:
        yield
    finally:
        _svg_text_state.depth = depth


def _svg_text_depth() -> int:
    """How many record renders this thread is inside (0: WeasyPrint draws SVG text its own way)."""
    return int(getattr(_svg_text_state, "depth", 0))


_PER_LETTER_ATTRIBUTES = ("dx", "dy", "rotate", "textLength", "letter-spacing")
_weasyprint_draw_svg_node = weasyprint_svg.SVG.draw_node
_UNDRAWN_SVG_TAGS = frozenset({"title", "desc", "metadata"})


def _one_run(node: Any) -> bool:
    """Whether an SVG text node is one string at one point (see :func:`_svg_text_in_one_piece`)."""
    text = node.text
    return bool(_svg_text_depth() and node.tag in ("text", "tspan") and text and "\n" not in text
                and not any(name in node.attrib for name in _PER_LETTER_ATTRIBUTES)
                and all(len(normalize(node.attrib.get(name, "")).split()) <= 1 for name in ("x", "y")))


def _draw_svg_node(svg: Any, node: Any, font_size: float, fill_stroke: bool = True, context: Any = None) -> None:
    """WeasyPrint's ``SVG.draw_node``; a centred or end-aligned one-run ``<text>`` is shifted as it is drawn,
    and ``<title>`` and ``<desc>`` (the body map's region names, the chart's description) are passed over.

    WeasyPrint draws such a text into a group of its own (a PDF form object) to measure it before moving it
    into place; a one-run text is measured before it is drawn, so it needs none (two in three of the chart's
    and the body map's labels)."""
    if node.tag in _UNDRAWN_SVG_TAGS and _svg_text_depth():
        return  # words for screen readers, never drawn: WeasyPrint would only save and restore the state for them
    anchor = node.attrib.get("text-anchor")
    if (anchor not in ("middle", "end") or node.tag != "text" or node.get("direction", "ltr") != "ltr"
            or not _one_run(node) or list(node)):
        _weasyprint_draw_svg_node(svg, node, font_size, fill_stroke, context)
        return
    del node.attrib["text-anchor"]
    node.one_run_anchor = anchor
    try:
        _weasyprint_draw_svg_node(svg, node, font_size, fill_stroke, context)
    finally:
        node.attrib["text-anchor"] = anchor
        del node.one_run_anchor


_weasyprint_svg_path = weasyprint_svg.TAGS["path"]
_PLAIN_PATH = re.compile(r"[0-9MmLlHhVvCcSsQqTtAaZzEe.,+\-\s]*\Z")
_SVG_PATHS_KEPT = 256
_svg_paths_drawn: OrderedDict[tuple[str, float], tuple[tuple[bytes, ...], tuple[Any, ...]]] = OrderedDict()
_svg_paths_lock = threading.Lock()


def _svg_path(svg: Any, node: Any, font_size: float) -> None:
    """WeasyPrint's ``svg.path.path``, with what it draws for each path kept for the next record.

    WeasyPrint reads a path's ``d`` a command at a time in Python at every render: the body map's three
    outlines (7,000 characters of curves) took a quarter of what drawing the marks added to a record. Inside a
    record render, a path whose ``d`` is numbers and commands alone (no units, so nothing in it depends on
    the drawing it is in) is read once a process: the PDF path operators it made (in the path's own user
    space, which the node's transform sets before them) and the vertices it noted for markers are kept, and
    the next record that draws the same path gets those (the last 256 paths drawn are kept: the body map's
    outlines, and the growth chart's centile lines for the ages charted lately). Anything else is WeasyPrint's
    own code."""
    d = node.get("d", "")
    if not _svg_text_depth() or not _PLAIN_PATH.match(d):
        _weasyprint_svg_path(svg, node, font_size)
        return
    key = (d, font_size)
    with _svg_paths_lock:
        drawn = _svg_paths_drawn.get(key)
        if drawn is not None:
            _svg_paths_drawn.move_to_end(key)
    if drawn is None:
        operators, vertices = svg.stream.stream, node.vertices
        first_operator, first_vertex = len(operators), len(vertices)
        _weasyprint_svg_path(svg, node, font_size)
        if svg.stream.stream is operators:
            drawn = (tuple(operators[first_operator:]), tuple(islice(vertices, first_vertex, None)))
            with _svg_paths_lock:
                _svg_paths_drawn[key] = drawn
                while len(_svg_paths_drawn) > _SVG_PATHS_KEPT:
                    _svg_paths_drawn.popitem(last=False)
        return
    svg.stream.stream.extend(drawn[0])
    node.vertices.extend(drawn[1])


def _svg_text(svg: Any, node: Any, font_size: float) -> None:
    if _one_run(node):
        _svg_text_run(svg, node, font_size, node.text)
    else:
        _weasyprint_svg_text(svg, node, font_size)


def _svg_text_run(svg: Any, node: Any, font_size: float, text: str) -> None:
    """WeasyPrint's ``svg.text.text`` for one string at one point, with its per-letter loop done once."""
    style = SVGTextStyle()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    if weight == "normal":
        style["font_weight"] = 400
    elif weight == "bold":
        style["font_weight"] = 700
    else:
        try:
            style["font_weight"] = int(weight)
        except ValueError:
            style["font_weight"] = 400
    layout, _, _, width, height, baseline = split_first_line(text, style, svg.context, inf, 0)

    ascent, descent = font_size * 0.8, font_size * 0.2
    y_align = 0.0
    display_anchor = node.get("display-anchor")
    alignment_baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        y_align = -height / 2
    elif display_anchor == "top":
        pass
    elif display_anchor == "bottom":
        y_align = -height
    elif alignment_baseline in ("central", "middle"):
        y_align = (ascent + descent) / 2 - descent
    elif alignment_baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        y_align = ascent
    elif alignment_baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        y_align = -descent

    x = svg_size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width) if "x" in node.attrib else None
    y = svg_size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height) if "y" in node.attrib else None
    if x:  # as WeasyPrint does: an x of 0 keeps the running offset
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + y_align
    points = ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height))
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, points)

    anchor = getattr(node, "one_run_anchor", None)
    shift = width / 2 if anchor == "middle" else width if anchor == "end" else 0
    x_position -= shift

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = SVGTextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(svg.stream, text_box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x - shift, y, emojis)


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept between records: WeasyPrint otherwise makes a new one for
    each document and loads the same system fonts again (about a twentieth of a record's render time).
    The record has no @font-face rules, so nothing in it changes from one record to the next."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


STREAM_COMPRESSION_LEVEL = 6
"""zlib's own default. pydyf compresses at level 9, which takes two and a half times as long for a file 1% smaller."""


def _finish_pdf(_document: Any, pdf: pydyf.PDF) -> None:
    """Put right three things in WeasyPrint's PDF before it is written (WeasyPrint's ``finisher`` hook)."""
    # WeasyPrint 70 lists each PDF/A-3 associated file twice in the catalogue's /AF array.
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)
    # PDF/A wants each document information entry repeated in the XMP metadata with the same value. When
    # pyHanko signs, it writes itself as the producer in the XMP but appends itself to a producer already in
    # the document information ("WeasyPrint 70.0; pyHanko ..."), so the two would differ in every signed
    # record. Without the entry, pyHanko writes the same producer in both. (The XMP still names WeasyPrint
    # until the record is signed.)
    pdf.info.pop("Producer", None)
    _compress_streams_once(pdf)


def _compress_streams_once(pdf: pydyf.PDF) -> None:
    """Compress each stream now, once, instead of letting pydyf compress it every time it is serialised.

    PDF/A needs a file identifier, and pydyf makes it by hashing every object's bytes before writing them:
    every page, font and attachment stream was compressed twice, at level 9 (a twentieth of a record's
    render time). Here each stream's bytes are built and compressed once, and the stream carries the
    compressed bytes with their ``/FlateDecode`` filter, which pydyf writes as they are. Streams that
    already have a filter (images) are left to pydyf, as before.
    """
    for pdf_object in pdf.objects:
        if not isinstance(pdf_object, pydyf.Stream) or not pdf_object.compress or "Filter" in pdf_object.extra:
            continue
        raw = b"\n".join(pydyf._to_bytes(item) for item in pdf_object.stream)
        pdf_object.stream = [zlib.compress(raw, STREAM_COMPRESSION_LEVEL)]
        pdf_object.extra["Filter"] = "/FlateDecode"
        pdf_object.compress = False


@lru_cache(maxsize=1)
def _srgb_icc() -> bytes:
    return (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


class RecordHTML(HTML):
    """A WeasyPrint document of the record, parsed quickly and styled by its own user-agent stylesheet.

    Parsing: WeasyPrint parses HTML with tinyhtml5, a complete HTML5 parser in pure Python that takes
    about a twentieth of a record's render time. The record's templates are written as well-formed XML
    (void elements closed, no named entities) and Jinja escapes every value, so Python's expat parser
    builds the same element tree in a fraction of a millisecond (a void element a template leaves open, like
    ``<br>``, is closed first: see :func:`_xml_tree`). Anything expat still refuses (a control character kept
    in an old note, say) is parsed by WeasyPrint's own parser as before. A test compares
    the two trees for a full record.

    Styling: WeasyPrint takes its user-agent stylesheet from ``HTML._ua_stylesheets``; the built-in one
    computes six pseudo-element styles for every element (for footnotes, notes and list markers the record
    never uses). WeasyPrint is pinned in pyproject.toml, and tests check both hooks still take effect.
    """

    def __init__(self, *, string: str, base_url: str, url_fetcher: URLFetcher, media_type: str = "print") -> None:
        root = _xml_tree(string)
        if root is None:
            self.parsed_by = "tinyhtml5"
            super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher, media_type=media_type)
            return
        if root.tag != "html" or root.find(".//base") is not None:
            raise RecordError("The record HTML must be one <html> element without a <base> element")
        self.parsed_by = "expat"
        # The attributes HTML.__init__ sets, from the tree expat built instead of tinyhtml5's.
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = media_type
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_ua_stylesheet()]


_VOID_TAG = re.compile(r"<(area|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)(\s[^<>]*)?(?<!/)>")
"""An HTML void element written the HTML way (``<br>``), which XML needs closed (``<br/>``)."""


def _xml_tree(html: str) -> ElementTree.Element | None:
    """The record HTML parsed by expat, or None where it is not well-formed XML.

    A void element left open by a template (``<br>``) is closed first and the parse tried again: every ``<``
    in a record is markup (Jinja escapes every value, and the app's own drawings escape theirs), so closing
    it changes no text, and one ``<br>`` no longer sends the whole record to the slow parser."""
    try:
        return _expat_tree(html)
    except ElementTree.ParseError:
        pass
    closed = _VOID_TAG.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}/>", html)
    if closed == html:
        return None
    try:
        return _expat_tree(closed)
    except ElementTree.ParseError:
        return None


XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/"


def _expat_tree(text: str) -> ElementTree.Element:
    """Parse well-formed XML; raise ``ElementTree.ParseError`` otherwise.

    An HTML parser keeps a namespace declaration on an inline drawing (``<svg xmlns="...">``) as an attribute
    in the xmlns namespace, and expat consumes it: it is put back, so both parsers make the same tree."""
    if "xmlns" not in text:
        return ElementTree.fromstring(text)
    parser: ElementTree.XMLPullParser[Any] = ElementTree.XMLPullParser(events=("start-ns", "start"))
    parser.feed(text)
    parser.close()
    root: ElementTree.Element | None = None
    declared: list[tuple[str, str]] = []
    for event, *rest in parser.read_events():
        item: Any = rest[0] if rest else None
        if event == "start-ns":
            declared.append(item)  # (prefix, uri)
            continue
        element: ElementTree.Element = item
        if root is None:
            root = element
        for prefix, uri in declared:
            element.set(f"{{{XMLNS_NAMESPACE}}}{prefix or 'xmlns'}", uri)
        declared = []
    if root is None:
        raise ElementTree.ParseError("no element")
    return root


@lru_cache(maxsize=1)
def _ua_stylesheet() -> CSS:
    guard = StrictURLFetcher(TEMPLATE_DIR / "no-static-files")
    return CSS(string=(TEMPLATE_DIR / "ua.css").read_text(encoding="utf-8"), url_fetcher=guard)


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    # The stylesheet has no url() references; this fetcher (rooted nowhere useful) refuses any that appear.
    guard = StrictURLFetcher(TEMPLATE_DIR / "no-static-files")
    return CSS(string=(TEMPLATE_DIR / "record.css").read_text(encoding="utf-8"), url_fetcher=guard)


GC_RENDER_THRESHOLD = 50_000
"""Python's cyclic collector runs after every 700 net allocations by default. Laying out one record makes
about a million short-lived objects (boxes, styles, glyph runs), so with the default it walks the heap
(fonts, templates, every loaded module) hundreds of times per record: a fifth of the render time. While a
record renders, the youngest generation is collected every 50,000 allocations instead."""

_gc_lock = threading.Lock()
_gc_state: dict[str, Any] = {"depth": 0, "saved": None, "frozen": False}


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often while a record renders (nestable, and safe across threads).

    The first time, what the process has already loaded is moved out of the collector's sight
    (``gc.freeze``, after a full collection so no garbage is kept): it lives as long as the process anyway.
    """
    with _gc_lock:
        if not _gc_state["frozen"]:
            gc.collect()
            gc.freeze()
            _gc_state["frozen"] = True
        if _gc_state["depth"] == 0:
            _gc_state["saved"] = gc.get_threshold()
            gc.set_threshold(GC_RENDER_THRESHOLD, *_gc_state["saved"][1:])
        _gc_state["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["depth"] -= 1
            if _gc_state["depth"] == 0:
                gc.set_threshold(*_gc_state["saved"])


@with_stack_room
def render_signed_record(record: dict[str, Any], static_dir: Path | str, signer: Any, timestamper: Any = None) -> bytes:
    """Render the record and sign it (PAdES) in the visitor's signature field, as stored and served.

    With a ``timestamper`` (``signing.HTTPTimestampAuthority``) the signature carries a trusted timestamp."""
    with fewer_collections():
        return _render_and_sign(record, static_dir, signer, timestamper)


def _render_and_sign(record: dict[str, Any], static_dir: Path | str, signer: Any, timestamper: Any = None) -> bytes:
    pdf = render_record_pdf(record, static_dir)
    signature = record["signature"]
    return sign_pdf(
        pdf,
        signer,
        field_name=SIGNATURE_FIELD,
        name=signature["name"],
        reason=f"Home visit record {record['record_id']} signed by {signature['name']}, {signature['role_words']}",
        location=record["organisation"],
        timestamper=timestamper,
    )


# -------------------------------------------------------------------------------------------- batch
_worker_state: dict[str, Any] = {}


def _init_worker(static_dir: str, signer: Any, timestamper: Any) -> None:
    _worker_state["static_dir"] = static_dir
    _worker_state["signer"] = signer
    _worker_state["timestamper"] = timestamper


def _render_in_worker(record: dict[str, Any]) -> tuple[str, bytes]:
    state = _worker_state
    return record["record_id"], render_signed_record(record, state["static_dir"], state["signer"], state["timestamper"])


def render_batch(
    records: Iterable[dict[str, Any]],
    static_dir: Path | str,
    signer: Any,
    workers: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    start_method: str | None = None,
    timestamper: Any = None,
) -> Iterator[tuple[str, bytes]]:
    """Render and sign several records in parallel processes, yielding ``(record_id, pdf_bytes)`` as each finishes.

    ``workers`` defaults to the number of CPUs. ``progress(done, total, record_id)`` is called after each
    record. The signer is sent to each worker once. If a record fails, the rest are cancelled and
    :class:`RecordError` names the record. ``start_method`` defaults to ``fork`` where available (the
    workers inherit the loaded fonts and templates), else ``spawn``.
    """
    pending_records = list(records)
    total = len(pending_records)
    if total == 0:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, total))
    method = start_method or ("fork" if os.name == "posix" else "spawn")
    _environment()  # warm the parent so forked workers share the parsed templates, stylesheets and widths
    _stylesheet()
    _ua_stylesheet()
    _glyph_widths()
    done = 0
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context(method),
        initializer=_init_worker,
        initargs=(str(static_dir), signer, timestamper),
    ) as pool:
        # Keep a bounded number in flight so a large batch does not pickle every record up front.
        queue = iter(pending_records)
        in_flight: dict[Future[tuple[str, bytes]], str] = {}

        def submit_next() -> None:
            record = next(queue, None)
            if record is not None:
                in_flight[pool.submit(_render_in_worker, record)] = record["record_id"]

        for _ in range(workers * 2):
            submit_next()
        try:
            while in_flight:
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    record_id = in_flight.pop(future)
                    try:
                        result = future.result()
                    except Exception as error:
                        raise RecordError(f"Record {record_id} could not be rendered and signed: {error}") from error
                    done += 1
                    if progress is not None:
                        progress(done, total, record_id)
                    submit_next()
                    yield result
        finally:
            for future in in_flight:
                future.cancel()


# ---------------------------------------------------------------------------------------- referral pack


def render_referral_html(pack: dict[str, Any]) -> str:
    """The referral pack as an HTML page for print (templates/pdf/referral.html); every value is escaped and
    only the app's own growth chart SVG is embedded, as an image."""
    chart = (pack.get("growth") or {}).get("chart_svg")
    chart_src = _data_url(chart.encode("utf-8"), "image/svg+xml") if chart else None
    return _environment().get_template("referral.html").render(pack=pack, chart_src=chart_src)


@with_stack_room
def render_referral_pdf(pack: dict[str, Any], static_dir: Path | str) -> bytes:
    """The pack as an unsigned PDF/A-3b file with the referral's JSON embedded as its source data."""
    fetcher = StrictURLFetcher(static_dir)
    return html_to_pdf(
        render_referral_html(pack),
        static_dir,
        fetcher=fetcher,
        attachments=[_source_json(pack["referral_json"], "referral", pack["record_id"], fetcher)],
    )


@with_stack_room
def render_signed_referral(pack: dict[str, Any], static_dir: Path | str, signer: Any, timestamper: Any = None) -> bytes:
    """Render the pack and sign it (PAdES) in the referrer's signature field, as stored and served."""
    with fewer_collections():
        pdf = render_referral_pdf(pack, static_dir)
        signature = pack["signature"]
        return sign_pdf(
            pdf,
            signer,
            field_name=REFERRAL_SIGNATURE_FIELD,
            name=signature["name"],
            reason=f"Multi-agency referral {pack['record_id']} signed by {signature['name']}, {signature['role_words']}",
            location=pack["organisation"],
            timestamper=timestamper,
        )
