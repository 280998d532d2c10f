"""A concern recorded outside a visit: a housing officer told something by a contractor, a GP's letter.

Any signed-in professional can add a dated concern to a child's chronology; it runs through the same
rules as a visit, so a disclosure or a repeated worry becomes a required action, not just a note.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from homevisit.data import concerns as concerns_data
from homevisit.data import store
from homevisit.domain.calendar import utc_now_text
from homevisit.domain.dictionary import BODY_SITES, CHOICE, DATE, INJURY_BY_NAME, MULTI, TEXT, VISITOR_ROLES, Field
from homevisit.domain.validation import Errors, clean_fields
from homevisit.services import actions as actions_mod
from homevisit.services import audit

CATEGORIES = (
    ("disclosure_by_child", "The child said something about being harmed"),
    ("disclosure_by_third_party", "Someone else reported harm (for example a neighbour or contractor)"),
    ("injury", "An injury or mark"),
    ("restraint", "The child was taped, tied or restrained"),
    ("no_food", "No suitable food for the child"),
    ("spoiled_food", "Mouldy or spoiled food within the child's reach"),
    ("cold_home", "The home is cold or unheated"),
    ("no_bedding", "No bedding or covering for the child"),
    ("poor_hygiene", "The child is dirty or smelly"),
    ("missed_appointment", "A missed appointment: the child was not brought"),
    ("other", "Something else"),
)

CONCERN_FIELDS: tuple[Field, ...] = (
    Field("occurred_on", "concern", "When did this happen, or when were you told?", DATE, "the date of the concern",
          hint="For example, 2026-11-24", required=True),
    Field("reporter_role", "concern", "What is your role?", CHOICE, "your role", choices=VISITOR_ROLES, required=True),
    Field("agency", "concern", "Your agency or organisation", TEXT, "your agency", hint="For example, Northfield Housing",
          max_length=200),
    Field("source", "concern", "Who told you, or how do you know?", TEXT, "who told you",
          hint="For example, ‘the gas engineer who visited on Monday’. Names can be redacted before release",
          max_length=1000),
    Field("summary", "concern", "What is the concern?", TEXT, "the concern",
          hint="Exactly what was seen or said, by whom and when", required=True, max_length=4000),
    Field("categories", "concern", "What does it involve?", MULTI, "what the concern involves",
          hint="Select all that apply", choices=CATEGORIES, required=True),
    Field("injury_type", "concern", "Type of mark", CHOICE, "the type of mark",
          choices=INJURY_BY_NAME["type"].choices),
    Field("injury_body_site", "concern", "Where on the body?", CHOICE, "where the mark is on the body",
          choices=BODY_SITES),
)


def as_visit(concern: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The concern in the visit vocabulary, so the same rules read it. Unknown answers stay None."""
    cats = set(concern.get("categories") or [])
    visit: dict[str, Any] = {"id": concern["id"], "visited_at": f"{concern['occurred_on']}T12:00:00+00:00",
                             "visitor_role": concern.get("reporter_role"), "visitor_id": user["id"],
                             "child_seen": None, "injuries": [], "carers_present": []}
    if "disclosure_by_child" in cats:
        visit["disclosure"] = "by_child"
    elif "disclosure_by_third_party" in cats:
        visit["disclosure"] = "by_third_party"
    if "restraint" in cats:
        visit["restraint_observed"] = True
    if "no_food" in cats:
        visit["age_appropriate_food"] = "none"
    if "spoiled_food" in cats:
        visit["spoiled_food_accessible"] = True
    if "cold_home" in cats:
        visit["room_heated"] = False
        visit["heating"] = False
    if "no_bedding" in cats:
        visit["covering"] = "none"
    if "poor_hygiene" in cats:
        visit["hygiene"] = "dirty"
    if "missed_appointment" in cats:
        visit["missed_appointments"] = 1
    if "injury" in cats and concern.get("injury_type"):
        visit["injuries"] = [{"type": concern["injury_type"], "body_site": concern.get("injury_body_site"),
                              "explanation_assessment": None, "first_noticed_date": concern["occurred_on"]}]
    return visit


def record_concern(db: Any, child: dict[str, Any], user: dict[str, Any], data: dict[str, Any], rules: Any, *,
                   history: dict[str, Any], today: date | None = None) -> tuple[dict[str, Any] | None, list[dict[str, Any]], Errors]:
    """Store a concern and the required actions it raises; returns (concern, actions, errors)."""
    clean, errors = clean_fields(CONCERN_FIELDS, data, today=today)
    if "injury" in (clean.get("categories") or []) and not clean.get("injury_type"):
        errors.setdefault("injury_type", []).append("Select the type of mark")
    if clean.get("occurred_on") and clean["occurred_on"] < str(child["date_of_birth"]):
        errors.setdefault("occurred_on", []).append("The date must be on or after the child's date of birth")
    if errors:
        return None, [], errors
    concern = {"id": str(uuid.uuid4()), "child_id": child["id"], "team_id": user["team_id"], "recorded_by": user["id"],
               "occurred_on": clean["occurred_on"], "reporter_role": clean["reporter_role"],
               "agency": clean.get("agency") or "", "source": clean.get("source") or "", "summary": clean["summary"],
               "categories": clean["categories"], "disclosure": None, "created_at": utc_now_text()}
    with store.write(db):
        concerns_data.insert(db, concern)
        audit.record(db, action="record_concern", object_type="concern", object_id=concern["id"], child_id=child["id"],
                     user=user, detail={"categories": clean["categories"]})
        raised = actions_mod.derive_and_store(db, visit=as_visit({**concern, **clean}, user), child=child,
                                              growth_facts=None, history=history, rules=rules, user=user,
                                              concern_id=concern["id"])
    return concern, raised, {}
