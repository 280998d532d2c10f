"""Queries on the login_attempts table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def insert(db: Any, row: dict[str, Any]) -> None:
    """Record one sign-in attempt (inside a write transaction)."""
    store.insert(db, "login_attempts", row)


def count_before(db: Any, cutoff: str) -> list[dict[str, Any]]:
    """How many sign-in attempts were made before ``cutoff`` (one row, ``n``)."""
    return store.query(db, "SELECT COUNT(*) AS n FROM login_attempts WHERE at < ?", (cutoff,))


def delete_before(db: Any, cutoff: str) -> int:
    """Delete sign-in attempts made before ``cutoff``; returns how many."""
    return store.execute(db, "DELETE FROM login_attempts WHERE at < ?", (cutoff,)).rowcount
