"""`make run` seeds a demo instance with `flask seed-demo --if-empty`: people who can sign in with the printed
passwords, children with months of visits and their required actions, and nothing twice."""

from __future__ import annotations

import re

from helpers import Browser
from homevisit import audit, store


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
