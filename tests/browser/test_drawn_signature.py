"""Draw a signature with pointer events on a tablet, sign the visit record, download the signed PDF."""

from __future__ import annotations

import hashlib
import json

import pytest
from playwright.sync_api import expect

from helpers import TABLET, full_visit, make_child, sign_in_browser
from homevisit.data import store
from homevisit.web import auth


@pytest.mark.browser
def test_draw_sign_and_download_the_record(signing_app, db, users, live_server, page_at, check_page):
    child = make_child(db, users["practitioner"], given_name="Nell", family_name="Price")
    token = auth.create_token(db, users["practitioner"]["id"])
    body = full_visit(child["id"], age_appropriate_food="none")
    response = signing_app.test_client().put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
    assert response.status_code == 201

    page = page_at(*TABLET)
    sign_in_browser(page, live_server, users["practitioner"]["email"])
    page.goto(f"{live_server}/visits/{body['id']}")
    check_page(page, "visit-before-signing")
    page.get_by_role("link", name="Sign the visit record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign the visit record")
    check_page(page, "sign")

    # Signing without drawing is refused with a message, and nothing is signed
    page.get_by_label("I declare that this record").check()
    page.get_by_role("button", name="Sign the record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Draw your signature")
    assert store.query_one(db, "SELECT status FROM visits WHERE id = ?", (body["id"],))["status"] == "submitted"

    canvas = page.locator("#signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] >= 300
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(box["x"] + 30 + step * 12, box["y"] + box["height"] * (0.7 - 0.4 * ((step % 4) / 3)), steps=2)
    page.mouse.up()
    page.get_by_label("I declare that this record").check()
    page.get_by_role("button", name="Sign the record").click()
    expect(page.get_by_text("The visit record is signed.")).to_be_visible()
    check_page(page, "visit-signed")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the signed record (PDF)").click()
    with open(download_info.value.path(), "rb") as fh:
        pdf = fh.read()
    stored = store.query_one(db, "SELECT record_sha256 FROM visits WHERE id = ?", (body["id"],))
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == stored["record_sha256"]
    check_page.assert_clean()
