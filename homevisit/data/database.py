"""Whole-database statements: the connection a worker thread reuses, the idle connection that keeps the files
open, a liveness check, backup and integrity."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from homevisit.data import store

_anchors: dict[tuple[str, int], sqlite3.Connection] = {}
_anchors_lock = threading.Lock()
_reused = threading.local()


def reusable_connection(path: str) -> Any:
    """The connection this thread of this process keeps to the database at ``path``, opened on first use.

    A connection per request cost more than half of a submit's time: opening it, its pragmas and closing it
    (0.75 ms), and then every statement prepared afresh and every page read again into an empty cache (a
    submit through the app went from 9.1 to 3.8 ms median with the connection kept). One kept per thread is
    opened once. It is kept for the file it was opened on: when ``path`` names another file (a new file put
    in its place) a new connection is opened and kept instead; the old one closes when nothing holds it any
    more. A thread keeps one database's connection at a time (a test run opens many databases, one after
    another). Give it back with :func:`release` at the end of the request.
    """
    try:
        inode = os.stat(path).st_ino
    except OSError:
        return store.connect(path)  # no file yet: a connection of its own, opened (and failing) as before
    key = (os.getpid(), path, inode)  # a forked worker opens its own: a connection must not cross a fork
    kept = getattr(_reused, "kept", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    db = store.connect(path)
    _reused.kept = (key, db)
    return db


def release(db: Any, failed: bool = False) -> None:
    """The request is over: a transaction it left open is rolled back, so the next request starts clean; a
    connection that is not this thread's kept one, or one whose request failed, is closed."""
    kept = getattr(_reused, "kept", None)
    if kept is None or kept[1] is not db or failed:
        if kept is not None and kept[1] is db:
            _reused.kept = None
        db.close()
        return
    try:
        open_transaction = db.conn.in_transaction
    except sqlite3.ProgrammingError:  # its user closed it: open another next time
        _reused.kept = None
        return
    if open_transaction:
        db.conn.rollback()


def keep_files_open(path: str) -> None:
    """Hold one idle connection to the database for the life of the process.

    When the last connection to a WAL database closes, SQLite checkpoints and deletes the ``-wal`` and
    ``-shm`` files, and the next connection must create them again. With one connection per request that
    happens between any two quiet requests: a checkpoint and an fsync added to the next request, and on a
    full disk every request (reads included) fails with "disk I/O error" because ``-shm`` cannot be created.
    An idle connection that stays open keeps both files, so when the disk fills SQLite can still read, and
    a write that cannot grow the log fails with "database or disk is full", which the web layer's
    ``not_saved_response`` turns into a "Not saved" page that keeps what was typed (or "Not shown" for a page
    whose view must be audited first).
    """
    try:
        inode = os.stat(path).st_ino
    except OSError:
        return
    if (path, inode) in _anchors:
        return
    with _anchors_lock:
        if (path, inode) not in _anchors:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the WAL index
            _anchors[(path, inode)] = conn
            while len(_anchors) > 4:  # one database in service; a test run opens many, one after another
                _anchors.pop(next(iter(_anchors))).close()


def ping(db: Any) -> dict[str, Any] | None:
    """Ask the database for a constant row: it answers, or raises."""
    return store.query_one(db, "SELECT 1 AS ok")


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The number of rows in every table of the database (SQLite's own tables left out)."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def integrity_check(db: Any) -> list[Any]:
    """What ``PRAGMA integrity_check`` says, a line a row (``["ok"]`` when the file is sound)."""
    return [r[0] for r in db.conn.execute("PRAGMA integrity_check").fetchall()]


def has_audit_log(db: Any) -> bool:
    """Whether the database has the audit_log table (a database from before it has not)."""
    return db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").fetchone() is not None


def sqlite_version() -> str:
    """The version of the SQLite library in use."""
    return sqlite3.sqlite_version


def backup_to_file(source_path: str | Path, copy_path: str | Path) -> None:
    """Copy the database with SQLite's online backup API into one self-contained file (no -wal beside it)."""
    source = store.connect(source_path)
    copy = sqlite3.connect(str(copy_path))
    try:
        # One step (-1 pages): the whole database is read inside one read transaction, a consistent
        # snapshot; in WAL mode writers carry on meanwhile.
        source.conn.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.conn.close()


def any_rows_in(path: str | Path, tables: tuple[str, ...]) -> bool:
    """Whether any of these tables of the database file holds a row (a missing table holds none)."""
    conn = sqlite3.connect(str(path), timeout=10)
    try:
        for table in tables:
            try:
                if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return True
            except sqlite3.OperationalError:
                continue
        return False
    finally:
        conn.close()


def applied_migrations(conn: sqlite3.Connection) -> set[str]:
    """The names of the migrations recorded as applied (none for a database from before they were)."""
    try:
        return {r[0] for r in conn.execute(f"SELECT name FROM {store.migrations.migrations_table}")}
    except sqlite3.OperationalError:  # a database from before migrations were recorded
        return set()


def restore_from_file(source_path: str | Path, target_path: str | Path) -> list[str]:
    """Copy a database file over the target with the backup API, then migrate it; returns migrations applied."""
    source = sqlite3.connect(str(source_path))
    target = store.connect(target_path)
    try:
        source.backup(target.conn)  # one write transaction on the target: never half old and half new
        applied = applied_migrations(target.conn)
        store.migrate(target)  # a backup made by an older version gets this version's tables and columns
        return sorted(applied_migrations(target.conn) - applied)
    finally:
        source.close()
        target.conn.close()
