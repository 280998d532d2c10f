"""Queries on the concerns table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def by_id_for_child(db: Any, concern_id: str, child_id: str) -> dict[str, Any] | None:
    """The concern with this id if it is about this child, or None."""
    return store.query_one(db, "SELECT * FROM concerns WHERE id = ? AND child_id = ?", (concern_id, child_id))


def recent_with_recorder(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's ten latest concerns (occurred_on, agency, summary) with the recorder's name."""
    return store.query(db, """SELECT k.occurred_on, k.agency, k.summary, u.name FROM concerns k
                              JOIN users u ON u.id = k.recorded_by WHERE k.child_id = ? ORDER BY k.occurred_on DESC
                              LIMIT 10""", (child_id,))


def id_for_child(db: Any, concern_id: str, child_id: str) -> dict[str, Any] | None:
    """The concern's id row if it is one of this child's, or None."""
    return store.query_one(db, "SELECT id FROM concerns WHERE id = ? AND child_id = ?", (concern_id, child_id))


def sources_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Who reported each of the child's concerns (``source``)."""
    return store.query(db, "SELECT source FROM concerns WHERE child_id = ?", (child_id,))


def summaries_with_recorder(db: Any, child_id: str) -> list[dict[str, Any]]:
    """All a child's concerns (when, summary, reporter, agency, who recorded it), newest first."""
    return store.query(db, """SELECT c.occurred_on, c.summary, c.reporter_role, c.agency, u.name AS recorded_by_name
                              FROM concerns c JOIN users u ON u.id = c.recorded_by
                              WHERE c.child_id = ? ORDER BY c.occurred_on DESC""", (child_id,))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one concern (inside a write transaction)."""
    store.insert(db, "concerns", row)


NOT_BROUGHT_SQL = "categories LIKE '%\"missed_appointment\"%'"
"""A concern recording an appointment the child was not brought to (its categories, JSON, hold the code)."""


def not_brought_since(db: Any, child_id: str, since: str) -> list[dict[str, Any]]:
    """The child's 'was not brought' concerns since ``since`` (a date) with the recorder's name (``by_name``)."""
    return store.query(db, f"""
            SELECT k.id, k.occurred_on, k.source, u.name AS by_name FROM concerns k
            JOIN users u ON u.id = k.recorded_by
            WHERE k.child_id = ? AND k.occurred_on >= ? AND k.{NOT_BROUGHT_SQL}""", (child_id, since))


def for_child_with_recorder_name(db: Any, child_id: str) -> list[dict[str, Any]]:
    """All a child's concerns with the recorder's name (``recorder_name``), unordered."""
    return store.query(db, """SELECT k.*, u.name AS recorder_name FROM concerns k JOIN users u ON u.id = k.recorded_by
                              WHERE k.child_id = ?""", (child_id,))


def for_child_except(db: Any, child_id: str, concern_id: str) -> list[dict[str, Any]]:
    """All a child's concerns other than ``concern_id`` (undecoded rows)."""
    return store.query(db, "SELECT * FROM concerns WHERE child_id = ? AND id != ?", (child_id, concern_id))
