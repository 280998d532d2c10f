"""The audit log: append-only in the database, hash-chained against raw edits of the file, and readable.

Plan item 22 (second half): a raw edit of an audit row is reported at that row by the chain verification
(``flask --app app verify-audit``). Plus: the triggers refuse UPDATE and DELETE, every view is attributable
(user, time, role), and supervisors can see who has viewed a child's record.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import make_child, parse
from homevisit.data import store
from homevisit.services import audit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"], given_name="Ruby", family_name="Stone")


def _verify_cli(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    return result.exit_code, result.output


def _ids(db) -> list[int]:
    return [r["id"] for r in store.query(db, "SELECT id FROM audit_log ORDER BY id")]


def _raw_connection_without_triggers(path: Path) -> sqlite3.Connection:
    """What an attacker with the file would do: open it directly and drop the append-only triggers."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    return conn


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'nothing' WHERE id = 1",
                                       "UPDATE audit_log SET hash = hash",
                                       "DELETE FROM audit_log WHERE id = 1",
                                       "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_or_delete_an_audit_entry(db, users, statement):
    before = store.query(db, "SELECT * FROM audit_log ORDER BY id")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        with store.write(db):
            store.execute(db, statement)
    assert store.query(db, "SELECT * FROM audit_log ORDER BY id") == before


def test_an_intact_log_verifies(app, db, users, child):
    code, output = _verify_cli(app)
    assert code == 0 and "Audit log intact" in output


def test_an_edited_entry_is_reported_at_that_entry(app, db, users, child, signed_in):
    signed_in("practitioner2").get(f"/children/{child['id']}")
    target = store.query_one(db, "SELECT id FROM audit_log WHERE action = 'view' AND child_id = ?", (child["id"],))["id"]
    conn = _raw_connection_without_triggers(Path(app.config["DATABASE"]))
    conn.execute("UPDATE audit_log SET user_id = ? WHERE id = ?", (users["admin"]["id"], target))  # blame someone else
    conn.close()
    code, output = _verify_cli(app)
    assert code == 1
    assert f"broken at entry {target}: the entry's contents were changed" in output


def test_an_edit_that_recomputes_the_rows_hash_is_reported_at_the_next_entry(app, db, users, child):
    ids = _ids(db)
    target = ids[len(ids) // 2]
    row = store.query_one(db, "SELECT * FROM audit_log WHERE id = ?", (target,))
    row["detail"] = json.dumps({"forged": True})
    forged_hash = audit._entry_hash(row["prev_hash"], row)
    conn = _raw_connection_without_triggers(Path(app.config["DATABASE"]))
    conn.execute("UPDATE audit_log SET detail = ?, hash = ? WHERE id = ?", (row["detail"], forged_hash, target))
    conn.close()
    code, output = _verify_cli(app)
    assert code == 1 and f"broken at entry {ids[ids.index(target) + 1]}: the entry does not follow" in output


def test_a_deleted_entry_is_reported_where_the_chain_breaks(app, db, users, child):
    ids = _ids(db)
    target = ids[3]
    conn = _raw_connection_without_triggers(Path(app.config["DATABASE"]))
    conn.execute("DELETE FROM audit_log WHERE id = ?", (target,))
    conn.close()
    code, output = _verify_cli(app)
    assert code == 1 and f"broken at entry {ids[4]}: the entry does not follow" in output


def test_one_byte_changed_in_the_file_itself_is_reported_at_that_entry(app, db, users, child, tmp_path):
    """No SQL at all: the bytes of a copy of the database file are edited, as with a hex editor."""
    with store.write(db):
        pass
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every entry is in the main file, none in the -wal
    copy = tmp_path / "copy.db"
    shutil.copyfile(app.config["DATABASE"], copy)
    entry = store.query_one(db, "SELECT id, detail FROM audit_log WHERE action = 'create' AND object_type = 'user' "
                                "AND detail LIKE '%sup@b.example%'")
    data = bytearray(copy.read_bytes())
    # the users table holds the same email: take the occurrence inside the audit entry's own text
    needle = entry["detail"].encode()
    at = data.find(needle)
    assert at > 0
    data[at + needle.index(b"sup@b") + 2] = ord("x")  # one byte: sup@b.example becomes sux@b.example
    copy.write_bytes(bytes(data))
    app.config["DATABASE"] = str(copy)
    code, output = _verify_cli(app)
    assert code == 1 and f"broken at entry {entry['id']}: the entry's contents were changed" in output


def test_verify_audit_runs_from_the_command_line_and_exits_non_zero_on_a_broken_chain(app, db, users, tmp_path):
    instance = Path(app.instance_path)
    (instance / "secret_key").write_text("x" * 64)
    conn = _raw_connection_without_triggers(Path(app.config["DATABASE"]))
    conn.execute("UPDATE audit_log SET action = 'nothing' WHERE id = 2")
    conn.close()
    env = {"HOMEVISIT_INSTANCE_PATH": str(instance), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "verify-audit"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Audit log broken at entry 2: the entry's contents were changed" in result.stderr


def test_every_view_is_attributable_to_a_person_their_role_and_a_time(db, users, child, signed_in):
    signed_in("supervisor").get(f"/children/{child['id']}")
    row = store.query_one(db, "SELECT * FROM audit_log WHERE action = 'view' AND user_id = ?", (users["supervisor"]["id"],))
    assert row["user_role"] == "supervisor" and row["team_id"] == users["supervisor"]["team_id"]
    assert row["child_id"] == child["id"] and row["at"]


def test_supervisors_see_who_has_viewed_a_childs_record(db, users, child, signed_in):
    signed_in("practitioner2").get(f"/children/{child['id']}")
    signed_in("practitioner2").get(f"/children/{child['id']}/handover")
    page = signed_in("supervisor").get(f"/children/{child['id']}/viewers")
    assert page.status_code == 200
    soup = parse(page.text)
    rows = {r.find("td").get_text(" ", strip=True): [td.get_text(strip=True) for td in r.find_all("td")]
            for r in soup.select("table")[0].select("tbody tr")}
    sw = next(v for k, v in rows.items() if "sw@a.example" in k)
    assert sw[2] == "2"  # two views by the social worker
    assert "Viewed the record" in soup.get_text()
    # looking at the access log is itself logged
    assert store.query(db, "SELECT * FROM audit_log WHERE action = 'view_access_log' AND user_id = ?",
                       (users["supervisor"]["id"],))


def test_only_the_childs_teams_supervisors_see_who_has_viewed(child, signed_in):
    assert signed_in("practitioner").get(f"/children/{child['id']}/viewers").status_code == 403
    assert signed_in("other_supervisor").get(f"/children/{child['id']}/viewers").status_code == 404
    assert signed_in("admin").get(f"/children/{child['id']}/viewers").status_code == 200


def test_an_export_of_the_childs_records_is_listed_with_the_views(app, db, users, child, signed_in, token_for):
    assert "exports.chronology" in app.view_functions, "the chronology export's route was renamed: update this test"
    response = app.test_client().get(f"/api/v1/exports/children/{child['id']}/chronology.csv",
                                     headers=token_for("practitioner2"))
    assert response.status_code == 200
    response.get_data()  # the export is audited once the download has finished
    response.close()
    page = parse(signed_in("supervisor").get(f"/children/{child['id']}/viewers").text)
    row = next(r for r in page.select("table")[0].select("tbody tr") if "sw@a.example" in r.get_text())
    assert [td.get_text(strip=True) for td in row.find_all("td")][3] == "1"  # one export
    assert "Exported" in page.get_text()
