"""Checks every value against the data dictionary and says what to do when it is wrong.

The HTML forms and the JSON API both call these functions, so a practitioner gets the same message for
the same mistake whichever way the visit arrives. Messages follow the GOV.UK error-message pattern: they
say what to do ("Enter the room temperature as a number, like 18"), never "Invalid input".
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import nhs_number

from homevisit.domain.calendar import LONDON
from homevisit.domain.dictionary import (
    BOOL,
    CARER_FIELDS,
    CHILD_FIELDS,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INJURY_FIELDS,
    INT,
    MULTI,
    NO_ACCESS,
    NO_ACCESS_NOT_SEEN,
    TEXT,
    VISIT_FIELDS,
    Field,
)

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_INJURIES = 50
MAX_CARERS = 20

Errors = dict[str, list[str]]


def _capital(noun: str) -> str:
    return noun[:1].upper() + noun[1:]


def _fmt(number: float | None) -> str:
    return f"{number:g}"


def _with_unit(number: float | None, unit: str) -> str:
    if not unit:
        return _fmt(number)
    return f"{_fmt(number)}{unit}" if unit.startswith("°") else f"{_fmt(number)} {unit}"


def required_message(f: Field) -> str:
    """The message when a required field is missing."""
    return f"Select {f.noun}" if f.kind in (CHOICE, MULTI, BOOL) else f"Enter {f.noun}"


def range_message(f: Field) -> str:
    """The message when a number is outside the field's plausible range."""
    return f"{_capital(f.noun)} must be between {_with_unit(f.minimum, f.unit)} and {_with_unit(f.maximum, f.unit)}"


_LINE_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
_INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def clean_text(raw: str) -> str:
    """Free text as stored: one kind of line break, no invisible control characters, no outer blank space.

    Text pasted from a word processor carries line breaks as vertical tabs or Unicode line separators (they
    become line breaks, so nothing typed is lost) and sometimes control characters that print as nothing
    but upset exports and other tools (they are dropped). Tabs and line breaks are kept.
    """
    return _INVISIBLE_CONTROLS.sub("", raw.replace("\r\n", "\n").translate(_LINE_BREAKS)).strip()


def parse_value(f: Field, raw: Any, *, today: date | None = None) -> tuple[Any, str | None]:
    """Turn a submitted value (a form string or a JSON value) into the stored value, or say what is wrong.

    Returns ``(value, None)`` when it is acceptable, ``(None, message)`` when it is not. Blank, omitted and
    ``null`` all mean "not observed" and give ``None``.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == "") or (f.kind == MULTI and raw == []):
        if f.required:
            return None, required_message(f)
        return ([] if (f.kind == MULTI and raw == []) else None), None
    today = today or date.today()
    kind = f.kind
    if kind == BOOL:
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in ("yes", "true"):
                return True, None
            if word in ("no", "false"):
                return False, None
            if word in ("not_observed", "null"):
                return None, None
        return None, f"Select {f.noun}, or select not observed"
    if kind == CHOICE:
        if isinstance(raw, str) and raw in f.values:
            return raw, None
        if isinstance(raw, str) and raw == "not_observed" and not f.required:
            return None, None
        return None, f"Select {f.noun} from the list"
    if kind == MULTI:
        items = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(i, str) and i in f.values for i in items):
            return None, f"Select {f.noun} from the list"
        if "none" in items and len(items) > 1:
            return None, f"Select ‘{f.label_for('none')}’ on its own, or the items you saw"
        # keep the dictionary's order so the same answer is always stored the same way
        return [v for v in f.values if v in items], None
    if kind in (INT, DECIMAL):
        return _parse_number(f, raw)
    if kind == TEXT:
        if not isinstance(raw, str):
            return None, f"Enter {f.noun} as text"
        text = clean_text(raw)
        if not text:
            if f.required:
                return None, required_message(f)
            return None, None
        if len(text) > f.max_length:
            return None, f"{_capital(f.noun)} must be {f.max_length} characters or fewer"
        return text, None
    if kind == DATE:
        value = _parse_date(raw)
        if value is None:
            return None, f"Enter {f.noun} as a real date, like 2026-11-24"
        if value.year < 1900:
            return None, f"{_capital(f.noun)} must be after 1900"
        if value > today:
            return None, f"{_capital(f.noun)} must be today or in the past"
        return value.isoformat(), None
    if kind == DATETIME:
        moment = _parse_datetime(raw)
        if moment is None:
            return None, f"Enter {f.noun} as a date and time, like 2026-11-26 14:30"
        if moment.year < 1900:
            return None, f"{_capital(f.noun)} must be after 1900"
        if moment.astimezone(UTC).date() > today:
            return None, f"{_capital(f.noun)} must be today or in the past"
        return moment.isoformat(timespec="minutes"), None
    raise ValueError(f"unknown field kind {kind}")  # pragma: no cover - a dictionary error, not input


def _parse_number(f: Field, raw: Any) -> tuple[Any, str | None]:
    example = f.example or _fmt(f.minimum if f.minimum and f.minimum > 0 else (f.maximum or 10) / 4)
    if isinstance(raw, bool):
        return None, f"Enter {f.noun} as a number, like {example}"
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, f"Enter {f.noun} as a number, like {example}"
        number = Decimal(str(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "")
        for suffix in ("kg", "cm", "mm", "°c", "c", "days"):
            if text.lower().endswith(suffix) and f.unit.lower().endswith(suffix.lstrip("°")):
                text = text[: -len(suffix)].strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            kind = "a whole number" if f.kind == INT else "a number"
            return None, f"Enter {f.noun} as {kind}, like {example}"
    else:
        return None, f"Enter {f.noun} as a number, like {example}"
    if f.kind == INT:
        if number != number.to_integral_value():
            return None, f"Enter {f.noun} as a whole number, like {int(float(example))}"
        value: Any = int(number)
    else:
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > f.places:
            return None, f"Enter {f.noun} to {f.places} decimal places or fewer"
        value = float(number)
    if f.unit == "kg" and f.maximum is not None and value >= 100 and value / 1000 <= f.maximum:
        return None, (f"{value:g} kg cannot be a child's weight: it looks like grams. "
                      f"Enter {f.noun} in kilograms, like {value / 1000:.2f}")
    if (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
        return None, range_message(f)
    return value, None


def _parse_date(raw: Any) -> date | None:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})[/ .-](\d{1,2})[/ .-](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def _parse_datetime(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str):
        text = raw.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment


def clean_fields(fields: tuple[Field, ...] | list[Field], data: dict[str, Any], *, prefix: str = "",
                 today: date | None = None) -> tuple[dict[str, Any], Errors]:
    """Parse each of ``fields`` from ``data``: the stored values and the messages for what is wrong.

    Fields absent from ``data`` are stored as ``None`` (not observed). Unknown keys are ignored, so a
    client cannot set ``team_id`` or ``signed_by`` by adding them to a submission.
    """
    clean: dict[str, Any] = {}
    errors: Errors = {}
    for f in fields:
        value, message = parse_value(f, data.get(f.name), today=today)
        clean[f.name] = value
        if message:
            errors.setdefault(prefix + f.name, []).append(message)
    return clean, errors


def nhs_number_is_valid(number: str) -> bool:
    """True when a 10-digit NHS number (spaces or hyphens allowed) passes the modulus-11 check (``nhs-number``)."""
    digits = re.sub(r"[\s-]", "", number)
    return bool(re.fullmatch(r"\d{10}", digits)) and nhs_number.is_valid(digits)


def nhs_number_message(number: str) -> str | None:
    """What to do about a mistyped NHS number, or None when it is valid."""
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isdigit():
        return "Enter a valid NHS number using digits only, like 943 476 5919"
    if len(digits) != 10:
        return (f"Enter a valid NHS number: it has 10 digits and this has {len(digits)}. "
                "Check it against the red book")
    if not nhs_number.is_valid(digits):
        return ("Enter a valid NHS number: its last digit does not match the others, so a digit is probably "
                "mistyped. Check it against the red book")
    return None


def validate_child(data: dict[str, Any], *, today: date | None = None) -> tuple[dict[str, Any], Errors]:
    """Check a new child's details; returns the stored values and the messages for what is wrong."""
    clean, errors = clean_fields(CHILD_FIELDS, data, today=today)
    if clean.get("gestation_days") is None and "gestation_days" not in errors:
        clean["gestation_days"] = 0
    nhs = clean.get("nhs_number")
    if nhs:
        message = nhs_number_message(nhs)
        if message:
            errors.setdefault("nhs_number", []).append(message)
        else:
            clean["nhs_number"] = re.sub(r"[\s-]", "", nhs)
    dob = clean.get("date_of_birth")
    if dob and (today or date.today()).toordinal() - date.fromisoformat(dob).toordinal() > 19 * 366:
        errors.setdefault("date_of_birth", []).append("The date of birth must be within the last 19 years")
    return clean, errors


def validate_injury(data: dict[str, Any], *, index: int = 0, visited_on: date | None = None,
                    today: date | None = None) -> tuple[dict[str, Any], Errors]:
    """Check one injury row; messages are keyed ``injuries-<index>-<field>``."""
    prefix = f"injuries-{index}-"
    clean, errors = clean_fields(INJURY_FIELDS, data, prefix=prefix, today=today)
    for name in ("first_noticed_date", "medical_help_date"):
        if clean.get(name) and visited_on and date.fromisoformat(clean[name]) > visited_on:
            noun = "the date it was first noticed" if name == "first_noticed_date" else "the date medical help was sought"
            errors.setdefault(prefix + name, []).append(f"{_capital(noun)} must be on or before the visit date")
    return clean, errors


def validate_carer(data: dict[str, Any], *, index: int = 0) -> tuple[dict[str, Any], Errors]:
    """Check one row of the people present; messages are keyed ``carers_present-<index>-<field>``."""
    return clean_fields(CARER_FIELDS, data, prefix=f"carers_present-{index}-")


def validate_section(fields: list[Field], data: dict[str, Any], *, partial: bool = True,
                     today: date | None = None) -> tuple[dict[str, Any], Errors]:
    """Check one page of the visit. ``partial`` leaves required fields of other pages alone."""
    clean, errors = clean_fields(fields, data, today=today)
    return clean, errors


def cross_checks(visit: dict[str, Any], child: dict[str, Any] | None) -> Errors:
    """Checks that look across fields, or at the child: the messages keyed by the field to correct."""
    errors: Errors = {}
    access = visit.get("access_outcome")
    if visit.get("child_seen") == "not_seen" and not visit.get("child_not_seen_reason") \
            and access not in ("no_answer", "refused_entry"):  # there, what happened at the door is the reason
        errors["child_not_seen_reason"] = ["Enter why the child was not seen"]
    if access in NO_ACCESS_NOT_SEEN and visit.get("child_seen") in ("awake", "asleep"):
        errors["child_seen"] = ["You said you did not see the child on this visit: choose ‘No, not seen’, or change "
                                "your answer to ‘Did you get into the home and see the child?’"]
    if access == "seen_at_window" and visit.get("child_seen") == "not_seen":
        errors["child_seen"] = ["You said the child was seen at a window or the door: choose whether they were awake "
                                "or asleep"]
    if access in NO_ACCESS and not visit.get("access_attempts"):
        errors["access_attempts"] = ["Select what you tried, so the next person knows what has been done"]
    if visit.get("length_height_cm") is not None and visit.get("length_method") is None:
        errors["length_method"] = ["Select how length or height was measured"]
    if visit.get("disclosure") in ("by_child", "by_third_party") and not visit.get("disclosure_details"):
        errors["disclosure_details"] = ["Enter what was disclosed, and by whom"]
    visited_at = visit.get("visited_at")
    if child and visited_at and child.get("date_of_birth"):
        if visited_at[:10] < str(child["date_of_birth"]):
            errors.setdefault("visited_at", []).append(
                "The date of the visit must be on or after the child's date of birth")
    return errors


def merge_errors(*many: Errors) -> Errors:
    """All the messages of several checks, keyed by field."""
    out: Errors = {}
    for errors in many:
        for key, messages in errors.items():
            out.setdefault(key, []).extend(m for m in messages if m not in out.get(key, []))
    return out


def visit_field_names() -> list[str]:
    """The names of the visit's own observation fields, in dictionary order."""
    return [f.name for f in VISIT_FIELDS]


__all__ = [
    "BOOL", "CHOICE", "DATE", "DATETIME", "DECIMAL", "INT", "MULTI", "TEXT",
    "Errors", "UUID_RE", "clean_fields", "cross_checks", "merge_errors", "nhs_number_is_valid", "nhs_number_message", "parse_value",
    "range_message", "required_message", "validate_carer", "validate_child", "validate_injury", "validate_section",
    "visit_field_names",
]
