"""Break-glass: another team's child, read-only, for 4 hours, with a reason, an alert and an audit trail.

Caldicott's need-to-know rule keeps records inside their team (another team's child is "not found");
in an emergency a practitioner or supervisor may open one child's record after saying why.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from helpers import csrf_from, full_visit, make_child, parse
from homevisit.data import store

REASON = "Child brought to the out-of-hours duty desk by police; checking for existing concerns before placement"


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"], given_name="Maya", family_name="Okafor", nhs_number="9434765919")


def ask(b, identifier, reason=REASON):
    return b.post_form("/break-glass/", {"identifier": identifier, "reason": reason})


def grant_id_from(response):
    match = re.search(r"/break-glass/([0-9a-f-]{36})$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def test_the_normal_routes_say_not_found_and_break_glass_opens_the_record_read_only(app, db, users, child, signed_in,
                                                                                      token_for):
    visit = full_visit(child["id"], observed_verbatim="Maya was asleep in her cot")
    assert app.test_client().put(f"/api/v1/visits/{visit['id']}", data=json.dumps(visit),
                                 headers={**token_for("practitioner"), "Content-Type": "application/json"}).status_code == 201
    b = signed_in("other")
    assert b.get(f"/children/{child['id']}").status_code == 404
    response = ask(b, "943 476 5919")
    assert response.status_code == 302
    grant = grant_id_from(response)
    page = b.get(f"/break-glass/{grant}")
    assert page.status_code == 200
    soup = parse(page.text)
    assert "Maya Okafor" in soup.get_text() and "You cannot change it" in soup.get_text()
    # read-only: the only form on the page is the sign-out button in the header
    assert [f.get("action") for f in soup.find_all("form")] == ["/sign-out"]
    shown = b.get(f"/break-glass/{grant}/visits/{visit['id']}")
    assert shown.status_code == 200 and "Maya was asleep in her cot" in shown.text
    assert [f.get("action") for f in parse(shown.text).find_all("form")] == ["/sign-out"]
    # the grant opens the break-glass pages only: every ordinary route, read or write, stays "not found"
    assert b.get(f"/children/{child['id']}").status_code == 404
    assert b.get(f"/visits/{visit['id']}").status_code == 404
    assert b.post_form(f"/children/{child['id']}/concerns/new", {"summary": "x"}, page_url="/children/").status_code == 404
    assert b.post_form(f"/children/{child['id']}/visits/new", {}, page_url="/children/").status_code == 404
    headers = {**token_for("other"), "Content-Type": "application/json"}
    other_visit = full_visit(child["id"])
    assert app.test_client().put(f"/api/v1/visits/{other_visit['id']}", data=json.dumps(other_visit),
                                 headers=headers).status_code == 422
    assert app.test_client().get(f"/api/v1/children/{child['id']}", headers=headers).status_code == 404
    # the audit log has the request with its reason, and each page seen under it
    rows = store.query(db, "SELECT action, object_type, user_id, detail FROM audit_log WHERE child_id = ? "
                           "AND user_id = ? ORDER BY id", (child["id"], users["other"]["id"]))
    assert rows[0]["action"] == "break_glass" and json.loads(rows[0]["detail"])["reason"] == REASON
    views = [json.loads(r["detail"]) for r in rows if r["action"] == "view"]
    assert [v["break_glass"] for v in views] == [grant, grant]


def test_a_reason_is_required_and_must_say_enough(signed_in, child, db):
    b = signed_in("other")
    missing = ask(b, child["nhs_number"], "")
    assert missing.status_code == 422
    assert "Enter why you need to see this child's record now" in parse(missing.text).get_text()
    short = ask(b, child["nhs_number"], "urgent")
    assert short.status_code == 422 and "at least 20 characters" in parse(short.text).get_text()
    assert parse(short.text).select_one(".govuk-error-summary a")["href"] == "#reason"
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM break_glass")["n"] == 0


def test_only_an_exact_nhs_number_or_record_id_finds_a_child_and_misses_are_audited(signed_in, child, db, users):
    b = signed_in("other")
    for attempt in ("Maya Okafor", "Okafor", "9434765918", "%"):
        response = ask(b, attempt)
        assert response.status_code == 422
        assert "No child was found" in parse(response.text).get_text()
    misses = store.query(db, "SELECT * FROM audit_log WHERE action = 'break_glass_not_found' AND user_id = ?",
                         (users["other"]["id"],))
    assert len(misses) == 4
    assert ask(b, child["id"]).status_code == 302


def test_the_childs_team_supervisors_are_alerted_and_can_acknowledge(app, signed_in, child, db, users):
    other = signed_in("other")
    grant = grant_id_from(ask(other, child["nhs_number"]))
    supervisor = signed_in("supervisor")
    with app.test_request_context("/supervision/"):
        from flask import g, render_template

        g.user = users["supervisor"]
        alert = render_template("breakglass/_alerts.html")
        g.user = users["other_supervisor"]
        assert render_template("breakglass/_alerts.html").strip() == ""
        g.user = users["practitioner"]
        assert render_template("breakglass/_alerts.html").strip() == ""
    alert = parse(alert).get_text()
    assert "Hv" in alert and "Maya Okafor" in alert and REASON in alert and "Team B" in alert
    dashboard = supervisor.get("/supervision/")
    from pathlib import Path

    template = (Path(app.root_path) / "templates" / "supervision" / "dashboard.html").read_text()
    if "breakglass/_alerts.html" in template:
        assert REASON in parse(dashboard.text).get_text()
    viewers = supervisor.get(f"/children/{child['id']}/viewers")
    assert REASON in parse(viewers.text).get_text() and "Not acknowledged" in viewers.text
    # another team's supervisor cannot acknowledge it; the child's team's supervisor can, once
    assert signed_in("other_supervisor").post_form(f"/break-glass/{grant}/acknowledge", {},
                                                   page_url="/supervision/").status_code == 404
    done = supervisor.post_form(f"/break-glass/{grant}/acknowledge", {}, page_url="/supervision/")
    assert done.status_code == 302
    row = store.query_one(db, "SELECT acknowledged_by FROM break_glass WHERE id = ?", (grant,))
    assert row["acknowledged_by"] == users["supervisor"]["id"]
    assert store.query(db, "SELECT * FROM audit_log WHERE action = 'break_glass_acknowledged'")
    with app.test_request_context("/supervision/"):
        from flask import g, render_template

        g.user = users["supervisor"]
        assert render_template("breakglass/_alerts.html").strip() == ""


def test_access_ends_after_four_hours(signed_in, child, db):
    b = signed_in("other")
    grant = grant_id_from(ask(b, child["nhs_number"]))
    row = store.query_one(db, "SELECT created_at, expires_at FROM break_glass WHERE id = ?", (grant,))
    length = datetime.fromisoformat(row["expires_at"]) - datetime.fromisoformat(row["created_at"])
    assert length == timedelta(hours=4)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    with store.write(db):
        store.execute(db, "UPDATE break_glass SET expires_at = ? WHERE id = ?", (past, grant))
    ended = b.get(f"/break-glass/{grant}")
    assert ended.status_code == 403 and "Your emergency access has ended" in ended.text
    assert "Maya" not in parse(ended.text).select_one("main").get_text()


def test_a_grant_is_its_holders_alone(signed_in, child):
    grant = grant_id_from(ask(signed_in("other"), child["nhs_number"]))
    for role in ("other_supervisor", "practitioner", "supervisor"):
        assert signed_in(role).get(f"/break-glass/{grant}").status_code == 404, role


def test_admins_cannot_break_the_glass_and_own_team_children_need_no_glass(signed_in, child, db):
    assert signed_in("admin").get("/break-glass/").status_code == 403
    own = ask(signed_in("practitioner2"), child["nhs_number"])
    assert own.status_code == 302 and own.headers["Location"] == f"/children/{child['id']}"
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM break_glass")["n"] == 0


def test_drafts_stay_private_under_break_glass(signed_in, child, db, users):
    from homevisit.services import visits

    draft = visits.start_draft(db, child, users["practitioner"])
    b = signed_in("other")
    grant = grant_id_from(ask(b, child["nhs_number"]))
    assert b.get(f"/break-glass/{grant}/visits/{draft}").status_code == 404


def test_the_break_glass_form_refuses_a_post_without_its_csrf_token(signed_in, child):
    b = signed_in("other")
    page = b.get("/break-glass/")
    assert csrf_from(page.text)
    response = b.client.post("/break-glass/", data={"identifier": child["nhs_number"], "reason": REASON})
    assert response.status_code == 400
