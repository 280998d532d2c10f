"""Queries on the print_jobs table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one print job row."""
    store.insert(db, "print_jobs", row)


def by_id(db: Any, job_id: str) -> dict[str, Any] | None:
    """One print job by id, or None."""
    return store.query_one(db, "SELECT * FROM print_jobs WHERE id = ?", (job_id,))


def by_id_for_user(db: Any, job_id: str, user_id: int) -> dict[str, Any] | None:
    """One print job by id if the user started it, or None."""
    return store.query_one(db, "SELECT * FROM print_jobs WHERE id = ? AND user_id = ?", (job_id, user_id))


def update(db: Any, job_id: str, changes: dict[str, Any]) -> int:
    """Change columns of one print job; returns the number of rows changed."""
    return store.update(db, "print_jobs", "id", job_id, changes)
