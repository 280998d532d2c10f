"""A supervisor sees an overdue action on the dashboard and countersigns a 'not done' decision."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from helpers import TABLET, fill_sign_in, full_visit, make_child
from homevisit.data import store
from homevisit.services import actions
from homevisit.web import auth


@pytest.mark.browser
def test_supervisor_sees_overdue_and_countersigns_a_not_done(app, db, users, live_server, page_at, check_page):
    child = make_child(db, users["practitioner"], given_name="Ruby", family_name="Cole")
    token = auth.create_token(db, users["practitioner"]["id"])
    client = app.test_client()
    # A visit three days ago found no food (R16, same day): now overdue. A restraint (R01) is closed as not done.
    old = full_visit(child["id"], visited_at=f"{(date.today() - timedelta(days=3)).isoformat()}T10:00:00+00:00",
                     age_appropriate_food="none", restraint_observed=True)
    response = client.put(f"/api/v1/visits/{old['id']}", data=json.dumps(old),
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert response.status_code == 201
    r01 = store.query_one(db, "SELECT id FROM actions WHERE rule_id = 'R01'")
    actions.complete(db, r01["id"], users["practitioner"],
                     not_done_reason="The MASH line was engaged; police attended and took over the same hour.")

    page = page_at(*TABLET)
    page.goto(live_server + "/sign-in")
    check_page(page, "sign-in")
    fill_sign_in(page, users["supervisor"]["email"])
    page.get_by_role("link", name="Supervision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supervision: your team")
    check_page(page, "dashboard")
    overdue = page.locator("#overdue + table")
    expect(overdue).to_contain_text("R16")
    expect(overdue).to_contain_text("Ruby Cole")
    expect(overdue.get_by_text("Overdue").first).to_be_visible()

    page.get_by_role("link", name="Ruby Cole: R01").click()
    check_page(page, "not-done-action")
    expect(page.get_by_text("The MASH line was engaged")).to_be_visible()
    page.get_by_label("Supervisor's note").fill("Agreed: police log reference 4471 on file.")
    page.get_by_role("button", name="Countersign this decision").click()
    expect(page.get_by_text("You have countersigned the decision.")).to_be_visible()
    check_page(page, "dashboard-after")
    expect(page.locator("#countersign + p")).to_have_text("No decisions are waiting.")
    row = store.query_one(db, "SELECT countersigned_by, countersign_note FROM actions WHERE id = ?", (r01["id"],))
    assert row["countersigned_by"] == users["supervisor"]["id"]
    assert row["countersign_note"] == "Agreed: police log reference 4471 on file."
    check_page.assert_clean()
