"""`make run` seeds a demo instance with `flask seed-demo --if-empty`: people who can sign in with the printed
passwords, children with months of visits and their required actions, and nothing twice."""

from __future__ import annotations

import re

from helpers import Browser
from homevisit.data import store
from homevisit.records import signing
from homevisit.services import audit, visit_records


def test_seed_demo_makes_a_team_people_can_sign_in_to_and_runs_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    logins = re.findall(r"^\s+(practitioner|supervisor|admin)\s+(\S+@\S+)\s+(demo-\S+)$", first.output, re.M)
    assert {role for role, _, _ in logins} == {"practitioner", "supervisor", "admin"}
    counts = {t: store.query_one(db, f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in ("users", "children", "visits", "actions")}
    assert counts["children"] >= 3 and counts["visits"] >= 6 and counts["actions"] >= 1
    assert audit.verify_chain(db)["ok"]

    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"] == counts["children"]

    role, email, password = next(login for login in logins if login[0] == "practitioner")
    browser = Browser(app)
    signed_in = browser.sign_in(email, password)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    caseload = browser.get(signed_in.headers["Location"])
    assert caseload.status_code == 200
    page = caseload.get_data(as_text=True)
    assert "Sign out" in page
    names = [r["given_name"] for r in store.query(db, "SELECT given_name FROM children")]
    assert any(name in page for name in names)  # the practitioner's demo caseload is there

    # the demo's referral is waiting on the hub past its deadline: the supervisor sees it escalated
    role, email, password = next(login for login in logins if login[0] == "supervisor")
    supervisor = Browser(app)
    assert supervisor.sign_in(email, password).status_code == 302
    dashboard = supervisor.get("/supervision/").get_data(as_text=True)
    assert "Leo Harris: sent" in dashboard and "Not acknowledged in time" in dashboard
    assert "ESC1" in dashboard


def test_with_a_signing_key_the_demo_has_signed_records_and_a_visit_left_to_sign_per_child(signing_app, db):
    result = signing_app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Signed \d+ earlier demo visits", result.output), result.output
    trusted = signing.trusted_certificates(signing_app.config["SIGNING_DIR"])
    for child in store.query(db, "SELECT id FROM children"):
        visits = store.query(db, "SELECT id, status, visitor_id, signed_by FROM visits WHERE child_id = ? "
                                 "ORDER BY visited_at", (child["id"],))
        if not visits:
            continue
        assert visits[-1]["status"] == "submitted"  # the latest is left for its visitor to sign
        for visit in visits[:-1]:
            assert visit["status"] == "signed" and visit["signed_by"] == visit["visitor_id"]
            stored = store.query_one(db, "SELECT filename, sha256 FROM records WHERE visit_id = ?", (visit["id"],))
            pdf = visit_records.read_record_file(signing_app.config, stored["filename"], stored["sha256"])
            report = visit_records.verify_record(db, pdf, config=signing_app.config)
            assert report["intact"] and report["matches_stored_copy"]
            assert signing.verify_pdf(pdf, trusted)["intact"]
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM visits WHERE status = 'signed'")["n"] >= 4
    assert audit.verify_chain(db)["ok"]


def test_without_a_signing_key_the_demo_says_its_visits_are_left_unsigned(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "left unsigned" in result.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM visits WHERE status = 'signed'")["n"] == 0
