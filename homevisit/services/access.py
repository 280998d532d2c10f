"""A child who cannot be seen: visits with no access, and appointments the child was not brought to (#15).

Each failed contact on its own is easy to explain away; the pattern is the warning sign (Child Au). This
module lists the pattern for a child's page, finds the children with one for the caseload and the
supervisor's dashboard, and records a 'was not brought' as a concern, so the rules read it (R33, R38).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from homevisit.data import children as children_data
from homevisit.data import concerns as concerns_data
from homevisit.data import visits as visits_data
from homevisit.domain.dictionary import ACCESS_OUTCOMES, CHOICE, DATE, NO_ACCESS, TEXT, VISITOR_ROLES, Field
from homevisit.domain.validation import Errors, clean_fields
from homevisit.services import concerns

WINDOW_DAYS = 90  # the default of the rules' access_window_days (R38); the pages use the rules' setting
OUTCOME_WORDS = dict(ACCESS_OUTCOMES)

APPOINTMENT_KINDS = (
    ("health_visitor_clinic", "Health visitor clinic or weigh"),
    ("development_review", "Development review"),
    ("gp", "GP appointment"),
    ("immunisation", "Immunisation"),
    ("hospital", "Hospital or outpatient appointment"),
    ("dental", "Dental appointment"),
    ("early_years", "Nursery or early years session"),
    ("other", "Another appointment"),
)
KIND_WORDS = dict(APPOINTMENT_KINDS)

NOT_BROUGHT_FIELDS: tuple[Field, ...] = (
    Field("appointment_on", "not_brought", "When was the appointment?", DATE, "the date of the appointment",
          hint="For example, 2026-11-24", required=True),
    Field("appointment_kind", "not_brought", "What was the appointment?", CHOICE, "the kind of appointment",
          choices=APPOINTMENT_KINDS, required=True),
    Field("reporter_role", "not_brought", "What is your role?", CHOICE, "your role", choices=VISITOR_ROLES,
          required=True),
    Field("followed_up", "not_brought", "What has been done since?", TEXT, "what has been done since",
          hint="For example, ‘phoned mother, no answer; letter sent with a new date’", required=True,
          max_length=2000),
)


def record_not_brought(db: Any, child: dict[str, Any], user: dict[str, Any], data: dict[str, Any], rules: Any, *,
                       history: dict[str, Any], today: date | None = None
                       ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], Errors]:
    """Record that the child was not brought to an appointment: a concern in the child's chronology whose
    category is a missed appointment, so the same rules read it. Returns (concern, actions raised, errors)."""
    clean, errors = clean_fields(NOT_BROUGHT_FIELDS, data, today=today)
    if clean.get("appointment_on") and clean["appointment_on"] < str(child["date_of_birth"]):
        errors.setdefault("appointment_on", []).append("The date must be on or after the child's date of birth")
    if errors:
        return None, [], errors
    kind = KIND_WORDS[clean["appointment_kind"]]
    summary = f"Was not brought: {kind.lower()} on {clean['appointment_on']}. Since then: {clean['followed_up']}"
    return concerns.record_concern(db, child, user, {
        "occurred_on": clean["appointment_on"], "reporter_role": clean["reporter_role"], "agency": "",
        "source": kind, "summary": summary, "categories": ["missed_appointment"]}, rules, history=history, today=today)


def child_events(db: Any, child_id: str, *, since: date) -> list[dict[str, Any]]:
    """The child's visits with no access and appointments not brought since ``since``, newest first:
    ``{"on", "kind" ("no_access" | "not_brought"), "words", "by", "visit_id" | "concern_id"}``."""
    events: list[dict[str, Any]] = []
    for v in visits_data.no_access_or_missed_since(db, child_id, since.isoformat()):
        if v["access_outcome"] in NO_ACCESS:
            events.append({"on": v["visited_at"][:10], "at": v["visited_at"], "kind": "no_access",
                           "words": OUTCOME_WORDS[v["access_outcome"]], "by": v["by_name"], "visit_id": v["id"]})
        if v["missed_appointments"]:
            n = int(v["missed_appointments"])
            events.append({"on": v["visited_at"][:10], "at": v["visited_at"], "kind": "not_brought", "count": n,
                           "by": v["by_name"],
                           "words": f"{n} missed {'appointment' if n == 1 else 'appointments'} recorded at a visit",
                           "visit_id": v["id"]})
    for k in concerns_data.not_brought_since(db, child_id, since.isoformat()):
        events.append({"on": k["occurred_on"], "at": k["occurred_on"], "kind": "not_brought", "count": 1,
                       "by": k["by_name"],
                       "words": f"Was not brought: {k['source'] or 'an appointment'}", "concern_id": k["id"]})
    events.sort(key=lambda e: (e["on"], e["at"]), reverse=True)
    return events


def failures(events: list[dict[str, Any]]) -> int:
    """How many failed contacts the events add up to (a visit's count of missed appointments counts each)."""
    return sum(e.get("count", 1) for e in events)


def team_patterns(db: Any, team_id: int, *, since: date, minimum: int = 2) -> list[dict[str, Any]]:
    """The team's children with ``minimum`` or more failed contacts since ``since``, most first:
    ``{"id", "given_name", "family_name", "child_protection_plan", "no_access", "not_brought", "last_on"}``."""
    rows = children_data.failed_contact_counts(db, team_id, since.isoformat())
    found = [r for r in rows if r["no_access"] + r["not_brought"] >= minimum]
    found.sort(key=lambda r: (-(r["no_access"] + r["not_brought"]), r["family_name"], r["given_name"]))
    return found


def window_start(today: date, rules: Any = None) -> date:
    days = int((getattr(rules, "settings", None) or {}).get("access_window_days", WINDOW_DAYS))
    return today - timedelta(days=days)
