"""Required actions across visits by different professionals, concerns, supervision and handover."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from helpers import full_visit, make_child, make_user, parse
from homevisit.data import store
from homevisit.services import children


def put(app, headers, body):
    response = app.test_client().put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                                     headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {a["rule_id"] for a in response.get_json()["required_actions"]}


def at(day: date) -> str:
    return f"{day.isoformat()}T11:00:00+00:00"


def test_a_child_like_child_au_gets_actions_that_escalate_visit_by_visit(app, db, users, token_for):
    """Weight falling across centiles, not standing, a cold room with no bedding and no food, restraint,
    an arm swollen for days, three social workers: each visit's actions, whoever recorded it."""
    today = date.today()
    dob = today - timedelta(days=520)
    child = make_child(db, users["practitioner"], given_name="Baby", family_name="Au", sex="male",
                       date_of_birth=dob.isoformat(), gestation_weeks=40, birth_weight_kg=3.5)
    sw2 = make_user(db, "sw2@a.example", visitor_role="social_worker")
    sw3 = make_user(db, "sw3@a.example", visitor_role="social_worker")
    hv, sw1 = token_for("practitioner"), token_for("practitioner2")
    from homevisit.web import auth

    t_sw2 = {"Authorization": f"Bearer {auth.create_token(db, sw2['id'])}"}
    t_sw3 = {"Authorization": f"Bearer {auth.create_token(db, sw3['id'])}"}
    well = dict(sits_unsupported=True, pulls_to_stand=True, cruises=True, stands_alone=False,
                walks_independently=False, weight_clothing="naked")

    # Month 11: health visitor, a well child on about the 50th centile
    first = put(app, hv, full_visit(child["id"], visited_at=at(dob + timedelta(days=335)), weight_kg=9.6, **well))
    assert first == set()

    # Month 12: social worker 1 finds the child watchful and withdrawn; weight has dropped
    children.allocate(db, child["id"], users["practitioner2"]["id"], users["supervisor"], on=dob + timedelta(days=360))
    second = put(app, sw1, full_visit(child["id"], visitor_role="social_worker", visited_at=at(dob + timedelta(days=365)),
                                      weight_kg=9.0, demeanour="watchful_frozen", **well))
    assert {"R24", "R26", "R13", "R14"} <= second
    assert "R01" not in second and "R08" not in second

    # Month 13: cold room, no covering, no food, not pulling to stand any more, weight still falling
    third = put(app, hv, full_visit(child["id"], visited_at=at(dob + timedelta(days=395)), weight_kg=8.4,
                                    covering="none", room_temp_c=14.0, room_heated=False, child_cold=True,
                                    age_appropriate_food="none", spoiled_food_accessible=True,
                                    **{**well, "pulls_to_stand": False, "cruises": False}))
    assert {"R16", "R17", "R19", "R10", "R15", "R27", "R29"} <= third
    assert "R23" in third  # a previously mobile child who has lost skills

    # Month 14: social worker 2 sees the child's arms taped
    children.allocate(db, child["id"], sw2["id"], users["supervisor"], on=dob + timedelta(days=420))
    fourth = put(app, t_sw2, full_visit(child["id"], visitor_role="social_worker",
                                        visited_at=at(dob + timedelta(days=425)), weight_kg=None,
                                        restraint_observed=True))
    assert "R01" in fourth
    assert {"R27", "R30"} <= fourth

    # Month 15: social worker 3 (the third in 120 days): an arm swollen for three days, no medical help
    children.allocate(db, child["id"], sw3["id"], users["supervisor"], on=dob + timedelta(days=450))
    visit_day = dob + timedelta(days=455)
    fifth = put(app, t_sw3, full_visit(
        child["id"], visitor_role="social_worker", visited_at=at(visit_day), weight_kg=None, pain_on_handling=True,
        injuries=[{"type": "swelling", "body_site": "left_forearm", "explanation_assessment": "none",
                   "first_noticed_date": (visit_day - timedelta(days=3)).isoformat(), "medical_help_sought": False}]))
    assert {"R05", "R06", "R32"} <= fifth

    # Month 17: the health visitor weighs him at 7.3 kg: below the 0.4th centile
    sixth = put(app, hv, full_visit(child["id"], visited_at=at(dob + timedelta(days=515)), weight_kg=7.3,
                                    remeasured_confirmed=True, **well))
    assert {"R08", "R09", "R10", "R14"} <= sixth

    actions = store.query(db, "SELECT severity FROM actions WHERE child_id = ? AND rule_id = 'R01'", (child["id"],))
    assert [a["severity"] for a in actions] == ["immediate"]
    immediate_r06 = store.query(db, "SELECT severity FROM actions WHERE child_id = ? AND rule_id = 'R06'", (child["id"],))
    assert immediate_r06[0]["severity"] == "immediate"  # R06 escalates when R05 fires too


def test_a_well_child_across_a_year_of_visits_gets_no_action(app, db, users, token_for):
    today = date.today()
    dob = today - timedelta(days=380)
    child = make_child(db, users["practitioner"], sex="female", date_of_birth=dob.isoformat(), birth_weight_kg=3.3)
    weights = {14: 3.5, 42: 4.6, 90: 5.9, 180: 7.4, 270: 8.4, 365: 9.1}
    for days, kg in weights.items():
        months = days / 30.4
        milestones = {"head_control": months >= 3, "rolls": months >= 5, "sits_unsupported": months >= 8,
                      "crawls_or_shuffles": months >= 9, "pulls_to_stand": months >= 10}
        body = full_visit(child["id"], visited_at=at(dob + timedelta(days=days)), weight_kg=kg,
                          weight_clothing="naked", stands_alone=None, walks_independently=None,
                          **{k: (True if v else None) for k, v in milestones.items()},
                          feeding_mode="breast" if months < 6 else "family_foods")
        for k in ("sits_unsupported", "pulls_to_stand"):
            body[k] = True if milestones[k] else None
        fired = put(app, token_for("practitioner"), body)
        assert fired == set(), (days, fired)


def test_a_concern_from_a_housing_officer_raises_the_same_rules(app, db, users, signed_in):
    child = make_child(db, users["practitioner"])
    b = signed_in("practitioner2")
    response = b.post_form(f"/children/{child['id']}/concerns/new", [
        ("occurred_on", date.today().isoformat()), ("reporter_role", "housing_officer"), ("agency", "Northfield Housing"),
        ("source", "The gas engineer who visited on Monday"),
        ("summary", "The engineer saw the baby's arms taped to her sides."), ("categories", "restraint"),
        ("categories", "disclosure_by_third_party")])
    assert response.status_code == 302, response.text[:3000]
    rules = {r["rule_id"] for r in store.query(db, "SELECT rule_id FROM actions WHERE child_id = ?", (child["id"],))}
    assert {"R01", "R25"} <= rules
    page = parse(b.get(f"/children/{child['id']}").text).get_text(" ")
    assert "The engineer saw the baby's arms taped" in page
    assert "Northfield Housing" in page


def test_a_concern_needs_what_and_when(app, db, users, signed_in):
    child = make_child(db, users["practitioner"])
    b = signed_in("practitioner")
    response = b.post_form(f"/children/{child['id']}/concerns/new", {"reporter_role": "health_visitor"})
    assert response.status_code == 422
    text = parse(response.text).select_one(".govuk-error-summary").get_text()
    assert "Enter the concern" in text and "Enter the date of the concern" in text
    assert "Select what the concern involves" in text


def test_not_done_needs_a_reason_and_a_supervisors_countersignature(app, db, users, signed_in, token_for):
    child = make_child(db, users["practitioner"])
    put(app, token_for(), full_visit(child["id"], restraint_observed=True))
    action = store.query_one(db, "SELECT id FROM actions WHERE rule_id = 'R01'")
    b = signed_in("practitioner")
    short = b.post_form(f"/actions/{action['id']}", {"result": "not_done", "not_done_reason": "no"})
    assert short.status_code == 200 and "Explain why the action was not done" in short.text
    done = b.post_form(f"/actions/{action['id']}", {"result": "not_done",
                                                    "not_done_reason": "MASH line engaged for an hour; police attended instead."})
    assert done.status_code == 302
    sup = signed_in("supervisor")
    dashboard = parse(sup.get("/supervision/").text).get_text(" ")
    assert "MASH line engaged" in dashboard
    countersigned = sup.post_form(f"/actions/{action['id']}/countersign", {"cs-note": "Agreed; police log 123."},
                                  page_url=f"/actions/{action['id']}")
    assert countersigned.status_code == 302
    row = store.query_one(db, "SELECT status, countersigned_by FROM actions WHERE id = ?", (action["id"],))
    assert row["status"] == "not_done" and row["countersigned_by"] == users["supervisor"]["id"]
    trail = [r["action"] for r in store.query(db, "SELECT action FROM audit_log WHERE object_id = ? ORDER BY id",
                                              (action["id"],))]
    assert trail == ["raise", "not_done", "countersign"]


def test_a_practitioner_cannot_countersign(app, db, users, signed_in, token_for):
    child = make_child(db, users["practitioner"])
    put(app, token_for(), full_visit(child["id"], restraint_observed=True))
    action = store.query_one(db, "SELECT id FROM actions WHERE rule_id = 'R01'")
    b = signed_in("practitioner2")
    response = b.post_form(f"/actions/{action['id']}/countersign", {}, page_url=f"/actions/{action['id']}")
    assert response.status_code == 403


def test_overdue_actions_escalate_to_the_supervisor(app, db, users, signed_in, token_for):
    child = make_child(db, users["practitioner"])
    put(app, token_for(), full_visit(child["id"], visited_at=at(date.today() - timedelta(days=3)),
                                     age_appropriate_food="none"))
    sup = signed_in("supervisor")
    page = parse(sup.get("/supervision/").text)
    overdue = page.find(id="overdue").find_next("table")
    assert overdue is not None and "R16" in overdue.get_text()
    escalated = store.query(db, "SELECT rule_id FROM actions WHERE escalated_at IS NOT NULL")
    assert "R16" in {r["rule_id"] for r in escalated}
    audit = store.query(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'escalate'")
    assert audit[0]["n"] == len(escalated)


def test_a_supervisor_can_narrow_the_dashboard_to_one_persons_work(app, db, users, signed_in, token_for):
    # A supervision session with one practitioner: their overdue actions, their visits to review.
    three_days_ago = at(date.today() - timedelta(days=3))
    mine = make_child(db, users["practitioner"], given_name="Nell", family_name="Priestley")
    theirs = make_child(db, users["practitioner"], given_name="Otto", family_name="Quayle")
    put(app, token_for("practitioner"), full_visit(mine["id"], visited_at=three_days_ago, age_appropriate_food="none"))
    put(app, token_for("practitioner2"), full_visit(theirs["id"], visited_at=three_days_ago,
                                                     age_appropriate_food="none", visitor_role="social_worker"))
    owners = {r["owner_user_id"] for r in store.query(db, "SELECT owner_user_id FROM actions WHERE child_id = ?",
                                                     (theirs["id"],))}
    assert users["practitioner2"]["id"] in owners
    sup = signed_in("supervisor")

    everyone = parse(sup.get("/supervision/").text)
    text = everyone.get_text(" ")
    assert "Nell Priestley" in text and "Otto Quayle" in text
    assert everyone.find("select", id="person") is not None

    one = parse(sup.get(f"/supervision/?person={users['practitioner2']['id']}").text)
    assert one.find("h1").get_text(strip=True) == f"Supervision: {users['practitioner2']['name']}"
    overdue = one.find(id="overdue").find_next("table").get_text(" ")
    assert "Otto Quayle" in overdue and "Nell Priestley" not in overdue
    review = one.find(id="review").find_next("ul").get_text(" ")
    assert "Otto Quayle" in review and "Nell Priestley" not in review
    assert one.find("option", selected=True)["value"] == str(users["practitioner2"]["id"])

    # Someone from another team (or an edited link) is not shown: everyone's work is, and the page says so.
    other = parse(sup.get(f"/supervision/?person={users['other']['id']}").text).get_text(" ")
    assert "not in your team" in other and "Nell Priestley" in other and "Otto Quayle" in other


def test_handover_shows_everything_still_open(app, db, users, signed_in, token_for):
    child = make_child(db, users["practitioner"])
    put(app, token_for(), full_visit(child["id"], covering="none", room_temp_c=12.0, child_cold=True,
                                     age_appropriate_food="none"))
    sup = signed_in("supervisor")
    response = sup.post_form(f"/children/{child['id']}/allocate", {"user_id": str(users["practitioner2"]["id"])})
    assert response.status_code == 302 and response.headers["Location"].endswith("/handover")
    page = parse(signed_in("practitioner2").get(f"/children/{child['id']}/handover").text).get_text(" ")
    assert "R16" in page and "R19" in page and "8.90 kg" in page
    rows = store.query(db, "SELECT user_id, ended_on FROM allocations WHERE child_id = ? ORDER BY id", (child["id"],))
    assert rows[0]["ended_on"] is not None and rows[-1]["user_id"] == users["practitioner2"]["id"]


def test_check_rules_reports_errors_with_line_numbers(app, tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nid = "R07"\ncondition = "no_such_fact == true"\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["check-rules", str(bad)])
    assert result.exit_code == 1
    assert "rules.toml:" in result.output and "no_such_fact" in result.output
    good = tmp_path / "good.toml"
    good.write_text('[[rule]]\nid = "R18"\nseverity = "same_day"\ndeadline = "today"\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["check-rules", str(good)])
    assert result.exit_code == 0, result.output


def test_a_local_rules_file_changes_what_fires(app, db, users, token_for):
    local = app.instance_path + "/rules.toml"
    with open(local, "w", encoding="utf-8") as fh:
        fh.write('[[rule]]\nid = "R18"\nenabled = false\n')
    child = make_child(db, users["practitioner"], date_of_birth=(date.today() - timedelta(days=100)).isoformat())
    fired = put(app, token_for(), full_visit(child["id"], weight_kg=None, items_in_cot=["pillow"]))
    assert "R18" not in fired


def test_every_action_shows_its_source(app, db, users, signed_in, token_for):
    child = make_child(db, users["practitioner"])
    put(app, token_for(), full_visit(child["id"], restraint_observed=True))
    page = signed_in("practitioner").get(f"/children/{child['id']}").text
    for row in store.query(db, "SELECT source FROM actions"):
        assert row["source"] in parse(page).get_text(" ")


def test_the_history_the_rules_read_holds_every_answer_the_history_facts_use(app, db, users, token_for, monkeypatch):
    """history_for loads only facts.HISTORY_VISIT_FIELDS of earlier visits. The facts for a new visit must
    be exactly those computed from the earlier visits' full rows, so no fact reads an answer left behind."""
    from homevisit.domain import facts
    from homevisit.domain.dictionary import VISIT_FIELDS
    from homevisit.services import visits
    from homevisit.web.rulesets import current_rules

    today = date.today()
    dob = today - timedelta(days=400)
    child = make_child(db, users["practitioner"], given_name="Kai", date_of_birth=dob.isoformat(), birth_weight_kg=3.4)
    hv, sw = token_for("practitioner"), token_for("practitioner2")
    answers = [
        (hv, dict(weight_kg=8.9, weight_clothing="naked", pulls_to_stand=True, cruises=True, hygiene="clean")),
        (sw, dict(visitor_role="social_worker", child_seen="not_seen", child_not_seen_reason="Out with her aunt",
                  missed_appointments=2, hygiene="dirty",
                  weight_kg=None)),
        (hv, dict(weight_kg=8.5, weight_clothing="nappy", pulls_to_stand=False, demeanour="watchful_frozen",
                  hygiene="smelly", covering="none", room_temp_c=14.0)),
        (sw, dict(visitor_role="social_worker", missed_appointments=1, age_appropriate_food="none", weight_kg=8.3)),
    ]
    for n, (token, overrides) in enumerate(answers):
        put(app, token, full_visit(child["id"], visited_at=at(today - timedelta(days=40 - 9 * n)), **overrides))
    child_row = store.query_one(db, "SELECT * FROM children WHERE id = ?", (child["id"],))
    new_visit = full_visit(child["id"], visited_at=at(today), weight_kg=8.1, pulls_to_stand=False, hygiene="dirty")
    new_visit["visitor_id"] = users["practitioner"]["id"]

    narrow = visits.history_for(db, child["id"])
    monkeypatch.setattr(visits, "HISTORY_VISIT_FIELDS", ("id", "visited_at", "visitor_id",
                                                         *(f.name for f in VISIT_FIELDS)))
    full = visits.history_for(db, child["id"])
    assert len(full["visits"][0]) > len(narrow["visits"][0]) + 50  # the full rows really are fuller

    with app.app_context():
        rules = current_rules()
    with_narrow = facts.facts_for(new_visit, child_row, None, narrow, today=today, rules=rules)
    with_full = facts.facts_for(new_visit, child_row, None, full, today=today, rules=rules)
    assert with_narrow == with_full
    assert with_narrow["earlier_visits"] == 4 and with_narrow["previously_mobile"]  # the history was read


@pytest.mark.parametrize("visit_days_ago", [0, 95, 181, 400])
def test_a_submit_has_the_database_sum_the_history_and_the_facts_are_those_of_the_whole_history(
        app, db, users, token_for, visit_days_ago):
    """#16: a submit has the database sum the child's visits up (visits.history_for with the windows) rather
    than read them one by one. The facts for a new visit must be exactly those from every earlier visit listed,
    wherever the windows' edges fall: the milestones and the last weight of visits long ago, the visits
    counted, each window's counts, 'consider' rules on earlier visits by others, and visits dated after a
    backdated visit left out."""
    import random

    from homevisit.domain import facts
    from homevisit.services import visits
    from homevisit.web.rulesets import current_rules

    rng = random.Random(visit_days_ago)
    today = date.today()
    child = make_child(db, users["practitioner"], given_name="Long", date_of_birth=(today - timedelta(days=700)).isoformat(),
                       birth_weight_kg=3.4)
    hv, sw = token_for("practitioner"), token_for("practitioner2")
    for n, days_ago in enumerate(sorted({rng.randrange(0, 690) for _ in range(70)} | {182, 183, 184, 180, 91, 90, 89},
                                        reverse=True)):
        overrides: dict[str, Any] = {"weight_kg": round(rng.uniform(6, 12), 2) if rng.random() < 0.6 else None,
                                     "hygiene": rng.choice(["clean", "dirty", "smelly"]),
                                     "missed_appointments": rng.choice([0, 0, 1, 2]),
                                     "pulls_to_stand": rng.random() < 0.3, "cruises": rng.random() < 0.2,
                                     "remeasured_confirmed": True}
        if rng.random() < 0.2:
            overrides.update(child_seen="not_seen", access_outcome="no_answer", access_attempts=["knocked"])
        if days_ago <= visit_days_ago + 200:  # standing and weights only long ago: the summary must carry them
            overrides.update(weight_kg=None, pulls_to_stand=False, cruises=False)
        put(app, hv if n % 2 else sw, full_visit(child["id"], visited_at=at(today - timedelta(days=days_ago)), **overrides))
    child_row = store.query_one(db, "SELECT * FROM children WHERE id = ?", (child["id"],))
    on = today - timedelta(days=visit_days_ago)
    new_visit = full_visit(child["id"], visited_at=at(on), weight_kg=None, hygiene="dirty", pulls_to_stand=False)
    new_visit["visitor_id"] = users["practitioner"]["id"]
    with app.app_context():
        rules = current_rules()
    summed = visits.history_for(db, child["id"], windows=facts.history_windows(on, rules))
    whole = visits.history_for(db, child["id"])
    assert summed["visits"] == [] and summed["summed"]["count"] > 0  # the database really did the sums
    with_window = facts.facts_for(new_visit, child_row, None, summed, today=today, rules=rules)
    with_whole = facts.facts_for(new_visit, child_row, None, whole, today=today, rules=rules)
    assert with_window == with_whole
    assert with_whole["earlier_visits"] > 0 and with_whole["previous_weight_kg"] is not None
    assert with_whole["previously_mobile"] and "pulls_to_stand" in with_whole["milestones_lost"]
