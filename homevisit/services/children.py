"""Children on a team's caseload: adding, finding, and who holds each case.

Every query is scoped to the caller's team: a child of another team is simply not found.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from homevisit.data import store
from homevisit.domain.calendar import utc_now_text
from homevisit.domain.validation import Errors, validate_child
from homevisit.services import audit


class NotFound(Exception):
    """The record does not exist for this caller (it may exist for another team)."""


def add_child(db: Any, data: dict[str, Any], user: dict[str, Any], *, child_id: str | None = None,
              today: date | None = None) -> tuple[dict[str, Any] | None, Errors]:
    """Add a child to the user's team with the user as lead practitioner; returns (child, errors)."""
    clean, errors = validate_child(data, today=today)
    if errors:
        return None, errors
    child_id = child_id or str(uuid.uuid4())
    with store.write(db):
        if clean.get("nhs_number") and store.query_one(
                db, "SELECT id FROM children WHERE nhs_number = ? AND team_id = ?", (clean["nhs_number"], user["team_id"])):
            return None, {"nhs_number": ["A child with this NHS number is already on your team's caseload. Search for them instead"]}
        row = {"id": child_id, "team_id": user["team_id"], **clean, "lead_user_id": user["id"],
               "created_at": utc_now_text(), "created_by": user["id"]}
        store.insert(db, "children", row)
        store.insert(db, "allocations", {"child_id": child_id, "user_id": user["id"], "role": user.get("visitor_role"),
                                         "started_on": (today or date.today()).isoformat(), "allocated_by": user["id"]})
        audit.record(db, action="create", object_type="child", object_id=child_id, child_id=child_id, user=user)
    return get_child(db, child_id, user, log_view=False), {}


def get_child(db: Any, child_id: str, user: dict[str, Any], *, log_view: bool = True) -> dict[str, Any]:
    """One child of the user's team, with the lead practitioner's name; NotFound otherwise.

    Each view is written to the audit log.
    """
    child = store.query_one(db, """
        SELECT c.*, u.name AS lead_name FROM children c LEFT JOIN users u ON u.id = c.lead_user_id
        WHERE c.id = ? AND c.team_id = ?""", (child_id, user["team_id"]))
    if child is None:
        raise NotFound(child_id)
    if log_view:
        audit.record(db, action="view", object_type="child", object_id=child_id, child_id=child_id, user=user)
    return child


def search_children(db: Any, user: dict[str, Any], text: str = "", *, limit: int = 200) -> list[dict[str, Any]]:
    """The team's children whose name or NHS number matches, with their last visit, when they were last seen
    awake and by whom (``last_seen_awake_at``, ``last_seen_awake_by``), and their open actions."""
    text = (text or "").strip()
    params: list[Any] = [user["team_id"]]
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
    rows = store.query(db, f"""
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
    for row in rows:  # the last visit on which the child was seen awake, and by whom
        seen_at, _, seen_by = (row.pop("last_seen") or "").partition("\x1f")
        row["last_seen_awake_at"], row["last_seen_awake_by"] = seen_at or None, seen_by or None
    return rows


def allocations(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Who has held the case and when, oldest first."""
    return store.query(db, """SELECT a.*, u.name AS user_name, u.visitor_role AS user_visitor_role
                              FROM allocations a JOIN users u ON u.id = a.user_id
                              WHERE a.child_id = ? ORDER BY a.started_on, a.id""", (child_id,))


def allocate(db: Any, child_id: str, new_user_id: int, by: dict[str, Any], *, on: date | None = None) -> None:
    """Hand the case to another practitioner of the same team, closing the current allocation."""
    on_text = (on or date.today()).isoformat()
    with store.write(db):
        child = store.query_one(db, "SELECT * FROM children WHERE id = ? AND team_id = ?", (child_id, by["team_id"]))
        target = store.query_one(db, "SELECT * FROM users WHERE id = ? AND team_id = ? AND active = 1",
                                 (new_user_id, by["team_id"]))
        if child is None or target is None:
            raise NotFound(child_id)
        if child["lead_user_id"] == new_user_id:
            return
        # A child can have a health visitor and a social worker at once: a handover ends the
        # allocation of the same kind only (and of the outgoing lead).
        store.execute(db, "UPDATE allocations SET ended_on = ? WHERE child_id = ? AND ended_on IS NULL "
                          "AND (role IS ? OR user_id = ?)", (on_text, child_id, target["visitor_role"],
                                                             child["lead_user_id"]))
        store.insert(db, "allocations", {"child_id": child_id, "user_id": new_user_id, "role": target["visitor_role"],
                                         "started_on": on_text, "allocated_by": by["id"]})
        store.update(db, "children", "id", child_id, {"lead_user_id": new_user_id})
        audit.record(db, action="allocate", object_type="child", object_id=child_id, child_id=child_id, user=by,
                     detail={"from_user_id": child["lead_user_id"], "to_user_id": new_user_id})


def team_members(db: Any, team_id: int) -> list[dict[str, Any]]:
    return store.query(db, "SELECT id, name, email, role, visitor_role FROM users WHERE team_id = ? AND active = 1 "
                           "ORDER BY name", (team_id,))


def team_professionals(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The team's practitioners and supervisors: the people who hold cases and own actions."""
    return [m for m in team_members(db, team_id) if m["role"] in ("practitioner", "supervisor")]


def child_payload(child: dict[str, Any]) -> dict[str, Any]:
    """A child as the API shows it (docs/api.md fixed names, and whether there is a child protection plan)."""
    payload = {k: child[k] for k in ("id", "given_name", "family_name", "date_of_birth", "sex", "gestation_weeks",
                                     "gestation_days", "birth_weight_kg", "nhs_number")}
    plan = child.get("child_protection_plan")
    payload["child_protection_plan"] = None if plan is None else bool(plan)
    return payload


def set_protection_plan(db: Any, child_id: str, has_plan: bool, user: dict[str, Any]) -> None:
    """Record that a child protection plan has started or ended. A visit with no access to a child with a
    plan is an action for today (R37), so the change is written to the audit log with who made it."""
    with store.write(db):
        store.update(db, "children", "id", child_id, {"child_protection_plan": 1 if has_plan else 0})
        audit.record(db, action="protection_plan_started" if has_plan else "protection_plan_ended",
                     object_type="child", object_id=child_id, child_id=child_id, user=user)
