"""Each worker thread keeps its database connection between requests (issue 16: a connection per request
cost more than half of a submit's time, its statements prepared afresh and its page cache empty), and that changes nothing a user sees:
a request left with a transaction open does not hold the database, a database restored in place of the file
is the one read next, and no connection crosses a thread or a fork."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from helpers import make_user
from homevisit.data import database as database_data
from homevisit.data import store


def _db_in_request(app):
    with app.test_request_context("/"):
        return app.extensions["homevisit_db"]()


def test_requests_on_one_thread_share_one_connection_and_other_threads_have_their_own(app):
    first, second = _db_in_request(app), _db_in_request(app)
    assert first is second
    assert store.query_one(second, "SELECT 1 AS ok")["ok"] == 1  # still open after the first request's teardown

    other: list = []
    thread = threading.Thread(target=lambda: other.append(_db_in_request(app)))
    thread.start()
    thread.join()
    assert other[0] is not first


def test_a_transaction_a_request_left_open_is_rolled_back_and_does_not_hold_the_database(app):
    with app.test_request_context("/"):
        db = app.extensions["homevisit_db"]()
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("INSERT INTO teams (name, created_at) VALUES ('Left open', '2026-01-01')")
    # another writer gets the write lock at once (no busy wait), and the row was never committed
    other = sqlite3.connect(app.config["DATABASE"], timeout=0)
    other.execute("BEGIN IMMEDIATE")
    assert other.execute("SELECT COUNT(*) FROM teams WHERE name = 'Left open'").fetchone()[0] == 0
    other.rollback()
    other.close()
    assert _db_in_request(app) is db


def test_a_request_that_failed_closes_its_connection_and_the_next_opens_another(app):
    ctx = app.test_request_context("/")
    ctx.push()
    db = app.extensions["homevisit_db"]()
    ctx.pop(RuntimeError("the view failed"))
    assert _db_in_request(app) is not db


def test_a_database_restored_over_the_file_is_the_one_the_next_request_reads(app, tmp_path):
    path = app.config["DATABASE"]
    with app.app_context():
        make_user(app.extensions["homevisit_db"](), "before@a.example")
    backup = sqlite3.connect(tmp_path / "backup.db")
    source = sqlite3.connect(path)
    source.backup(backup)
    source.close()
    backup.close()
    with app.app_context():
        kept = app.extensions["homevisit_db"]()
        make_user(kept, "after@a.example")
    database_data.restore_from_file(tmp_path / "backup.db", path)  # what `flask restore` does to the file
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        emails = {r["email"] for r in store.query(db, "SELECT email FROM users")}
    assert db is kept  # the same file: the kept connection reads what the restore wrote
    assert "before@a.example" in emails and "after@a.example" not in emails


def test_a_new_file_at_the_path_gets_a_new_connection(app, tmp_path):
    path = app.config["DATABASE"]
    kept = _db_in_request(app)
    fresh = tmp_path / "fresh.db"
    db = store.connect(fresh)
    store.migrate(db)
    make_user(db, "fresh@a.example")
    db.conn.execute("PRAGMA journal_mode = DELETE")
    db.close()
    for suffix in ("-wal", "-shm"):  # a file put in place while nothing has it open, as a fresh install
        Path(path + suffix).unlink(missing_ok=True)
    fresh.replace(path)
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        emails = {r["email"] for r in store.query(db, "SELECT email FROM users")}
    assert db is not kept
    assert emails == {"fresh@a.example"}


def test_a_forked_process_opens_its_own_connection(app, monkeypatch):
    parent = _db_in_request(app)
    monkeypatch.setattr(database_data.os, "getpid", lambda: -1)
    child = _db_in_request(app)
    assert child is not parent


def test_a_connection_its_user_closed_is_replaced_at_the_next_request(app):
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        db.conn.close()
    again = _db_in_request(app)
    assert again is not db
    assert store.query_one(again, "SELECT 1 AS ok")["ok"] == 1
