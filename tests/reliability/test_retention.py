"""Retention: records kept to the 25th birthday (26th if 17 or older when care ended), then deleted;
a legal hold stops deletion; every deletion and hold is in the audit log, which itself stays whole.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from helpers import full_visit, make_child, parse
from homevisit.data import store
from homevisit.services import audit, maintenance


@pytest.fixture
def three(app, db, users, token_for):
    """Three children born the same day with a visit each: one due, one held, one still in care at 17."""
    born = date(2026, 1, 5) if date.today() >= date(2026, 1, 5) else date.today()
    headers = {**token_for("practitioner"), "Content-Type": "application/json"}
    kids = {}
    for name in ("due", "held", "older"):
        child = make_child(db, users["practitioner"], given_name=name.title(), date_of_birth=born.isoformat())
        body = full_visit(child["id"], visited_at=f"{date.today().isoformat()}T09:00:00+00:00", weight_kg=None)
        assert app.test_client().put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                                     headers=headers).status_code == 201
        kids[name] = {**child, "visit_id": body["id"]}
    with store.write(db):
        store.execute(db, "UPDATE allocations SET ended_on = ? WHERE child_id = ?",
                      (maintenance.add_years(born, 17).isoformat(), kids["older"]["id"]))
    return born, kids


def test_dry_run_lists_what_is_due_and_deletes_nothing(app, db, three):
    born, kids = three
    runner = app.test_cli_runner()
    assert runner.invoke(args=["legal-hold", kids["held"]["id"], "--reason", "Care proceedings ZW24C00123"]).exit_code == 0
    before = store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"]
    on = maintenance.add_years(born, 25).isoformat()
    result = runner.invoke(args=["retention", "--dry-run", "--today", on])
    assert result.exit_code == 0, result.output
    assert "2 children past their retention date" in result.output
    assert kids["due"]["id"] in result.output and kids["held"]["id"] in result.output
    assert "LEGAL HOLD" in result.output and kids["older"]["id"] not in result.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"] == before
    day_before = runner.invoke(args=["retention", "--dry-run", "--today",
                                     date.fromordinal(date.fromisoformat(on).toordinal() - 1).isoformat()])
    assert "0 children past their retention date" in day_before.output


def test_retention_deletes_every_row_about_the_child_but_not_the_audit_trail(app, db, users, three):
    born, kids = three
    runner = app.test_cli_runner()
    runner.invoke(args=["legal-hold", kids["held"]["id"], "--reason", "Care proceedings ZW24C00123"])
    due = kids["due"]
    audit_before = store.query_one(db, "SELECT COUNT(*) AS n FROM audit_log WHERE child_id = ?", (due["id"],))["n"]
    result = runner.invoke(args=["retention", "--today", maintenance.add_years(born, 25).isoformat()])
    assert result.exit_code == 0, result.output
    assert "Deleted the records of 1 children; kept 1 under a legal hold" in result.output
    for table, column in (("children", "id"), ("visits", "child_id"), ("concerns", "child_id"),
                          ("actions", "child_id"), ("allocations", "child_id"), ("rule_hits", "child_id")):
        assert store.query(db, f"SELECT * FROM {table} WHERE {column} = ?", (due["id"],)) == [], table
    for table in ("injuries", "carers_present", "draft_inputs", "records"):
        assert store.query(db, f"SELECT * FROM {table} WHERE visit_id = ?", (due["visit_id"],)) == [], table
    # the held child and the child who was 17 when care ended are untouched
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM children WHERE id IN (?, ?)",
                           (kids["held"]["id"], kids["older"]["id"]))["n"] == 2
    # the audit trail is append-only: its entries stay (ids, no names), with one saying why the records went
    entries = store.query(db, "SELECT action, detail FROM audit_log WHERE child_id = ? ORDER BY id", (due["id"],))
    assert len(entries) == audit_before + 1
    assert entries[-1]["action"] == "retention_delete"
    assert json.loads(entries[-1]["detail"])["deleted"]["visits"] == 1
    assert "Due" not in json.dumps(store.query(db, "SELECT * FROM audit_log"))  # no name in the trail
    assert audit.verify_chain(db)["ok"]
    assert store.query(db, "SELECT * FROM audit_log WHERE action = 'retention_run'")
    # a year later the child who was 17 at the end of care is due too; the held child never is
    later = runner.invoke(args=["retention", "--today", maintenance.add_years(born, 26).isoformat()])
    assert "Deleted the records of 1 children; kept 1 under a legal hold" in later.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM children WHERE id = ?", (kids["held"]["id"],))["n"] == 1


def test_retention_removes_the_signed_record_files_too(app, db, users, three, tmp_path):
    born, kids = three
    records = tmp_path / "instance" / "records"
    records.mkdir(parents=True, exist_ok=True)
    (records / f"{kids['due']['visit_id']}.pdf").write_bytes(b"%PDF signed")
    with store.write(db):
        store.insert(db, "records", {"visit_id": kids["due"]["visit_id"], "kind": "signed",
                                     "filename": f"{kids['due']['visit_id']}.pdf", "sha256": "0" * 64,
                                     "size_bytes": 11, "created_at": "2026-01-01T00:00:00+00:00"})
    out = maintenance.apply_retention(db, str(records), today=maintenance.add_years(born, 25))
    assert {d["child_id"] for d in out["deleted"]} == {kids["due"]["id"], kids["held"]["id"]}  # no hold here
    assert not (records / f"{kids['due']['visit_id']}.pdf").exists()


def test_the_retention_age_is_configurable(app, db, three):
    born, kids = three
    app.config["RETENTION_YEARS"] = 30
    result = app.test_cli_runner().invoke(args=["retention", "--dry-run", "--today",
                                                maintenance.add_years(born, 25).isoformat()])
    assert "0 children past their retention date" in result.output


def test_legal_hold_from_the_command_line_needs_a_reason_and_is_audited(app, db, three):
    _born, kids = three
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["legal-hold", kids["due"]["id"], "--reason", "court"])
    assert missing.exit_code == 1 and "at least 10 characters" in missing.output
    assert runner.invoke(args=["legal-hold", kids["due"]["id"], "--reason", "Inquiry ref 2026/114"]).exit_code == 0
    assert runner.invoke(args=["legal-hold", kids["due"]["id"], "--clear", "--reason", "Inquiry closed 2027"]).exit_code == 0
    rows = store.query(db, "SELECT action, detail FROM audit_log WHERE child_id = ? AND action LIKE 'legal_hold%' "
                           "ORDER BY id", (kids["due"]["id"],))
    assert [r["action"] for r in rows] == ["legal_hold_set", "legal_hold_cleared"]
    assert json.loads(rows[0]["detail"])["reason"] == "Inquiry ref 2026/114"
    assert runner.invoke(args=["legal-hold", "no-such-child", "--reason", "whatever reason"]).exit_code == 1


def test_a_supervisor_sets_and_lifts_a_legal_hold_for_their_own_team_only(db, users, signed_in, three):
    _born, kids = three
    child_id = kids["due"]["id"]
    page = f"/children/{child_id}/viewers"
    sup = signed_in("supervisor")
    short = sup.post_form(f"/children/{child_id}/legal-hold", {"legal_hold": "on", "reason": "x"}, page_url=page)
    assert short.status_code == 422 and "at least 10 characters" in parse(short.text).get_text()
    done = sup.post_form(f"/children/{child_id}/legal-hold", {"legal_hold": "on", "reason": "Care proceedings ZW24C00123"},
                         page_url=page)
    assert done.status_code == 302
    assert store.query_one(db, "SELECT legal_hold FROM children WHERE id = ?", (child_id,))["legal_hold"] == 1
    assert "under a legal hold" in sup.get(page).text
    lifted = sup.post_form(f"/children/{child_id}/legal-hold", {"legal_hold": "off", "reason": "Proceedings concluded"},
                           page_url=page)
    assert lifted.status_code == 302
    assert store.query_one(db, "SELECT legal_hold FROM children WHERE id = ?", (child_id,))["legal_hold"] == 0
    actions = [r["action"] for r in store.query(db, "SELECT action FROM audit_log WHERE child_id = ? AND user_id = ? "
                                                    "AND action LIKE 'legal_hold%'", (child_id, users["supervisor"]["id"]))]
    assert actions == ["legal_hold_set", "legal_hold_cleared"]
    assert signed_in("practitioner").post_form(f"/children/{child_id}/legal-hold", {"legal_hold": "on",
                                               "reason": "Care proceedings"}, page_url="/children/").status_code == 403
    assert signed_in("other_supervisor").post_form(f"/children/{child_id}/legal-hold", {"legal_hold": "on",
                                                   "reason": "Care proceedings"}, page_url="/supervision/").status_code == 404


@pytest.mark.parametrize("day, last, years, expected", [
    ("2001-05-10", None, 25, "2026-05-10"),
    ("2001-05-10", "2018-05-09", 25, "2026-05-10"),  # 16 when the last thing was recorded
    ("2001-05-10", "2018-05-10", 25, "2027-05-10"),  # 17: one more year
    ("2004-02-29", None, 25, "2029-03-01"),  # no 29 February that year: the later day
    ("2001-05-10", None, 30, "2031-05-10"),
])
def test_retention_date(day, last, years, expected):
    from datetime import date

    got = maintenance.retention_date(date.fromisoformat(day), date.fromisoformat(last) if last else None, years)
    assert got.isoformat() == expected


def test_retention_prunes_old_sessions_and_sign_in_attempts_and_keeps_recent_ones(app, db, users):
    from datetime import timedelta

    from homevisit.web import auth

    runner = app.test_cli_runner()
    today = date.today()

    def at(days_ago: int) -> str:
        return f"{(today - timedelta(days=days_ago)).isoformat()}T12:00:00+00:00"

    user_id = users["practitioner"]["id"]
    with store.write(db):
        for key, ended, expires in (("old-ended", at(45), at(40)), ("old-expired", None, at(31)),
                                    ("recent-ended", at(3), at(2)), ("live", None, at(-1))):
            store.insert(db, "sessions", {"id_hash": auth.token_hash(key), "user_id": user_id, "data": "{}",
                                          "created_at": at(60), "last_seen_at": at(60), "expires_at": expires,
                                          "ended_at": ended})
        for days in (800, 401, 399, 1):
            store.insert(db, "login_attempts", {"email": "hv@a.example", "user_id": user_id, "at": at(days),
                                                "succeeded": 0, "outcome": "wrong password", "remote_addr": None})

    dry = runner.invoke(args=["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 sessions ended before" in dry.output and "2 sign-in attempts before" in dry.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM login_attempts WHERE email = 'hv@a.example'")["n"] == 4

    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 ended sessions and 2 old sign-in attempts" in result.output
    kept = {r["id_hash"] for r in store.query(db, "SELECT id_hash FROM sessions")}
    assert auth.token_hash("recent-ended") in kept and auth.token_hash("live") in kept
    assert auth.token_hash("old-ended") not in kept and auth.token_hash("old-expired") not in kept
    left = sorted(r["at"][:10] for r in store.query(db, "SELECT at FROM login_attempts WHERE email = 'hv@a.example'"))
    assert left == [at(399)[:10], at(1)[:10]]
    entry = store.query(db, "SELECT detail FROM audit_log WHERE action = 'prune_sign_in_records'")[-1]
    assert json.loads(entry["detail"])["sessions"] == 2 and json.loads(entry["detail"])["login_attempts"] == 2
    assert audit.verify_chain(db)["ok"]
