"""Queries on the visits table: the only place its SQL is written."""

from __future__ import annotations

from typing import Any

from homevisit.data import store
from homevisit.domain.dictionary import MILESTONES, NO_ACCESS
from homevisit.domain.facts import POOR_HYGIENE


def carers_present_for_visit(db: Any, visit_id: str) -> list[dict[str, Any]]:
    """The carers present at a visit, in the order they were entered."""
    return store.query(db, "SELECT * FROM carers_present WHERE visit_id = ? ORDER BY position", (visit_id,))


def observed_words(db: Any, visit_id: str) -> dict[str, Any] | None:
    """A visit's observed_verbatim and interpretation, or None."""
    return store.query_one(db, "SELECT observed_verbatim, interpretation FROM visits WHERE id = ?", (visit_id,))


def submitted_injuries_with_visitor(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The injuries recorded on the child's non-draft visits, with visited_at and the visitor's name (by_name)."""
    return store.query(db, """SELECT i.*, v.visited_at, u.name AS by_name FROM injuries i JOIN visits v ON v.id = i.visit_id
                              JOIN users u ON u.id = v.visitor_id WHERE v.child_id = ? AND v.status != 'draft'
                              ORDER BY v.visited_at, i.position""", (child_id,))


def signed_for_printing(db: Any, team_id: int, *, child_id: str | None = None, date_from: str | None = None,
                        date_to: str | None = None, practitioner_id: int | None = None,
                        limit: int = 1000) -> list[dict[str, Any]]:
    """The team's signed visits matching the filters with names and their latest record file, oldest first."""
    where = ["v.team_id = ?", "v.status = 'signed'"]
    params: list[Any] = [team_id]
    if child_id:
        where.append("v.child_id = ?")
        params.append(child_id)
    if date_from:
        where.append("substr(v.visited_at, 1, 10) >= ?")
        params.append(date_from)
    if date_to:
        where.append("substr(v.visited_at, 1, 10) <= ?")
        params.append(date_to)
    if practitioner_id:
        where.append("v.visitor_id = ?")
        params.append(practitioner_id)
    params.append(limit)
    return store.query(db, f"""
        SELECT v.id AS visit_id, v.visited_at, v.child_id, c.given_name, c.family_name, u.name AS visitor_name,
          (SELECT r.filename FROM records r WHERE r.visit_id = v.id
             ORDER BY CASE r.kind WHEN 'countersigned' THEN 0 ELSE 1 END LIMIT 1) AS filename,
          (SELECT r.sha256 FROM records r WHERE r.visit_id = v.id
             ORDER BY CASE r.kind WHEN 'countersigned' THEN 0 ELSE 1 END LIMIT 1) AS sha256,
          (SELECT r.kind FROM records r WHERE r.visit_id = v.id
             ORDER BY CASE r.kind WHEN 'countersigned' THEN 0 ELSE 1 END LIMIT 1) AS record_kind
        FROM visits v JOIN children c ON c.id = v.child_id JOIN users u ON u.id = v.visitor_id
        WHERE {' AND '.join(where)} ORDER BY v.visited_at LIMIT ?""", params)


def count_all(db: Any) -> dict[str, Any] | None:
    """The number of visits (as ``n``)."""
    return store.query_one(db, "SELECT COUNT(*) AS n FROM visits")


def submitted_before_each_childs_latest(db: Any) -> list[dict[str, Any]]:
    """Submitted (unsigned) visits other than each child's latest, oldest first: id, visitor and child."""
    return store.query(db, """SELECT v.id, v.visitor_id, v.child_id FROM visits v
                              WHERE v.status = 'submitted' AND v.addendum_of IS NULL
                              AND v.visited_at < (SELECT MAX(w.visited_at) FROM visits w
                                                  WHERE w.child_id = v.child_id AND w.status != 'draft')
                              ORDER BY v.visited_at""")


def carer_names_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """The names of the people present at the child's visits (``name``), where given."""
    return store.query(db, "SELECT p.name FROM carers_present p JOIN visits v ON v.id = p.visit_id "
                           "WHERE v.child_id = ? AND p.name IS NOT NULL", (child_id,))


def injury_explainers_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Who explained each of the child's injuries (as ``name``), where given."""
    return store.query(db, "SELECT i.explanation_given_by AS name FROM injuries i JOIN visits v "
                           "ON v.id = i.visit_id WHERE v.child_id = ? AND name IS NOT NULL", (child_id,))


def not_draft_with_visitor_and_signer(db: Any, visit_id: str, child_id: str) -> dict[str, Any] | None:
    """One submitted or signed visit of the child with the visitor's and signer's names, or None."""
    return store.query_one(db, """SELECT v.*, u.name AS visitor_name, s.name AS signer_name FROM visits v
                                  JOIN users u ON u.id = v.visitor_id LEFT JOIN users s ON s.id = v.signed_by
                                  WHERE v.id = ? AND v.child_id = ? AND v.status != 'draft'""",
                           (visit_id, child_id))


def not_draft_summaries_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """A child's submitted and signed visits (status, when, who, seen, weight), newest first."""
    return store.query(db, """SELECT v.id, v.status, v.visited_at, v.visitor_role, v.child_seen, v.weight_kg,
                                     v.weight_centile, u.name AS visitor_name FROM visits v
                              JOIN users u ON u.id = v.visitor_id
                              WHERE v.child_id = ? AND v.status != 'draft'
                              ORDER BY v.visited_at DESC""", (child_id,))


def sign_state(db: Any, visit_id: str) -> dict[str, Any] | None:
    """A visit's status, record_sha256 and signed_by, or None."""
    return store.query_one(db, "SELECT status, record_sha256, signed_by FROM visits WHERE id = ?", (visit_id,))


def signed_with_record_in_team(db: Any, visit_id: str, team_id: int) -> dict[str, Any] | None:
    """A team's visit with its signed record (status, child_id, visitor_id, filename, sha256), or None."""
    return store.query_one(db, "SELECT v.status, v.child_id, v.visitor_id, r.filename, r.sha256 FROM visits v "
                               "JOIN records r ON r.visit_id = v.id AND r.kind = 'signed' "
                               "WHERE v.id = ? AND v.team_id = ?", (visit_id, team_id))


def update(db: Any, visit_id: str, changes: dict[str, Any]) -> int:
    """Change columns of one visit; returns the number of rows changed."""
    return store.update(db, "visits", "id", visit_id, changes)


def insert_injury(db: Any, row: dict[str, Any]) -> None:
    """Insert one injury row."""
    store.insert(db, "injuries", row)


def insert_carer_present(db: Any, row: dict[str, Any]) -> None:
    """Insert one carers_present row."""
    store.insert(db, "carers_present", row)


def last_activity_of_child(db: Any, child_id: str) -> dict[str, Any] | None:
    """The date of the last visit, concern or allocation end recorded for a child (as ``last``)."""
    return store.query_one(db, """SELECT MAX(d) AS last FROM (
        SELECT substr(visited_at, 1, 10) AS d FROM visits WHERE child_id = :c
        UNION ALL SELECT occurred_on FROM concerns WHERE child_id = :c
        UNION ALL SELECT ended_on FROM allocations WHERE child_id = :c)""", {"c": child_id})


def clear_addendum_links_for_child(db: Any, child_id: str) -> None:
    """Unlink the child's addenda from the visits they correct."""
    store.execute(db, "UPDATE visits SET addendum_of = NULL WHERE child_id = ?", (child_id,))


NO_ACCESS_SQL = store.sql_literals(NO_ACCESS)
"""The ``access_outcome`` codes of a visit where the child was not seen, for ``IN (...)``."""


def no_access_or_missed_since(db: Any, child_id: str, since: str) -> list[dict[str, Any]]:
    """The child's non-draft visits since ``since`` (a date) with no access or missed appointments, with the
    visitor's name (``by_name``)."""
    return store.query(db, f"""
            SELECT v.id, v.visited_at, v.access_outcome, v.missed_appointments, u.name AS by_name
            FROM visits v JOIN users u ON u.id = v.visitor_id
            WHERE v.child_id = ? AND v.status != 'draft' AND substr(v.visited_at, 1, 10) >= ?
              AND (v.access_outcome IN ({NO_ACCESS_SQL}) OR COALESCE(v.missed_appointments, 0) > 0)""",
                       (child_id, since))


def not_draft_chronology_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    """A child's submitted and signed visits for the chronology (who, when, seen, weight, words), unordered."""
    return store.query(db, """SELECT v.id, v.visited_at, v.visitor_role, v.child_seen, v.weight_kg, v.weight_centile,
                                     v.status, v.visitor_id, u.name AS visitor_name, v.observed_verbatim
                              FROM visits v JOIN users u ON u.id = v.visitor_id
                              WHERE v.child_id = ? AND v.status != 'draft'""", (child_id,))


def awaiting_review_with_names(db: Any, team_id: int, person_id: int | None) -> list[dict[str, Any]]:
    """The team's latest 200 submitted or signed visits not yet reviewed (only ``person_id``'s if given), with
    the child's and visitor's names and the number of rule hits (``action_count``), newest first."""
    # "? IS NULL OR column = ?" keeps one query for the whole team and for one person.
    return store.query(db, """
        SELECT v.id, v.visited_at, v.status, v.child_id, c.given_name, c.family_name, u.name AS visitor_name,
          (SELECT COUNT(*) FROM rule_hits h WHERE h.visit_id = v.id) AS action_count
        FROM visits v JOIN children c ON c.id = v.child_id JOIN users u ON u.id = v.visitor_id
        WHERE v.team_id = ? AND v.status IN ('submitted', 'signed') AND v.reviewed_at IS NULL
          AND (? IS NULL OR v.visitor_id = ?)
        ORDER BY v.visited_at DESC LIMIT 200""", (team_id, person_id, person_id))


def review_state_in_team(db: Any, visit_id: str, team_id: int) -> dict[str, Any] | None:
    """A team's visit's child_id, reviewed_at and status, or None."""
    return store.query_one(db, "SELECT child_id, reviewed_at, status FROM visits WHERE id = ? AND team_id = ?",
                           (visit_id, team_id))


def injuries_for_visit(db: Any, visit_id: str) -> list[dict[str, Any]]:
    """The marks recorded at a visit, in the order they were entered (undecoded rows)."""
    return store.query(db, "SELECT * FROM injuries WHERE visit_id = ? ORDER BY position", (visit_id,))


def in_team_with_visitor_and_signer(db: Any, visit_id: str, team_id: int) -> dict[str, Any] | None:
    """One visit of the team with the visitor's and signer's names (``visitor_name``, ``signer_name``), or None."""
    return store.query_one(db, """SELECT v.*, u.name AS visitor_name, s.name AS signer_name FROM visits v
                                  JOIN users u ON u.id = v.visitor_id LEFT JOIN users s ON s.id = v.signed_by
                                  WHERE v.id = ? AND v.team_id = ?""", (visit_id, team_id))


def for_child_with_visitor(db: Any, child_id: str, drafts_of: int) -> list[dict[str, Any]]:
    """The child's visits (not drafts, except those of the visitor ``drafts_of``) with the visitor's name and the
    number of rule hits (``action_count``), newest first."""
    return store.query(db, """
        SELECT v.id, v.status, v.visited_at, v.visitor_role, v.child_seen, v.weight_kg, v.weight_sds, v.weight_centile,
               v.centile_spaces_fallen_since_birth, v.source, v.signed_at, v.reviewed_at, v.addendum_of, v.draft_section,
               v.visitor_id, u.name AS visitor_name,
               (SELECT COUNT(*) FROM rule_hits h WHERE h.visit_id = v.id) AS action_count
        FROM visits v JOIN users u ON u.id = v.visitor_id
        WHERE v.child_id = ? AND (v.status != 'draft' OR v.visitor_id = ?)
        ORDER BY v.visited_at DESC, v.created_at DESC""", (child_id, drafts_of))


def submitted_weights(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Every weight on the child's non-draft visits, oldest first: visit_id, measured_on, weight_kg,
    weight_clothing and the growth stored at submit (weight_sds, weight_centile,
    centile_spaces_fallen_since_birth)."""
    return store.query(db, """SELECT id AS visit_id, substr(visited_at, 1, 10) AS measured_on, weight_kg, weight_clothing,
                                     weight_sds, weight_centile, centile_spaces_fallen_since_birth
                              FROM visits WHERE child_id = ? AND status != 'draft' AND weight_kg IS NOT NULL
                              ORDER BY visited_at""", (child_id,))


def history_rows_except(db: Any, child_id: str, visit_id: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The columns ``fields`` (the history facts': ``facts.HISTORY_VISIT_FIELDS``) of the child's other non-draft
    visits, oldest first (undecoded rows)."""
    columns = ", ".join(f'"{name}"' for name in fields)
    return store.query(db, f"""SELECT {columns} FROM visits WHERE child_id = ? AND status != 'draft' AND id != ?
                               ORDER BY visited_at""", (child_id, visit_id))


# The history facts' sums over earlier visits, for the database (facts._history_facts does the same sums over
# a list of visits; a test checks the two agree). Every window ends with the visit's day in UK time.
_EARLIER = ("child_id = :child AND status != 'draft' AND id != :visit "
            "AND julianday(visited_at) < julianday(:end)")
_POOR_HYGIENE_SQL = store.sql_literals(POOR_HYGIENE)


def _earlier_params(child_id: str, visit_id: str, windows: dict[str, Any]) -> dict[str, Any]:
    return {"child": child_id, "visit": visit_id, **{k: v for k, v in windows.items() if k != "consider_ids"}}


def _within(window: str) -> str:
    return f"julianday(visited_at) >= julianday(:{window})"


_SUMS = tuple(store.SUMS_COLUMNS)
_SUMS_AT = (f"SELECT {', '.join(_SUMS)} FROM visit_sums WHERE child_id = :child AND jd < julianday(:{{at}}) "
            "ORDER BY jd DESC, visit_id DESC LIMIT 1")
_SUMS_READ = " UNION ALL ".join(
    [f"SELECT '{at}' AS at, * FROM ({_SUMS_AT.format(at=at)})" for at in ("end", "missed", "repeat", "access")]
    + [f"SELECT 'self', {', '.join(['NULL'] * len(_SUMS))} FROM visits "
       "WHERE id = :visit AND child_id = :child AND status != 'draft' AND julianday(visited_at) < julianday(:end)"])
"""The kept sums before the end of the visit's day and before each window starts (a row each, none where the
child has no visit before it), and a row 'self' if the visit asked about is itself one of the counted visits."""


def earlier_sums(db: Any, child_id: str, visit_id: str, windows: dict[str, Any]) -> dict[str, Any] | None:
    """The sums over the child's non-draft visits before ``windows["end"]`` (other than ``visit_id``): how many
    (``n``), each milestone seen (1 or 0), and missed, not_seen, poor_hygiene, no_access, not_brought in their
    windows.

    Read from the sums the database keeps (``visit_sums``, migration 0018): the sums of all the child's visits
    before an instant are the row of the last visit before it, and a window's the difference of two such rows,
    so the read costs the same for any length of history. Where ``visit_id`` is itself one of those visits (a
    submitted visit worked out again) the visits are summed one by one instead (``scanned_sums``)."""
    before: dict[str, dict[str, int]] = {}
    for row in store.query(db, _SUMS_READ, _earlier_params(child_id, visit_id, windows)):
        before[row.pop("at")] = row
    if "self" in before:
        return scanned_sums(db, child_id, visit_id, windows)
    none = dict.fromkeys(_SUMS, 0)
    end, missed, repeat, access = (before.get(at, none) for at in ("end", "missed", "repeat", "access"))
    found = {"n": end["n"], **{m: int(end[m] > 0) for m in MILESTONES}}
    if not found["n"]:
        return found
    return {**found, "missed": end["missed"] - missed["missed"], "not_seen": end["not_seen"] - missed["not_seen"],
            "poor_hygiene": end["poor_hygiene"] - repeat["poor_hygiene"],
            "no_access": end["no_access"] - access["no_access"], "not_brought": end["missed"] - access["missed"]}


def scanned_sums(db: Any, child_id: str, visit_id: str, windows: dict[str, Any]) -> dict[str, Any] | None:
    """``earlier_sums`` worked out from the visits themselves, one by one.

    Two reads of the index ``visits_child_history``: the count and the milestones over every earlier visit,
    which needs nothing but the index, then the windows' sums over the visits since the earliest window starts."""
    seen = ", ".join(f'MAX("{m}" = 1) AS "{m}"' for m in MILESTONES)
    params = _earlier_params(child_id, visit_id, windows)
    row = store.query_one(db, f"SELECT COUNT(*) AS n, {seen} FROM visits WHERE {_EARLIER}", params) or {}
    if not row.get("n"):
        return row
    since = min(windows[w] for w in ("missed", "repeat", "access"))
    sums = store.query_one(db, f"""SELECT
          COALESCE(SUM(CASE WHEN {_within("missed")} THEN COALESCE(missed_appointments, 0) END), 0) AS missed,
          COALESCE(SUM({_within("missed")} AND child_seen = 'not_seen'), 0) AS not_seen,
          COALESCE(SUM({_within("repeat")} AND hygiene IN ({_POOR_HYGIENE_SQL})), 0) AS poor_hygiene,
          COALESCE(SUM({_within("access")} AND access_outcome IN ({NO_ACCESS_SQL})), 0) AS no_access,
          COALESCE(SUM(CASE WHEN {_within("access")} THEN COALESCE(missed_appointments, 0) END), 0) AS not_brought
        FROM visits WHERE {_EARLIER} AND julianday(visited_at) >= julianday(:since)""", {**params, "since": since})
    return {**row, **(sums or {})}


def earlier_firing_any_of(db: Any, child_id: str, visit_id: str, windows: dict[str, Any],
                          rule_ids: list[str]) -> list[dict[str, Any]]:
    """The child's earlier non-draft visits in the repeat window where one of ``rule_ids`` fired (id,
    visitor_id); ``rule_ids`` must not be empty.

    Read from the child's hits of those rules (the index ``rule_hits_child``), each looked up in its visit, so
    the cost follows how often those rules fired for the child, not how many visits the window holds."""
    marks = ", ".join(f":c{i}" for i in range(len(rule_ids)))
    return store.query(db, f"""SELECT DISTINCT v.id, v.visitor_id FROM rule_hits h
            CROSS JOIN visits v ON v.id = h.visit_id
            WHERE h.child_id = :child AND h.rule_id IN ({marks})
              AND v.child_id = :child AND v.status != 'draft' AND v.id != :visit
              AND julianday(v.visited_at) < julianday(:end) AND julianday(v.visited_at) >= julianday(:repeat)""",
                       {**_earlier_params(child_id, visit_id, windows),
                        **{f"c{i}": rule_id for i, rule_id in enumerate(rule_ids)}})


def earlier_last_weight(db: Any, child_id: str, visit_id: str, windows: dict[str, Any]) -> dict[str, Any] | None:
    """The latest weight (visited_at, weight_kg, weight_clothing) of the child's earlier non-draft visits, or None."""
    return store.query_one(db, f"""SELECT visited_at, weight_kg, weight_clothing FROM visits
                                   WHERE {_EARLIER} AND weight_kg IS NOT NULL
                                   ORDER BY julianday(visited_at) DESC LIMIT 1""",
                           _earlier_params(child_id, visit_id, windows))


def insert(db: Any, row: dict[str, Any]) -> None:
    """Insert one visit (inside a write transaction)."""
    store.insert(db, "visits", row)


def draft_state_in_team(db: Any, visit_id: str, team_id: int) -> dict[str, Any] | None:
    """A team's visit's status, version, visitor_id, child_id and saved_sections, or None."""
    return store.query_one(db, "SELECT status, version, visitor_id, child_id, saved_sections FROM visits "
                               "WHERE id = ? AND team_id = ?", (visit_id, team_id))


def _replace_rows(db: Any, table: str, visit_id: str, rows: list[dict[str, Any]]) -> None:
    store.execute(db, f"DELETE FROM {table} WHERE visit_id = ?", (visit_id,))
    for position, item in enumerate(rows):
        store.insert(db, table, {"visit_id": visit_id, "position": position, **item})


def replace_injuries(db: Any, visit_id: str, rows: list[dict[str, Any]]) -> None:
    """Replace a visit's marks with ``rows``, numbered in order (inside a write transaction)."""
    _replace_rows(db, "injuries", visit_id, rows)


def replace_carers_present(db: Any, visit_id: str, rows: list[dict[str, Any]]) -> None:
    """Replace the people present at a visit with ``rows``, numbered in order (inside a write transaction)."""
    _replace_rows(db, "carers_present", visit_id, rows)


def visitor_and_status(db: Any, visit_id: str) -> dict[str, Any] | None:
    """A visit's visitor_id and status, or None."""
    return store.query_one(db, "SELECT visitor_id, status FROM visits WHERE id = ?", (visit_id,))


def drafts_of_visitor_with_child_names(db: Any, visitor_id: int) -> list[dict[str, Any]]:
    """The visitor's drafts (id, child_id, updated_at, draft_section) with the child's names, latest first."""
    return store.query(db, """SELECT v.id, v.child_id, v.updated_at, v.draft_section, c.given_name, c.family_name
                              FROM visits v JOIN children c ON c.id = v.child_id
                              WHERE v.visitor_id = ? AND v.status = 'draft' ORDER BY v.updated_at DESC""", (visitor_id,))


def visitor_status_child_in_team(db: Any, visit_id: str, team_id: int) -> dict[str, Any] | None:
    """A team's visit's visitor_id, status and child_id, or None."""
    return store.query_one(db, "SELECT visitor_id, status, child_id FROM visits WHERE id = ? AND team_id = ?",
                           (visit_id, team_id))


def delete(db: Any, visit_id: str) -> None:
    """Delete one visit (inside a write transaction)."""
    store.execute(db, "DELETE FROM visits WHERE id = ?", (visit_id,))


def replay_state(db: Any, visit_id: str) -> dict[str, Any] | None:
    """A visit's id, team_id, visitor_id, status and body_sha256 (for an idempotent PUT), or None."""
    return store.query_one(db, "SELECT id, team_id, visitor_id, status, body_sha256 FROM visits WHERE id = ?",
                           (visit_id,))


def derivation_snapshot(db: Any, child_id: str) -> dict[str, Any] | None:
    """The count of changes to the child's visits, rule hits, actions, allocations, concerns and referrals
    (everything growth and the rules read), which the database's triggers keep (migration 0017); None
    before the first change."""
    return store.query_one(db, "SELECT n FROM child_changes WHERE child_id = ?", (child_id,))


def weight_before(db: Any, child_id: str, visit_id: str, measured_on: str) -> list[dict[str, Any]]:
    """The child's latest weight on a non-draft visit other than ``visit_id`` on or before ``measured_on``, as a
    list of at most one measurement (visit_id, measured_on, weight_kg, weight_clothing)."""
    # visited_at starts with its date: "on or before the date" is "sorts before the date followed by '~'", and
    # newest first by the date and then the whole text is newest first by the text, which the index holds.
    return store.query(db, """SELECT id AS visit_id, substr(visited_at, 1, 10) AS measured_on, weight_kg,
                                weight_clothing FROM visits
                              WHERE child_id = ? AND status != 'draft' AND weight_kg IS NOT NULL AND id != ?
                                AND visited_at < ?
                              ORDER BY visited_at DESC LIMIT 1""",
                       (child_id, visit_id, measured_on[:10] + "~"))


def status_of(db: Any, visit_id: str) -> dict[str, Any] | None:
    """A visit's status row, or None."""
    return store.query_one(db, "SELECT status FROM visits WHERE id = ?", (visit_id,))


def bump_version(db: Any, visit_id: str) -> None:
    """Add one to a visit's version (inside a write transaction)."""
    store.execute(db, "UPDATE visits SET version = version + 1 WHERE id = ?", (visit_id,))
