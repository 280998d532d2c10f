"""Break-glass: emergency, read-only, time-limited access to a child on another team's caseload.

Caldicott's need-to-know rule keeps every record inside its team: another team's child is "not found".
In an emergency (a child brought to a duty worker out of hours, a strategy discussion tonight) a
practitioner or supervisor may open one child's record after stating why. The access:

* needs a reason of at least ``MIN_REASON_CHARS`` characters, found by exact NHS number or record id only
  (no name search: nobody browses another team's caseload);
* is read-only: the normal routes stay team-scoped, so every change still gives "not found"; only the
  break-glass pages show the record, and they have no forms;
* lasts ``GRANT_HOURS`` hours, then ends by itself;
* is written to the audit log (the request with its reason, then every page seen under it);
* alerts the child's team's supervisors, who see it on their dashboard until one of them acknowledges it.

No Flask here: the view module reads the request and calls these.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import allocations as allocations_data
from homevisit.data import audit_log as audit_log_data
from homevisit.data import break_glass as break_glass_data
from homevisit.data import children as children_data
from homevisit.data import concerns as concerns_data
from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain.calendar import utc_now
from homevisit.services import audit, visits

GRANT_HOURS = 4
MIN_REASON_CHARS = 20
MAX_REASON_CHARS = 1000
ROLES = ("practitioner", "supervisor")
"""Who may break the glass: people who work with children. Administrators run the service, not cases."""


class BreakGlassError(Exception):
    """The request cannot be granted; ``field`` and ``message`` say what to do."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(Exception):
    """No such grant for this caller, or it has ended."""


class OwnTeam(Exception):
    """The child is on the caller's own team: no break-glass needed."""

    def __init__(self, child_id: str):
        super().__init__(child_id)
        self.child_id = child_id


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def check_reason(reason: Any) -> str:
    """The reason as stored, or BreakGlassError saying what to write."""
    text = (reason if isinstance(reason, str) else "").strip()
    if not text:
        raise BreakGlassError("reason", "Enter why you need to see this child's record now")
    if len(text) < MIN_REASON_CHARS:
        raise BreakGlassError("reason", f"Enter why you need to see this child's record now, in at least "
                                        f"{MIN_REASON_CHARS} characters: what has happened and what you will do")
    if len(text) > MAX_REASON_CHARS:
        raise BreakGlassError("reason", f"The reason must be {MAX_REASON_CHARS} characters or fewer")
    return text


def find_child(db: Any, identifier: Any) -> dict[str, Any] | None:
    """A child of any team by exact NHS number (10 digits, spaces allowed) or exact record id; else None."""
    text = (identifier if isinstance(identifier, str) else "").strip()
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{10}", digits):
        return children_data.first_by_nhs_number(db, digits)
    if re.fullmatch(r"[0-9a-fA-F-]{36}", text):
        return children_data.by_id(db, text.lower())
    return None


def request_access(db: Any, user: dict[str, Any], identifier: Any, reason: Any, *,
                   hours: int = GRANT_HOURS, now: datetime | None = None) -> dict[str, Any]:
    """Grant ``user`` read-only access to one child of another team for ``hours``; returns the grant.

    Raises BreakGlassError (no reason, unknown child), OwnTeam (no need), and writes every attempt to the
    audit log, found or not.
    """
    if user["role"] not in ROLES:
        raise BreakGlassError("identifier", "Only practitioners and supervisors can ask for emergency access")
    text = check_reason(reason)
    if not (identifier if isinstance(identifier, str) else "").strip():
        raise BreakGlassError("identifier", "Enter the child's NHS number or record id")
    child = find_child(db, identifier)
    if child is None:
        audit.record(db, action="break_glass_not_found", object_type="child", user=user,
                     detail={"reason": text})
        raise BreakGlassError("identifier", "No child was found with this NHS number or record id. "
                                            "Check it against the referral and try again")
    if child["team_id"] == user["team_id"]:
        raise OwnTeam(child["id"])
    moment = now or utc_now()
    grant = {"id": str(uuid.uuid4()), "child_id": child["id"], "child_team_id": child["team_id"],
             "user_id": user["id"], "user_team_id": user["team_id"], "reason": text,
             "created_at": _iso(moment), "expires_at": _iso(moment + timedelta(hours=hours))}
    with store.write(db):
        break_glass_data.insert(db, grant)
        audit.record(db, action="break_glass", object_type="child", object_id=child["id"], child_id=child["id"],
                     user=user, detail={"grant": grant["id"], "reason": text, "expires_at": grant["expires_at"],
                                        "child_team_id": child["team_id"]})
    return grant


def active_grant(db: Any, grant_id: str, user: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The caller's own grant while it lasts; NotFound for anyone else's, and for one that has ended."""
    grant = break_glass_data.for_user(db, grant_id, user["id"])
    if grant is None:
        raise NotFound(grant_id)
    if _iso(now or utc_now()) >= grant["expires_at"]:
        grant["ended"] = True
        return grant
    grant["ended"] = False
    return grant


def child_under_grant(db: Any, grant: dict[str, Any], user: dict[str, Any], *, log_view: bool = True) -> dict[str, Any]:
    """The child a live grant opens, each view written to the audit log with the grant's id."""
    child = children_data.with_lead_and_team_name(db, grant["child_id"])
    if child is None:
        raise NotFound(grant["id"])
    if log_view:
        audit.record(db, action="view", object_type="child", object_id=child["id"], child_id=child["id"], user=user,
                     detail={"break_glass": grant["id"]})
    return child


def visit_under_grant(db: Any, grant: dict[str, Any], visit_id: str, user: dict[str, Any]) -> dict[str, Any]:
    """One submitted or signed visit of the granted child (never a draft), the view audited."""

    row = visits_data.not_draft_with_visitor_and_signer(db, visit_id, grant["child_id"])
    if row is None:
        raise NotFound(visit_id)
    visit = visits.with_rows(db, row)
    audit.record(db, action="view", object_type="visit", object_id=visit_id, child_id=grant["child_id"], user=user,
                 detail={"break_glass": grant["id"]})
    return visit


def record_for_grant(db: Any, grant: dict[str, Any]) -> dict[str, Any]:
    """What the read-only page shows: visits (not drafts), open actions, concerns, who holds the case."""
    child_id = grant["child_id"]
    return {
        "visits": visits_data.not_draft_summaries_for_child(db, child_id),
        "open_actions": actions_data.open_summaries_for_child(db, child_id),
        "concerns": concerns_data.summaries_with_recorder(db, child_id),
        "allocations": allocations_data.history_with_user(db, child_id),
    }


def grants_for_user(db: Any, user: dict[str, Any], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The caller's grants that are still running, newest first."""
    return break_glass_data.running_for_user(db, user["id"], _iso(now or utc_now()))


def alerts_for_team(db: Any, team_id: int) -> list[dict[str, Any]]:
    """Break-glass openings of this team's children that no supervisor has acknowledged yet."""
    return break_glass_data.unacknowledged_for_team(db, team_id)


def grants_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Every break-glass opening of one child, newest first (for the "who has viewed" page)."""
    return break_glass_data.for_child_with_names(db, child_id)


def acknowledge(db: Any, grant_id: str, supervisor: dict[str, Any]) -> bool:
    """A supervisor of the child's team has seen the alert; False when it is not theirs to acknowledge."""
    with store.write(db):
        grant = break_glass_data.on_team_child(db, grant_id, supervisor["team_id"])
        if grant is None:
            return False
        if grant["acknowledged_at"] is None:
            break_glass_data.set_fields(db, grant_id, {"acknowledged_by": supervisor["id"],
                                                       "acknowledged_at": _iso(utc_now())})
            audit.record(db, action="break_glass_acknowledged", object_type="break_glass", object_id=grant_id,
                         child_id=grant["child_id"], user=supervisor)
    return True


def viewers_of_child(db: Any, child_id: str, *, limit: int = 2000) -> dict[str, Any]:
    """Who has seen or taken away this child's record: each person with their count and last time, and the
    full list of views, exports and emergency openings, newest first."""
    rows = audit_log_data.views_and_exports_for_child(db, child_id, limit)
    people: dict[Any, dict[str, Any]] = {}
    for row in rows:
        person = people.setdefault(row["user_id"], {"user_id": row["user_id"], "name": row["user_name"],
                                                    "email": row["user_email"], "team_name": row["team_name"],
                                                    "role": row["user_role"], "views": 0, "exports": 0,
                                                    "break_glass": 0, "last_at": row["at"], "first_at": row["at"]})
        key = "views" if row["action"] == "view" else "break_glass" if row["action"] == "break_glass" else "exports"
        person[key] += 1
        person["first_at"] = row["at"]
        row["under_break_glass"] = '"break_glass"' in (row["detail"] or "")
    return {"entries": rows, "people": sorted(people.values(), key=lambda p: p["last_at"], reverse=True)}
