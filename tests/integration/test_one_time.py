"""One way to say a time (#17): a visit's time reads the same on the visit page, in the signed record's header
and in its answers, in UK time, in summer and in winter; the stored value keeps the instant it was sent."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from helpers import Browser, full_visit, make_child, submit_and_sign
from homevisit.data import store


@pytest.mark.parametrize(("sent", "words"), [
    ("2026-06-15T09:00:00+00:00", "15 June 2026 at 10:00"),     # British Summer Time
    ("2026-01-15T09:00:00+00:00", "15 January 2026 at 09:00"),  # Greenwich Mean Time
])
def test_a_visits_time_reads_the_same_on_the_page_and_in_the_records_header_and_answers(
        signing_app, db, users, token_for, tmp_path: Path, sent: str, words: str) -> None:
    child = make_child(db, users["practitioner"], date_of_birth="2025-09-01")
    body = full_visit(child["id"], visited_at=sent, weight_kg=7.9)
    client = signing_app.test_client()
    headers = token_for()
    submit_and_sign(client, headers, body)
    stored = store.query_one(db, "SELECT visited_at FROM visits WHERE id = ?", (body["id"],))
    assert stored is not None  # the same instant (stored to the minute, with its offset)
    assert datetime.fromisoformat(stored["visited_at"]) == datetime.fromisoformat(sent)

    browser = Browser(signing_app)
    browser.sign_in(users["practitioner"]["email"])
    page = browser.get(f"/visits/{body['id']}").get_data(as_text=True)
    assert f"Visit on {words}" in page

    pdf = client.get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers)
    assert pdf.status_code == 200
    (tmp_path / "record.pdf").write_bytes(pdf.get_data())
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(tmp_path / "record.pdf"), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert f"Visit {words}" in text                      # the header
    assert f"When did the visit start? {words}" in text  # the answer row
