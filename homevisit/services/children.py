"""Children on a team's caseload: adding, finding, and who holds each case.

Every query is scoped to the caller's team: a child of another team is simply not found.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from homevisit.data import allocations as allocations_data
from homevisit.data import children as children_data
from homevisit.data import store
from homevisit.data import users as users_data
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
        if clean.get("nhs_number") and children_data.id_by_nhs_number(
                db, user["team_id"], clean["nhs_number"]):
            return None, {"nhs_number": ["A child with this NHS number is already on your team's caseload. Search for them instead"]}
        row = {"id": child_id, "team_id": user["team_id"], **clean, "lead_user_id": user["id"],
               "created_at": utc_now_text(), "created_by": user["id"]}
        children_data.insert(db, row)
        allocations_data.insert(db, {"child_id": child_id, "user_id": user["id"], "role": user.get("visitor_role"),
                                     "started_on": (today or date.today()).isoformat(), "allocated_by": user["id"]})
        audit.record(db, action="create", object_type="child", object_id=child_id, child_id=child_id, user=user)
    return get_child(db, child_id, user, log_view=False), {}


def get_child(db: Any, child_id: str, user: dict[str, Any], *, log_view: bool = True) -> dict[str, Any]:
    """One child of the user's team, with the lead practitioner's name; NotFound otherwise.

    Each view is written to the audit log.
    """
    child = children_data.in_team_with_lead_name(db, child_id, user["team_id"])
    if child is None:
        raise NotFound(child_id)
    if log_view:
        audit.record(db, action="view", object_type="child", object_id=child_id, child_id=child_id, user=user)
    return child


def search_children(db: Any, user: dict[str, Any], text: str = "", *, limit: int = 200) -> list[dict[str, Any]]:
    """The team's children whose name or NHS number matches, with their last visit, when they were last seen
    awake and by whom (``last_seen_awake_at``, ``last_seen_awake_by``), and their open actions."""
    text = (text or "").strip()
    rows = children_data.search_with_summary(db, user["team_id"], text, limit)
    for row in rows:  # the last visit on which the child was seen awake, and by whom
        seen_at, _, seen_by = (row.pop("last_seen") or "").partition("\x1f")
        row["last_seen_awake_at"], row["last_seen_awake_by"] = seen_at or None, seen_by or None
    return rows


def allocations(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Who has held the case and when, oldest first."""
    return allocations_data.for_child_with_user(db, child_id)


def allocate(db: Any, child_id: str, new_user_id: int, by: dict[str, Any], *, on: date | None = None) -> None:
    """Hand the case to another practitioner of the same team, closing the current allocation."""
    on_text = (on or date.today()).isoformat()
    with store.write(db):
        child = children_data.in_team(db, child_id, by["team_id"])
        target = users_data.active_in_team(db, new_user_id, by["team_id"])
        if child is None or target is None:
            raise NotFound(child_id)
        if child["lead_user_id"] == new_user_id:
            return
        # A child can have a health visitor and a social worker at once: a handover ends the
        # allocation of the same kind only (and of the outgoing lead).
        allocations_data.end_open_of_kind(db, child_id, on_text, target["visitor_role"], child["lead_user_id"])
        allocations_data.insert(db, {"child_id": child_id, "user_id": new_user_id, "role": target["visitor_role"],
                                     "started_on": on_text, "allocated_by": by["id"]})
        children_data.set_fields(db, child_id, {"lead_user_id": new_user_id})
        audit.record(db, action="allocate", object_type="child", object_id=child_id, child_id=child_id, user=by,
                     detail={"from_user_id": child["lead_user_id"], "to_user_id": new_user_id})


def team_members(db: Any, team_id: int) -> list[dict[str, Any]]:
    return users_data.active_team_members(db, team_id)


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
        children_data.set_fields(db, child_id, {"child_protection_plan": 1 if has_plan else 0})
        audit.record(db, action="protection_plan_started" if has_plan else "protection_plan_ended",
                     object_type="child", object_id=child_id, child_id=child_id, user=user)
