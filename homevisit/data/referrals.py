"""Queries on the referrals, referral_responses and strategy_discussions tables: the only place their SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store


def pack_state(db: Any, referral_id: str) -> dict[str, Any] | None:
    """A referral's pack_sha256 and pack_signed_by, or None."""
    return store.query_one(db, "SELECT pack_sha256, pack_signed_by FROM referrals WHERE id = ?", (referral_id,))


def update(db: Any, referral_id: str, changes: dict[str, Any]) -> int:
    """Change columns of one referral; returns the number of rows changed."""
    return store.update(db, "referrals", "id", referral_id, changes)


def with_names(db: Any, referral_id: str, team_id: int) -> dict[str, Any] | None:
    """One referral of the team with the child's names and date of birth and the referrer's name, email and role."""
    return store.query_one(db, """SELECT r.*, c.given_name, c.family_name, c.date_of_birth, u.name AS referrer_name,
                                  u.email AS referrer_email, u.visitor_role AS referrer_role
                                  FROM referrals r JOIN children c ON c.id = r.child_id JOIN users u ON u.id = r.referrer_id
                                  WHERE r.id = ? AND r.team_id = ?""", (referral_id, team_id))


def for_child_with_referrer(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's referrals with the referrer's name, newest first (undecoded rows)."""
    return store.query(db, """SELECT r.*, u.name AS referrer_name FROM referrals r JOIN users u ON u.id = r.referrer_id
                              WHERE r.child_id = ? ORDER BY r.created_at DESC""", (child_id,))


def for_team_with_names(db: Any, team_id: int, *, child_id: str | None = None, status: str | None = None,
                        limit: int = 500) -> list[dict[str, Any]]:
    """The team's referrals (optionally one child's, or in one status) with child and referrer names, newest first."""
    where: list[str] = ["r.team_id = ?"]
    params: list[Any] = [team_id]
    if child_id:
        where.append("r.child_id = ?")
        params.append(child_id)
    if status:
        where.append("r.status = ?")
        params.append(status)
    params.append(limit)
    return store.query(db, f"""SELECT r.*, c.given_name, c.family_name, u.name AS referrer_name FROM referrals r
                               JOIN children c ON c.id = r.child_id JOIN users u ON u.id = r.referrer_id
                               WHERE {' AND '.join(where)} ORDER BY r.created_at DESC LIMIT ?""", params)


def history_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Status, decision, decided_at and sent_at of the child's referrals that are not drafts."""
    return store.query(db, "SELECT status, decision, decided_at, sent_at FROM referrals WHERE child_id = ? "
                           "AND status != 'draft'", (child_id,))


def id_if_exists(db: Any, referral_id: str) -> dict[str, Any] | None:
    """The referral's id row if one is stored under this id, or None."""
    return store.query_one(db, "SELECT id FROM referrals WHERE id = ?", (referral_id,))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one referral row."""
    store.insert(db, "referrals", row)


def replay_state(db: Any, referral_id: str) -> dict[str, Any] | None:
    """A referral's id, team_id and body_sha256 (for an API replay), or None."""
    return store.query_one(db, "SELECT id, team_id, body_sha256 FROM referrals WHERE id = ?", (referral_id,))


def action_id_of(db: Any, referral_id: str) -> dict[str, Any] | None:
    """The referral's action_id row, or None."""
    return store.query_one(db, "SELECT action_id FROM referrals WHERE id = ?", (referral_id,))


def status_of(db: Any, referral_id: str) -> dict[str, Any] | None:
    """The referral's status row, or None."""
    return store.query_one(db, "SELECT status FROM referrals WHERE id = ?", (referral_id,))


def escalation_reason_of(db: Any, referral_id: str) -> dict[str, Any] | None:
    """The referral's escalation_reason row, or None."""
    return store.query_one(db, "SELECT escalation_reason FROM referrals WHERE id = ?", (referral_id,))


def timer_candidates(db: Any, team_id: int, referral_id: str | None = None) -> list[dict[str, Any]]:
    """The team's referrals awaiting the hub or with an open dispute (optionally just one referral)."""
    sql = ("SELECT * FROM referrals WHERE team_id = ? AND (status IN ('sent', 'acknowledged') "
           "OR (disputed_at IS NOT NULL AND dispute_resolved_at IS NULL))")
    params: list[Any] = [team_id]
    if referral_id:
        sql += " AND id = ?"
        params.append(referral_id)
    return store.query(db, sql, params)


def by_id(db: Any, referral_id: str) -> dict[str, Any] | None:
    """One referral row by id, or None."""
    return store.query_one(db, "SELECT * FROM referrals WHERE id = ?", (referral_id,))


def responses_with_recorder(db: Any, referral_id: str) -> list[dict[str, Any]]:
    """The referral's responses in order, with the recorder's name."""
    return store.query(db, """SELECT x.*, u.name AS recorded_by_name FROM referral_responses x
                              LEFT JOIN users u ON u.id = x.recorded_by WHERE x.referral_id = ?
                              ORDER BY x.at, x.id""", (referral_id,))


def insert_response(db: Any, row: dict[str, Any]) -> None:
    """Insert one referral_responses row."""
    store.insert(db, "referral_responses", row)


def strategy_id_if_exists(db: Any, strategy_id: str) -> dict[str, Any] | None:
    """The strategy discussion's id row if one is stored under this id, or None."""
    return store.query_one(db, "SELECT id FROM strategy_discussions WHERE id = ?", (strategy_id,))


def insert_strategy(db: Any, row: dict[str, Any]) -> None:
    """Insert one strategy_discussions row."""
    store.insert(db, "strategy_discussions", row)


def strategy_with_recorder(db: Any, strategy_id: str, team_id: int) -> dict[str, Any] | None:
    """One strategy discussion of the team with the recorder's name, or None."""
    return store.query_one(db, """SELECT s.*, u.name AS recorded_by_name FROM strategy_discussions s
                                  JOIN users u ON u.id = s.recorded_by WHERE s.id = ? AND s.team_id = ?""",
                           (strategy_id, team_id))


def strategies_for_child_with_recorder(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's strategy discussions with the recorder's name, latest held first."""
    return store.query(db, """SELECT s.*, u.name AS recorded_by_name FROM strategy_discussions s
                              JOIN users u ON u.id = s.recorded_by WHERE s.child_id = ? ORDER BY s.held_at DESC""",
                       (child_id,))


def signed_packs_since(db: Any, since: str) -> list[dict[str, Any]]:
    """Signed referral packs signed on or after ``since`` with the child's names, oldest first."""
    return store.query(db, """SELECT f.id, f.pack_filename, f.pack_sha256, f.pack_signed_at, c.given_name, c.family_name
                               FROM referrals f JOIN children c ON c.id = f.child_id
                               WHERE f.pack_sha256 IS NOT NULL AND f.pack_signed_at >= ?
                               ORDER BY f.pack_signed_at, f.id""", (since,))


def pack_by_sha256(db: Any, digest: str) -> dict[str, Any] | None:
    """The referral (id, pack_signed_at) whose signed pack has this SHA-256, or None."""
    return store.query_one(db, "SELECT id, pack_signed_at FROM referrals WHERE pack_sha256 = ?", (digest,))


def responses_for_child_with_referral(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Every response on the child's referrals with the referral's agency and referrer_id and the recorder's
    name (``recorder_name``), unordered."""
    return store.query(db, """SELECT x.*, r.agency, r.referrer_id, u.name AS recorder_name
                              FROM referral_responses x JOIN referrals r ON r.id = x.referral_id
                              LEFT JOIN users u ON u.id = x.recorded_by WHERE r.child_id = ?""", (child_id,))


def strategies_for_child_with_recorder_name(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The child's strategy discussions with the recorder's name (``recorder_name``), unordered."""
    return store.query(db, """SELECT s.*, u.name AS recorder_name FROM strategy_discussions s
                              JOIN users u ON u.id = s.recorded_by WHERE s.child_id = ?""", (child_id,))
