"""Queries on the children table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import concerns as concerns_data
from homevisit.data import store
from homevisit.data import visits as visits_data


def offline_caseload(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The team's children (id, names, date of birth) by family name then given name, for the offline app."""
    return store.query(db, """SELECT id, given_name, family_name, date_of_birth FROM children WHERE team_id = ?
                              ORDER BY family_name COLLATE NOCASE, given_name COLLATE NOCASE""", (team_id,))


def by_id(db: Any, child_id: str) -> dict[str, Any] | None:
    """One child row by id, or None."""
    return store.query_one(db, "SELECT * FROM children WHERE id = ?", (child_id,))


def id_by_nhs_number(db: Any, team_id: int, nhs_number: str) -> dict[str, Any] | None:
    """The id of the team's child with this NHS number, or None."""
    return store.query_one(db, "SELECT id FROM children WHERE nhs_number = ? AND team_id = ?", (nhs_number, team_id))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one child (inside a write transaction)."""
    store.insert(db, "children", row)


def in_team_with_lead_name(db: Any, child_id: str, team_id: int) -> dict[str, Any] | None:
    """One child of the team with the lead practitioner's name (``lead_name``), or None."""
    return store.query_one(db, """
        SELECT c.*, u.name AS lead_name FROM children c LEFT JOIN users u ON u.id = c.lead_user_id
        WHERE c.id = ? AND c.team_id = ?""", (child_id, team_id))


def search_with_summary(db: Any, team_id: int, text: str, limit: int) -> list[dict[str, Any]]:
    """The team's children whose every word of ``text`` is in a name (or whose NHS number holds its digits,
    four or more), by family then given name, with the lead's name, last visit, last awake sighting (visited
    at and visitor joined by char(31), as ``last_seen``) and counts of open and urgent actions."""
    params: list[Any] = [team_id]
    where = "c.team_id = ?"
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        terms = []
        for word in text.split():
            terms.append("(c.given_name LIKE ? ESCAPE '\\' OR c.family_name LIKE ? ESCAPE '\\')")
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [like, like]
        clause = " AND ".join(terms)
        if len(digits) >= 4:
            clause = f"({clause}) OR c.nhs_number LIKE ?"
            params.append(f"%{digits}%")
        where += f" AND ({clause})"
    params.append(limit)
    return store.query(db, f"""
        SELECT c.*, u.name AS lead_name,
          (SELECT MAX(visited_at) FROM visits v WHERE v.child_id = c.id AND v.status != 'draft') AS last_visit_at,
          (SELECT v.visited_at || char(31) || su.name FROM visits v JOIN users su ON su.id = v.visitor_id
             WHERE v.child_id = c.id AND v.status != 'draft' AND v.child_seen = 'awake'
             ORDER BY v.visited_at DESC LIMIT 1) AS last_seen,
          (SELECT COUNT(*) FROM actions a WHERE a.child_id = c.id AND a.status = 'open') AS open_actions,
          (SELECT COUNT(*) FROM actions a WHERE a.child_id = c.id AND a.status = 'open'
             AND a.severity IN ('immediate', 'same_day')) AS urgent_actions
        FROM children c LEFT JOIN users u ON u.id = c.lead_user_id
        WHERE {where}
        ORDER BY c.family_name COLLATE NOCASE, c.given_name COLLATE NOCASE LIMIT ?""", params)


def in_team(db: Any, child_id: str, team_id: int) -> dict[str, Any] | None:
    """One child row of the team, or None."""
    return store.query_one(db, "SELECT * FROM children WHERE id = ? AND team_id = ?", (child_id, team_id))


def set_fields(db: Any, child_id: str, changes: dict[str, Any]) -> int:
    """Change some of one child's columns (inside a write transaction); returns the number of rows changed."""
    return store.update(db, "children", "id", child_id, changes)


def first_by_nhs_number(db: Any, nhs_number: str) -> dict[str, Any] | None:
    """The earliest-created child of any team with this NHS number, or None."""
    return store.query_one(db, "SELECT * FROM children WHERE nhs_number = ? ORDER BY created_at LIMIT 1",
                           (nhs_number,))


def with_lead_and_team_name(db: Any, child_id: str) -> dict[str, Any] | None:
    """One child of any team with the lead's name (``lead_name``) and team's name (``team_name``), or None."""
    return store.query_one(db, """SELECT c.*, u.name AS lead_name, t.name AS team_name FROM children c
                                  LEFT JOIN users u ON u.id = c.lead_user_id JOIN teams t ON t.id = c.team_id
                                  WHERE c.id = ?""", (child_id,))


def born_on_or_before_with_team(db: Any, cutoff: str) -> list[dict[str, Any]]:
    """Children born on or before ``cutoff`` with their team's name, oldest first."""
    return store.query(db, """SELECT c.id, c.given_name, c.family_name, c.date_of_birth, c.legal_hold, c.team_id,
                                     t.name AS team_name FROM children c JOIN teams t ON t.id = c.team_id
                              WHERE c.date_of_birth <= ? ORDER BY c.date_of_birth""", (cutoff,))


def hold_state(db: Any, child_id: str, team_id: int | None = None) -> dict[str, Any] | None:
    """A child's id and legal_hold (only if the team's, when ``team_id`` is given), or None."""
    params: list[Any] = [child_id]
    where = "id = ?"
    if team_id is not None:
        where += " AND team_id = ?"
        params.append(team_id)
    return store.query_one(db, f"SELECT id, legal_hold FROM children WHERE {where}", params)


def counts_of_rows_about(db: Any, child_id: str) -> dict[str, int]:
    """How many visits, concerns, actions, allocations and records are held about a child."""
    return {table: db.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column}", (child_id,)).fetchone()[0]
            for table, column in (("visits", "child_id = ?"), ("concerns", "child_id = ?"),
                                  ("actions", "child_id = ?"), ("allocations", "child_id = ?"),
                                  ("records", "visit_id IN (SELECT id FROM visits WHERE child_id = ?)"))}


def delete(db: Any, child_id: str) -> None:
    """Delete one child (the rows about them go with it, by cascade)."""
    # The child's kept visit sums first: each visit deleted by the cascade would otherwise take its share
    # from every later row of the child's sums (a child with years of visits: seconds under the write lock).
    store.execute(db, "DELETE FROM visit_sums WHERE child_id = ?", (child_id,))
    store.execute(db, "DELETE FROM children WHERE id = ?", (child_id,))


def failed_contact_counts(db: Any, team_id: int, since: str) -> list[dict[str, Any]]:
    """Every child of the team with counts of visits with no access and appointments not brought since
    ``since`` (a date), and the date of the last failed contact (``last_on``)."""
    return store.query(db, f"""
        SELECT c.id, c.given_name, c.family_name, c.child_protection_plan,
          (SELECT COUNT(*) FROM visits v WHERE v.child_id = c.id AND v.status != 'draft'
             AND substr(v.visited_at, 1, 10) >= :since AND v.access_outcome IN ({visits_data.NO_ACCESS_SQL})) AS no_access,
          (SELECT COALESCE(SUM(v.missed_appointments), 0) FROM visits v WHERE v.child_id = c.id
             AND v.status != 'draft' AND substr(v.visited_at, 1, 10) >= :since)
          + (SELECT COUNT(*) FROM concerns k WHERE k.child_id = c.id AND k.occurred_on >= :since
             AND k.{concerns_data.NOT_BROUGHT_SQL}) AS not_brought,
          (SELECT MAX(d) FROM (
             SELECT substr(v.visited_at, 1, 10) AS d FROM visits v WHERE v.child_id = c.id AND v.status != 'draft'
               AND (v.access_outcome IN ({visits_data.NO_ACCESS_SQL}) OR COALESCE(v.missed_appointments, 0) > 0)
             UNION ALL SELECT k.occurred_on FROM concerns k WHERE k.child_id = c.id AND k.{concerns_data.NOT_BROUGHT_SQL})) AS last_on
        FROM children c WHERE c.team_id = :team""", {"since": since, "team": team_id})
