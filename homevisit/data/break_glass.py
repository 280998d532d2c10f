"""Queries on the break_glass table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def insert(db: Any, grant: dict[str, Any]) -> None:
    """Insert one grant (inside a write transaction)."""
    store.insert(db, "break_glass", grant)


def for_user(db: Any, grant_id: str, user_id: int) -> dict[str, Any] | None:
    """One grant of this user, or None."""
    return store.query_one(db, "SELECT * FROM break_glass WHERE id = ? AND user_id = ?", (grant_id, user_id))


def running_for_user(db: Any, user_id: int, now: str) -> list[dict[str, Any]]:
    """A user's grants expiring after ``now``, with the child's names, newest first."""
    return store.query(db, """SELECT g.*, c.given_name, c.family_name FROM break_glass g
                              JOIN children c ON c.id = g.child_id
                              WHERE g.user_id = ? AND g.expires_at > ? ORDER BY g.created_at DESC""",
                       (user_id, now))


def unacknowledged_for_team(db: Any, team_id: int) -> list[dict[str, Any]]:
    """Grants on the team's children not yet acknowledged, with child, person and their team, newest first."""
    return store.query(db, """SELECT g.*, c.given_name, c.family_name, u.name AS user_name, u.email AS user_email,
                                     u.role AS user_role, u.visitor_role AS user_visitor_role, t.name AS user_team_name
                              FROM break_glass g JOIN children c ON c.id = g.child_id
                              JOIN users u ON u.id = g.user_id JOIN teams t ON t.id = g.user_team_id
                              WHERE g.child_team_id = ? AND g.acknowledged_at IS NULL
                              ORDER BY g.created_at DESC""", (team_id,))


def for_child_with_names(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Every grant on one child with the person, their team and who acknowledged it, newest first."""
    return store.query(db, """SELECT g.*, u.name AS user_name, u.email AS user_email, t.name AS user_team_name,
                                     a.name AS acknowledged_by_name
                              FROM break_glass g JOIN users u ON u.id = g.user_id JOIN teams t ON t.id = g.user_team_id
                              LEFT JOIN users a ON a.id = g.acknowledged_by
                              WHERE g.child_id = ? ORDER BY g.created_at DESC""", (child_id,))


def on_team_child(db: Any, grant_id: str, child_team_id: int) -> dict[str, Any] | None:
    """One grant on a child of this team, or None."""
    return store.query_one(db, "SELECT * FROM break_glass WHERE id = ? AND child_team_id = ?",
                           (grant_id, child_team_id))


def set_fields(db: Any, grant_id: str, changes: dict[str, Any]) -> int:
    """Change some of one grant's columns (inside a write transaction); returns the number of rows changed."""
    return store.update(db, "break_glass", "id", grant_id, changes)
