"""A supervisor on a tablet prints one child's signed records as one PDF that opens with an index of them."""

from __future__ import annotations

import io

import pypdf
import pytest
from playwright.sync_api import expect

from helpers import TABLET, full_visit, make_child, sign_in_browser, submit_and_sign
from homevisit.data import store
from homevisit.web import auth


def signed_visit(client, token, child, visited_at):
    body = full_visit(child["id"], visited_at=visited_at)
    return body["id"], submit_and_sign(client, {"Authorization": f"Bearer {token}"}, body)["record_sha256"]


@pytest.mark.browser
def test_a_supervisor_prints_one_childs_records_with_an_index(signing_app, db, users, live_server, page_at,
                                                              check_page):
    ivy = make_child(db, users["practitioner"], given_name="Ivy", family_name="Holt")
    other = make_child(db, users["practitioner"], given_name="Otto", family_name="Lane")
    token = auth.create_token(db, users["practitioner"]["id"])
    client = signing_app.test_client()
    ivys = [signed_visit(client, token, ivy, f"2026-0{month}-10T10:00:00+00:00") for month in (7, 8, 9)]
    signed_visit(client, token, other, "2026-08-11T10:00:00+00:00")

    page = page_at(*TABLET)
    sign_in_browser(page, live_server, users["supervisor"]["email"])
    page.get_by_role("link", name="Print records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Print visit records")
    check_page(page, "print-all")
    page.get_by_label("Child").select_option(label="Holt, Ivy")
    page.get_by_role("button", name="Find records").click()
    expect(page.get_by_role("heading", name="3 signed records")).to_be_visible()
    check_page(page, "print-one-child")
    page.get_by_label("One PDF to print").check()
    page.get_by_role("button", name="Prepare the records").click()
    expect(page.get_by_text("All 3 records are ready.")).to_be_visible(timeout=30_000)
    check_page(page, "print-ready")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    with open(download_info.value.path(), "rb") as fh:
        reader = pypdf.PdfReader(io.BytesIO(fh.read()))
    index = " ".join(reader.pages[0].extract_text().split())
    assert "Visit records printed together" in index and "Chosen Visits to Ivy Holt" in index
    assert "Otto" not in index
    for visit_id, digest in ivys:
        assert f"Record {visit_id}" in index and f"SHA-256 {digest}" in index
    stored = [store.query_one(db, "SELECT filename FROM records WHERE visit_id = ?", (v,))["filename"] for v, _ in ivys]
    record_pages = sum(len(pypdf.PdfReader(f"{signing_app.config['RECORDS_DIR']}/{name}").pages) for name in stored)
    assert len(reader.pages) == 1 + record_pages
    check_page.assert_clean()
