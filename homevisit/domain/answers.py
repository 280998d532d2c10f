"""A visit as the practitioner's answers, section by section, in words.

"Check your answers" and the signed PDF record both show exactly this, so the record is rendered from
the same data the practitioner checked, never re-derived.
"""

from __future__ import annotations

from typing import Any

from homevisit.domain import bodymap
from homevisit.domain.dictionary import (
    BOOL,
    CARER_FIELDS,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    FIELDS_BY_NAME,
    INJURY_FIELDS,
    INT,
    MULTI,
    NO_ACCESS,
    NO_ACCESS_SKIPS,
    SECTIONS,
    Field,
    fields_in_section,
)
from homevisit.domain.presentation import date_words, datetime_words

NOT_OBSERVED = "Not observed"


def display_value(f: Field, value: Any) -> str:
    """The words shown for one stored value; ``None`` is "Not observed", never "No"."""
    if value is None:
        return NOT_OBSERVED
    if f.kind == BOOL:
        return "Yes" if value else "No"
    if f.kind == CHOICE:
        return f.label_for(value)
    if f.kind == MULTI:
        if not value:
            return "None"
        return ", ".join(f.label_for(v) for v in value)
    if f.kind == DECIMAL:
        text = f"{value:.{f.places}f}" if f.places else f"{value:g}"
        return _unit(text, f.unit)
    if f.kind == INT:
        return _unit(str(value), f.unit)
    if f.kind == DATE:
        return date_words(value)
    if f.kind == DATETIME:
        return datetime_words(value)  # in UK time, as every other page and the record's header say it
    return str(value)


def _unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit.startswith("°") else f"{text} {unit}"


def answer_rows(fields: list[Field] | tuple[Field, ...], values: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per field: its name, the question and the answer in words."""
    return [{"name": f.name, "question": f.question, "value": display_value(f, values.get(f.name)),
             "observed": values.get(f.name) is not None} for f in fields]


def answer_sections(visit: dict[str, Any]) -> list[dict[str, Any]]:
    """Every section of a visit with its answers, plus the people present and the injuries as rows.

    Returns ``[{"key", "title", "rows": [...], "items": [{"title", "rows"}]}]`` where ``items`` holds the
    repeatable rows (people present in "seen", marks in "injuries"); the injuries section also has
    ``body_map``, the diagrams with the marks numbered on them (``bodymap.record_map``), or None. On a visit
    with no access, ``skipped`` says why a page about the home or the child was not filled in (else None).
    """
    sections = []
    no_access = visit.get("access_outcome") in NO_ACCESS
    for section in SECTIONS:
        entry: dict[str, Any] = {"key": section.key, "title": section.title,
                                 "rows": answer_rows(fields_in_section(section.key), visit), "items": [],
                                 "skipped": None}
        if no_access and section.key in NO_ACCESS_SKIPS:
            # a visit with no access skipped this page: say so once, and show only what was answered
            entry["skipped"] = f"Skipped: {display_value(FIELDS_BY_NAME['access_outcome'], visit['access_outcome'])}."
            entry["rows"] = [row for row in entry["rows"] if row["observed"]]
        if section.key == "seen":
            # the visit could not be done: said at the top of the record as well as in its answer row
            entry["no_access"] = (display_value(FIELDS_BY_NAME["access_outcome"], visit["access_outcome"])
                                  if no_access else None)
            for n, carer in enumerate(visit.get("carers_present") or [], start=1):
                entry["items"].append({"title": f"Person present {n}", "rows": answer_rows(CARER_FIELDS, carer)})
        if section.key == "injuries":
            for n, injury in enumerate(visit.get("injuries") or [], start=1):
                entry["items"].append({"title": f"Mark {n}", "rows": answer_rows(INJURY_FIELDS, injury)})
            entry["body_map"] = bodymap.record_map(visit.get("injuries") or [])
        sections.append(entry)
    return sections
