"""Queries on the users table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def name_and_role(db: Any, user_id: int) -> dict[str, Any] | None:
    """A user's name and role, or None."""
    return store.query_one(db, "SELECT name, role FROM users WHERE id = ?", (user_id,))


def active_id_by_email(db: Any, email: str) -> dict[str, Any] | None:
    """The id of the active user with this email, or None."""
    return store.query_one(db, "SELECT id FROM users WHERE email = ? AND active = 1", (email,))


def any_user(db: Any) -> dict[str, Any] | None:
    """One user's id, or None when there are no users."""
    return store.query_one(db, "SELECT id FROM users LIMIT 1")


def ids_in_team(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The ids of the team's users."""
    return store.query(db, "SELECT id FROM users WHERE team_id = ?", (team_id,))


def ids_and_names_in_team(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The team's users (id, name) by name."""
    return store.query(db, "SELECT id, name FROM users WHERE team_id = ? ORDER BY name COLLATE NOCASE", (team_id,))


def active_in_team(db: Any, user_id: int, team_id: int) -> dict[str, Any] | None:
    """One active user row of the team, or None."""
    return store.query_one(db, "SELECT * FROM users WHERE id = ? AND team_id = ? AND active = 1", (user_id, team_id))


def active_team_members(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The team's active users (id, name, email, role, visitor role) by name."""
    return store.query(db, "SELECT id, name, email, role, visitor_role FROM users WHERE team_id = ? AND active = 1 "
                           "ORDER BY name", (team_id,))


def id_by_email(db: Any, email: str) -> dict[str, Any] | None:
    """The id of the user (active or not) with this email, or None."""
    return store.query_one(db, "SELECT id FROM users WHERE email = ?", (email,))


def by_email(db: Any, email: str) -> dict[str, Any] | None:
    """One user row by email, or None."""
    return store.query_one(db, "SELECT * FROM users WHERE email = ?", (email,))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one user (inside a write transaction)."""
    store.insert(db, "users", row)


def with_team(db: Any, user_id: int) -> dict[str, Any] | None:
    """One user row with the team's name (``team_name``) and organisation, or None."""
    return store.query_one(db, """SELECT u.*, t.name AS team_name, t.organisation AS organisation
                                  FROM users u JOIN teams t ON t.id = u.team_id WHERE u.id = ?""", (user_id,))


def failed_logins(db: Any, user_id: int) -> dict[str, Any] | None:
    """A user's count of failed sign-ins in a row (as ``failed_logins``), or None."""
    return store.query_one(db, "SELECT failed_logins FROM users WHERE id = ?", (user_id,))


def set_fields(db: Any, user_id: int, changes: dict[str, Any]) -> int:
    """Change some of one user's columns (inside a write transaction); returns the number of rows changed."""
    return store.update(db, "users", "id", user_id, changes)
