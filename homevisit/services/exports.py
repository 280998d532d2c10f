"""Visit history leaving the service: CSV, XLSX, JSON and NDJSON exports, streamed and audited.

Teams export their visits for audits, performance returns and case reviews, and one child's records for a
subject access request. The column names are the data dictionary's. Every export reads one team only (the
visit's team and the child's team must both be the caller's), from a connection of its own inside one read
transaction (a consistent snapshot), a chunk of rows at a time, and writes one audit entry once the download
has ended: who, what, which format, the filter and how many rows of each kind left the service.

Spreadsheets run formulas: a text cell that begins with ``= + - @``, a tab or a carriage return gets a leading
``'`` in CSV (OWASP's advice) and is a string cell, never a formula, in XLSX. An observation that was not made
is empty in CSV and XLSX and ``null`` in JSON; "no" is false.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import children as children_data
from homevisit.data import concerns as concerns_data
from homevisit.data import exports as export_data
from homevisit.data import store
from homevisit.data import users as users_data
from homevisit.data import visits as visits_data
from homevisit.data.exports import (
    ACTIONS,
    CARERS,
    CHILD_ACTIONS,
    CONCERNS,
    INJURIES,
    LIST,
    REFERRAL_TABLES,
    VISIT_TABLES,
    VISITS,
    YESNO,
    Scope,
    Table,
)
from homevisit.domain.calendar import utc_now_text
from homevisit.domain.dictionary import dictionary_rows
from homevisit.services import audit, xlsx
from homevisit.services.chronology import chronology_for

JSON_CHUNK_ROWS = 500  # visits a batch when nesting their marks, people present and actions
REDACTED = "[redacted]"
FORMULA_STARTS = "=+-@\t\r"
ACTION_STATUSES = ("open", "done", "not_done")
FORMATS = ("csv", "zip", "json", "ndjson", "xlsx")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8; header=present", "zip": "application/zip",
               "json": "application/json", "ndjson": "application/x-ndjson", "pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_RULE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class NotFound(Exception):
    """A child, practitioner or team that is not the caller's team's (it may exist for another team)."""


_DONE = object()


def _ahead(chunks: Iterator[Any]) -> Iterator[Any]:
    """The chunks, each fetched while the one before is written: SQLite works without holding the GIL, so the
    database and the writing share the cores. The fetching thread alone touches the cursor until it ends."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                ready.put(chunk)
        except BaseException as error:  # handed over, and raised where the chunks are written
            ready.put(error)
        finally:
            chunks.close()  # type: ignore[attr-defined]
            ready.put(_DONE)

    fetcher = threading.Thread(target=fetch, name="export-fetch", daemon=True)
    fetcher.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while fetcher.is_alive():  # unblock a fetcher waiting to hand over a chunk, then let it finish
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass
        fetcher.join()


# --- filters ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisitFilter:
    """Which of the team's visits to export. Dates are the visit's own date, both ends included."""

    team_id: int
    date_from: date | None = None
    date_to: date | None = None
    child_id: str | None = None
    practitioners: tuple[int, ...] = ()
    rules: tuple[str, ...] = ()
    action_statuses: tuple[str, ...] = ()
    include_drafts: bool = False

    def scope(self) -> Scope:
        """The visits this filter exports: always the team's visits only."""
        return export_data.visits_scope(
            self.team_id, include_drafts=self.include_drafts,
            date_from=self.date_from.isoformat() if self.date_from else None,
            date_before=(self.date_to + timedelta(days=1)).isoformat() if self.date_to else None,
            child_id=self.child_id, practitioners=self.practitioners, rules=self.rules,
            action_statuses=self.action_statuses)

    def described(self) -> dict[str, Any]:
        """The filter as the audit log keeps it."""
        given = {"from": self.date_from and self.date_from.isoformat(), "to": self.date_to and self.date_to.isoformat(),
                 "child_id": self.child_id, "practitioner": list(self.practitioners), "rule": list(self.rules),
                 "action_status": list(self.action_statuses)}
        return {"team": self.team_id, **{key: value for key, value in given.items() if value}}


def _given(args: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [v.strip() for v in args.get(name, ()) if v and v.strip()]


def _date_arg(args: Mapping[str, Sequence[str]], name: str, noun: str, errors: dict[str, list[str]]) -> date | None:
    parts = [(_given(args, f"{name}-{p}") or [""])[0] for p in ("year", "month", "day")]
    text = (_given(args, name) or [""])[0] or ("-".join(parts) if any(parts) else "")
    if not text:
        return None
    try:
        return date(*(int(p) for p in text.split("-"))) if text.count("-") == 2 else date.fromisoformat(text)
    except (TypeError, ValueError):
        example = "2026-11-24" if _given(args, name) else "24 11 2026"  # as the API or as the form's three boxes
        errors[name] = [f"Enter {noun} as a real date, like {example}"]
        return None


def parse_filters(db: Any, user: dict[str, Any], args: Mapping[str, Sequence[str]]) -> tuple[VisitFilter | None, dict[str, list[str]]]:
    """The caller's filter from query arguments: ``from``, ``to`` (YYYY-MM-DD, or GOV.UK ``from-day``,
    ``from-month``, ``from-year``), ``child_id``, ``practitioner``, ``team``, ``rule``, ``action_status``
    (the last three may repeat). Returns (filter, {}) or (None, errors saying what to do); raises
    :class:`NotFound` for a child, practitioner or team that is not the caller's team's."""
    errors: dict[str, list[str]] = {}
    date_from = _date_arg(args, "from", "the start date", errors)
    date_to = _date_arg(args, "to", "the end date", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = ["The end date must be the same as or after the start date"]
    if any(team != str(user["team_id"]) for team in _given(args, "team")):
        raise NotFound("team")  # admins export their own team: there is no cross-team role yet
    child_id = next(iter(_given(args, "child_id")), None)
    if child_id and not children_data.in_team(db, child_id, user["team_id"]):
        raise NotFound(child_id)
    practitioners = _given(args, "practitioner")
    if not all(p.isdigit() for p in practitioners):
        errors["practitioner"] = ["Select a practitioner from the list"]
    elif practitioners and not {int(p) for p in practitioners} <= {
            r["id"] for r in users_data.ids_in_team(db, user["team_id"])}:
        raise NotFound("practitioner")
    rules, statuses = _given(args, "rule"), _given(args, "action_status")
    if not all(_RULE_ID.match(r) for r in rules):
        errors["rule"] = ["Enter a rule id, like R05"]
    if not set(statuses) <= set(ACTION_STATUSES):
        errors["action_status"] = ["Select an action status: open, done or not done"]
    if errors:
        return None, errors
    return VisitFilter(team_id=user["team_id"], date_from=date_from, date_to=date_to, child_id=child_id,
                       practitioners=tuple(sorted({int(p) for p in practitioners})), rules=tuple(dict.fromkeys(rules)),
                       action_statuses=tuple(dict.fromkeys(statuses))), {}


def form_choices(db: Any, user: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What the Export page offers: the team's children, its people, and the rules that have fired."""
    team_id = user["team_id"]
    return {"children": children_data.offline_caseload(db, team_id),
            "practitioners": users_data.ids_and_names_in_team(db, team_id),
            "rules": actions_data.fired_rules(db, team_id)}


# --- redaction -------------------------------------------------------------------------------------

_KIN_WORDS = frozenset("""mother father mum mummy dad daddy parent parents step stepmother stepfather partner boyfriend
girlfriend grandmother grandfather grandma grandad grandpa nan nana gran aunt auntie uncle cousin sister brother
sibling foster carer carers friend neighbour relative other the and of unknown not given baby child""".split())
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][\w'’-]+")
_CAPITALISED_RUN = re.compile(r"[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)+")  # "Walter Brine" in "gas engineer Walter Brine"


class Redactor:
    """Replaces third parties' names with "[redacted]" before a subject access release.

    It knows the names in the child's record (people present, who explained an injury, the names in who
    reported a concern) and finds them, in full or by each capitalised part, in the practitioners' free text,
    along with any titled name ("Mr Pike"). The child's own names are kept: the child is the data subject.
    Staff are not third parties here: their names stay.
    """

    def __init__(self, names: Iterable[str], keep: Iterable[str] = ()):
        keep_words = {k.lower() for k in keep if k}
        full, parts = set(), set()
        for name in (n.strip() for n in names if n):
            if name and name.lower() not in _KIN_WORDS:
                full.add(name)
            parts |= {p for p in re.findall(r"[A-Z][\w'’-]{2,}", name) if p.lower() not in _KIN_WORDS | keep_words}
        self._patterns = [p for p in (_alternation(full, re.IGNORECASE), _alternation(parts, 0), _TITLED) if p]

    def text(self, value: Any) -> Any:
        """Free text with the names it knows, and titled names, replaced."""
        if isinstance(value, str) and value:
            for pattern in self._patterns:
                value = pattern.sub(REDACTED, value)
        return value

    def row(self, table: Table, row: Sequence[Any]) -> tuple[Any, ...]:
        """A row of ``table`` as released: third parties' name fields replaced whole, free text searched."""
        return tuple(REDACTED if value not in (None, "") and c.name in table.withheld else
                     self.text(value) if c.free_text else value for c, value in zip(table.columns, row, strict=True))


def _alternation(words: set[str], flags: int) -> re.Pattern[str] | None:
    ordered = sorted(words, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)", flags) if words else None


def redactor_for_child(db: Any, child: dict[str, Any]) -> Redactor:
    """A :class:`Redactor` that knows the third parties named in one child's record."""
    names = [r["name"] for r in visits_data.carer_names_for_child(db, child["id"])]
    names += [r["name"] for r in visits_data.injury_explainers_for_child(db, child["id"])]
    for row in concerns_data.sources_for_child(db, child["id"]):
        names += _CAPITALISED_RUN.findall(row["source"] or "")
    return Redactor(names, keep=(child["given_name"], child["family_name"]))


# --- CSV -------------------------------------------------------------------------------------------

def csv_cell(value: Any) -> Any:
    """One value as a CSV cell: true/false, a;b for several, empty for not observed, formulas made inert."""
    if value is None or isinstance(value, bool):
        return "" if value is None else ("true" if value else "false")
    if isinstance(value, (list, tuple)):
        value = ";".join(map(str, value))
    return "'" + value if isinstance(value, str) and value[:1] and value[0] in FORMULA_STARTS else value


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """Rows already in memory (a chronology, an audit trail) as RFC 4180 CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    yield buffer.getvalue().encode("utf-8")


# Escapes in SQLite's JSON text: those CSV takes as they are (quotes doubled), and the rest.
_SIMPLE_ESCAPE = re.compile(rb'\\["nrt]')
_UNESCAPED = {b'\\"': b'""', b"\\n": b"\n", b"\\r": b"\r", b"\\t": b"\t"}
_OTHER_ESCAPE = re.compile(rb"\\[\\ubf/]")


def _table_csv(db: Any, table: Table, scope: Scope, counts: dict[str, int],
               redactor: Redactor | None = None) -> Iterator[bytes]:
    """``table`` as RFC 4180 CSV (UTF-8, CRLF, a header row), a chunk of rows at a time.

    SQLite hands over each row as a JSON array whose elements are already the CSV values: without its brackets
    and with its escapes undone, the array is a CSV line, done on the whole chunk at once. A chunk with any
    other escape, or one being redacted, is written row by row by the csv module instead.
    """
    yield (",".join(table.header) + "\r\n").encode("utf-8")
    for rows in _ahead(export_data.chunks(db, table, scope, for_csv=True)):
        counts[table.name] = counts.get(table.name, 0) + len(rows)
        text = b"\r\n".join([row[0][1:-1] for row in rows]) + b"\r\n"
        if redactor is None and (b"\\" not in text or not _OTHER_ESCAPE.search(text)):
            if b"\\" in text:
                text = _SIMPLE_ESCAPE.sub(lambda m: _UNESCAPED[m.group()], text)
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            for (line,) in rows:
                values = json.loads(line)
                writer.writerow([csv_cell(v) for v in (redactor.row(table, values) if redactor else values)])
            text = buffer.getvalue().encode("utf-8")
        yield text


class _Pipe:
    """A write-only, unseekable file keeping what was written until drained: it lets a zip stream."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.written = 0

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        if self.chunks:
            yield b"".join(self.chunks)
            self.chunks.clear()


def zip_stream(members: Iterable[tuple[str, Iterable[bytes]]], *, compresslevel: int | None = None) -> Iterator[bytes]:
    """A zip of (name, chunks) members, compressed and handed on chunk by chunk, never held whole."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        for name, chunks in members:
            try:
                with archive.open(name, "w", force_zip64=True) as member:
                    for chunk in chunks:
                        member.write(chunk)
                        yield from pipe.drain()
            finally:  # a download cut short: let the member's reader end its query now, not when collected
                getattr(chunks, "close", lambda: None)()
            yield from pipe.drain()
    yield from pipe.drain()


# --- JSON and XLSX ---------------------------------------------------------------------------------

def _converter(table: Table, *, for_xlsx: bool, redactor: Redactor | None = None) -> Callable[[Sequence[Any]], list[Any]]:
    """Turns a stored row into the dictionary's values: booleans, lists (a;b in a spreadsheet), redacted text."""
    yes_no = [i for i, c in enumerate(table.columns) if c.kind == YESNO]
    lists = [i for i, c in enumerate(table.columns) if c.kind == LIST]

    def convert(raw: Sequence[Any]) -> list[Any]:
        row = list(redactor.row(table, raw) if redactor else raw)
        for i in yes_no:
            row[i] = None if row[i] is None else bool(row[i])
        for i in lists:
            if row[i] is not None:
                row[i] = ";".join(json.loads(row[i])) if for_xlsx else json.loads(row[i])
        return row

    return convert


def _json_documents(db: Any, team_id: int, scope: Scope, counts: dict[str, int],
                    redactor: Redactor | None = None) -> Iterator[dict[str, Any]]:
    """Each visit as one object, with its injuries, carers_present and actions nested as lists."""
    convert = _converter(VISITS, for_xlsx=False, redactor=redactor)
    nested = [(t, _converter(t, for_xlsx=False, redactor=redactor)) for t in (INJURIES, CARERS, ACTIONS)]
    for rows in export_data.chunks(db, VISITS, scope, size=JSON_CHUNK_ROWS):
        documents = {row[0]: dict(zip(VISITS.header, convert(row), strict=True)) for row in rows}
        for table, convert_item in nested:
            for document in documents.values():
                document[table.name] = []
            for chunk in export_data.chunks(db, table, export_data.visits_with_ids(list(documents), team_id)):
                for row in chunk:
                    item = dict(zip(table.header, convert_item(row), strict=True))
                    item.pop("position", None)
                    item.pop("body_site_words", None)  # the JSON keeps the API's names; the code is in body_site
                    documents[item.pop("visit_id")][table.name].append(item)
                counts[table.name] = counts.get(table.name, 0) + len(chunk)
        counts["visits"] = counts.get("visits", 0) + len(documents)
        yield from documents.values()


def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_array(documents: Iterable[Any]) -> Iterator[bytes]:
    """A JSON array written an element at a time."""
    yield b"["
    for n, document in enumerate(documents):
        yield (b",\n" if n else b"\n") + _dumps(document)
    yield b"\n]\n"


def _xlsx(db: Any, tables: Sequence[tuple[Table, Scope]], counts: dict[str, int]) -> Iterator[bytes]:
    """A workbook with a sheet per (table, scope), written row by row into a zip that streams as it grows.

    Text is always a string cell (an inline string), so "=..." can never become a formula; characters XML
    cannot carry (control characters) are dropped.
    """

    def sheet(table: Table, scope: Scope) -> Iterator[bytes]:
        convert = _converter(table, for_xlsx=True)

        def rows() -> Iterator[list[Any]]:
            for chunk in export_data.chunks(db, table, scope):
                counts[table.name] = counts.get(table.name, 0) + len(chunk)
                for raw in chunk:
                    yield convert(raw)

        return xlsx.sheet_xml(table.header, rows())

    members: list[tuple[str, Iterable[bytes]]] = [
        (name, [data]) for name, data in xlsx.workbook_parts([t.name for t, _w in tables])]
    members += [(f"xl/worksheets/sheet{i}.xml", sheet(t, scope)) for i, (t, scope) in enumerate(tables, start=1)]
    yield from zip_stream(members, compresslevel=1)


# --- the exports -----------------------------------------------------------------------------------

def record_export(db: Any, user: dict[str, Any], *, what: str, fmt: str, rows: Mapping[str, int],
                  filters: Mapping[str, Any] | None = None, child_id: str | None = None, completed: bool = True) -> None:
    """Write the audit entry of one export: who, what, which format, the filter and the rows of each kind."""
    audit.record(db, action="export", object_type=what, object_id=child_id, user=user, child_id=child_id,
                 detail={"format": fmt, "filters": dict(filters or {}), "rows": dict(rows), "completed": completed})


def _audited(database: str | os.PathLike[str], user: dict[str, Any], *, what: str, fmt: str,
             filters: Mapping[str, Any], child_id: str | None,
             body: Callable[[Any, dict[str, int]], Iterator[bytes]]) -> Iterator[bytes]:
    """Run ``body`` on a connection of its own inside one read transaction, then audit the export once the
    stream has ended, finished or not (a download cut short still let some rows leave)."""
    db = store.connect(os.fspath(database))
    counts: dict[str, int] = {}
    completed = False
    try:
        export_data.begin_snapshot(db)
        yield from body(db, counts)
        completed = True
    finally:
        try:
            export_data.end_snapshot(db)
            record_export(db, user, what=what, fmt=fmt, rows=counts, filters=filters, child_id=child_id,
                          completed=completed)
        finally:
            db.close()


def visits_export(database: str | os.PathLike[str], user: dict[str, Any], filters: VisitFilter,
                  fmt: str) -> Iterator[bytes]:
    """The team's visit history as ``fmt``: "csv" (the visits alone), "zip" (visits, injuries, carers_present
    and actions as CSV files keyed by visit_id), "json" (an array of visits, the other three nested as lists),
    "ndjson" (the same, a visit a line) or "xlsx" (a sheet each). Drafts are left out."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if filters.team_id != user["team_id"]:
        raise NotFound(filters.team_id)
    scope = filters.scope()

    def body(db: Any, counts: dict[str, int]) -> Iterator[bytes]:
        if fmt == "csv":
            return _table_csv(db, VISITS, scope, counts)
        if fmt == "zip":
            return zip_stream((f"{t.name}.csv", _table_csv(db, t, scope, counts)) for t in VISIT_TABLES)
        if fmt == "xlsx":
            return _xlsx(db, [(t, scope) for t in VISIT_TABLES], counts)
        documents = _json_documents(db, filters.team_id, scope, counts)
        return json_array(documents) if fmt == "json" else (_dumps(d) + b"\n" for d in documents)

    return _audited(database, user, what="visits", fmt=fmt, filters=filters.described(),
                    child_id=filters.child_id, body=body)


CHRONOLOGY_COLUMNS = ("at", "kind", "id", "by", "role", "summary", "detail", "status", "severity", "due_at",
                      "agency", "source")
AUDIT_TRAIL_COLUMNS = ("at", "user_name", "user_role", "action", "object_type", "object_id", "detail")


def chronology_csv(database: str | os.PathLike[str], user: dict[str, Any], child: dict[str, Any]) -> Iterator[bytes]:
    """One child's chronology (every visit, concern and action, oldest first) as CSV; audited."""

    def body(db: Any, counts: dict[str, int]) -> Iterator[bytes]:
        entries = chronology_for(db, child, newest_first=False)
        counts["entries"] = len(entries)
        return _csv_lines(CHRONOLOGY_COLUMNS, ([e.get(name) for name in CHRONOLOGY_COLUMNS] for e in entries))

    return _audited(database, user, what="chronology", fmt="csv", filters={"child_id": child["id"]},
                    child_id=child["id"], body=body)


def subject_access_export(database: str | os.PathLike[str], user: dict[str, Any], child: dict[str, Any], *,
                          redact: bool) -> Iterator[bytes]:
    """Everything held about one child, as a zip: child.json, visits.csv and visits.json (drafts too: they are
    held), injuries.csv, carers_present.csv, actions.csv, concerns.csv, referrals.csv, referral_responses.csv,
    strategy_discussions.csv and audit_trail.csv (who viewed or
    changed the record, oldest first). With ``redact``, third parties' names become "[redacted]"."""
    scope = VisitFilter(team_id=user["team_id"], child_id=child["id"], include_drafts=True).scope()
    childs = export_data.child_scope(child["id"], user["team_id"])

    def body(db: Any, counts: dict[str, int]) -> Iterator[bytes]:
        redactor = redactor_for_child(db, child) if redact else None
        about = {k: child.get(k) for k in ("id", "given_name", "family_name", "date_of_birth", "sex", "gestation_weeks",
                                           "gestation_days", "birth_weight_kg", "nhs_number", "created_at")}
        about.update(exported_at=utc_now_text(), third_party_names_redacted=redact)
        trail = audit.entries_for_child(db, child["id"], limit=1_000_000)
        counts["audit_trail"] = len(trail)
        return zip_stream([
            ("child.json", [_dumps(about) + b"\n"]),
            ("visits.csv", _table_csv(db, VISITS, scope, counts, redactor)),
            ("visits.json", json_array(_json_documents(db, user["team_id"], scope, {}, redactor))),
            ("injuries.csv", _table_csv(db, INJURIES, scope, counts, redactor)),
            ("carers_present.csv", _table_csv(db, CARERS, scope, counts, redactor)),
            ("actions.csv", _table_csv(db, CHILD_ACTIONS, childs, counts, redactor)),
            ("concerns.csv", _table_csv(db, CONCERNS, childs, counts, redactor)),
            *((f"{t.name}.csv", _table_csv(db, t, childs, counts, redactor)) for t in REFERRAL_TABLES),
            ("audit_trail.csv", _csv_lines(AUDIT_TRAIL_COLUMNS, ([e.get(n) for n in AUDIT_TRAIL_COLUMNS]
                                                                 for e in reversed(trail)))),
        ])

    return _audited(database, user, what="subject_access", fmt="zip", child_id=child["id"],
                    filters={"child_id": child["id"], "redact": redact}, body=body)


DICTIONARY_COLUMNS = ("entity", "name", "question", "type", "unit", "allowed_values", "required", "section", "hint")


def dictionary_csv() -> Iterator[bytes]:
    """The data dictionary as CSV. Not audited: it describes the fields and holds no one's data."""
    return _csv_lines(DICTIONARY_COLUMNS, ([r[name] for name in DICTIONARY_COLUMNS] for r in dictionary_rows()))


def dictionary_json() -> Iterator[bytes]:
    """The data dictionary as a JSON array of fields."""
    return json_array({name: r[name] for name in DICTIONARY_COLUMNS} for r in dictionary_rows())


def referrals_export(database: str | os.PathLike[str], user: dict[str, Any], fmt: str, *,
                     date_from: str | None = None, date_to: str | None = None) -> Iterator[bytes]:
    """The team's referrals (started in the date range, by their first save), as a zip of referrals.csv,
    referral_responses.csv and strategy_discussions.csv, or as an XLSX workbook with a sheet each. Audited."""
    tables = export_data.referral_scopes(user["team_id"], date_from, date_to)

    def body(db: Any, counts: dict[str, int]) -> Iterator[bytes]:
        if fmt == "xlsx":
            return _xlsx(db, tables, counts)
        return zip_stream([(f"{t.name}.csv", _table_csv(db, t, scope, counts)) for t, scope in tables])

    return _audited(database, user, what="referrals", fmt=fmt, child_id=None,
                    filters={"from": date_from, "to": date_to}, body=body)


def filename_for(what: str, fmt: str, *, child_id: str | None = None, on: date | None = None) -> str:
    """A download's file name: the export and its date, and no child identifier beyond the record id."""
    if child_id:
        return f"child-{child_id}-{what.replace('_', '-')}.{fmt}"
    return f"{what.replace('_', '-')}-{(on or date.today()).isoformat()}.{fmt}"
