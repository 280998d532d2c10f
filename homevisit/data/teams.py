"""Queries on the teams table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def name_by_id(db: Any, team_id: int) -> dict[str, Any] | None:
    """A team's name row, or None."""
    return store.query_one(db, "SELECT name FROM teams WHERE id = ?", (team_id,))


def by_name(db: Any, name: str) -> dict[str, Any] | None:
    """One team row by name, or None."""
    return store.query_one(db, "SELECT * FROM teams WHERE name = ?", (name,))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one team (inside a write transaction)."""
    store.insert(db, "teams", row)
