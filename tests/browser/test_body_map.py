"""The body map in a real browser, on a tablet and on a phone (#15).

A practitioner adds three marks by tapping the diagrams and one with the keyboard alone (Tab to the list of
regions, type the region's name, Tab to the button, Enter), describes them, submits and signs the visit.
The injuries page and check your answers pass axe-core and the layout checks (every region is a 44 px
target); the signed PDF, rendered to PNG, has the four numbered marks drawn on its diagrams.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from helpers import PHONE, TABLET, make_child, sign_in_browser
from homevisit.data import store

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TAPPED = [("left cheek", "face, close up", "left_cheek", "face"),
          ("back", "back of the body", "back", "back"),
          ("right lower leg", "front of the body", "right_lower_leg", "front")]


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def choose(scope: Any, question: str, answer: str) -> None:
    scope.get_by_role("group", name=question, exact=True).get_by_label(answer, exact=True).check()


def tab_to(page: Page, element_id: str, limit: int = 300) -> None:
    """Press Tab until the element has the focus, as a keyboard or switch user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def red_marks(png: Path) -> int:
    """The number of separate red circles (the marks' colour, #d4351c) on a page rendered to PNG.

    Specks of red inside a white digit (the hole in a 4) are not circles: a circle is 40 pixels or more."""
    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    red = {(x, y) for y in range(height) for x in range(width)
           if (lambda p: p[0] > 170 and p[1] < 100 and p[2] < 90)(pixels[x, y])}
    circles = 0
    while red:
        todo, size = [red.pop()], 0
        while todo:
            x, y = todo.pop()
            size += 1
            for n in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if n in red:
                    red.remove(n)
                    todo.append(n)
        circles += size >= 40
    return circles


@pytest.mark.parametrize("viewport", [pytest.param(TABLET, id="tablet"), pytest.param(PHONE, id="phone")])
def test_marks_added_by_tap_and_by_keyboard_reach_the_signed_pdf(
        viewport: tuple[int, int], signing_app: Any, db: Any, users: dict[str, Any], live_server: str,
        page_at: Any, check_page: Any, tmp_path: Path) -> None:
    make_child(db, users["practitioner"], given_name="Nell", family_name="Price", date_of_birth="2026-08-01")
    page = page_at(*viewport)
    sign_in_browser(page, live_server, users["practitioner"]["email"])
    page.goto(live_server + "/children/")
    page.get_by_role("link", name="Nell Price", exact=True).click()
    page.get_by_role("button", name="Record a visit").click()
    heading(page, "Child seen and who was present")
    choose(page, "What is your role on this visit?", "Health visitor")
    choose(page, "Did you see the child?", "Yes, awake")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    page.goto(page.url.rsplit("/section/", 1)[0] + "/section/injuries")
    heading(page, "Injuries and marks")
    page.get_by_label("How many fractures is the child known to have had?", exact=True).fill("0")
    check_page(page, "injuries-empty")

    for n, (site, view, _code, _view) in enumerate(TAPPED, start=1):
        page.get_by_role("button", name=f"Add a mark: {site} ({view})", exact=True).tap()
        page.wait_for_load_state("load")
        mark = page.get_by_role("group", name=f"Mark {n}: {site.capitalize()}", exact=True)
        expect(mark).to_be_visible()
        expect(mark.get_by_label("Where on the body?", exact=True)).to_have_value(TAPPED[n - 1][2])
        expect(page.locator(".bm-mark")).to_have_count(n)  # numbered on the diagrams
        # the new mark has the focus, ready to be described (app.js moves it there once the page's module
        # script has run, which can be just after the mark shows: wait for it rather than read it once)
        expect(page.locator(":focus")).to_have_text(f"Mark {n}: {site.capitalize()}")
    # what was typed before the taps is still there
    expect(page.get_by_label("How many fractures is the child known to have had?", exact=True)).to_have_value("0")

    tab_to(page, "bodymap_site")
    page.keyboard.type("Left ear")
    expect(page.locator("#bodymap_site")).to_have_value("left_ear")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Add a mark here"
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.get_by_role("group", name="Mark 4: Left ear", exact=True)).to_be_visible()
    expect(page.locator(".bm-mark")).to_have_count(4)
    sizes = page.evaluate("() => [...document.querySelectorAll('.bm-button')].map(b => { "
                          "const r = b.getBoundingClientRect(); return Math.min(r.width, r.height) })")
    assert len(sizes) == 62 and min(sizes) >= 44, min(sizes)

    for n in range(1, 5):
        mark = page.locator(f"#mark-{n}")
        mark.get_by_label("Type of mark", exact=True).select_option(label="Bruise")
        mark.get_by_label("Size", exact=True).fill(str(5 * n))
    check_page(page, "injuries-four-marks")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    page.goto(page.url.rsplit("/section/", 1)[0] + "/check")
    heading(page, "Check your answers")
    expect(page.locator(".app-bodymap--record .bm-mark")).to_have_count(4)
    expect(page.locator(".app-bodymap__callouts li")).to_have_text(
        ["Bruise, left cheek (face, close up), 5 mm", "Bruise, back (back of the body), 10 mm",
         "Bruise, right lower leg (front of the body), 15 mm", "Bruise, left ear (front of the body), 20 mm"])
    check_page(page, "check-with-body-map")
    page.get_by_role("button", name="Submit visit").click()
    page.wait_for_load_state("load")

    visit = store.query_one(db, "SELECT id FROM visits WHERE status = 'submitted'")
    marks = store.query(db, "SELECT body_site, map_view FROM injuries WHERE visit_id = ? ORDER BY position",
                        (visit["id"],))
    assert [(m["body_site"], m["map_view"]) for m in marks] == [
        ("left_cheek", "face"), ("back", "back"), ("right_lower_leg", "front"), ("left_ear", "front")]

    page.get_by_role("link", name="Sign the visit record").click()
    canvas = page.locator("#signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 20):
        page.mouse.move(box["x"] + 30 + step * 10, box["y"] + box["height"] * (0.7 - 0.3 * (step % 2)), steps=2)
    page.mouse.up()
    page.get_by_label("I declare that this record").check()
    page.get_by_role("button", name="Sign the record").click()
    expect(page.get_by_text("The visit record is signed.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed record (PDF)").click()
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(Path(download.value.path()).read_bytes())

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")
    page_no = next(i for i, t in enumerate(pages, start=1) if "Marks and injuries seen" in t)
    for callout in ("1. Bruise, left cheek (face, close up), 5 mm", "4. Bruise, left ear (front of the body), 20 mm"):
        assert callout in " ".join(pages[page_no - 1].split()), callout
    name = f"body-map-{viewport[0]}-pdf-page"
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", str(page_no), "-l", str(page_no), str(pdf),
                    str(ARTIFACTS / name)], check=True)
    png = next(ARTIFACTS.glob(f"{name}*.png"))
    assert red_marks(png) == 4
    check_page.assert_clean()
