"""The record's speed hooks into WeasyPrint (issue 16) take effect and print exactly what WeasyPrint would.

* records._xml_tree: a template that leaves a void element open (``<br>``) is still parsed by expat, into
  the tree WeasyPrint's own HTML parser makes.
* records._svg_text_in_one_piece: SVG text placed at one point is laid out and drawn a string at a time, not
  a letter at a time, and centred or end-aligned text needs no form object of its own.
* records._svg_path: an SVG path (the body map's outlines, the chart's lines) is read once a process and drawn
  again from the PDF operators it made.
* records._drawn_in_full: a drawing WeasyPrint fails to finish (it logs the error and carries on) fails the
  record instead of leaving it half drawn.
No test here times anything: each checks that a hook is used, and that the printed result is unchanged.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image, ImageChops, ImageStat
from weasyprint import HTML

from homevisit.records import records
from homevisit.records.records import RecordHTML, StrictURLFetcher, html_to_pdf

DRAWING = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" width="400" height="200">'
    "<title>A test drawing</title><desc>Three labels and a box</desc>"
    '<rect x="4" y="4" width="192" height="92" fill="none" stroke="#505a5f"><title>The box</title></rect>'
    '<text x="100" y="30" text-anchor="middle" font-size="12" font-family="Arial, sans-serif">Centred label</text>'
    '<text x="190" y="60" text-anchor="end" font-size="12" font-family="Arial, sans-serif">Right label</text>'
    '<text x="10" y="90" font-size="12" font-family="Arial, sans-serif">Left label</text>'
    "</svg>"
)


def page(body: str) -> str:
    return f'<html lang="en"><head><meta charset="utf-8"/><title>t</title></head><body>{body}</body></html>'


@pytest.fixture()
def static_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    folder.mkdir()
    return folder


@pytest.fixture()
def one_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SVG texts drawn by the record's one-run path, in order."""
    drawn: list[str] = []
    original = records._svg_text_run

    def counting(svg: Any, node: Any, font_size: float, text: str) -> None:
        drawn.append(text)
        original(svg, node, font_size, text)

    monkeypatch.setattr(records, "_svg_text_run", counting)
    return drawn


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "drawing.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-raw", str(source), "-"], check=True, capture_output=True, text=True).stdout


def rasterised(pdf: bytes, tmp_path: Path, name: str) -> Image.Image:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(source), str(tmp_path / name)], check=True)
    with Image.open(tmp_path / f"{name}.png") as image:
        return image.convert("L")


def form_objects(pdf: bytes) -> int:
    """Form XObjects in the first page's resources (WeasyPrint puts each centred SVG text in one)."""
    resources = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]
    xobjects = resources.get("/XObject") or {}
    return sum(1 for ref in xobjects.values() if ref.get_object().get("/Subtype") == "/Form")


def test_svg_text_is_drawn_a_string_at_a_time_in_a_record(static_dir: Path, tmp_path: Path, one_runs: list[str]) -> None:
    pdf = html_to_pdf(page(DRAWING), static_dir)
    assert one_runs == ["Centred label", "Right label", "Left label"]
    text = pdf_text(pdf, tmp_path)
    for label in one_runs:
        assert label in text


def test_svg_text_drawn_in_one_run_prints_as_weasyprint_prints_it(
    static_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = html_to_pdf(page(DRAWING), static_dir)
    monkeypatch.setattr(records, "_svg_text_in_one_piece", contextlib.nullcontext)
    reference = html_to_pdf(page(DRAWING), static_dir)
    # WeasyPrint puts each centred or end-aligned text in a form object of its own; the one-run path needs none.
    assert form_objects(reference) >= 2
    assert form_objects(fast) == 0
    ours, theirs = rasterised(fast, tmp_path, "fast"), rasterised(reference, tmp_path, "reference")
    assert ours.size == theirs.size
    inverted_ours, inverted_theirs = ImageChops.invert(ours), ImageChops.invert(theirs)
    assert inverted_ours.getbbox() is not None
    # The same ink in the same places: the labels' extents agree to a pixel at 150 dpi (kerning may move a
    # letter by a fraction of one), and the images differ by well under 1% on average.
    for ours_edge, theirs_edge in zip(inverted_ours.getbbox(), inverted_theirs.getbbox(), strict=True):
        assert abs(ours_edge - theirs_edge) <= 1
    assert ImageStat.Stat(ImageChops.difference(ours, theirs)).mean[0] < 2.5


def test_svg_text_set_letter_by_letter_is_left_to_weasyprint(
    static_dir: Path, tmp_path: Path, one_runs: list[str]
) -> None:
    drawing = DRAWING.replace('<text x="10" y="90"', '<text x="10" y="90" dx="0 2 4" rotate="0 5"')
    drawing = drawing.replace('<text x="190" y="60"', '<text x="190 191" y="60"')
    pdf = html_to_pdf(page(drawing), static_dir)
    assert one_runs == ["Centred label"]
    assert "Centred label" in pdf_text(pdf, tmp_path)


def test_weasyprint_used_directly_draws_svg_text_its_own_way(
    static_dir: Path, tmp_path: Path, one_runs: list[str]
) -> None:
    html_to_pdf(page(DRAWING), static_dir)  # the hook is installed now
    one_runs.clear()
    pdf = HTML(string=page(DRAWING)).write_pdf()
    assert one_runs == []
    assert "Centred label" in pdf_text(pdf, tmp_path)


def element_tree(element: Any, top: bool = True) -> Any:
    """An element as nested tuples; whitespace-only text directly inside <html> is dropped (it makes no box)."""

    def text(value: str | None, keep: bool) -> str:
        return (value or "") if keep or (value or "").strip() else ""

    return (element.tag, dict(element.attrib), text(element.text, element.tag != "html"),
            text(element.tail, not top and element.tag not in ("head", "body", "main")),
            [element_tree(child, top=element.tag == "html") for child in element])


def test_a_void_element_left_open_is_parsed_by_expat_into_weasyprints_tree(static_dir: Path) -> None:
    body = (f"<figure>{DRAWING}<figcaption><b>Front</b><br>Child&#39;s right on the left</figcaption></figure>"
            '<p>A line<br class="x">and another<img alt="" src="data:image/png;base64,AAAA"></p><hr>'
            "<p>A note that mentions &lt;br&gt; and &lt;hr&gt; as written</p>")
    html = page(body)
    fetcher = StrictURLFetcher(static_dir)
    fast = RecordHTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=fetcher)
    assert fast.parsed_by == "expat"
    reference = HTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=fetcher)
    assert element_tree(fast.etree_element) == element_tree(reference.etree_element)


def test_html_that_is_not_xml_even_with_void_elements_closed_goes_to_weasyprints_parser(static_dir: Path) -> None:
    html = page("<p>Unclosed paragraph<br><p>Another \x01 control character</p>")
    fetcher = StrictURLFetcher(static_dir)
    assert RecordHTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=fetcher).parsed_by == "tinyhtml5"


def body_map_page() -> str:
    """The front view of the body map with two marks, as a record prints it."""
    from homevisit.domain import bodymap

    marks = bodymap.placed_marks([{"body_site": "left_upper_arm", "map_view": "front", "type": "bruise"},
                                  {"body_site": "chest", "map_view": "front", "type": "burn"}])
    return page(bodymap.svg("front", marks, printed=True))


def page_operators(pdf: bytes) -> bytes:
    """The first page's content stream, decompressed: every operator that draws it."""
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()


@pytest.fixture()
def paths_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``d`` of each SVG path WeasyPrint's own path code reads, in order, with nothing kept from before."""
    monkeypatch.setattr(records, "_svg_paths_drawn", records.OrderedDict())
    read: list[str] = []
    original = records._weasyprint_svg_path

    def counting(svg: Any, node: Any, font_size: float) -> None:
        read.append(node.get("d", ""))
        original(svg, node, font_size)

    monkeypatch.setattr(records, "_weasyprint_svg_path", counting)
    return read


def test_a_path_is_read_once_and_drawn_again_from_what_it_made(static_dir: Path, paths_read: list[str]) -> None:
    first = html_to_pdf(body_map_page(), static_dir)
    outlines = list(paths_read)
    assert len(outlines) >= 1 and all(len(d) > 100 for d in outlines)  # the body's outline, in curves
    paths_read.clear()
    again = html_to_pdf(body_map_page(), static_dir)
    assert paths_read == []  # nothing read again
    assert page_operators(again) == page_operators(first)


def test_a_path_drawn_from_what_it_made_prints_as_weasyprint_prints_it(
    static_dir: Path, paths_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    html_to_pdf(body_map_page(), static_dir)  # read once: kept
    kept = html_to_pdf(body_map_page(), static_dir)
    assert paths_read and len(records._svg_paths_drawn) == len(paths_read)
    monkeypatch.setattr(records, "_svg_text_depth", lambda: 0)  # as WeasyPrint does outside a record render
    reference = html_to_pdf(body_map_page(), static_dir)
    # the same operators, byte for byte (the labels drawn WeasyPrint's own way here differ: compare the rest)
    ours = [line for line in page_operators(kept).splitlines() if not line.endswith((b"Tj", b"TJ", b"Tf", b"Td"))]
    theirs = [line for line in page_operators(reference).splitlines()
              if not line.endswith((b"Tj", b"TJ", b"Tf", b"Td"))]
    path_operators = [line for line in theirs if line.endswith((b" c", b" l", b" m", b"h"))]
    assert len(path_operators) > 50
    assert [line for line in ours if line.endswith((b" c", b" l", b" m", b"h"))] == path_operators


def test_a_path_with_units_is_left_to_weasyprint(static_dir: Path, paths_read: list[str]) -> None:
    drawing = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
               '<path d="M 1 1 L 50 50" stroke="black"/><path d="M 1 1 L 50% 20" stroke="black"/></svg>')
    html_to_pdf(page(drawing), static_dir)
    html_to_pdf(page(drawing), static_dir)
    assert paths_read == ["M 1 1 L 50 50", "M 1 1 L 50% 20", "M 1 1 L 50% 20"]


def test_a_drawing_weasyprint_cannot_finish_fails_the_record(
    static_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint catches an exception raised while it draws an SVG, logs it and goes on: the record would be
    signed with the drawing cut short where it was raised."""
    monkeypatch.setattr(records, "_svg_paths_drawn", records.OrderedDict())
    original = records._weasyprint_svg_path
    drawn: list[str] = []

    def failing_second(svg: Any, node: Any, font_size: float) -> None:
        drawn.append(node.get("d", ""))
        if len(drawn) == 2:
            raise TypeError("a fault in drawing the second path")
        original(svg, node, font_size)

    monkeypatch.setattr(records, "_weasyprint_svg_path", failing_second)
    two_paths = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
                 '<path d="M 1 1 L 50 50" stroke="black"/><path d="M 1 9 L 50 59" stroke="black"/></svg>')
    with pytest.raises(records.RecordError, match="could not be drawn in full: Failed to render SVG image"):
        html_to_pdf(page(two_paths), static_dir)
    monkeypatch.setattr(records, "_weasyprint_svg_path", original)
    assert html_to_pdf(page(two_paths), static_dir).startswith(b"%PDF")  # and the next record is made
