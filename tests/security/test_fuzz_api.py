"""Plan item 9 for the JSON API: property-based fuzzing of every body (PUT visit, POST child, POST action
completion) and of raw bytes.

* never a 5xx;
* accepted: what was PUT or POSTed comes back from GET, field by field, as the dictionary's parser makes it;
* refused: a 422 problem document whose ``errors`` are keyed by the field to correct, each message saying
  what to do; nothing stored.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from fuzzing import (
    EXAMPLES,
    answers,
    error_messages_say_what_to_do,
    fuzz,
    json_value,
    open_action,
    valid_json_value,
)
from hypothesis import given
from hypothesis import strategies as st

from helpers import full_visit, make_child
from homevisit.data import store
from homevisit.domain.dictionary import CARER_FIELDS, CHILD_FIELDS, DATETIME, INJURY_FIELDS, VISIT_FIELDS
from homevisit.domain.validation import parse_value, validate_child

VISIT_NAMES = {f.name for f in VISIT_FIELDS}


def _same(f: Any, got: Any, expected: Any) -> bool:
    if f.kind == DATETIME and got and expected:
        return datetime.fromisoformat(str(got)) == datetime.fromisoformat(str(expected))
    return got == expected


def _error_keys_ok(errors: dict[str, list[str]], allowed: set[str]) -> list[str]:
    problems = []
    for key, messages in errors.items():
        root = key.split("-")[0]
        if root not in allowed:
            problems.append(f"error keyed {key!r}, not a field")
        if not messages or not all(isinstance(m, str) for m in messages):
            problems.append(f"{key}: {messages!r}")
        problems += error_messages_say_what_to_do(messages)
    return problems


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"])


@EXAMPLES
def test_fuzzing_put_visit(app, db, users, child, token_for, examples):
    headers = {**token_for("practitioner"), "Content-Type": "application/json"}
    client = app.test_client()
    base = full_visit(child["id"])
    injury = answers(INJURY_FIELDS, json_value, valid_json_value)
    carer = answers(CARER_FIELDS, json_value, valid_json_value)
    seen = {201: 0, 422: 0}

    @fuzz(examples)
    @given(changes=answers(VISIT_FIELDS, json_value, valid_json_value),
           drop=st.sets(st.sampled_from(sorted(VISIT_NAMES)), max_size=6),
           injuries=st.lists(injury, max_size=2) | st.sampled_from([None, "bruise", [1, 2], {}]),
           carers=st.lists(carer, max_size=2) | st.just(None))
    def check(changes: dict[str, Any], drop: set[str], injuries: Any, carers: Any) -> None:
        visit_id = str(uuid.uuid4())
        body = {k: v for k, v in {**base, **changes}.items() if k not in drop}
        body.update({"id": visit_id, "injuries": injuries, "carers_present": carers})
        before = store.query_one(db, "SELECT COUNT(*) AS n FROM visits")["n"]
        response = client.put(f"/api/v1/visits/{visit_id}", data=json.dumps(body), headers=headers)
        assert response.status_code in (201, 422), (response.status_code, response.get_data(as_text=True)[:500])
        seen[response.status_code] += 1
        if response.status_code == 422:
            assert response.mimetype == "application/problem+json"
            problems = _error_keys_ok(response.get_json(force=True)["errors"],
                                      VISIT_NAMES | {"injuries", "carers_present", "child_id"})
            assert not problems, problems
            assert store.query_one(db, "SELECT COUNT(*) AS n FROM visits")["n"] == before
            return
        got = client.get(f"/api/v1/visits/{visit_id}", headers=headers).get_json()
        for f in VISIT_FIELDS:
            expected, message = parse_value(f, body.get(f.name))
            assert message is None
            assert _same(f, got[f.name], expected), (f.name, body.get(f.name), got[f.name])
        for name, fields in (("injuries", INJURY_FIELDS), ("carers_present", CARER_FIELDS)):
            sent = body.get(name) or []
            assert len(got[name]) == len(sent)
            for stored_row, sent_row in zip(got[name], sent, strict=True):
                for f in fields:
                    assert _same(f, stored_row[f.name], parse_value(f, sent_row.get(f.name))[0]), (name, f.name)
        replay = client.put(f"/api/v1/visits/{visit_id}", data=json.dumps(body), headers=headers)
        assert replay.status_code == 200  # and the same body again is harmless

    check()
    assert seen[201] >= 3 and seen[422] >= 3, seen  # both sides of the property were exercised


@EXAMPLES
def test_fuzzing_post_child(app, db, token_for, examples):
    headers = token_for("practitioner")
    client = app.test_client()
    seen = {201: 0, 422: 0}

    @fuzz(examples)
    @given(body=answers(CHILD_FIELDS, json_value, valid_json_value))
    def check(body: dict[str, Any]) -> None:
        before = store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"]
        response = client.post("/api/v1/children", json=body, headers=headers)
        assert response.status_code in (201, 422), response.status_code
        seen[response.status_code] += 1
        if response.status_code == 422:
            problems = _error_keys_ok(response.get_json(force=True)["errors"], {f.name for f in CHILD_FIELDS})
            assert not problems, problems
            assert store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"] == before
            return
        created = response.get_json()
        got = client.get(f"/api/v1/children/{created['id']}", headers=headers).get_json()
        clean, errors = validate_child(body)
        assert not errors
        for f in CHILD_FIELDS:
            assert got[f.name] == clean.get(f.name), (f.name, body.get(f.name), got[f.name])

    check()
    assert seen[201] >= 3 and seen[422] >= 3, seen


@EXAMPLES
def test_fuzzing_complete_an_action(app, db, users, child, token_for, examples):
    headers = token_for("practitioner")
    client = app.test_client()
    current = {"id": open_action(db, child, users["practitioner"])}
    text = st.text(max_size=300) | st.none() | st.integers() | st.lists(st.text(max_size=3), max_size=2) | \
        st.sampled_from(["", " ", "x" * 4001, "short"])

    seen = {200: 0, 422: 0}

    words = st.text(min_size=15, max_size=300).filter(lambda t: len(t.strip()) >= 15)

    @fuzz(examples)
    @given(body=st.one_of(st.fixed_dictionaries({"outcome": words}), st.fixed_dictionaries({"not_done_reason": words}),
                          st.fixed_dictionaries({}, optional={"outcome": text, "not_done_reason": text})))
    def check(body: dict[str, Any]) -> None:
        response = client.post(f"/api/v1/actions/{current['id']}/complete", json=body, headers=headers)
        assert response.status_code in (200, 422), (response.status_code, response.get_data(as_text=True)[:300])
        seen[response.status_code] += 1
        row = store.query_one(db, "SELECT * FROM actions WHERE id = ?", (current["id"],))
        if response.status_code == 422:
            problems = _error_keys_ok(response.get_json(force=True)["errors"], {"outcome", "not_done_reason"})
            assert not problems, problems
            assert row["status"] == "open"
            return
        listed = client.get(f"/api/v1/actions?child_id={child['id']}", headers=headers).get_json()["actions"]
        shown = next(a for a in listed if a["id"] == current["id"])
        assert shown["status"] == row["status"]
        if row["status"] == "done":
            assert row["outcome"] == body["outcome"].strip()
        else:
            assert row["not_done_reason"] == body["not_done_reason"].strip()
        current["id"] = open_action(db, child, users["practitioner"])

    check()
    assert seen[200] >= 3 and seen[422] >= 3, seen


@pytest.mark.parametrize("method, path", [("PUT", "/api/v1/visits/{uuid}"), ("POST", "/api/v1/children"),
                                          ("POST", "/api/v1/actions/{uuid}/complete")])
@EXAMPLES
def test_fuzzing_raw_bytes_never_give_a_5xx(app, token_for, method, path, examples):
    headers = token_for("practitioner")
    client = app.test_client()

    @fuzz(examples)
    @given(raw=st.binary(max_size=400) | st.text(max_size=200).map(str.encode) |
           st.sampled_from([b"null", b"[]", b"1e999999", b'{"a":' * 200, b'"\\ud800"', b"{\"id\": NaN}"]),
           content_type=st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1",
                                         "multipart/form-data", ""]))
    def check(raw: bytes, content_type: str) -> None:
        url = path.replace("{uuid}", str(uuid.uuid4()))
        response = client.open(url, method=method, data=raw, headers={**headers, "Content-Type": content_type})
        assert response.status_code < 500, (response.status_code, raw[:80])
        assert response.status_code in (400, 404, 413, 415, 422), response.status_code

    check()
