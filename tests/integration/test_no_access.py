"""Visits with no access, appointments the child was not brought to, and the child protection plan (#15).

Through the pages and the API, with a real database: a visit with no access skips the pages nobody could
see, says so in check your answers, on the visit page and in the printed record, and raises the actions for
today (a child with a plan) and for the supervisor (a pattern); the pattern shows on the child's page, the
caseload and the supervisor's dashboard.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from helpers import assert_page_well_formed, csrf_from, full_visit, make_child, parse
from homevisit.data import store


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"], given_name="Rhys", family_name="Morgan")


def start_visit(b, child):
    page = b.get(f"/children/{child['id']}")
    response = b.client.post(f"/children/{child['id']}/visits/new", data={"csrf_token": csrf_from(page.text)})
    match = re.search(r"/visits/([0-9a-f-]{36})/section/seen", response.headers["Location"])
    assert match
    return match.group(1)


def save_seen(b, visit_id, answers):
    url = f"/visits/{visit_id}/section/seen"
    page = parse(b.get(url).text)
    data = [("version", page.find("input", {"name": "version"})["value"]),
            ("visited_at", page.find("input", {"name": "visited_at"})["value"]), ("visitor_role", "health_visitor"),
            *answers, ("button", "continue")]
    return b.post_form(url, data, page_url=url)


def no_access_visit(b, child, outcome="no_answer", tried=("knocked", "phoned", "card_left")):
    visit_id = start_visit(b, child)
    response = save_seen(b, visit_id, [("child_seen", "not_seen"), ("access_outcome", outcome),
                                       *[("access_attempts", t) for t in tried],
                                       ("access_notes", "Curtains drawn. Neighbour said the family were in.")])
    assert response.status_code == 302, response.text[:3000]
    return visit_id, response


def test_a_visit_with_no_access_skips_to_the_practitioners_account_and_is_said_everywhere(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id, response = no_access_visit(b, child)
    assert response.headers["Location"].endswith(f"/visits/{visit_id}/section/summary")
    summary = parse(b.get(f"/visits/{visit_id}/section/summary").text)
    back = summary.select_one(".govuk-back-link")
    assert back["href"].endswith("/section/seen")  # back goes to the page before, not to a skipped one
    url = f"/visits/{visit_id}/section/summary"
    response = b.post_form(url, [("version", summary.find("input", {"name": "version"})["value"]),
                                 ("observed_verbatim", "Knocked at 10:05 and 10:20. No answer; a television on."),
                                 ("button", "continue")], page_url=url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/check")

    check = assert_page_well_formed(b.get(f"/visits/{visit_id}/check").text)
    notice = check.select_one(".app-no-access")
    assert notice is not None and "No access: nobody answered." in notice.get_text()
    skipped = [p.get_text(strip=True) for p in check.select(".app-skipped")]
    assert skipped == ["Skipped: No access: nobody answered."] * 7
    text = check.get_text(" ")
    assert "Knocked or rang, and waited, Phoned the parent or carer, Left a card or letter saying I had called" in text
    assert "Where does the child sleep?" not in text  # no question nobody could answer

    response = b.post_form(f"/visits/{visit_id}/check", {})
    assert response.status_code == 302
    row = store.query_one(db, "SELECT status, access_outcome, access_attempts, child_seen FROM visits WHERE id = ?",
                          (visit_id,))
    assert row == {"status": "submitted", "access_outcome": "no_answer",
                   "access_attempts": '["knocked","phoned","card_left"]', "child_seen": "not_seen"}
    page = assert_page_well_formed(b.get(f"/visits/{visit_id}").text)
    assert "No access: nobody answered." in page.select_one(".app-no-access").get_text()


def test_what_was_tried_is_required_and_the_answers_must_agree(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    response = save_seen(b, visit_id, [("child_seen", "awake"), ("access_outcome", "refused_entry")])
    assert response.status_code == 422
    soup = assert_page_well_formed(response.text)
    errors = soup.select_one(".govuk-error-summary").get_text(" ")
    assert "Select what you tried, so the next person knows what has been done" in errors
    assert "You said you did not see the child on this visit: choose ‘No, not seen’" in errors
    # what was typed is kept
    assert soup.find("input", {"name": "access_outcome", "value": "refused_entry"}).has_attr("checked")
    response = save_seen(b, visit_id, [("child_seen", "not_seen"), ("access_outcome", "seen_at_window"),
                                       ("access_attempts", "knocked")])
    assert response.status_code == 422
    assert "You said the child was seen at a window or the door" in response.text
    # the child not seen for a reason other than no access still needs the reason
    response = save_seen(b, visit_id, [("child_seen", "not_seen"), ("access_outcome", "child_not_seen"),
                                       ("access_attempts", "knocked")])
    assert response.status_code == 422 and "Enter why the child was not seen" in response.text
    response = save_seen(b, visit_id, [("child_seen", "not_seen"), ("access_outcome", "no_answer"),
                                       ("access_attempts", "knocked")])
    assert response.status_code == 302


def test_no_access_to_a_child_with_a_plan_is_an_action_for_today_and_a_second_one_goes_to_the_supervisor(
        signed_in, child, db, users):
    b = signed_in("practitioner")
    page = b.get(f"/children/{child['id']}")
    response = b.post_form(f"/children/{child['id']}/protection-plan", {"child_protection_plan": "yes"},
                           page_url=f"/children/{child['id']}")
    assert response.status_code == 302
    assert store.query_one(db, "SELECT child_protection_plan FROM children WHERE id = ?",
                           (child["id"],))["child_protection_plan"] == 1
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'protection_plan_started' "
                               "AND child_id = ?", (child["id"],))["n"] == 1
    assert page.status_code == 200

    for n in range(2):
        visit_id, _ = no_access_visit(b, child, outcome=("no_answer", "refused_entry")[n])
        summary = parse(b.get(f"/visits/{visit_id}/section/summary").text)
        url = f"/visits/{visit_id}/section/summary"
        b.post_form(url, [("version", summary.find("input", {"name": "version"})["value"]),
                          ("observed_verbatim", f"Attempt {n + 1}"), ("button", "continue")], page_url=url)
        assert b.post_form(f"/visits/{visit_id}/check", {}).status_code == 302
    raised = store.query(db, "SELECT rule_id, owner, deadline FROM actions WHERE child_id = ? ORDER BY rule_id",
                         (child["id"],))
    by_rule = {a["rule_id"]: a for a in raised}
    assert by_rule["R37"]["deadline"] == "today" and by_rule["R37"]["owner"] == "visitor"
    assert by_rule["R38"]["owner"] == "supervisor"
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM rule_hits WHERE rule_id = 'R38'")["n"] == 1  # the second

    child_page = assert_page_well_formed(b.get(f"/children/{child['id']}").text)
    pattern = child_page.find(id="access")
    assert pattern is not None
    listed = [li.get_text(" ", strip=True) for li in pattern.find_next("ul").find_all("li")]
    assert len(listed) == 2  # both made this minute, so in either order
    assert {("entry was refused" in t, "nobody answered" in t, "recorded by Hv" in t) for t in listed} == {
        (True, False, True), (False, True, True)}
    assert "2 times in the last 90 days nobody could see Rhys" in child_page.get_text(" ")

    caseload = assert_page_well_formed(b.get("/children/").text)
    row = next(tr for tr in caseload.select("tbody tr") if "Rhys Morgan" in tr.get_text())
    assert "Child protection plan" in row.get_text() and "2 missed contacts in 90 days" in row.get_text()

    dashboard = assert_page_well_formed(signed_in("supervisor").get("/supervision/").text)
    section = dashboard.find(id="not-seen")
    assert section is not None
    item = section.find_next("ul").find("li").get_text(" ", strip=True)
    assert "Rhys Morgan" in item and "2 visits with no access and 0 appointments not brought in 90 days" in item


def test_was_not_brought_is_recorded_in_the_chronology_and_counts_towards_the_pattern(signed_in, child, db, users):
    b = signed_in("practitioner")
    url = f"/children/{child['id']}/not-brought"
    form = assert_page_well_formed(b.get(url).text)
    assert form.find("input", {"name": "reporter_role", "value": "health_visitor"}).has_attr("checked")
    response = b.post_form(url, {"appointment_on": "", "appointment_kind": "gp", "reporter_role": "health_visitor",
                                 "followed_up": "Phoned mother"}, page_url=url)
    assert response.status_code == 422 and "Enter the date of the appointment" in response.text
    assert parse(response.text).find("textarea", {"name": "followed_up"}) is not None or \
        "Phoned mother" in response.text  # what was typed is kept
    when = (date.today() - timedelta(days=20)).isoformat()
    response = b.post_form(url, {"appointment_on": when, "appointment_kind": "immunisation",
                                 "reporter_role": "health_visitor", "followed_up": "Phoned mother, new date sent"},
                           page_url=url)
    assert response.status_code == 302
    concern = store.query_one(db, "SELECT occurred_on, categories, summary FROM concerns WHERE child_id = ?",
                              (child["id"],))
    assert concern["occurred_on"] == when and concern["categories"] == '["missed_appointment"]'
    assert concern["summary"].startswith("Was not brought: immunisation on ")
    assert not store.query(db, "SELECT rule_id FROM actions WHERE rule_id = 'R38'")  # one is not yet a pattern

    visit_id, _ = no_access_visit(b, child)
    summary = parse(b.get(f"/visits/{visit_id}/section/summary").text)
    b.post_form(f"/visits/{visit_id}/section/summary",
                [("version", summary.find("input", {"name": "version"})["value"]), ("button", "continue")],
                page_url=f"/visits/{visit_id}/section/summary")
    assert b.post_form(f"/visits/{visit_id}/check", {}).status_code == 302
    reasons = store.query_one(db, "SELECT reasons FROM actions WHERE rule_id = 'R38'")
    assert reasons is not None
    assert "1 visit(s) with no access and 1 appointment(s) not brought in 90 days" in reasons["reasons"]
    page = b.get(f"/children/{child['id']}").text
    assert "Was not brought: Immunisation" in page


def test_the_api_takes_a_visit_with_no_access_and_a_childs_plan(app, db, users, token_for):
    client = app.test_client()
    headers = token_for()
    created = client.post("/api/v1/children", headers=headers, json={
        "given_name": "Ivy", "family_name": "Hart", "date_of_birth": (date.today() - timedelta(days=120)).isoformat(),
        "sex": "female", "gestation_weeks": 40, "child_protection_plan": True})
    assert created.status_code == 201 and created.get_json()["child_protection_plan"] is True
    child_id = created.get_json()["id"]
    body = {"id": "0b7d2f7e-8f0e-4f55-9d53-2f1c1c0a9a11", "child_id": child_id,
            "visited_at": f"{date.today().isoformat()}T10:30:00+00:00", "visitor_role": "health_visitor",
            "child_seen": "not_seen", "access_outcome": "refused_entry", "access_attempts": ["knocked"],
            "access_notes": "Father said through the door to come back next week."}
    response = client.put(f"/api/v1/visits/{body['id']}", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert stored["access_outcome"] == "refused_entry" and stored["access_attempts"] == ["knocked"]
    assert "R37" in {a["rule_id"] for a in stored["required_actions"]}
    bad = {**body, "id": "0b7d2f7e-8f0e-4f55-9d53-2f1c1c0a9a12", "access_attempts": []}
    response = client.put(f"/api/v1/visits/{bad['id']}", headers=headers, json=bad)
    assert response.status_code == 422
    assert response.get_json()["errors"]["access_attempts"] == [
        "Select what you tried, so the next person knows what has been done"]


def test_a_visit_that_went_ahead_is_unchanged_by_the_new_questions(app, db, users, token_for):
    child = make_child(db, users["practitioner"], child_protection_plan=True)
    response = app.test_client().put(f"/api/v1/visits/{(body := full_visit(child['id']))['id']}",
                                     headers=token_for(), json=body)
    assert response.status_code == 201
    assert not {"R37", "R38"} & {a["rule_id"] for a in response.get_json()["required_actions"]}
