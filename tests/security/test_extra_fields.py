"""Plan item 7 beyond PUT /api/v1/visits (tests/integration/test_api.py::test_extra_fields_change_nothing):
extra fields (``team_id``, ``signed_by``, ``created_at``, ...) sent to every other door change nothing.
"""

from __future__ import annotations

import re
from datetime import date

from fuzzing import open_action

from helpers import csrf_from, make_child
from homevisit.data import store

EXTRA = {"team_id": "999", "created_at": "1999-01-01", "created_by": "999", "signed_by": "999", "status": "signed",
         "visitor_id": "999", "recorded_by": "999", "legal_hold": "1", "lead_user_id": "999", "id": "forged-id",
         "version": "1", "completed_by": "999", "countersigned_by": "999", "role": "admin", "user_id": "999"}


def test_post_child_api_ignores_extra_fields(app, db, users, token_for):
    body = {"given_name": "Zara", "family_name": "Khan", "date_of_birth": "2026-01-05", "sex": "female",
            "gestation_weeks": 39, **{k: v for k, v in EXTRA.items() if k != "version"}}
    response = app.test_client().post("/api/v1/children", json=body, headers=token_for("practitioner"))
    assert response.status_code == 201
    row = store.query_one(db, "SELECT * FROM children WHERE given_name = 'Zara'")
    assert row["id"] != "forged-id" and row["team_id"] == users["practitioner"]["team_id"]
    assert row["created_by"] == users["practitioner"]["id"] and row["lead_user_id"] == users["practitioner"]["id"]
    assert row["legal_hold"] == 0 and not row["created_at"].startswith("1999")


def test_add_child_form_ignores_extra_fields(db, users, signed_in):
    b = signed_in("practitioner")
    response = b.post_form("/children/new", {"given_name": "Noor", "family_name": "Ali", "date_of_birth": "2026-02-11",
                                             "sex": "female", "gestation_weeks": "39", **EXTRA})
    assert response.status_code == 302
    row = store.query_one(db, "SELECT * FROM children WHERE given_name = 'Noor'")
    assert row["team_id"] == users["practitioner"]["team_id"] and row["legal_hold"] == 0
    assert row["created_by"] == users["practitioner"]["id"] and row["id"] != "forged-id"


def test_concern_form_ignores_extra_fields(db, users, signed_in):
    child = make_child(db, users["practitioner"])
    b = signed_in("practitioner2")
    response = b.post_form(f"/children/{child['id']}/concerns/new",
                           {"occurred_on": date.today().isoformat(), "reporter_role": "social_worker", "summary": "Neighbour heard "
                            "shouting", "categories": "other", **EXTRA})
    assert response.status_code == 302
    row = store.query_one(db, "SELECT * FROM concerns")
    assert row["recorded_by"] == users["practitioner2"]["id"] and row["team_id"] == users["practitioner2"]["team_id"]
    assert row["id"] != "forged-id" and not row["created_at"].startswith("1999")


def test_a_visit_page_ignores_extra_fields(db, users, signed_in):
    child = make_child(db, users["practitioner"])
    b = signed_in("practitioner")
    page = b.get(f"/children/{child['id']}")
    started = b.client.post(f"/children/{child['id']}/visits/new", data={"csrf_token": csrf_from(page.text)})
    visit_id = re.search(r"/visits/([0-9a-f-]{36})/", started.headers["Location"]).group(1)
    url = f"/visits/{visit_id}/section/sleep"
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', b.get(url).text)
    current = next(g for g in version.groups() if g)
    fields = {k: v for k, v in EXTRA.items() if k != "version"}
    response = b.post_form(url, {"covering": "sleep_bag", "version": current, "button": "continue", **fields})
    assert response.status_code == 302
    row = store.query_one(db, "SELECT * FROM visits WHERE id = ?", (visit_id,))
    assert row["status"] == "draft" and row["team_id"] == users["practitioner"]["team_id"]
    assert row["visitor_id"] == users["practitioner"]["id"] and row["signed_by"] is None
    assert row["covering"] == "sleep_bag" and not row["created_at"].startswith("1999")


def test_completing_an_action_ignores_extra_fields(app, db, users, token_for):
    child = make_child(db, users["practitioner"])
    action_id = open_action(db, child, users["practitioner"])
    response = app.test_client().post(f"/api/v1/actions/{action_id}/complete", headers=token_for("practitioner"),
                                      json={"outcome": "Food bank voucher given", "completed_by": 999, "status": "open",
                                            "countersigned_by": 999, "team_id": 999})
    assert response.status_code == 200
    row = store.query_one(db, "SELECT * FROM actions WHERE id = ?", (action_id,))
    assert row["status"] == "done" and row["completed_by"] == users["practitioner"]["id"]
    assert row["countersigned_by"] is None and row["team_id"] == users["practitioner"]["team_id"]


def test_a_token_label_cannot_make_a_token_for_someone_else(db, users, signed_in):
    b = signed_in("practitioner")
    response = b.post_form("/account", {"label": "Tablet", "user_id": str(users["admin"]["id"]), "role": "admin"})
    assert response.status_code == 200
    rows = store.query(db, "SELECT user_id FROM api_tokens WHERE label = 'Tablet'")
    assert rows == [{"user_id": users["practitioner"]["id"]}]
