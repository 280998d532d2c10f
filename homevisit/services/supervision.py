"""What a supervisor needs to see about the team: overdue actions, decisions to countersign, visits to review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import rule_hits as rule_hits_data
from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain.calendar import LONDON, utc_now, utc_now_text
from homevisit.services import actions as actions_mod
from homevisit.services import audit, referrals


def dashboard(db: Any, team_id: int, *, now: datetime | None = None, person_id: int | None = None,
              config: Any = None) -> dict[str, Any]:
    """Every list on the supervisor's dashboard, most urgent first.

    With ``person_id`` (someone in the team), the lists about people's work are narrowed to theirs, as for a
    supervision session with one practitioner: the actions they own, the 'not done' decisions they made,
    the children with an urgent action of theirs and the visits they made. Concerns repeating across visits
    stay team-wide: they are about several professionals by nature.
    """
    now = now or utc_now()
    now_text = now.isoformat(timespec="seconds")
    end_of_today = now.astimezone(LONDON).replace(hour=23, minute=59, second=59).astimezone(UTC)
    actions_mod.escalate_overdue(db, team_id, now=now_text)
    referrals.check_timers(db, team_id, config=config or {}, now=now)
    waiting = referrals.waiting_on_decision(db, team_id, now)
    disputed = referrals.disputed(db, team_id)
    if person_id:
        waiting = [r for r in waiting if r["referrer_id"] == person_id]
        disputed = [r for r in disputed if r["referrer_id"] == person_id]
    escalations = actions_data.open_escalations_with_names(db, team_id)
    open_actions = actions_mod.list_actions(db, team_id, status="open", owner_user_id=person_id)
    overdue = [a for a in open_actions if a["due_at"] < now_text]
    due_today = [a for a in open_actions if now_text <= a["due_at"] <= end_of_today.isoformat(timespec="seconds")]
    awaiting_countersign = actions_data.not_done_awaiting_countersign(db, team_id, person_id)
    awaiting_review = visits_data.awaiting_review_with_names(db, team_id, person_id)
    urgent_children = actions_data.children_with_urgent_open(db, team_id, person_id)
    since = (now - timedelta(days=180)).isoformat(timespec="seconds")
    repeating = rule_hits_data.repeating_for_team(db, team_id, since)
    return {"overdue": overdue, "due_today": due_today, "awaiting_countersign": awaiting_countersign,
            "awaiting_review": awaiting_review, "urgent_children": urgent_children, "repeating": repeating,
            "open_count": len(open_actions), "referrals_waiting": waiting, "referrals_disputed": disputed,
            "escalations": escalations}


def review_visit(db: Any, visit_id: str, supervisor: dict[str, Any], note: str = "") -> bool:
    """A supervisor records that they reviewed a visit (and, when signing exists, countersigns it)."""
    with store.write(db):
        row = visits_data.review_state_in_team(db, visit_id, supervisor["team_id"])
        if row is None or row["status"] == "draft":
            return False
        visits_data.update(db, visit_id, {"reviewed_by": supervisor["id"], "reviewed_at": utc_now_text(),
                                          "review_note": note or None})
        audit.record(db, action="review", object_type="visit", object_id=visit_id, child_id=row["child_id"],
                     user=supervisor)
    return True
