"""Queries on the draft_inputs table (what was typed on a draft's page): the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def delete_for_section(db: Any, visit_id: str, section: str) -> None:
    """Forget what was kept of one page of a draft (inside a write transaction)."""
    store.execute(db, "DELETE FROM draft_inputs WHERE visit_id = ? AND section = ?", (visit_id, section))


def insert_or_replace(db: Any, visit_id: str, section: str, form_data: str, saved_at: str, reason: str) -> None:
    """Keep exactly what was typed on one page of a draft (``form_data`` as JSON text), replacing any kept before."""
    store.execute(db, "INSERT OR REPLACE INTO draft_inputs (visit_id, section, form_data, saved_at, reason) "
                      "VALUES (?, ?, ?, ?, ?)", (visit_id, section, form_data, saved_at, reason))


def for_section(db: Any, visit_id: str, section: str) -> dict[str, Any] | None:
    """What was kept of one page of a draft (form_data as JSON text, reason), or None."""
    return store.query_one(db, "SELECT form_data, reason FROM draft_inputs WHERE visit_id = ? AND section = ?",
                           (visit_id, section))
