"""What a supervisor needs to see about the team: overdue actions, decisions to countersign, visits to review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homevisit.data import store
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
    escalations = store.query(db, """
        SELECT a.*, c.given_name, c.family_name, ou.name AS owner_name FROM actions a
        JOIN children c ON c.id = a.child_id LEFT JOIN users ou ON ou.id = a.owner_user_id
        WHERE a.team_id = ? AND a.status = 'open' AND a.referral_id IS NOT NULL AND a.rule_id LIKE 'ESC%'
        ORDER BY a.due_at""", (team_id,))
    open_actions = actions_mod.list_actions(db, team_id, status="open", owner_user_id=person_id)
    overdue = [a for a in open_actions if a["due_at"] < now_text]
    due_today = [a for a in open_actions if now_text <= a["due_at"] <= end_of_today.isoformat(timespec="seconds")]
    # "? IS NULL OR column = ?" keeps one query for the whole team and for one person.
    person = (person_id, person_id)
    awaiting_countersign = store.query(db, """
        SELECT a.*, c.given_name, c.family_name, u.name AS completed_by_name FROM actions a
        JOIN children c ON c.id = a.child_id LEFT JOIN users u ON u.id = a.completed_by
        WHERE a.team_id = ? AND a.status = 'not_done' AND a.countersigned_at IS NULL
          AND (? IS NULL OR a.completed_by = ?)
        ORDER BY a.completed_at""", (team_id, *person))
    awaiting_review = store.query(db, """
        SELECT v.id, v.visited_at, v.status, v.child_id, c.given_name, c.family_name, u.name AS visitor_name,
          (SELECT COUNT(*) FROM rule_hits h WHERE h.visit_id = v.id) AS action_count
        FROM visits v JOIN children c ON c.id = v.child_id JOIN users u ON u.id = v.visitor_id
        WHERE v.team_id = ? AND v.status IN ('submitted', 'signed') AND v.reviewed_at IS NULL
          AND (? IS NULL OR v.visitor_id = ?)
        ORDER BY v.visited_at DESC LIMIT 200""", (team_id, *person))
    urgent_children = store.query(db, """
        SELECT c.id, c.given_name, c.family_name, COUNT(*) AS urgent, MIN(a.due_at) AS first_due
        FROM actions a JOIN children c ON c.id = a.child_id
        WHERE a.team_id = ? AND a.status = 'open' AND a.severity IN ('immediate', 'same_day')
          AND (? IS NULL OR a.owner_user_id = ?)
        GROUP BY c.id ORDER BY first_due""", (team_id, *person))
    since = (now - timedelta(days=180)).isoformat(timespec="seconds")
    repeating = store.query(db, """
        SELECT c.id, c.given_name, c.family_name, h.rule_id, a.title,
               COUNT(DISTINCT COALESCE(h.visit_id, h.concern_id)) AS times,
               COUNT(DISTINCT h.recorded_by) AS professionals, MAX(h.created_at) AS last_seen
        FROM rule_hits h JOIN children c ON c.id = h.child_id JOIN actions a ON a.id = h.action_id
        LEFT JOIN visits v ON v.id = h.visit_id LEFT JOIN concerns k ON k.id = h.concern_id
        WHERE c.team_id = ? AND COALESCE(v.visited_at, k.occurred_on) >= ? AND a.category NOT IN ('process')
        GROUP BY c.id, h.rule_id HAVING times >= 2 ORDER BY times DESC, last_seen DESC LIMIT 100""", (team_id, since))
    return {"overdue": overdue, "due_today": due_today, "awaiting_countersign": awaiting_countersign,
            "awaiting_review": awaiting_review, "urgent_children": urgent_children, "repeating": repeating,
            "open_count": len(open_actions), "referrals_waiting": waiting, "referrals_disputed": disputed,
            "escalations": escalations}


def review_visit(db: Any, visit_id: str, supervisor: dict[str, Any], note: str = "") -> bool:
    """A supervisor records that they reviewed a visit (and, when signing exists, countersigns it)."""
    with store.write(db):
        row = store.query_one(db, "SELECT child_id, reviewed_at, status FROM visits WHERE id = ? AND team_id = ?",
                              (visit_id, supervisor["team_id"]))
        if row is None or row["status"] == "draft":
            return False
        store.update(db, "visits", "id", visit_id, {"reviewed_by": supervisor["id"], "reviewed_at":
                                                    utc_now_text(),
                                                    "review_note": note or None})
        audit.record(db, action="review", object_type="visit", object_id=visit_id, child_id=row["child_id"],
                     user=supervisor)
    return True
