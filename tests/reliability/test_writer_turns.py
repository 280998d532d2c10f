"""Writers take turns through a file lock beside the database (homevisit/data/store.py), so a writer waiting for a
busy database starts within a millisecond or two of the lock coming free instead of sleeping through SQLite's
growing back-off; the wait is still bounded, a failed transaction frees the lock, and so does a killed process.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from homevisit.data import store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "homevisit.db"
    db = store.connect(path)
    try:
        with store.write(db):
            store.execute(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    finally:
        db.close()
    return path


def count(path: Path) -> int:
    db = store.connect(path)
    try:
        return store.query_one(db, "SELECT COUNT(*) AS n FROM notes")["n"]
    finally:
        db.close()


def test_the_lock_file_is_private_to_the_service_user(database: Path) -> None:
    lock = Path(str(database) + store.WRITER_LOCK_SUFFIX)
    assert lock.exists()
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_a_second_writer_waits_for_the_first_and_then_commits(database: Path) -> None:
    first, second = store.connect(database), store.connect(database)
    holding, release, done = threading.Event(), threading.Event(), threading.Event()
    took_turn_at: list[float] = []

    def hold() -> None:
        with store.write(first):
            store.execute(first, "INSERT INTO notes (body) VALUES ('first')")
            holding.set()
            release.wait(5)

    def wait_then_write() -> None:
        with store.write(second):
            took_turn_at.append(time.monotonic())
            store.execute(second, "INSERT INTO notes (body) VALUES ('second')")
        done.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    waiter = threading.Thread(target=wait_then_write)
    waiter.start()
    time.sleep(0.3)
    assert not done.is_set(), "the second writer must wait while the first holds its turn"
    released_at = time.monotonic()
    release.set()
    holder.join(5)
    waiter.join(5)
    assert done.is_set()
    assert count(database) == 2
    # It started as soon as the lock was free: not after one of SQLite's 25-100 ms back-off sleeps.
    assert took_turn_at[0] - released_at < 0.05
    first.close()
    second.close()


def test_the_wait_is_bounded_and_reports_database_is_locked(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 300)
    first, second = store.connect(database), store.connect(database)
    try:
        with store.write(first):
            store.execute(first, "INSERT INTO notes (body) VALUES ('held')")
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                with store.write(second):
                    store.execute(second, "INSERT INTO notes (body) VALUES ('never')")
        assert count(database) == 1
    finally:
        first.close()
        second.close()


def test_a_failed_transaction_rolls_back_and_frees_the_turn(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 300)
    first, second = store.connect(database), store.connect(database)
    try:
        with pytest.raises(RuntimeError):
            with store.write(first):
                store.execute(first, "INSERT INTO notes (body) VALUES ('rolled back')")
                raise RuntimeError("the request failed half way")
        with store.write(second):  # would raise "database is locked" after 0.3 s if the turn were still held
            store.execute(second, "INSERT INTO notes (body) VALUES ('next')")
        assert count(database) == 1
    finally:
        first.close()
        second.close()


def test_a_writer_killed_while_holding_its_turn_does_not_block_the_others(database: Path) -> None:
    script = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from homevisit.data import store\n"
        f"db = store.connect({str(database)!r})\n"
        "with store.write(db):\n"
        "    store.execute(db, \"INSERT INTO notes (body) VALUES ('killed')\")\n"
        "    print('holding', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        db = store.connect(database)
        try:
            with store.write(db):
                store.execute(db, "INSERT INTO notes (body) VALUES ('after')")
            bodies = {r["body"] for r in store.query(db, "SELECT body FROM notes")}
        finally:
            db.close()
        assert bodies == {"after"}  # the killed writer's row was never committed
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
