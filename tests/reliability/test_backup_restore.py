"""Plan item 20: a backup taken under load restores to a working instance with the same counts and a
verifying audit chain; ``flask --app app backup`` / ``restore`` and what they refuse.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from serving import ROOT, Server, app_for, make_instance

from helpers import PASSWORD, Browser, full_visit, make_child
from homevisit.data import store
from homevisit.services import audit, children, maintenance, visits


def _writer(database: str, user: dict, child_ids: list[str], stop: threading.Event, committed: list[str],
            errors: list[BaseException]) -> None:
    from homevisit.domain import rules

    db = store.connect(database)
    ruleset = rules.load_rules()
    n = 0
    try:
        while not stop.is_set():
            body = full_visit(child_ids[n % len(child_ids)])
            n += 1
            status, _ = visits.put_visit(db, body["id"], body, user, ruleset,
                                         get_child=lambda cid: children.get_child(db, cid, user, log_view=False))
            assert status == 201
            committed.append(body["id"])
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)
    finally:
        db.conn.close()


def _modes(folder: Path) -> set[str]:
    out = {oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in folder.rglob("*"):
        out.add(oct(stat.S_IMODE(path.stat().st_mode)))
    return out


def test_a_backup_taken_under_load_restores_to_a_working_instance_with_the_same_counts(app, db, users, tmp_path):
    from homevisit.records import signing

    user = users["practitioner"]
    kids = [make_child(db, user, given_name=f"Kid{i}")["id"] for i in range(8)]
    signing.init_signing(app.config["SIGNING_DIR"], app.config["ORGANISATION_NAME"])
    os.makedirs(app.config["RECORDS_DIR"], exist_ok=True)
    Path(app.config["RECORDS_DIR"], "example.pdf").write_bytes(b"%PDF-1.7 a stored record")
    Path(app.instance_path, "secret_key").write_text("k" * 64)
    stop, committed, errors = threading.Event(), [], []
    threads = [threading.Thread(target=_writer, args=(app.config["DATABASE"], user, kids, stop, committed, errors))
               for _ in range(4)]
    for t in threads:
        t.start()
    while len(committed) < 40 and not errors:
        time.sleep(0.01)
    before_backup = set(committed)
    dest = tmp_path / "backup-1"
    result = app.test_cli_runner().invoke(args=["backup", str(dest)])
    after_backup = len(committed)
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert result.exit_code == 0, result.output
    manifest = json.loads((dest / "manifest.json").read_text())
    assert len(before_backup) <= manifest["counts"]["visits"] <= len(committed) and after_backup < len(committed), \
        "the writers must have gone on while the backup ran and after it"
    assert _modes(dest) <= {"0o700", "0o600"}
    assert {"homevisit.db", "records/example.pdf", "signing/signing.p12", "files/secret_key"} <= set(manifest["files"])
    assert manifest["counts"]["visits"] >= len(before_backup)
    # restore into a brand-new instance, then boot it
    target = tmp_path / "restored"
    fresh = app_for(target)
    restored = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
    assert restored.exit_code == 0, restored.output
    check = maintenance.check_database(target / "homevisit.db")
    assert check["integrity_ok"] and check["audit"]["ok"]
    assert check["counts"] == manifest["counts"]
    assert check["audit_head"] == manifest["audit_head"]
    conn = store.connect(target / "homevisit.db")
    stored = {r["id"] for r in store.query(conn, "SELECT id FROM visits")}
    conn.conn.close()
    assert before_backup <= stored, "every visit committed before the backup began is in it"
    assert (target / "records" / "example.pdf").read_bytes() == b"%PDF-1.7 a stored record"
    assert (target / "signing" / "signing.p12").exists()
    booted = app_for(target)  # the restored instance boots, signs in, and shows a restored visit
    b = Browser(booted)
    assert b.sign_in(user["email"], PASSWORD).status_code == 302
    some_visit = sorted(before_backup)[0]
    assert b.get(f"/visits/{some_visit}").status_code == 200
    assert booted.test_cli_runner().invoke(args=["verify-audit"]).exit_code == 0


def test_restore_refuses_an_instance_that_holds_records_unless_forced_and_keeps_what_was_there(app, db, users, tmp_path):
    make_child(db, users["practitioner"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "b1")]).exit_code == 0
    make_child(db, users["practitioner"], given_name="Later")
    refused = runner.invoke(args=["restore", str(tmp_path / "b1")])
    assert refused.exit_code == 1 and "already holds records" in refused.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"] == 2
    forced = runner.invoke(args=["restore", str(tmp_path / "b1"), "--force"])
    assert forced.exit_code == 0, forced.output
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"] == 1
    kept = [p for p in Path(app.instance_path).iterdir() if p.name.startswith("pre-restore-")]
    assert len(kept) == 1
    assert json.loads((kept[0] / "manifest.json").read_text())["counts"]["children"] == 2


def test_restore_refuses_a_backup_that_was_changed(app, db, users, tmp_path):
    make_child(db, users["practitioner"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "b1")]).exit_code == 0
    target = app_for(tmp_path / "other")
    copy = tmp_path / "b1" / "homevisit.db"
    conn = store.connect(copy)
    conn.conn.execute("DROP TRIGGER audit_log_no_update")
    conn.conn.execute("UPDATE audit_log SET action = 'nothing' WHERE id = 2")
    conn.conn.close()
    refused = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "b1")])
    assert refused.exit_code == 1 and "does not match its manifest" in refused.output
    (tmp_path / "b1" / "manifest.json").unlink()  # without the manifest, the audit chain still gives it away
    refused = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "b1")])
    assert refused.exit_code == 1 and "audit log does not verify" in refused.output


def test_backup_refuses_a_folder_that_is_not_empty(app, db, users, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "full")])
    assert result.exit_code == 1 and "not an empty folder" in result.output


def test_backup_and_restore_from_the_command_line_while_gunicorn_serves(tmp_path):
    """The real commands, as an operator runs them, against an instance gunicorn is serving."""
    instance = make_instance(tmp_path / "instance", children=2, tokens=False)
    flask = str(Path(sys.executable).parent / "flask")
    env = {**os.environ, "HOMEVISIT_INSTANCE_PATH": str(instance.path)}
    with Server(instance.path, workers=1, threads=2, log=tmp_path / "gunicorn.log") as server:
        assert (instance.path / "gunicorn.pid").exists()
        made = subprocess.run([flask, "--app", "app", "backup", str(tmp_path / "live")], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        assert "2 children" in made.stdout
        refused = app_for(instance.path).test_cli_runner().invoke(args=["restore", str(tmp_path / "live"), "--force"])
        assert refused.exit_code == 0, refused.output  # forced: restored into the live database in one transaction
        assert "The service was running" in refused.output
        refused = app_for(instance.path).test_cli_runner().invoke(args=["restore", str(tmp_path / "live")])
        assert refused.exit_code == 1 and "the service is running" in refused.output
        assert server.get("/healthz")[0] == 200
        assert server.get("/children/?q=Okafor+9434765919")[0] == 302  # a search, as the access log would see it
    log = server.log_text()  # after the stop: every access line has been written
    assert not (instance.path / "gunicorn.pid").exists()
    assert '"GET /children/ HTTP/1.1" 302' in log and "Okafor" not in log and "9434765919" not in log, \
        "the access log must not keep query strings (names and NHS numbers from the caseload search)"


def test_audit_chain_of_a_backup_matches_the_source_at_that_moment(app, db, users, tmp_path):
    manifest = maintenance.backup(maintenance.InstancePaths.from_config(app.instance_path, app.config),
                                  tmp_path / "b")
    assert manifest["audit_entries"] == audit.verify_chain(db)["entries"]


def test_a_backup_from_an_older_version_is_brought_up_to_date_when_restored(tmp_path):
    """A backup made before the latest migrations (here: before print batches existed) restores with its
    data intact and every later migration (print batches, referrals, ...) applied, so the service can start on it straight away."""
    from homevisit.services import audit

    older = tmp_path / "older.db"
    db = store.connect(older)
    with store.write(db):
        store.migrations.apply(db, stop_before="0008_create_print_jobs")
    audit.record(db, action="older_version", object_type="test")
    pending = [migration.name for migration in store.migrations.pending(db)]
    db.close()
    assert pending[0] == "0008_create_print_jobs"
    target = app_for(tmp_path / "instance")
    result = target.test_cli_runner().invoke(args=["restore", str(older)])
    assert result.exit_code == 0, result.output
    assert (f"brought up to date with {len(pending)} migration(s): {', '.join(pending)}"
            in result.output)
    with target.app_context():
        restored = target.extensions["homevisit_db"]()
        assert store.query_one(restored, "SELECT COUNT(*) AS n FROM print_jobs")["n"] == 0
        assert store.query_one(restored, "SELECT COUNT(*) AS n FROM referrals")["n"] == 0
        assert store.query_one(restored, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")["action"] == "older_version"
        assert audit.verify_chain(restored)["ok"]
