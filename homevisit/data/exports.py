"""The export queries: which columns each exported table carries (the data dictionary's names, each with its
SQL) and which rows an export reads, across visits, injuries, carers_present, actions, concerns, referrals,
their responses and strategy discussions. The services' exports (``homevisit.services.exports``) turn the
rows into CSV, XLSX and JSON; every statement is put together here.

A row's order is found on rowids first, so no wide row is ever sorted. For CSV, SQLite hands each row over as a
JSON array whose elements are already the CSV values (see ``_csv_expr``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from homevisit.domain.dictionary import (
    BODY_SITES,
    BOOL,
    CARER_FIELDS,
    DECIMAL,
    INJURY_FIELDS,
    INT,
    MULTI,
    REFERRAL_FIELDS,
    REFERRAL_RESPONSE_FIELDS,
    STRATEGY_FIELDS,
    TEXT,
    VISIT_FIELDS,
    Field,
)

CHUNK_ROWS = 2000  # rows fetched at a time: memory stays flat however many visits
STR, NUM, DERIVED, YESNO, LIST = "text", "number", "derived", "bool", "multi"


@dataclass(frozen=True)
class Column:
    """One exported column: its dictionary name, its kind, and its SQL."""

    name: str
    kind: str
    expr: str
    free_text: bool = False  # a practitioner's own words, where third parties' names may appear


@dataclass(frozen=True)
class Table:
    """One file (CSV), sheet (XLSX) or nested list (JSON): its columns, the table they come from, and which
    rows in what order (``{where}`` to fill). The order is found on rowids, so no wide row is ever sorted."""

    name: str
    columns: tuple[Column, ...]
    source: str
    rows: str
    withheld: frozenset[str] = frozenset()  # third parties' names: the whole value goes when redacting

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


def _from_fields(alias: str, fields: Iterable[Field]) -> tuple[Column, ...]:
    kinds = {BOOL: YESNO, MULTI: LIST, INT: NUM, DECIMAL: NUM}
    return tuple(Column(f.name, kinds.get(f.kind, STR), f'{alias}."{f.name}"', f.kind == TEXT) for f in fields)


def _plain(alias: str, spec: str) -> tuple[Column, ...]:
    """Columns from "name:kind" words (s text, n number, d derived number, b yes/no, m several, f free text)."""
    kinds = {"s": STR, "n": NUM, "d": DERIVED, "b": YESNO, "m": LIST, "f": STR}
    return tuple(Column(name, kinds[k], f"{alias}.{name}", k == "f") for name, k in (w.split(":") for w in spec.split()))


_SCOPE = "JOIN children c ON c.id = v.child_id AND c.team_id = v.team_id"
# The body-map region of a mark in words ("Left cheek"), for a reader of the export without the dictionary
_SITE_WORDS = "CASE {} " + " ".join(f"WHEN '{site}' THEN '{label}'" for site, label in BODY_SITES) + " END"
_LEAD = ("id", "child_id", "visited_at", "visitor_id", "visitor_role", "status")
GROWTH_COLUMNS = ("weight_sds", "weight_centile", "centile_spaces_fallen_since_birth",
                  "centile_spaces_fallen_since_previous")
VISITS = Table("visits", _plain("v", "id:s child_id:s visited_at:s visitor_id:n visitor_role:s status:s")
               + _from_fields("v", (f for f in VISIT_FIELDS if f.name not in _LEAD))
               + _plain("v", " ".join(f"{name}:d" for name in GROWTH_COLUMNS)),
               "visits v", f"FROM visits v {_SCOPE} WHERE {{where}} ORDER BY v.visited_at, v.id")
INJURIES = Table("injuries", _plain("i", "visit_id:s position:n") + _from_fields("i", INJURY_FIELDS)
                 + (Column("body_site_words", STR, _SITE_WORDS.format("i.body_site")),), "injuries i",
                 f"FROM injuries i JOIN visits v ON v.id = i.visit_id {_SCOPE} WHERE {{where}} "
                 "ORDER BY v.visited_at, v.id, i.position", frozenset({"explanation_given_by"}))
CARERS = Table("carers_present", _plain("p", "visit_id:s position:n") + _from_fields("p", CARER_FIELDS),
               "carers_present p", f"FROM carers_present p JOIN visits v ON v.id = p.visit_id {_SCOPE} "
               "WHERE {where} ORDER BY v.visited_at, v.id, p.position", frozenset({"name"}))
_ACTION_COLUMNS = _plain("a", "visit_id:s id:s concern_id:s rule_id:s title:s severity:s deadline:s due_at:s status:s "
                              "owner:s owner_user_id:n requires_referral:b category:s source:s reasons:f action:s "
                              "outcome:f not_done_reason:f completed_by:n completed_at:s countersigned_by:n "
                              "countersigned_at:s countersign_note:f escalated_at:s created_at:s")
ACTIONS = Table("actions", _ACTION_COLUMNS, "actions a",
                f"FROM actions a JOIN visits v ON v.id = a.visit_id AND a.team_id = v.team_id {_SCOPE} "
                "WHERE {where} ORDER BY v.visited_at, v.id, a.due_at, a.rule_id")
VISIT_TABLES = (VISITS, INJURIES, CARERS, ACTIONS)
CHILD_ACTIONS = Table("actions", _ACTION_COLUMNS, "actions a", "FROM actions a JOIN children c ON c.id = a.child_id "
                      "AND c.team_id = a.team_id WHERE {where} ORDER BY a.created_at, a.id")
CONCERNS = Table("concerns", _plain("k", "id:s occurred_on:s reporter_role:s agency:s source:f summary:f "
                                         "categories:m recorded_by:n created_at:s"), "concerns k",
                 "FROM concerns k JOIN children c ON c.id = k.child_id AND c.team_id = k.team_id "
                 "WHERE {where} ORDER BY k.occurred_on, k.id", frozenset({"source"}))

# Referrals, the hub's responses (in order) and strategy discussions: their own words may name third parties.
REFERRALS = Table("referrals", _from_fields("r", REFERRAL_FIELDS), "referrals r",
                  "FROM referrals r JOIN children c ON c.id = r.child_id AND c.team_id = r.team_id "
                  "WHERE {where} ORDER BY r.created_at, r.id")
REFERRAL_RESPONSES = Table("referral_responses", _from_fields("x", REFERRAL_RESPONSE_FIELDS), "referral_responses x",
                           "FROM referral_responses x JOIN referrals r ON r.id = x.referral_id "
                           "JOIN children c ON c.id = r.child_id AND c.team_id = r.team_id "
                           "WHERE {where} ORDER BY r.created_at, x.at, x.id", frozenset({"hub_contact"}))
STRATEGIES = Table("strategy_discussions", _from_fields("s", STRATEGY_FIELDS), "strategy_discussions s",
                   "FROM strategy_discussions s JOIN children c ON c.id = s.child_id AND c.team_id = s.team_id "
                   "WHERE {where} ORDER BY s.held_at, s.id")
REFERRAL_TABLES = (REFERRALS, REFERRAL_RESPONSES, STRATEGIES)


def _csv_expr(c: Column) -> str:
    """The column as a ``json_array`` element that is already its CSV value: 'true'/'false', 'a;b', '' for not
    observed, a formula behind a ``'``. SQLite writes each line in C, which is what makes the CSV export fast.
    Dictionary decimals have at most 2 places, so SQLite's 15 digits print them exactly; derived growth
    figures get all 17."""
    x = c.expr
    if c.kind == YESNO:
        return f"CASE {x} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE ifnull({x}, '') END"
    if c.kind == LIST:  # stored as a JSON list of codes: ["a","b"] -> a;b
        return f"""ifnull(trim(replace({x}, '","', ';'), '[]"'), '')"""
    inert = f"WHEN {x} GLOB '[-=+@\t\r]*' THEN char(39) || {x}"  # starts with - = + @ tab or CR: prefix '
    if c.kind == DERIVED:
        return (f"CASE typeof({x}) WHEN 'real' THEN json(printf('%!.17g', {x})) "
                f"WHEN 'text' THEN CASE {inert} ELSE {x} END ELSE ifnull({x}, '') END")
    if c.kind == NUM:
        return f"CASE WHEN typeof({x}) != 'text' THEN ifnull({x}, '') {inert} ELSE {x} END"
    return f"CASE {inert} ELSE ifnull({x}, '') END"


@dataclass(frozen=True)
class Scope:
    """Which rows of a table an export reads: a condition on the tables its query joins, and its parameters."""

    where: str
    params: tuple[Any, ...] = ()


def visits_scope(team_id: int, *, include_drafts: bool = False, date_from: str | None = None,
                 date_before: str | None = None, child_id: str | None = None, practitioners: tuple[int, ...] = (),
                 rules: tuple[str, ...] = (), action_statuses: tuple[str, ...] = ()) -> Scope:
    """The team's visits (``v``) an export reads: never another team's. ``date_before`` is the day after the last."""
    clauses, params = ["v.team_id = ?"], list[Any]([team_id])
    if not include_drafts:
        clauses.append("v.status != 'draft'")
    if date_from:
        clauses.append("v.visited_at >= ?")
        params.append(date_from)
    if date_before:  # visited_at is ISO text: all of the end date sorts before the next day
        clauses.append("v.visited_at < ?")
        params.append(date_before)
    if child_id:
        clauses.append("v.child_id = ?")
        params.append(child_id)
    if practitioners:
        clauses.append(f"v.visitor_id IN ({', '.join('?' * len(practitioners))})")
        params.extend(practitioners)
    if rules or action_statuses:  # both given: the same action matches both
        fired = "SELECT 1 FROM actions a WHERE a.visit_id = v.id AND a.team_id = v.team_id"
        for column, values in (("rule_id", rules), ("status", action_statuses)):
            if values:
                fired += f" AND a.{column} IN ({', '.join('?' * len(values))})"
                params.extend(values)
        clauses.append(f"EXISTS ({fired})")
    return Scope(" AND ".join(clauses), tuple(params))


def child_scope(child_id: str, team_id: int) -> Scope:
    """One child's rows (actions, concerns, referrals, ...), and only if the child is the team's."""
    return Scope("c.id = ? AND c.team_id = ?", (child_id, team_id))


def visits_with_ids(visit_ids: Sequence[str], team_id: int) -> Scope:
    """The rows of the given visits of the team (the marks, people present and actions nested in JSON)."""
    return Scope(f"v.id IN ({', '.join('?' * len(visit_ids))}) AND v.team_id = ?", (*visit_ids, team_id))


def referral_scopes(team_id: int, date_from: str | None, date_to: str | None) -> list[tuple[Table, Scope]]:
    """The team's referrals started in the date range (by their first save) with their responses, and the strategy
    discussions held in it; both ends included, either may be open."""
    params = (team_id, date_from or "0000-01-01", date_to or "9999-12-31")
    started = Scope("c.team_id = ? AND substr(r.created_at, 1, 10) >= ? AND substr(r.created_at, 1, 10) <= ?", params)
    held = Scope("c.team_id = ? AND substr(s.held_at, 1, 10) >= ? AND substr(s.held_at, 1, 10) <= ?", params)
    return [(REFERRALS, started), (REFERRAL_RESPONSES, started), (STRATEGIES, held)]


def _select(table: Table, where: str, *, for_csv: bool) -> str:
    """Rows of ``table`` in order: raw values, or (for CSV) one JSON array a row, as UTF-8 bytes."""
    exprs = ", ".join(c.expr for c in table.columns)
    if for_csv:  # as bytes (a BLOB): the UTF-8 goes out as it came, never decoded and encoded again
        exprs = f"CAST(json_array({', '.join(_csv_expr(c) for c in table.columns)}) AS BLOB)"
    alias = table.source.split()[1]
    return (f"SELECT {exprs} FROM (SELECT {alias}.rowid AS rid {table.rows.format(where=where)}) o "
            f"CROSS JOIN {table.source} ON {alias}.rowid = o.rid")


def chunks(db: Any, table: Table, scope: Scope, *, for_csv: bool = False,
           size: int = CHUNK_ROWS) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``table`` in ``scope``, in order, as plain tuples a chunk at a time: the stored values, or
    (``for_csv``) one UTF-8 JSON array a row whose elements are the CSV values."""
    cursor = db.conn.cursor()
    cursor.row_factory = None
    try:
        cursor.execute(_select(table, scope.where, for_csv=for_csv), scope.params)
        while chunk := cursor.fetchmany(size):
            yield chunk
    finally:
        cursor.close()




def begin_snapshot(db: Any) -> None:
    """Start the read transaction an export reads in: every table as it was at one moment."""
    db.conn.execute("BEGIN")


def end_snapshot(db: Any) -> None:
    """End the export's read transaction (nothing to keep)."""
    if db.conn.in_transaction:
        db.conn.execute("ROLLBACK")
