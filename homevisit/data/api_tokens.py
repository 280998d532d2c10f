"""Queries on the api_tokens table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def live_for_user(db: Any, user_id: int) -> list[dict[str, Any]]:
    """A user's tokens not revoked (id, label, created and last used), newest first."""
    return store.query(db, "SELECT id, label, created_at, last_used_at FROM api_tokens "
                           "WHERE user_id = ? AND revoked_at IS NULL ORDER BY id DESC", (user_id,))


def revoke_for_user(db: Any, token_id: int, user_id: int, revoked_at: str) -> int:
    """Revoke one of a user's tokens if it is not already revoked; returns the number of rows changed."""
    return store.execute(db, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? "
                             "AND revoked_at IS NULL", (revoked_at, token_id, user_id)).rowcount


def revoke_all_for_user(db: Any, user_id: int, revoked_at: str) -> None:
    """Revoke every token of a user not already revoked."""
    store.execute(db, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                  (revoked_at, user_id))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one token (inside a write transaction)."""
    store.insert(db, "api_tokens", row)


def live_for_hash(db: Any, token_hash: str) -> dict[str, Any] | None:
    """The unrevoked token with this hash of an active user (``token_id``, ``user_id``), or None."""
    return store.query_one(db, """SELECT t.id AS token_id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
                                  WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active = 1""",
                           (token_hash,))
