"""Queries on the rule_hits table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one rule hit row."""
    store.insert(db, "rule_hits", row)


def concern_hits_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's rule hits outside the process category, with action title, when, by whom and role, by date."""
    return store.query(db, """SELECT h.rule_id, a.title, a.source, a.category, COALESCE(v.visited_at, k.occurred_on) AS at,
                                     u.name AS by_name, COALESCE(v.visitor_role, k.reporter_role) AS role
                              FROM rule_hits h JOIN actions a ON a.id = h.action_id
                              LEFT JOIN visits v ON v.id = h.visit_id LEFT JOIN concerns k ON k.id = h.concern_id
                              LEFT JOIN users u ON u.id = h.recorded_by
                              WHERE h.child_id = ? AND a.category != 'process' ORDER BY at""", (child_id,))


def repeating_for_team(db: Any, team_id: int, since: str) -> list[dict[str, Any]]:
    """The team's children whose rule fired at two or more visits or concerns since ``since`` (outside the
    process category): child, rule, title, times, professionals and last seen; most often first, at most 100."""
    return store.query(db, """
        SELECT c.id, c.given_name, c.family_name, h.rule_id, a.title,
               COUNT(DISTINCT COALESCE(h.visit_id, h.concern_id)) AS times,
               COUNT(DISTINCT h.recorded_by) AS professionals, MAX(h.created_at) AS last_seen
        FROM rule_hits h JOIN children c ON c.id = h.child_id JOIN actions a ON a.id = h.action_id
        LEFT JOIN visits v ON v.id = h.visit_id LEFT JOIN concerns k ON k.id = h.concern_id
        WHERE c.team_id = ? AND COALESCE(v.visited_at, k.occurred_on) >= ? AND a.category NOT IN ('process')
        GROUP BY c.id, h.rule_id HAVING times >= 2 ORDER BY times DESC, last_seen DESC LIMIT 100""", (team_id, since))


def concern_rules_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The rules fired on the child's concerns (concern_id, rule_id)."""
    return store.query(db, "SELECT concern_id, rule_id FROM rule_hits WHERE child_id = ? AND concern_id IS NOT NULL",
                       (child_id,))


def visit_rules_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The rules fired on the child's visits (visit_id, rule_id)."""
    return store.query(db, "SELECT visit_id, rule_id FROM rule_hits WHERE child_id = ? AND visit_id IS NOT NULL",
                       (child_id,))
