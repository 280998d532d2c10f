"""Queries on the actions table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store

URGENCY = ("CASE a.severity WHEN 'immediate' THEN 0 WHEN 'same_day' THEN 1 WHEN 'within_days' THEN 2 ELSE 3 END, "
           "a.due_at")
"""ORDER BY terms for actions ``a``: most urgent severity first, then the sooner deadline."""


def open_for_rule(db: Any, child_id: str, rule_id: str) -> dict[str, Any] | None:
    """The child's oldest open action for a rule, or None."""
    return store.query_one(db, "SELECT * FROM actions WHERE child_id = ? AND rule_id = ? AND status = 'open' "
                               "ORDER BY created_at LIMIT 1", (child_id, rule_id))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one action row."""
    store.insert(db, "actions", row)


def update(db: Any, action_id: str, changes: dict[str, Any]) -> int:
    """Change columns of one action; returns the number of rows changed."""
    return store.update(db, "actions", "id", action_id, changes)


def by_id(db: Any, action_id: str) -> dict[str, Any] | None:
    """One action row by id, or None."""
    return store.query_one(db, "SELECT * FROM actions WHERE id = ?", (action_id,))


def for_visit(db: Any, visit_id: str) -> list[dict[str, Any]]:
    """The actions a visit's rule hits point to, with hit reasons and closers' names, most urgent first."""
    return store.query(db, f"""SELECT a.*, h.reasons AS hit_reasons, (a.visit_id IS NOT ? ) AS raised_earlier,
                               cu.name AS completed_by_name, su.name AS countersigned_by_name
                               FROM rule_hits h JOIN actions a ON a.id = h.action_id
                               LEFT JOIN users cu ON cu.id = a.completed_by
                               LEFT JOIN users su ON su.id = a.countersigned_by
                               WHERE h.visit_id = ? ORDER BY {URGENCY}, a.rule_id""", (visit_id, visit_id))


def in_team_with_names(db: Any, action_id: str, team_id: int) -> dict[str, Any] | None:
    """One of the team's actions with the child's and closers' names, or None."""
    return store.query_one(db, """SELECT a.*, c.given_name, c.family_name, cu.name AS completed_by_name,
                                 su.name AS countersigned_by_name FROM actions a JOIN children c ON c.id = a.child_id
                                 LEFT JOIN users cu ON cu.id = a.completed_by LEFT JOIN users su ON su.id = a.countersigned_by
                                 WHERE a.id = ? AND a.team_id = ?""", (action_id, team_id))


def for_team(db: Any, team_id: int, *, status: str | None = None, overdue_before: str | None = None,
             child_id: str | None = None, owner_user_id: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """The team's actions with the child's and owner's names, filtered, most urgent first."""
    where = ["a.team_id = ?"]
    params: list[Any] = [team_id]
    if status:
        where.append("a.status = ?")
        params.append(status)
    if overdue_before is not None:
        where.append("a.status = 'open' AND a.due_at < ?")
        params.append(overdue_before)
    if child_id:
        where.append("a.child_id = ?")
        params.append(child_id)
    if owner_user_id:
        where.append("a.owner_user_id = ?")
        params.append(owner_user_id)
    params.append(limit)
    return store.query(db, f"""SELECT a.*, c.given_name, c.family_name, ou.name AS owner_name
                               FROM actions a JOIN children c ON c.id = a.child_id
                               LEFT JOIN users ou ON ou.id = a.owner_user_id
                               WHERE {' AND '.join(where)} ORDER BY {URGENCY} LIMIT ?""", params)


def overdue_unescalated(db: Any, team_id: int, now: str) -> list[dict[str, Any]]:
    """The team's open actions past their deadline not yet escalated (id, child_id, rule_id)."""
    return store.query(db, "SELECT id, child_id, rule_id FROM actions WHERE team_id = ? AND status = 'open' "
                           "AND due_at < ? AND escalated_at IS NULL", (team_id, now))


def referral_rule_ids(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The distinct rule_ids of the child's actions that are open or need a referral, in order."""
    return store.query(db, "SELECT DISTINCT rule_id FROM actions WHERE child_id = ? AND "
                           "(status = 'open' OR requires_referral = 1) ORDER BY rule_id", (child_id,))


def open_needing_referral(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's open actions that need a referral (rule, title, reasons, action), oldest first."""
    return store.query(db, """SELECT rule_id, title, reasons, action, requires_referral FROM actions
                              WHERE child_id = ? AND status = 'open' AND requires_referral = 1
                              ORDER BY created_at""", (child_id,))


def for_referral_with_names(db: Any, referral_id: str) -> list[dict[str, Any]]:
    """The referral's actions with the child's names and the owner's name, oldest first."""
    return store.query(db, """SELECT a.*, c.given_name, c.family_name, ou.name AS owner_name FROM actions a
                              JOIN children c ON c.id = a.child_id LEFT JOIN users ou ON ou.id = a.owner_user_id
                              WHERE a.referral_id = ? ORDER BY a.created_at""", (referral_id,))


def id_for_child(db: Any, action_id: str, child_id: str) -> dict[str, Any] | None:
    """The action's id row if it is one of this child's, or None."""
    return store.query_one(db, "SELECT id FROM actions WHERE id = ? AND child_id = ?", (action_id, child_id))


def status_by_id(db: Any, action_id: str) -> dict[str, Any] | None:
    """An action's id and status, or None."""
    return store.query_one(db, "SELECT id, status FROM actions WHERE id = ?", (action_id,))


def open_for_referral_matching(db: Any, referral_id: str, rule_pattern: str) -> list[dict[str, Any]]:
    """The referral's open actions (id, child_id) whose rule_id matches a SQL LIKE pattern."""
    return store.query(db, "SELECT id, child_id FROM actions WHERE referral_id = ? AND status = 'open' "
                           "AND rule_id LIKE ?", (referral_id, rule_pattern))


def latest_due_for_referral_rule(db: Any, referral_id: str, rule_id: str) -> dict[str, Any] | None:
    """The due_at of the referral's latest action for a rule, or None."""
    return store.query_one(db, "SELECT due_at FROM actions WHERE referral_id = ? AND rule_id = ? "
                               "ORDER BY created_at DESC LIMIT 1", (referral_id, rule_id))


def for_strategy(db: Any, strategy_id: str) -> list[dict[str, Any]]:
    """The actions a strategy discussion allocated (id, rule, title, action, owner, due, status), by rule id."""
    return store.query(db, "SELECT id, rule_id, title, action, owner, due_at, status FROM actions "
                           "WHERE strategy_id = ? ORDER BY rule_id", (strategy_id,))


def fired_rules(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The rules that have raised the team's actions (rule_id, a title), by rule id."""
    return store.query(db, "SELECT rule_id, MAX(title) AS title FROM actions WHERE team_id = ? "
                           "GROUP BY rule_id ORDER BY rule_id", (team_id,))


def open_summaries_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """A child's open actions (id, rule, title, severity, due), soonest due first."""
    return store.query(db, """SELECT id, rule_id, title, severity, due_at FROM actions
                              WHERE child_id = ? AND status = 'open' ORDER BY due_at""", (child_id,))


def for_child_with_completer_name(db: Any, child_id: str) -> list[dict[str, Any]]:
    """All a child's actions with the name of whoever completed them (``completed_by_name``), unordered."""
    return store.query(db, """SELECT a.*, u.name AS completed_by_name FROM actions a
                              LEFT JOIN users u ON u.id = a.completed_by WHERE a.child_id = ?""", (child_id,))


def open_escalations_with_names(db: Any, team_id: int) -> list[dict[str, Any]]:
    """The team's open escalation actions (rule ESC…) on referrals with the child's and owner's names, by due."""
    return store.query(db, """
        SELECT a.*, c.given_name, c.family_name, ou.name AS owner_name FROM actions a
        JOIN children c ON c.id = a.child_id LEFT JOIN users ou ON ou.id = a.owner_user_id
        WHERE a.team_id = ? AND a.status = 'open' AND a.referral_id IS NOT NULL AND a.rule_id LIKE 'ESC%'
        ORDER BY a.due_at""", (team_id,))


def not_done_awaiting_countersign(db: Any, team_id: int, person_id: int | None) -> list[dict[str, Any]]:
    """The team's 'not done' decisions not yet countersigned (only ``person_id``'s if given), with the child's
    and decider's names, oldest first."""
    # "? IS NULL OR column = ?" keeps one query for the whole team and for one person.
    return store.query(db, """
        SELECT a.*, c.given_name, c.family_name, u.name AS completed_by_name FROM actions a
        JOIN children c ON c.id = a.child_id LEFT JOIN users u ON u.id = a.completed_by
        WHERE a.team_id = ? AND a.status = 'not_done' AND a.countersigned_at IS NULL
          AND (? IS NULL OR a.completed_by = ?)
        ORDER BY a.completed_at""", (team_id, person_id, person_id))


def children_with_urgent_open(db: Any, team_id: int, person_id: int | None) -> list[dict[str, Any]]:
    """The team's children with open immediate or same-day actions (only ``person_id``'s if given): id, names,
    how many (``urgent``) and the first due (``first_due``), soonest first."""
    return store.query(db, """
        SELECT c.id, c.given_name, c.family_name, COUNT(*) AS urgent, MIN(a.due_at) AS first_due
        FROM actions a JOIN children c ON c.id = a.child_id
        WHERE a.team_id = ? AND a.status = 'open' AND a.severity IN ('immediate', 'same_day')
          AND (? IS NULL OR a.owner_user_id = ?)
        GROUP BY c.id ORDER BY first_due""", (team_id, person_id, person_id))


def open_rule_states_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's open actions (rule_id, status, created_at, due_at)."""
    return store.query(db, "SELECT rule_id, status, created_at, due_at FROM actions "
                           "WHERE child_id = ? AND status = 'open'", (child_id,))
