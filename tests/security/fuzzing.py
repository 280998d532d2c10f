"""Hypothesis strategies built from the data dictionary, shared by the form and API fuzzers.

Each field gets a mix of what a careful practitioner would send (allowed choices, numbers in range with the
allowed decimal places, real dates, free text in any script) and what a careless or hostile client would
(wrong types, numbers out of range or in grams, words for numbers, markup, over-long text, nothing).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from homevisit.domain.dictionary import BOOL, CHOICE, DATE, DATETIME, DECIMAL, INT, MULTI, TEXT, Field

QUICK = int(os.environ.get("HOMEVISIT_FUZZ_EXAMPLES", "40"))
FULL = 150
FUZZ = settings(max_examples=QUICK, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
# Every fuzz test runs twice over: 40 examples in the normal suite (minutes on two cores), 150 in
# `make test-long` (marked long). HOMEVISIT_FUZZ_EXAMPLES changes the quick count.
EXAMPLES = pytest.mark.parametrize("examples", [pytest.param(QUICK, id=f"{QUICK}-examples"),
                                                pytest.param(FULL, id=f"{FULL}-examples", marks=pytest.mark.long)])


def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples)

GENERIC_MESSAGES = ("Not a valid", "Invalid", "invalid", "This field is required", "Field must be")
NASTY = ["", " ", "null", "None", "undefined", "not_observed", "-1", "0", "1e309", "NaN", "Infinity", "0x10",
         "١٢", "９", "1,000", "8,9", "8.999999", "8900", "12 kg", "{{7*7}}", "<script>alert(1)</script>",
         "' OR 1=1 --", "\u202e", "\x00", "😀", "a" * 5000, "2026-02-30", "31/02/2026", "9999-12-31",
         "0001-01-01", "2026-11-26T25:61", "true", "false", "yes ", "YES", "[]", "{}",
         "line\x0bbreak from Word", "a\x1b[31mb", "\u2028", "\x7f\x9b"]

# what a keyboard can type: any letter, mark, number, punctuation, symbol or space, and new lines
TYPED = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"), whitelist_characters="\n")


def _decimal_text(f: Field) -> st.SearchStrategy[str]:
    low = Decimal(str(f.minimum if f.minimum is not None else 0))
    high = Decimal(str(f.maximum if f.maximum is not None else 1000))
    step = Decimal(1).scaleb(-f.places)
    count = int((high - low) / step)
    return st.integers(0, count).map(lambda n: str((low + n * step).quantize(step)))


def _past_date() -> st.SearchStrategy[date]:
    return st.dates(min_value=date.today() - timedelta(days=250), max_value=date.today())


def valid_form_value(f: Field) -> st.SearchStrategy[Any]:
    """A value a browser would send for the field that the dictionary allows (a list for multi-selects)."""
    if f.kind == BOOL:
        return st.sampled_from(["yes", "no", "not_observed"])
    if f.kind == CHOICE:
        return st.sampled_from(f.values + ([] if f.required else ["not_observed"]))
    if f.kind == MULTI:
        plain = [v for v in f.values if v != "none"]
        ticked = st.lists(st.sampled_from(plain), unique=True, min_size=1 if f.required else 0, max_size=len(plain))
        return ticked | st.just(["none"]) if "none" in f.values else ticked
    if f.kind == INT:
        return st.integers(int(f.minimum or 0), int(f.maximum if f.maximum is not None else 100)).map(str)
    if f.kind == DECIMAL:
        return _decimal_text(f)
    if f.name == "nhs_number":
        return VALID_NHS
    if f.kind == TEXT:
        text = st.text(TYPED, max_size=min(f.max_length, 200))
        return text.filter(str.strip) if f.required else text
    if f.kind == DATE:
        return _past_date().map(date.isoformat)
    if f.kind == DATETIME:
        return st.datetimes(min_value=datetime.now() - timedelta(days=250), max_value=datetime.now() - timedelta(hours=2)
                            ).map(lambda d: d.strftime("%Y-%m-%dT%H:%M"))
    raise AssertionError(f.kind)


def _nhs_check_digit(nine: str) -> int | None:
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    check = 0 if check == 11 else check
    return None if check == 10 else check


VALID_NHS = st.integers(100_000_000, 999_999_999).map(str).filter(lambda n: _nhs_check_digit(n) is not None).map(
    lambda n: n + str(_nhs_check_digit(n))).flatmap(lambda n: st.sampled_from([n, f"{n[:3]} {n[3:6]} {n[6:]}"]))


def answers(fields: tuple[Field, ...] | list[Field], value: Any, valid: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Half the time every answer is one the dictionary allows (so acceptance is explored too); otherwise a
    mix of good and bad. Any field may be left out."""
    every_field_valid = st.fixed_dictionaries({f.name: valid(f) for f in fields if f.required},
                                              optional={f.name: valid(f) for f in fields if not f.required})
    mixed = st.fixed_dictionaries({}, optional={f.name: value(f) for f in fields})
    return st.one_of(every_field_valid, mixed)


def form_value(f: Field) -> st.SearchStrategy[Any]:
    junk: st.SearchStrategy[Any] = st.sampled_from(NASTY) | st.text(TYPED, max_size=30)
    if f.kind == TEXT:
        junk = junk | st.just("x" * (f.max_length + 1))
    if f.kind == MULTI:
        junk = st.lists(junk, max_size=3)
    return st.one_of(valid_form_value(f), valid_form_value(f), junk)


def valid_json_value(f: Field) -> st.SearchStrategy[Any]:
    """A JSON value the dictionary allows for the field, in its JSON type."""
    if f.name == "nhs_number":
        return VALID_NHS
    if f.kind == BOOL:
        valid: st.SearchStrategy[Any] = st.sampled_from([True, False, None])
    elif f.kind == CHOICE:
        valid = st.sampled_from(f.values + ([] if f.required else [None]))
    elif f.kind == MULTI:
        valid = valid_form_value(f)
    elif f.kind == INT:
        valid = st.integers(int(f.minimum or 0), int(f.maximum if f.maximum is not None else 100))
    elif f.kind == DECIMAL:
        valid = _decimal_text(f).map(float)
    elif f.kind == TEXT:
        valid = st.text(TYPED, max_size=min(f.max_length, 200)).filter(str.strip) if f.required else \
            st.text(TYPED, max_size=min(f.max_length, 200)) | st.none()
    elif f.kind == DATE:
        valid = _past_date().map(date.isoformat)
    else:
        valid = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime.now() - timedelta(hours=2),
                             timezones=st.just(UTC)).map(lambda d: d.isoformat(timespec="minutes"))
    return valid


def json_value(f: Field) -> st.SearchStrategy[Any]:
    """A JSON value for the field: allowed ones in their JSON type, and every kind of wrong one."""
    valid = valid_json_value(f)
    wrong = st.one_of(st.sampled_from(NASTY), st.integers(-10**20, 10**20), st.floats(allow_nan=False,
                      allow_infinity=False), st.booleans(), st.none(), st.lists(st.integers(), max_size=3),
                      st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
    return st.one_of(valid, valid, wrong)


def error_messages_say_what_to_do(messages: list[str]) -> list[str]:
    """The messages that fail the GOV.UK pattern (say what to do, never "Invalid input")."""
    bad = []
    for message in messages:
        if len(message) < 15 or any(g in message for g in GENERIC_MESSAGES):
            bad.append(message)
    return bad


def open_action(db: Any, child: dict[str, Any], user: dict[str, Any]) -> str:
    """An open required action on the child, inserted directly (the fuzzers close one per example)."""
    import uuid

    from homevisit.data import store

    action_id = str(uuid.uuid4())
    with store.write(db):
        store.insert(db, "actions", {
            "id": action_id, "child_id": child["id"], "team_id": user["team_id"], "rule_id": "R99",
            "title": "Fuzz action", "action": "Do the thing", "severity": "routine", "deadline": "P5D",
            "due_at": "2030-01-01T17:00:00+00:00", "owner": "visitor", "source": "test", "status": "open",
            "created_at": "2026-01-01T00:00:00+00:00"})
    return action_id
