"""Queries on the audit_log table: the only place its SQL is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homevisit.data import store


def last_hash(db: Any) -> dict[str, Any] | None:
    """The newest entry's hash (as ``hash``), or None when the log is empty."""
    return store.query_one(db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")


def insert(db: Any, entry: dict[str, Any]) -> None:
    """Append one entry (inside a write transaction)."""
    store.insert(db, "audit_log", entry)


def all_in_order(db: Any) -> Iterator[dict[str, Any]]:
    """Every entry, oldest first, read one at a time."""
    for row in db.conn.execute("SELECT * FROM audit_log ORDER BY id"):
        yield dict(row)


def for_child(db: Any, child_id: str, limit: int) -> list[dict[str, Any]]:
    """One child's entries, newest first, with the person's name and email."""
    return store.query(db, """
        SELECT a.*, u.name AS user_name, u.email AS user_email FROM audit_log a
        LEFT JOIN users u ON u.id = a.user_id
        WHERE a.child_id = ? ORDER BY a.id DESC LIMIT ?""", (child_id, limit))


def views_and_exports_for_child(db: Any, child_id: str, limit: int) -> list[dict[str, Any]]:
    """One child's views, exports and break-glass openings with the person and team, newest first."""
    return store.query(db, """
        SELECT a.id, a.at, a.action, a.object_type, a.object_id, a.user_id, a.user_role, a.detail,
               u.name AS user_name, u.email AS user_email, t.name AS team_name
        FROM audit_log a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN teams t ON t.id = a.team_id
        WHERE a.child_id = ? AND (a.action IN ('view', 'break_glass') OR a.action LIKE 'export%')
        ORDER BY a.id DESC LIMIT ?""", (child_id, limit))
