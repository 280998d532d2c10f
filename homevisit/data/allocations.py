"""Queries on the allocations table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one allocation (inside a write transaction)."""
    store.insert(db, "allocations", row)


def for_child_with_user(db: Any, child_id: str) -> list[dict[str, Any]]:
    """A child's allocations with the person's name and visitor role, oldest first."""
    return store.query(db, """SELECT a.*, u.name AS user_name, u.visitor_role AS user_visitor_role
                              FROM allocations a JOIN users u ON u.id = a.user_id
                              WHERE a.child_id = ? ORDER BY a.started_on, a.id""", (child_id,))


def end_open_of_kind(db: Any, child_id: str, ended_on: str, role: str | None, lead_user_id: int | None) -> None:
    """End a child's open allocations of this visitor role or held by the outgoing lead."""
    store.execute(db, "UPDATE allocations SET ended_on = ? WHERE child_id = ? AND ended_on IS NULL "
                      "AND (role IS ? OR user_id = ?)", (ended_on, child_id, role, lead_user_id))


def history_with_user(db: Any, child_id: str) -> list[dict[str, Any]]:
    """A child's allocations (dates, role, person's name and email), oldest first."""
    return store.query(db, """SELECT a.started_on, a.ended_on, a.role, u.name AS user_name, u.email AS user_email
                              FROM allocations a JOIN users u ON u.id = a.user_id
                              WHERE a.child_id = ? ORDER BY a.started_on""", (child_id,))


def for_child_by_start(db: Any, child_id: str) -> list[dict[str, Any]]:
    """A child's allocations (user_id, role, started_on, ended_on), oldest first."""
    return store.query(db, "SELECT user_id, role, started_on, ended_on FROM allocations "
                           "WHERE child_id = ? ORDER BY started_on", (child_id,))
