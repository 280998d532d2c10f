"""Plan item 9 for the HTML forms: property-based fuzzing of every form page's POST.

For each form (the nine visit sections with their repeatable rows, adding a child, recording a concern,
closing an action, signing in) hypothesis sends answers built from the data dictionary, good and bad:

* never a 5xx;
* an accepted page stores exactly what the dictionary's parser makes of what was typed (nothing truncated,
  escaped or re-ordered on the way in), and shows it back so that sending the page again stores the same;
* a refused page says which field and what to do (GOV.UK style, never "Invalid input"), every link in the
  error summary points at a field on the page, nothing is stored, and every text answer typed comes back
  exactly as typed.

Examples per form: 40 in the normal suite, 150 in ``make test-long`` (the ``[150-examples]`` cases, marked
long); ``HOMEVISIT_FUZZ_EXAMPLES`` changes the 40.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from typing import Any

import pytest
from fuzzing import (
    EXAMPLES,
    TYPED,
    answers,
    error_messages_say_what_to_do,
    form_value,
    fuzz,
    open_action,
    valid_form_value,
)
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from helpers import csrf_from, make_child
from homevisit.data import store
from homevisit.domain.dictionary import (
    CARER_FIELDS,
    CHILD_FIELDS,
    DATETIME,
    INJURY_FIELDS,
    MULTI,
    SECTION_KEYS,
    TEXT,
    fields_in_section,
)
from homevisit.domain.validation import parse_value, validate_child
from homevisit.services import visits
from homevisit.services.concerns import CONCERN_FIELDS


def parse(html: str) -> Any:
    """lxml: ten times quicker than html5lib, and these pages are our own well-formed HTML."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml")


ROWS = {"seen": ("carers_present", CARER_FIELDS), "injuries": ("injuries", INJURY_FIELDS)}


def _pairs(answers: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for name, value in answers.items():
        for v in (value if isinstance(value, list) else [value]):
            out.append((prefix + name, v))
    return out


def _same(f: Any, stored: Any, expected: Any) -> bool:
    if f.kind == DATETIME and stored and expected:
        return datetime.fromisoformat(str(stored)) == datetime.fromisoformat(str(expected))
    return stored == expected


def _raw(f: Any, answers: dict[str, Any]) -> Any:
    """What the view hands the parser: a browser sends no value for unticked boxes, which means the question
    was not answered (not observed, None); "none of these" has a box of its own."""
    if f.kind == MULTI:
        return answers.get(f.name) or None
    return answers.get(f.name)


def _shown(soup: Any, f: Any, name: str) -> Any:
    """What the page shows in a field, as a browser would send it back."""
    if f.kind == MULTI:
        return [i["value"] for i in soup.find_all("input", {"name": name}) if i.has_attr("checked")]
    area = soup.find("textarea", {"name": name})
    if area is not None:
        return area.get_text()
    select = soup.find("select", {"name": name})
    if select is not None:
        chosen = select.find("option", selected=True)
        return chosen["value"] if chosen else ""
    radios = soup.find_all("input", {"name": name, "type": "radio"})
    if radios:
        return next((r["value"] for r in radios if r.has_attr("checked")), "")
    box = soup.find("input", {"name": name})
    return box.get("value", "") if box is not None else None


def _typeable(text: str) -> bool:
    """No control character but the new line: a keyboard cannot type NUL, and HTML turns it into U+FFFD."""
    return not any(unicodedata.category(c) == "Cc" and c != "\n" for c in text)


def _typed_text_kept(soup: Any, f: Any, name: str, raw: Any) -> bool:
    if f.kind != TEXT or not isinstance(raw, str) or not _typeable(raw):
        return True
    shown = _shown(soup, f, name)
    return shown == raw or (raw.startswith("\n") and shown == raw[1:])  # HTML drops a textarea's first newline


def _refused_properly(response: Any, fields_on_page: set[str]) -> list[str]:
    soup = parse(response.text)
    summary = soup.select_one(".govuk-error-summary")
    if summary is None:
        return ["no error summary"]
    links = summary.find_all("a")
    problems = error_messages_say_what_to_do([a.get_text(" ", strip=True) for a in links])
    for a in links:
        target = a["href"].split("#")[-1]
        if soup.find(id=target) is None and target.split("-")[0] not in fields_on_page:
            problems.append(f"summary link #{target} points at nothing on the page")
    return problems


@pytest.mark.parametrize("section", SECTION_KEYS)
@EXAMPLES
def test_fuzzing_each_visit_section_never_fails_and_keeps_or_explains_every_answer(section, app, db, users, signed_in,
                                                                                   examples):
    author = users["practitioner"]
    b = signed_in("practitioner")
    child = make_child(db, author)
    visit_id = visits.start_draft(db, child, author)
    url = f"/visits/{visit_id}/section/{section}"
    token = csrf_from(b.get(url).text)
    fields = fields_in_section(section)
    rows_name, row_fields = ROWS.get(section, ("", ()))
    row = answers([f for f in row_fields if f.kind != MULTI], form_value, valid_form_value)
    seen = {302: 0, 422: 0}

    @fuzz(examples)
    @given(answers=answers(fields, form_value, valid_form_value),
           rows=st.lists(row, max_size=2) if row_fields else st.just([]))
    def check(answers: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        before = store.query_one(db, "SELECT * FROM visits WHERE id = ?", (visit_id,))
        rows = [r for r in rows if r]  # a row with no field sent is no row at all
        data = _pairs(answers)
        for i, r in enumerate(rows):
            data += _pairs(r, f"{rows_name}-{i}-")
        data += [("version", str(before["version"])), ("button", "continue"), ("csrf_token", token)]
        response = b.client.post(url, data=MultiDict(data))
        assert response.status_code in (302, 422), (response.status_code, response.text[:2000])
        seen[response.status_code] += 1
        if response.status_code == 302:
            visit = visits.load_visit(db, visit_id, author)
            for f in fields:
                expected, message = parse_value(f, _raw(f, answers))
                assert message is None, (f.name, answers.get(f.name), message)
                assert _same(f, visit.get(f.name), expected), (f.name, answers.get(f.name), visit.get(f.name), expected)
            if row_fields:
                assert len(visit[rows_name]) == len(rows)
                for stored_row, sent in zip(visit[rows_name], rows, strict=True):
                    for f in row_fields:
                        if f.kind != MULTI:
                            assert _same(f, stored_row.get(f.name), parse_value(f, sent.get(f.name))[0]), f.name
            page = parse(b.get(url).text)  # shown back, and sending it back would store the same
            for f in fields:
                shown = _shown(page, f, f.name)
                if f.kind == TEXT:
                    if _typeable(visit.get(f.name) or ""):  # HTML shows NUL as U+FFFD; nobody can type it
                        assert shown == (visit.get(f.name) or ""), (f.name, shown, visit.get(f.name))
                else:
                    again, message = parse_value(f, shown if shown not in ("", []) else None)
                    assert message is None and _same(f, visit.get(f.name), again), (f.name, shown, visit.get(f.name))
        else:
            after = store.query_one(db, "SELECT * FROM visits WHERE id = ?", (visit_id,))
            assert after == before, "a refused page must store nothing"
            problems = _refused_properly(response, {f.name for f in fields} | {rows_name})
            assert not problems, problems
            soup = parse(response.text)
            for f in fields:
                assert _typed_text_kept(soup, f, f.name, answers.get(f.name)), (f.name, answers.get(f.name))

    check()
    assert seen[302] >= 2 and seen[422] >= 2, seen  # both sides of the property were exercised


@EXAMPLES
def test_fuzzing_add_a_child(app, db, users, signed_in, examples):
    b = signed_in("practitioner")
    token = csrf_from(b.get("/children/new").text)
    seen = {True: 0, False: 0}

    @fuzz(examples)
    @given(answers=answers(CHILD_FIELDS, form_value, valid_form_value))
    def check(answers: dict[str, Any]) -> None:
        count = store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"]
        response = b.client.post("/children/new", data=MultiDict(_pairs(answers) + [("csrf_token", token)]))
        assert response.status_code in (200, 302, 422), response.status_code
        seen[response.status_code == 302] += 1
        if response.status_code == 302:
            child_id = response.headers["Location"].rstrip("/").split("/")[-1]
            row = store.query_one(db, "SELECT * FROM children WHERE id = ?", (child_id,))
            clean, errors = validate_child({f.name: answers.get(f.name) for f in CHILD_FIELDS})
            assert not errors
            for f in CHILD_FIELDS:
                assert row[f.name] == clean.get(f.name), (f.name, answers.get(f.name), row[f.name])
        else:
            assert store.query_one(db, "SELECT COUNT(*) AS n FROM children")["n"] == count
            problems = _refused_properly(response, {f.name for f in CHILD_FIELDS})
            assert not problems, problems
            soup = parse(response.text)
            for f in CHILD_FIELDS:
                assert _typed_text_kept(soup, f, f.name, answers.get(f.name)), f.name

    check()
    assert seen[True] >= 2 and seen[False] >= 2, seen


@EXAMPLES
def test_fuzzing_record_a_concern(app, db, users, signed_in, examples):
    b = signed_in("practitioner2")
    child = make_child(db, users["practitioner"])
    url = f"/children/{child['id']}/concerns/new"
    token = csrf_from(b.get(url).text)
    seen = {True: 0, False: 0}

    @fuzz(examples)
    @given(answers=answers(CONCERN_FIELDS, form_value, valid_form_value))
    def check(answers: dict[str, Any]) -> None:
        count = store.query_one(db, "SELECT COUNT(*) AS n FROM concerns")["n"]
        response = b.client.post(url, data=MultiDict(_pairs(answers) + [("csrf_token", token)]))
        assert response.status_code in (200, 302, 422), response.status_code
        seen[response.status_code == 302] += 1
        if response.status_code == 302:
            row = store.query_one(db, "SELECT * FROM concerns ORDER BY created_at DESC, rowid DESC LIMIT 1")
            for name in ("summary", "agency", "source", "occurred_on", "reporter_role"):
                f = next(x for x in CONCERN_FIELDS if x.name == name)
                assert row[name] == (parse_value(f, answers.get(name))[0] or ""), (name, answers.get(name), row[name])
            f = next(x for x in CONCERN_FIELDS if x.name == "categories")
            assert json.loads(row["categories"]) == parse_value(f, answers.get("categories"))[0]
        else:
            assert store.query_one(db, "SELECT COUNT(*) AS n FROM concerns")["n"] == count
            problems = _refused_properly(response, {f.name for f in CONCERN_FIELDS})
            assert not problems, problems
            soup = parse(response.text)
            for f in CONCERN_FIELDS:
                assert _typed_text_kept(soup, f, f.name, answers.get(f.name)), f.name

    check()
    assert seen[True] >= 2 and seen[False] >= 2, seen


@EXAMPLES
def test_fuzzing_close_an_action(app, db, users, signed_in, examples):
    b = signed_in("practitioner")
    child = make_child(db, users["practitioner"])
    current = {"id": open_action(db, child, users["practitioner"])}
    token = csrf_from(b.get(f"/actions/{current['id']}").text)
    text = st.text(TYPED, max_size=300) | st.sampled_from(["", " ", "x" * 4001, "<b>done</b>", "{{7*7}}"])

    @fuzz(examples)
    @given(result=st.sampled_from(["done", "not_done", ""]), outcome=text, reason=text)
    def check(result: str, outcome: str, reason: str) -> None:
        url = f"/actions/{current['id']}"
        response = b.client.post(url, data={"result": result, "outcome": outcome, "not_done_reason": reason,
                                            "csrf_token": token})
        assert response.status_code in (200, 302, 422), response.status_code
        row = store.query_one(db, "SELECT * FROM actions WHERE id = ?", (current["id"],))
        if response.status_code == 302:
            assert row["status"] in ("done", "not_done")
            if row["status"] == "done":
                assert row["outcome"] == outcome.replace("\r\n", "\n").strip() or row["outcome"] == outcome.strip()
            else:
                assert row["not_done_reason"] == reason.strip()
            current["id"] = open_action(db, child, users["practitioner"])
        else:
            assert row["status"] == "open"
            problems = _refused_properly(response, {"result", "outcome", "not_done_reason"})
            assert not problems, problems

    check()


@EXAMPLES
def test_fuzzing_sign_in(app, db, users, examples):
    from helpers import Browser

    b = Browser(app)
    token = csrf_from(b.get("/sign-in").text)
    emails = st.sampled_from([users["admin"]["email"], "nobody@nowhere.example", "", "a" * 400 + "@x.example",
                              "' OR 1=1 --", "admin@a.example\x00", "ADMIN@A.EXAMPLE"]) | st.text(max_size=60)

    @fuzz(examples)
    @given(email=emails, password=st.text(max_size=300) | st.sampled_from(["", "x" * 257]))
    def check(email: str, password: str) -> None:
        response = b.client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 200, (response.status_code, email, password)
        problems = _refused_properly(response, {"email", "password"})
        assert not problems, problems

    check()
    attempts = store.query_one(db, "SELECT COUNT(*) AS n FROM login_attempts")["n"]
    assert attempts > 0


def test_a_tampered_choice_on_the_action_form_gets_a_message_that_says_what_to_do(app, db, users, signed_in):
    b = signed_in("practitioner")
    child = make_child(db, users["practitioner"])
    action_id = open_action(db, child, users["practitioner"])
    token = csrf_from(b.get(f"/actions/{action_id}").text)
    response = b.client.post(f"/actions/{action_id}", data={"result": "maybe", "outcome": "", "not_done_reason": "",
                                                            "csrf_token": token})
    assert response.status_code in (200, 422)
    assert not _refused_properly(response, {"result", "outcome", "not_done_reason"})
