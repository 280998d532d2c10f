"""Required actions: created from the rules when a visit or concern is recorded, tracked to an end.

An action ends as "done" (with what was done) or "not done" (with a reason that a supervisor must
countersign). Nothing is dismissed silently; every change is audited; overdue actions escalate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import rule_hits as rule_hits_data
from homevisit.data import store
from homevisit.domain import rules as rules_mod
from homevisit.domain.calendar import utc_now_text
from homevisit.services import audit

MAX_TEXT = 4000


class ActionError(Exception):
    """The change asked for cannot be made; ``field`` and ``message`` say what to do."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(Exception):
    pass


def _utc(moment: str) -> str:
    # Stored in UTC so that SQL string comparisons ("overdue") are comparisons of instants.
    return datetime.fromisoformat(moment).astimezone(UTC).isoformat(timespec="seconds")


def derive_and_store(db: Any, *, visit: dict[str, Any], child: dict[str, Any], growth_facts: dict[str, Any] | None,
                     history: dict[str, Any], rules: Any, user: dict[str, Any], concern_id: str | None = None
                     ) -> list[dict[str, Any]]:
    """Run the rules over a visit (or concern) and the child's history; return the actions it requires.

    A rule that fires while an action for the same rule is still open for the child joins that action
    (keeping the sooner deadline and the more urgent severity) instead of opening a duplicate; either way
    the firing is recorded as a dated hit, so the chronology and the repeat-concern rules see every one.
    """
    raised = rules_mod.required_actions_for(visit, child, growth_facts, history, rules)
    return store_actions(db, raised, visit=visit, child=child, user=user, concern_id=concern_id)


def store_actions(db: Any, raised: list[dict[str, Any]], *, visit: dict[str, Any], child: dict[str, Any],
                  user: dict[str, Any], concern_id: str | None = None) -> list[dict[str, Any]]:
    """Store the actions the rules raised for a visit or concern (see derive_and_store); returns them."""
    result = []
    now = utc_now_text()
    with store.write(db):
        for item in raised:
            due = _utc(item["due_at"])
            existing = actions_data.open_for_rule(db, child["id"], item["rule_id"])
            if existing is None:
                row = {
                    "id": str(uuid.uuid4()), "child_id": child["id"], "team_id": user["team_id"],
                    "visit_id": None if concern_id else visit["id"], "concern_id": concern_id,
                    "rule_id": item["rule_id"], "title": item["title"], "action": item["action"],
                    "severity": item["severity"], "deadline": item["deadline"], "due_at": due,
                    "owner": item["owner"], "owner_user_id": user["id"] if item["owner"] == "visitor" else None,
                    "source": item["source"], "reasons": item.get("reasons") or "",
                    "requires_referral": int(bool(item.get("requires_referral"))), "category": item.get("category") or "",
                    "status": "open", "created_at": now,
                }
                actions_data.insert(db, row)
                audit.record(db, action="raise", object_type="action", object_id=row["id"], child_id=child["id"],
                             user=user, detail={"rule_id": row["rule_id"], "visit_id": row["visit_id"],
                                                "concern_id": concern_id})
                action_id = row["id"]
            else:
                action_id = existing["id"]
                changes: dict[str, Any] = {}
                if due < existing["due_at"]:
                    changes.update({"due_at": due, "deadline": item["deadline"]})
                if _URGENCY_RANK[item["severity"]] < _URGENCY_RANK.get(existing["severity"], 9):
                    changes["severity"] = item["severity"]
                if changes:
                    actions_data.update(db, action_id, changes)
                audit.record(db, action="raise_again", object_type="action", object_id=action_id, child_id=child["id"],
                             user=user, detail={"rule_id": item["rule_id"], "visit_id": None if concern_id else visit["id"],
                                                "concern_id": concern_id, **changes})
            rule_hits_data.insert(db, {"child_id": child["id"], "visit_id": None if concern_id else visit["id"],
                                       "concern_id": concern_id, "rule_id": item["rule_id"], "action_id": action_id,
                                       "severity": item["severity"], "reasons": item.get("reasons") or "",
                                       "recorded_by": user["id"], "created_at": now})
            stored = actions_data.by_id(db, action_id)
            assert stored is not None  # written just above, in this transaction
            result.append(stored)
    return result


_URGENCY_RANK = {"immediate": 0, "same_day": 1, "within_days": 2, "monitor": 3}


def most_urgent_first(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``actions`` in the order ``actions_for_visit`` gives (data.actions.URGENCY, then the rule id)."""
    return sorted(actions, key=lambda a: (_URGENCY_RANK.get(a["severity"], 3), a["due_at"], a["rule_id"]))


def actions_for_visit(db: Any, visit_id: str) -> list[dict[str, Any]]:
    """The actions a visit requires (raised by it, or already open and raised again), most urgent first."""
    return actions_data.for_visit(db, visit_id)


def action_payload(a: dict[str, Any]) -> dict[str, Any]:
    """An action as the API shows it (docs/api.md)."""
    return {"id": a["id"], "rule_id": a["rule_id"], "title": a["title"], "severity": a["severity"],
            "due_at": a["due_at"], "status": a["status"], "source": a["source"], "action": a["action"],
            "owner": a["owner"], "reasons": a["reasons"], "child_id": a["child_id"], "visit_id": a["visit_id"],
            "concern_id": a.get("concern_id"), "outcome": a.get("outcome"), "not_done_reason": a.get("not_done_reason"),
            "countersigned_at": a.get("countersigned_at"), "requires_referral": bool(a.get("requires_referral"))}


def get_action(db: Any, action_id: str, user: dict[str, Any]) -> dict[str, Any]:
    row = actions_data.in_team_with_names(db, action_id, user["team_id"])
    if row is None:
        raise NotFound(action_id)
    return row


def list_actions(db: Any, team_id: int, *, status: str | None = None, overdue: bool = False, child_id: str | None = None,
                 owner_user_id: int | None = None, now: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """The team's actions with the child's name, filtered; most urgent first."""
    return actions_data.for_team(db, team_id, status=status, overdue_before=(now or utc_now_text()) if overdue else None,
                                 child_id=child_id, owner_user_id=owner_user_id, limit=limit)


def complete(db: Any, action_id: str, user: dict[str, Any], *, outcome: str | None = None,
             not_done_reason: str | None = None) -> dict[str, Any]:
    """Close an action as done (what was done) or not done (why: a supervisor must countersign)."""
    outcome = (outcome or "").strip()
    not_done_reason = (not_done_reason or "").strip()
    if outcome and not_done_reason:
        raise ActionError("outcome", "Enter either what was done or why it was not done, not both")
    if not outcome and not not_done_reason:
        raise ActionError("outcome", "Enter what was done, or why it was not done")
    for name, text in (("outcome", outcome), ("not_done_reason", not_done_reason)):
        if len(text) > MAX_TEXT:
            raise ActionError(name, f"Keep this to {MAX_TEXT} characters or fewer")
    if not_done_reason and len(not_done_reason) < 15:
        raise ActionError("not_done_reason", "Explain why the action was not done, in a sentence or more: "
                                             "your supervisor will countersign it")
    with store.write(db):
        action = get_action(db, action_id, user)
        if action["status"] != "open":
            raise ActionError("outcome", "This action has already been closed")
        changes = {"status": "done" if outcome else "not_done", "outcome": outcome or None,
                   "not_done_reason": not_done_reason or None, "completed_by": user["id"], "completed_at": utc_now_text()}
        actions_data.update(db, action_id, changes)
        audit.record(db, action="complete" if outcome else "not_done", object_type="action", object_id=action_id,
                     child_id=action["child_id"], user=user, detail={"rule_id": action["rule_id"]})
    return get_action(db, action_id, user)


def countersign(db: Any, action_id: str, supervisor: dict[str, Any], note: str = "") -> dict[str, Any]:
    """A supervisor countersigns a "not done" decision, with a note when they wish."""
    if supervisor["role"] not in ("supervisor", "admin"):
        raise ActionError("note", "Only a supervisor can countersign a decision not to act")
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ActionError("note", f"Keep the note to {MAX_TEXT} characters or fewer")
    with store.write(db):
        action = get_action(db, action_id, supervisor)
        if action["status"] != "not_done" or action["countersigned_at"]:
            raise ActionError("note", "Only a 'not done' decision awaiting countersignature can be countersigned")
        if action["completed_by"] == supervisor["id"]:
            raise ActionError("note", "Another supervisor must countersign a decision you made yourself")
        actions_data.update(db, action_id, {"countersigned_by": supervisor["id"], "countersigned_at": utc_now_text(),
                                            "countersign_note": note or None})
        audit.record(db, action="countersign", object_type="action", object_id=action_id, child_id=action["child_id"],
                     user=supervisor, detail={"rule_id": action["rule_id"]})
    return get_action(db, action_id, supervisor)


def escalate_overdue(db: Any, team_id: int, *, now: str | None = None) -> int:
    """Mark open actions past their deadline as escalated to the supervisor; returns how many were escalated now."""
    now = now or utc_now_text()
    with store.write(db):
        rows = actions_data.overdue_unescalated(db, team_id, now)
        for row in rows:
            actions_data.update(db, row["id"], {"escalated_at": now})
            audit.record(db, action="escalate", object_type="action", object_id=row["id"], child_id=row["child_id"],
                         detail={"rule_id": row["rule_id"], "reason": "overdue"})
    return len(rows)
