"""Queries on the records table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one stored record row."""
    store.insert(db, "records", row)


def countersigned_id(db: Any, visit_id: str) -> dict[str, Any] | None:
    """The id of a visit's countersigned record, or None."""
    return store.query_one(db, "SELECT id FROM records WHERE visit_id = ? AND kind = 'countersigned'", (visit_id,))


def latest_in_team(db: Any, visit_id: str, team_id: int) -> dict[str, Any] | None:
    """A team's visit's latest record (countersigned first): filename, sha256, child_id; or None."""
    return store.query_one(db, """SELECT r.filename, r.sha256, v.child_id FROM records r JOIN visits v ON v.id = r.visit_id
                                 WHERE r.visit_id = ? AND v.team_id = ?
                                 ORDER BY CASE r.kind WHEN 'countersigned' THEN 0 ELSE 1 END LIMIT 1""",
                           (visit_id, team_id))


def stored_since_with_child(db: Any, since: str) -> list[dict[str, Any]]:
    """Records stored on or after ``since`` with the child's names, oldest first."""
    return store.query(db, """SELECT r.visit_id, r.kind, r.filename, r.sha256, r.created_at,
                                     c.given_name, c.family_name
                              FROM records r JOIN visits v ON v.id = r.visit_id JOIN children c ON c.id = v.child_id
                              WHERE r.created_at >= ? ORDER BY r.created_at, r.id""", (since,))


def by_sha256(db: Any, digest: str) -> dict[str, Any] | None:
    """The stored record (visit_id, kind, created_at) with this SHA-256, or None."""
    return store.query_one(db, "SELECT visit_id, kind, created_at FROM records WHERE sha256 = ?", (digest,))


def filenames_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The stored record files (``filename``) of a child's visits."""
    return store.query(
        db, "SELECT filename FROM records WHERE visit_id IN (SELECT id FROM visits WHERE child_id = ?)", (child_id,))
