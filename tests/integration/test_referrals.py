"""Referrals as tracked records: the API's idempotent PUT, the hub's responses and every decision, escalation when
it stalls or is disputed, re-referral after 'no further action', strategy discussions, team scoping and bad input.
Real SQLite file, real rules, the app's own HTTP routes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpers import assert_page_well_formed, full_visit, make_child, parse
from homevisit.data import store
from homevisit.domain.calendar import LONDON, add_working_days
from homevisit.services import referrals


def put(client: Any, headers: dict[str, str], referral_id: str, body: dict[str, Any]) -> Any:
    return client.put(f"/api/v1/referrals/{referral_id}", data=json.dumps(body),
                      headers={**headers, "Content-Type": "application/json"})


def body_for(child_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"child_id": child_id, "agency": "mash", "reason": "No food in the home and weight falling.",
            "supporting_rules": ["R16"], "form": {"household": "Mother (Jo) and Ava", "seen_and_heard": "Bare fridge"}}
    body.update(overrides)
    return body


def ago_working_days(n: int, hour: int = 10) -> str:
    """A moment n working days ago at ``hour`` UK time, as the API takes it (a few minutes ago for n=0)."""
    if n == 0:
        return (datetime.now(LONDON) - timedelta(minutes=5)).isoformat()
    today = datetime.now(LONDON).date()
    day = add_working_days(today, -n)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON).isoformat()


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"])


def test_put_is_idempotent_replay_200_changed_body_409(app, child, token_for, db):
    client, headers = app.test_client(), token_for()
    rid = str(uuid.uuid4())
    body = body_for(child["id"], sent_at=ago_working_days(0, 9), method="phone", reference="MASH-1")
    first = put(client, headers, rid, body)
    assert first.status_code == 201, first.get_data(as_text=True)
    stored = first.get_json()
    assert stored["status"] == "sent" and stored["reference"] == "MASH-1" and stored["agency"] == "mash"
    assert stored["ack_due_at"] and stored["decision_due_at"]
    again = put(client, headers, rid, dict(reversed(list(body.items()))))  # same JSON, keys in another order
    assert again.status_code == 200
    assert again.get_json()["id"] == rid
    changed = put(client, headers, rid, {**body, "reason": "Something else"})
    assert changed.status_code == 409
    assert changed.headers["Content-Type"] == "application/problem+json"
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM referrals")["n"] == 1
    assert store.query_one(db, "SELECT reason FROM referrals WHERE id = ?", (rid,))["reason"].startswith("No food")


def test_bad_input_gets_clear_messages_and_stores_nothing(app, child, token_for, db):
    client, headers = app.test_client(), token_for()
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    cases = [
        ({"sent_at": future, "method": "phone"}, "sent_at", "cannot be in the future"),
        ({"agency": "nspcc-helpline"}, "agency", "Choose the agency the referral goes to: mash"),
        ({"reason": "x" * 100_000}, "reason", "100,000 characters: keep it to 10,000 or fewer"),
        ({"supporting_rules": ["R99"]}, "supporting_rules", "not rules in force: R99"),
        ({"method": "pigeon", "sent_at": ago_working_days(0, 9)}, "method", "phone, secure_email or portal"),
        ({"form": {"shoe_size": "4"}}, "form", "Unknown questions: shoe_size"),
    ]
    for change, field, words in cases:
        response = put(client, headers, str(uuid.uuid4()), body_for(child["id"], **change))
        assert response.status_code == 422, (change, response.get_data(as_text=True))
        errors = response.get_json(force=True)["errors"]
        assert words in " ".join(errors[field]), (field, errors)
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM referrals")["n"] == 0


def test_a_referral_form_with_mistakes_keeps_every_word_typed(signed_in, child, db):
    b = signed_in("practitioner")
    long_reason = "She had no food. " * 6000  # about 100,000 characters
    words = "Mum said the cupboard has been empty since Tuesday"
    response = b.post_form(f"/children/{child['id']}/referrals/new",
                           {"agency": "mash", "reason": long_reason, "form_seen_and_heard": words})
    assert response.status_code == 422
    soup = assert_page_well_formed(response.text)
    assert "keep it to 10,000 or fewer" in soup.select_one(".govuk-error-summary").get_text()
    assert soup.select_one("textarea[name=reason]").get_text() == long_reason.rstrip("\n") or \
        soup.select_one("textarea[name=reason]").get_text().strip() == long_reason.strip()
    assert soup.select_one("textarea[name=form_seen_and_heard]").get_text().strip() == words
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM referrals")["n"] == 0


def test_another_teams_referral_is_not_found_in_html_and_api(app, db, users, child, token_for, signed_in):
    referral = referrals.create(db, child, users["practitioner"], body_for(child["id"]), config=app.config,
                                rule_ids={"R16"})
    other = signed_in("other")
    assert other.get(f"/referrals/{referral['id']}").status_code == 404
    assert other.get(f"/referrals/{referral['id']}/pack.pdf").status_code == 404
    assert other.get(f"/children/{child['id']}/referrals/new").status_code == 404
    client, headers = app.test_client(), token_for("other")
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/referrals/{referral['id']}/responses", headers=headers,
                       json={"kind": "acknowledgement"}).status_code == 404
    response = put(client, headers, referral["id"], body_for(child["id"]))
    assert response.status_code == 404
    listed = client.get("/api/v1/referrals", headers=headers).get_json()["referrals"]
    assert listed == []
    assert signed_in("practitioner").get(f"/referrals/{referral['id']}").status_code == 200


def _sent(app, db, user, child, n_working_days_ago: int = 0, hour: int = 10) -> dict[str, Any]:
    return referrals.create(db, child, user, body_for(child["id"], sent_at=ago_working_days(n_working_days_ago, hour),
                                                      method="phone"), config=app.config, rule_ids={"R16"})


@pytest.mark.parametrize("decision", [d for d, _w in referrals.DECISIONS])
def test_each_decision_outcome(app, db, users, child, decision):
    user = users["practitioner"]
    referral = _sent(app, db, user, child)
    at = datetime.now(LONDON).replace(microsecond=0).isoformat()
    done = referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": at, "hub_contact": "Sam, MASH",
                                                                "decision": decision, "reasons": "As given on the phone"},
                                     config=app.config)
    assert done["decision"] == decision and done["decision_reasons"] == "As given on the phone"
    assert done["acknowledged_at"]  # a decision answers the acknowledgement too
    open_rules = {a["rule_id"] for a in referrals.actions_for_referral(db, referral["id"]) if a["status"] == "open"}
    if decision == "more_information":
        assert done["status"] == "acknowledged"
        assert open_rules == {"MI"}
        later = referrals.record_response(db, referral["id"], user, {"kind": "information_sent", "at": at},
                                          config=app.config)
        assert later["decision_due_at"] > referral["decision_due_at"] or later["decision_due_at"] >= at
        assert not [a for a in referrals.actions_for_referral(db, referral["id"]) if a["status"] == "open"]
    else:
        assert done["status"] == "decided"
        assert open_rules == ({"SD"} if decision == "strategy_discussion" else set())
    kinds = [x["kind"] for x in referrals.responses_for(db, referral["id"])]
    assert kinds == ["sent", "decision"] + (["information_sent"] if decision == "more_information" else [])


def test_a_missed_acknowledgement_opens_the_escalation_ladder_one_step_at_a_time(app, db, users, child):
    user = users["practitioner"]
    referral = _sent(app, db, user, child, n_working_days_ago=3)
    now = datetime.now(UTC)
    assert referrals.check_timers(db, user["team_id"], config=app.config, now=now) == 1
    assert referrals.check_timers(db, user["team_id"], config=app.config, now=now) == 0  # opened once
    steps = referrals.actions_for_referral(db, referral["id"])
    assert [(a["rule_id"], a["owner"], a["owner_user_id"]) for a in steps] == [("ESC1", "visitor", user["id"])]
    assert "not acknowledged the referral in time" in steps[0]["reasons"]
    assert "hub (mash) team manager" in steps[0]["action"].lower()
    assert "default" in steps[0]["source"]
    # the first step's deadline passes with nothing from the hub: the next step opens, for the supervisor
    after = datetime.fromisoformat(steps[0]["due_at"]) + timedelta(minutes=1)
    assert referrals.check_timers(db, user["team_id"], config=app.config, now=after) == 1
    after2 = datetime.fromisoformat(referrals.actions_for_referral(db, referral["id"])[-1]["due_at"]) + timedelta(minutes=1)
    assert referrals.check_timers(db, user["team_id"], config=app.config, now=after2) == 1
    far = after2 + timedelta(days=60)
    assert referrals.check_timers(db, user["team_id"], config=app.config, now=far) == 0  # the ladder has 3 steps
    steps = referrals.actions_for_referral(db, referral["id"])
    assert [(a["rule_id"], a["owner"]) for a in steps] == [("ESC1", "visitor"), ("ESC2", "supervisor"),
                                                           ("ESC3", "supervisor")]
    # the decision arrives: the stall's escalation steps close, saying why
    referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": datetime.now(LONDON).isoformat(),
                                                         "hub_contact": "Team manager", "decision": "assessment",
                                                         "reasons": "Accepted"}, config=app.config)
    closed = referrals.actions_for_referral(db, referral["id"])
    assert {a["status"] for a in closed} == {"done"}
    assert all("decision was recorded" in a["outcome"] for a in closed)
    chronology = [x["kind"] for x in referrals.responses_for(db, referral["id"])]
    assert chronology.count("escalation") == 3


def test_a_referral_acknowledged_in_time_escalates_when_the_decision_is_late(app, db, users, child):
    user = users["practitioner"]
    referral = _sent(app, db, user, child, n_working_days_ago=3)
    referrals.record_response(db, referral["id"], user, {"kind": "acknowledgement", "at": referral["sent_at"],
                                                         "hub_contact": "Duty desk"}, config=app.config)
    assert referrals.check_timers(db, user["team_id"], config=app.config) == 1
    step = referrals.actions_for_referral(db, referral["id"])[0]
    assert "not made a decision in time" in step["reasons"]


def test_a_referral_still_within_its_deadline_does_not_escalate(app, db, users, child):
    user = users["practitioner"]
    referral = referrals.create(db, child, user, body_for(child["id"], sent_at=datetime.now(LONDON).isoformat(),
                                                          method="portal"), config=app.config, rule_ids={"R16"})
    assert referrals.check_timers(db, user["team_id"], config=app.config) == 0
    assert referrals.actions_for_referral(db, referral["id"]) == []


def test_a_disputed_decision_escalates_at_once_and_resolution_closes_it(app, db, users, child, token_for):
    user = users["practitioner"]
    referral = _sent(app, db, user, child)
    referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": datetime.now(LONDON).isoformat(),
                                                         "hub_contact": "Sam", "decision": "no_further_action",
                                                         "reasons": "Threshold not met"}, config=app.config)
    client, headers = app.test_client(), token_for()
    response = client.post(f"/api/v1/referrals/{referral['id']}/dispute", headers=headers,
                           json={"reason": "Weight has fallen two centile spaces and there is no food"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["disputed_at"] and [a["rule_id"] for a in body["actions"]] == ["ESC1"]
    assert referrals.disputed(db, user["team_id"])[0]["id"] == referral["id"]
    again = client.post(f"/api/v1/referrals/{referral['id']}/dispute", headers=headers, json={"reason": "Again"})
    assert again.status_code == 422
    resolved = client.post(f"/api/v1/referrals/{referral['id']}/dispute/resolution", headers=headers,
                           json={"resolution": "Service manager agreed to an assessment"})
    assert resolved.status_code == 200
    assert [a["status"] for a in resolved.get_json()["actions"]] == ["done"]
    assert referrals.disputed(db, user["team_id"]) == []


def test_no_further_action_then_an_urgent_concern_within_90_days_raises_the_re_referral_rule(app, db, users, child,
                                                                                                token_for):
    user = users["practitioner"]
    client, headers = app.test_client(), token_for()
    referral = _sent(app, db, user, child, n_working_days_ago=5)
    decided = datetime.now(LONDON) - timedelta(days=89)
    store.execute(db, "UPDATE referrals SET sent_at = ? WHERE id = ?",
                  ((decided - timedelta(days=1)).isoformat(), referral["id"]))
    referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": decided.isoformat(),
                                                         "hub_contact": "Sam", "decision": "no_further_action",
                                                         "reasons": "Below threshold"}, config=app.config)
    quiet = client.put("/api/v1/visits/" + (v := full_visit(child["id"]))["id"], json=v, headers=headers)
    assert "R34" not in {a["rule_id"] for a in quiet.get_json()["required_actions"]}  # nothing urgent: no rule
    urgent = full_visit(child["id"], age_appropriate_food="none", restraint_observed=True)
    response = client.put(f"/api/v1/visits/{urgent['id']}", json=urgent, headers=headers)
    fired = {a["rule_id"]: a for a in response.get_json()["required_actions"]}
    assert "R34" in fired, sorted(fired)
    assert "89 day(s)" in fired["R34"]["reasons"] and fired["R34"]["requires_referral"] is True


def test_no_re_referral_rule_after_the_window(app, db, users, child, token_for):
    user = users["practitioner"]
    referral = _sent(app, db, user, child, n_working_days_ago=5)
    decided = datetime.now(LONDON) - timedelta(days=91)
    store.execute(db, "UPDATE referrals SET sent_at = ? WHERE id = ?",
                  ((decided - timedelta(days=1)).isoformat(), referral["id"]))
    referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": decided.isoformat(),
                                                         "hub_contact": "Sam", "decision": "no_further_action",
                                                         "reasons": "Below threshold"}, config=app.config)
    urgent = full_visit(child["id"], restraint_observed=True)
    response = app.test_client().put(f"/api/v1/visits/{urgent['id']}", json=urgent, headers=token_for())
    assert "R34" not in {a["rule_id"] for a in response.get_json()["required_actions"]}


def test_a_strategy_discussion_is_recorded_with_tracked_actions(app, db, users, child, token_for):
    user = users["practitioner"]
    referral = _sent(app, db, user, child)
    referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": datetime.now(LONDON).isoformat(),
                                                         "hub_contact": "Sam", "decision": "strategy_discussion",
                                                         "reasons": "Reasonable cause to suspect significant harm"},
                              config=app.config)
    sid = str(uuid.uuid4())
    due = (datetime.now(LONDON).date() + timedelta(days=2)).isoformat()
    body = {"child_id": child["id"], "referral_id": referral["id"], "held_at": datetime.now(LONDON).isoformat(),
            "attendees": ["social_care", "police", "health"], "decision": "medical", "notes": "Medical today",
            "actions": [{"action": "Arrange the child protection medical", "who": "Paediatrician on call",
                         "owner": "visitor", "due_on": due},
                        {"action": "Check the siblings", "who": "Social worker", "owner": "supervisor", "due_on": due}]}
    client, headers = app.test_client(), token_for()
    response = client.put(f"/api/v1/strategy-discussions/{sid}", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.get_json()
    assert [a["rule_id"] for a in stored["actions"]] == ["SD1", "SD2"]
    assert {a["status"] for a in stored["actions"]} == {"open"}
    assert client.put(f"/api/v1/strategy-discussions/{sid}", json=body, headers=headers).status_code == 200
    assert client.put(f"/api/v1/strategy-discussions/{sid}", json={**body, "decision": "s47"},
                      headers=headers).status_code == 409
    # the referral's "take part in the strategy discussion" action is done now it is recorded
    sd = [a for a in referrals.actions_for_referral(db, referral["id"]) if a["rule_id"] == "SD"]
    assert [a["status"] for a in sd] == ["done"]
    bad = client.put(f"/api/v1/strategy-discussions/{uuid.uuid4()}", headers=headers,
                     json={**body, "attendees": [], "decision": "maybe"})
    assert bad.status_code == 422
    assert set(bad.get_json(force=True)["errors"]) >= {"attendees", "decision"}


def test_referrals_are_in_the_chronology_and_on_the_supervisors_dashboard(app, db, users, child, signed_in):
    user = users["practitioner"]
    late = _sent(app, db, user, child, n_working_days_ago=3)
    disputed = _sent(app, db, user, child)
    referrals.record_response(db, disputed["id"], user, {"kind": "decision", "at": datetime.now(LONDON).isoformat(),
                                                         "hub_contact": "Sam", "decision": "early_help",
                                                         "reasons": "Early help offer"}, config=app.config)
    referrals.record_dispute(db, disputed["id"], user, "Not enough for the risk seen", config=app.config)
    page = signed_in("supervisor").get("/supervision/")
    soup = parse(page.text)
    waiting = soup.select_one("#referrals-waiting").find_next("ul").get_text()
    assert "Not acknowledged in time" in waiting and "Escalation step 1" in waiting
    assert "Early help, disputed" in soup.select_one("#referrals-disputed").find_next("ul").get_text()
    assert "ESC1" in soup.select_one("#escalations").find_next("table").get_text()
    child_page = parse(signed_in("practitioner").get(f"/children/{child['id']}").text)
    chronology = child_page.select_one(".app-chronology").get_text()
    assert "Referral sent" in chronology and "Referral escalated" in chronology
    assert "The referrer disagreed with the hub's decision" in chronology
    assert late["id"] in child_page.select_one("#referrals").find_next("ul").decode()


def test_exports_and_subject_access_include_referrals_and_their_responses(app, db, users, child, token_for):
    import csv
    import io
    import zipfile

    def csv_rows(data: bytes) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))

    user = users["practitioner"]
    referral = _sent(app, db, user, child)
    referrals.record_response(db, referral["id"], user, {"kind": "decision", "at": datetime.now(LONDON).isoformat(),
                                                         "hub_contact": "Sam Duty", "decision": "no_further_action",
                                                         "reasons": "Below threshold"}, config=app.config)
    client, headers = app.test_client(), token_for("supervisor")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/v1/exports/children/{child['id']}/subject-access.zip",
                                                    headers=headers).data))
    assert {"referrals.csv", "referral_responses.csv", "strategy_discussions.csv"} <= set(archive.namelist())
    rows = csv_rows(archive.read("referrals.csv"))
    assert [(r["id"], r["decision"], r["supporting_rules"]) for r in rows] == [(referral["id"], "no_further_action",
                                                                               "R16")]
    assert [r["kind"] for r in csv_rows(archive.read("referral_responses.csv"))] == ["sent", "decision"]
    redacted = zipfile.ZipFile(io.BytesIO(client.get(
        f"/api/v1/exports/children/{child['id']}/subject-access.zip?redact=1", headers=headers).data))
    assert [r["hub_contact"] for r in csv_rows(redacted.read("referral_responses.csv"))][1] == "[redacted]"
    team = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/exports/referrals.zip", headers=headers).data))
    assert [r["id"] for r in csv_rows(team.read("referrals.csv"))] == [referral["id"]]
    workbook = client.get("/api/v1/exports/referrals.xlsx", headers=headers)
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    assert client.get("/api/v1/exports/referrals.zip?from=2026-13-01", headers=headers).status_code == 422
    assert client.get("/api/v1/exports/referrals.zip", headers=token_for("practitioner")).status_code == 403
    other = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/exports/referrals.zip",
                                                  headers=token_for("other_supervisor")).data))
    assert csv_rows(other.read("referrals.csv")) == []
    entities = {r["entity"] for r in client.get("/api/v1/exports/dictionary.json", headers=headers).get_json()}
    assert {"referral", "referral_response", "strategy_discussion"} <= entities
