"""Queries on the offline_keys table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def key_for_user(db: Any, user_id: int) -> dict[str, Any] | None:
    """The user's offline key row (its ``key``), or None."""
    return store.query_one(db, "SELECT key FROM offline_keys WHERE user_id = ?", (user_id,))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one offline key row."""
    store.insert(db, "offline_keys", row)
