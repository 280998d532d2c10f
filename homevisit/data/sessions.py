"""Queries on the sessions table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def end_all_for_disabled_user(db: Any, user_id: int, ended_at: str) -> None:
    """End every open session of a user, the reason "user disabled"."""
    store.execute(db, "UPDATE sessions SET ended_at = ?, ended_reason = 'user disabled' "
                      "WHERE user_id = ? AND ended_at IS NULL", (ended_at, user_id))


def by_id_hash(db: Any, id_hash: str) -> dict[str, Any] | None:
    """One session row by the hash of its id, or None."""
    return store.query_one(db, "SELECT * FROM sessions WHERE id_hash = ?", (id_hash,))


def end(db: Any, id_hash: str, ended_at: str, reason: str) -> None:
    """End one session with a reason."""
    store.execute(db, "UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id_hash = ?",
                  (ended_at, reason, id_hash))


def end_rotated(db: Any, id_hash: str, ended_at: str) -> None:
    """End one session replaced by a new id, the reason "rotated"."""
    store.execute(db, "UPDATE sessions SET ended_at = ?, ended_reason = 'rotated' WHERE id_hash = ?",
                  (ended_at, id_hash))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one session (inside a write transaction)."""
    store.insert(db, "sessions", row)


def save_data(db: Any, id_hash: str, data: str, user_id: Any, last_seen_at: str) -> None:
    """Store a session's data and user and when it was last seen."""
    store.execute(db, "UPDATE sessions SET data = ?, user_id = ?, last_seen_at = ? WHERE id_hash = ?",
                  (data, user_id, last_seen_at, id_hash))


def count_ended_before(db: Any, cutoff: str) -> list[dict[str, Any]]:
    """How many sessions ended or expired before ``cutoff`` (one row, ``n``)."""
    return store.query(db, "SELECT COUNT(*) AS n FROM sessions WHERE COALESCE(ended_at, expires_at) < ?", (cutoff,))


def delete_ended_before(db: Any, cutoff: str) -> int:
    """Delete sessions ended or expired before ``cutoff``; returns how many."""
    return store.execute(db, "DELETE FROM sessions WHERE COALESCE(ended_at, expires_at) < ?", (cutoff,)).rowcount
