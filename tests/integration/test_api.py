"""The JSON API contract of API.md: tokens, problem+json, idempotent visit PUT, team scoping."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from helpers import full_visit, make_child
from homevisit.data import store


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"])


def put(client, headers, body, visit_id=None):
    return client.put(f"/api/v1/visits/{visit_id or body['id']}", data=json.dumps(body),
                      headers={**headers, "Content-Type": "application/json"})


def test_no_token_gets_401_problem_json(app):
    response = app.test_client().get("/api/v1/actions")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == 401 and body["title"] and "detail" in body


def test_a_bad_token_gets_401(app):
    response = app.test_client().get("/api/v1/actions", headers={"Authorization": "Bearer hv_not-a-token"})
    assert response.status_code == 401


def test_create_child_returns_201_with_the_fixed_names(app, token_for):
    body = {"given_name": "Zara", "family_name": "Khan", "date_of_birth": "2026-01-05", "sex": "female",
            "gestation_weeks": 39, "gestation_days": 3, "birth_weight_kg": 3.2, "nhs_number": "943 476 5919"}
    response = app.test_client().post("/api/v1/children", json=body, headers=token_for())
    assert response.status_code == 201
    created = response.get_json()
    # the fixed names, and whether the child has a child protection plan (#15: null when not recorded)
    assert set(created) == {"id", "given_name", "family_name", "date_of_birth", "sex", "gestation_weeks",
                            "gestation_days", "birth_weight_kg", "nhs_number", "child_protection_plan"}
    assert created["nhs_number"] == "9434765919"
    assert created["child_protection_plan"] is None


def test_create_child_with_bad_values_gets_422_with_field_messages(app, token_for):
    body = {"given_name": "", "family_name": "Khan", "date_of_birth": "2026-02-30", "sex": "boy",
            "gestation_weeks": 50, "birth_weight_kg": 9, "nhs_number": "1234567890"}
    response = app.test_client().post("/api/v1/children", json=body, headers=token_for())
    assert response.status_code == 422
    errors = response.get_json(force=True)["errors"]
    assert errors["given_name"] == ["Enter the child's given name"]
    assert errors["date_of_birth"] == ["Enter the child's date of birth as a real date, like 2026-11-24"]
    assert errors["sex"] == ["Select the child's sex from the list"]
    assert errors["gestation_weeks"] == ["The weeks of gestation at birth must be between 22 and 44"]
    assert errors["birth_weight_kg"] == ["The birth weight must be between 0.3 kg and 6.5 kg"]
    assert errors["nhs_number"] == ["Enter a valid NHS number: its last digit does not match the others, so a digit "
                                    "is probably mistyped. Check it against the red book"]


def test_put_visit_201_then_identical_replay_200_and_one_row(app, db, child, token_for):
    headers = token_for()
    client = app.test_client()
    body = full_visit(child["id"])
    first = put(client, headers, body)
    assert first.status_code == 201, first.get_data(as_text=True)
    stored = first.get_json()
    assert stored["id"] == body["id"] and stored["weight_kg"] == 8.9
    assert set(stored["growth"]) == {"weight_sds", "weight_centile", "centile_spaces_fallen_since_birth"}
    assert isinstance(stored["required_actions"], list)
    replay = put(client, headers, dict(reversed(list(body.items()))))  # same JSON, another key order
    assert replay.status_code == 200
    assert replay.get_json() == stored
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM visits")["n"] == 1
    audits = store.query(db, "SELECT * FROM audit_log WHERE action = 'submit' AND object_id = ?", (body["id"],))
    assert len(audits) == 1


def test_concurrent_identical_puts_leave_one_row(app, db, child, token_for):
    headers = token_for()
    body = full_visit(child["id"])
    statuses = []
    barrier = threading.Barrier(8)

    def send():
        client = app.test_client()
        barrier.wait()
        statuses.append(put(client, headers, body).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM visits")["n"] == 1
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'submit'")["n"] == 1


def test_same_id_with_a_different_body_gets_409_and_the_original_is_unchanged(app, db, child, token_for):
    headers = token_for()
    client = app.test_client()
    body = full_visit(child["id"])
    assert put(client, headers, body).status_code == 201
    changed = {**body, "weight_kg": 8.1}
    response = put(client, headers, changed)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert store.query_one(db, "SELECT weight_kg FROM visits WHERE id = ?", (body["id"],))["weight_kg"] == 8.9


def test_out_of_range_values_get_422_with_the_forms_messages(app, child, token_for):
    body = full_visit(child["id"], room_temp_c=50, weight_kg="heavy", covering="blanket", child_cold="maybe",
                      injuries=[{"type": "bruise", "body_site": "elbow", "size_mm": 900}])
    response = put(app.test_client(), token_for(), body)
    assert response.status_code == 422
    errors = response.get_json(force=True)["errors"]
    assert errors["room_temp_c"] == ["The room temperature must be between 5°C and 35°C"]
    assert errors["weight_kg"] == ["Enter the child's weight as a number, like 9.45"]
    assert errors["covering"] == ["Select what covers the child when asleep from the list"]
    assert errors["child_cold"] == ["Select whether the child is cold, or select not observed"]
    assert errors["injuries-0-body_site"] == ["Select where the mark is on the body from the list"]
    assert errors["injuries-0-size_mm"] == ["The size of the mark must be between 0 mm and 500 mm"]


def test_grams_typed_as_kilograms_are_refused_with_a_message_saying_so(app, child, token_for):
    response = put(app.test_client(), token_for(), full_visit(child["id"], weight_kg=8900))
    assert response.status_code == 422
    assert response.get_json(force=True)["errors"]["weight_kg"] == [
        "8900 kg cannot be a child's weight: it looks like grams. Enter the child's weight in kilograms, like 8.90"]


def test_a_weight_no_child_of_this_age_could_have_is_refused(app, child, token_for):
    response = put(app.test_client(), token_for(), full_visit(child["id"], weight_kg=35.6))
    assert response.status_code == 422
    assert response.get_json(force=True)["errors"]["weight_kg"][0].startswith(
        "35.6 kg cannot be the weight of a child of this age. Enter the weight in kilograms")


def test_a_weight_far_from_the_median_must_be_confirmed(app, child, token_for):
    headers = token_for()
    body = full_visit(child["id"], weight_kg=5.0)
    response = put(app.test_client(), headers, body)
    assert response.status_code == 422
    assert "Re-weigh the child" in response.get_json(force=True)["errors"]["weight_kg"][0]
    confirmed = put(app.test_client(), headers, {**body, "remeasured_confirmed": True})
    assert confirmed.status_code == 201


def test_only_required_fields_and_omitted_means_not_observed(app, child, token_for):
    body = {"id": str(uuid.uuid4()), "child_id": child["id"], "visited_at": "2026-11-20T09:00:00+00:00",
            "visitor_role": "housing_officer", "child_seen": "asleep"}
    response = put(app.test_client(), token_for(), body)
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.get_json()
    assert stored["weight_kg"] is None and stored["child_cold"] is None and stored["injuries"] == []


def test_missing_required_fields_get_messages(app, child, token_for):
    response = put(app.test_client(), token_for(), {"id": str(uuid.uuid4()), "child_id": child["id"]})
    errors = response.get_json(force=True)["errors"]
    assert response.status_code == 422
    assert errors["visited_at"] == ["Enter the date and time of the visit"]
    assert errors["visitor_role"] == ["Select your role on this visit"]
    assert errors["child_seen"] == ["Select whether you saw the child"]


def test_other_teams_records_are_404_never_403(app, db, users, child, token_for):
    mine = token_for("practitioner")
    theirs = token_for("other")
    body = full_visit(child["id"])
    assert put(app.test_client(), mine, body).status_code == 201
    client = app.test_client()
    assert client.get(f"/api/v1/children/{child['id']}", headers=theirs).status_code == 404
    assert client.get(f"/api/v1/visits/{body['id']}", headers=theirs).status_code == 404
    assert client.get(f"/api/v1/children/{child['id']}/chronology", headers=theirs).status_code == 404
    assert put(client, theirs, body).status_code == 404
    other_child_visit = full_visit(child["id"])
    response = put(client, theirs, other_child_visit)
    assert response.status_code == 422
    assert response.get_json(force=True)["errors"]["child_id"] == ["Enter the id of a child on your team's caseload"]


def test_extra_fields_change_nothing(app, db, users, child, token_for):
    body = full_visit(child["id"], team_id=999, signed_by=users["other"]["id"], created_at="1999-01-01",
                      status="signed", visitor_id=users["other"]["id"])
    assert put(app.test_client(), token_for(), body).status_code == 201
    row = store.query_one(db, "SELECT team_id, signed_by, created_at, status, visitor_id FROM visits")
    assert row["team_id"] == users["practitioner"]["team_id"]
    assert row["signed_by"] is None and row["status"] == "submitted" and row["created_at"] != "1999-01-01"
    assert row["visitor_id"] == users["practitioner"]["id"]


def test_get_child_shows_growth_and_open_actions(app, child, token_for):
    headers = token_for()
    client = app.test_client()
    put(client, headers, full_visit(child["id"], room_heated=False, covering="none", child_cold=True))
    body = client.get(f"/api/v1/children/{child['id']}", headers=headers).get_json()
    assert body["growth"][0]["weight_kg"] == 8.9
    assert set(body["growth"][0]) >= {"measured_on", "weight_kg", "sds", "centile", "centile_spaces_fallen_since_birth"}
    assert {a["rule_id"] for a in body["open_actions"]} >= {"R19"}


def test_oversized_body_gets_413(app, child, token_for):
    body = full_visit(child["id"], observed_verbatim="x" * (3 * 1024 * 1024))
    response = put(app.test_client(), token_for(), body)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_not_json_gets_a_clear_problem(app, child, token_for):
    client = app.test_client()
    response = client.put(f"/api/v1/visits/{uuid.uuid4()}", data="{not json",
                          headers={**token_for(), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json(force=True)["title"] == "The body is not valid JSON"


def test_an_unpaired_surrogate_in_the_json_gets_a_clear_problem_not_a_server_error(app, child, token_for, db):
    body = full_visit(child["id"], observed_verbatim="SURROGATE")
    raw = json.dumps(body).replace("SURROGATE", "half a pair \\ud800 here")
    response = app.test_client().put(f"/api/v1/visits/{body['id']}", data=raw.encode("ascii"),
                                     headers={**token_for(), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["title"] == "The body has text that is not valid Unicode"
    assert store.query_one(db, "SELECT id FROM visits WHERE id = ?", (body["id"],)) is None


def test_control_characters_in_free_text_are_dropped_and_line_breaks_kept(app, child, token_for):
    body = full_visit(child["id"], observed_verbatim="Mum said\x0bshe was tired\x00\x1b today")
    response = put(app.test_client(), token_for(), body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["observed_verbatim"] == "Mum said\nshe was tired today"


def test_actions_list_and_complete(app, child, token_for):
    headers = token_for()
    client = app.test_client()
    put(client, headers, full_visit(child["id"], age_appropriate_food="none"))
    listed = client.get("/api/v1/actions?status=open", headers=headers).get_json()["actions"]
    assert listed
    action = listed[0]
    done = client.post(f"/api/v1/actions/{action['id']}/complete", json={"outcome": "Food bank voucher given"},
                       headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    again = client.post(f"/api/v1/actions/{action['id']}/complete", json={"outcome": "again"}, headers=headers)
    assert again.status_code == 409
    empty = client.post(f"/api/v1/actions/{listed[1]['id']}/complete", json={}, headers=headers)
    assert empty.status_code == 422
    assert empty.get_json(force=True)["errors"]["outcome"] == ["Enter what was done, or why it was not done"]
