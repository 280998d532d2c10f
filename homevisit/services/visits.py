"""Visits: drafts saved section by section, submission, and the idempotent API store.

The HTML journey and ``PUT /api/v1/visits/{id}`` both come through here, so a visit is checked,
stored, audited and turned into required actions the same way whichever door it came in by.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import allocations as allocations_data
from homevisit.data import concerns as concerns_data
from homevisit.data import drafts as drafts_data
from homevisit.data import rule_hits as rule_hits_data
from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain import growth
from homevisit.domain import rules as rules_mod
from homevisit.domain.calendar import LONDON, london_moment, utc_now, utc_now_text
from homevisit.domain.dictionary import (
    CARER_FIELDS,
    INJURY_FIELDS,
    MILESTONES,
    VISIT_FIELDS,
    fields_in_section,
)
from homevisit.domain.facts import HISTORY_VISIT_FIELDS, history_windows
from homevisit.domain.validation import (
    MAX_CARERS,
    MAX_INJURIES,
    Errors,
    clean_fields,
    cross_checks,
    merge_errors,
    validate_carer,
    validate_injury,
)
from homevisit.services import actions as actions_mod
from homevisit.services import audit, concerns, referrals

VISIT_COLUMNS = [f.name for f in VISIT_FIELDS]


class Conflict(Exception):
    """The visit cannot be changed as asked: it was changed elsewhere, or it is already submitted."""


class NotFound(Exception):
    """No such visit for this caller."""


class Invalid(Exception):
    """The visit has answers that need correcting; ``errors`` says which and how."""

    def __init__(self, errors: Errors):
        super().__init__("invalid visit")
        self.errors = errors


# --- checking ---------------------------------------------------------------------------------------

def weight_errors(visit: dict[str, Any], child: dict[str, Any]) -> Errors:
    """A weight that cannot be right is refused; one far from the median must be re-weighed and confirmed."""
    weight = visit.get("weight_kg")
    if weight is None or not visit.get("visited_at"):
        return {}
    measured_on = date.fromisoformat(str(visit["visited_at"])[:10])
    verdict = growth.weight_plausibility(child, measured_on, weight)
    if verdict == "impossible":
        grams_hint = f" If you weighed in grams, enter {weight / 1000:.2f}" if weight >= 300 else ""
        return {"weight_kg": [f"{weight:g} kg cannot be the weight of a child of this age. "
                              f"Enter the weight in kilograms, like 9.45.{grams_hint}".rstrip()]}
    if verdict == "confirm" and visit.get("remeasured_confirmed") is not True:
        return {"weight_kg": [f"{weight:g} kg is far from the usual weight for a child of this age. "
                              "Re-weigh the child, then answer yes to ‘Did you re-weigh the child and confirm "
                              "this weight?’"]}
    return {}


def check_section(section: str, data: dict[str, Any], child: dict[str, Any], current: dict[str, Any],
                  *, today: date | None = None) -> tuple[dict[str, Any], Errors]:
    """Check one page of answers: the stored values and the messages for what needs correcting."""
    fields = fields_in_section(section)
    clean, errors = clean_fields(fields, data, today=today)
    merged = {**current, **clean}
    names = {f.name for f in fields}
    cross = {k: v for k, v in cross_checks(merged, child).items() if k in names}
    extra: Errors = {}
    if section in ("weight", "seen") and "weight_kg" not in errors and "visited_at" not in errors:
        if section == "weight":
            extra = weight_errors(merged, child)
    return clean, merge_errors(errors, cross, extra)


def check_visit(payload: dict[str, Any], child: dict[str, Any], *, today: date | None = None
                ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], Errors]:
    """Check a whole visit (every section, the marks and the people present).

    Returns the stored values, injuries, people present and every message, keyed by field.
    """
    clean, errors = clean_fields(VISIT_FIELDS, payload, today=today)
    injuries: list[dict[str, Any]] = []
    carers: list[dict[str, Any]] = []
    visited_on = date.fromisoformat(clean["visited_at"][:10]) if clean.get("visited_at") else None
    raw_injuries = payload.get("injuries") or []
    raw_carers = payload.get("carers_present") or []
    if not isinstance(raw_injuries, list) or len(raw_injuries) > MAX_INJURIES:
        errors["injuries"] = [f"Record up to {MAX_INJURIES} marks, each as an object with its type and body site"]
        raw_injuries = []
    if not isinstance(raw_carers, list) or len(raw_carers) > MAX_CARERS:
        errors["carers_present"] = [f"Record up to {MAX_CARERS} people present, each as an object with their role"]
        raw_carers = []
    for i, item in enumerate(raw_injuries):
        if not isinstance(item, dict):
            errors[f"injuries-{i}"] = ["Record each mark as an object with its type and body site"]
            continue
        value, errs = validate_injury(item, index=i, visited_on=visited_on, today=today)
        injuries.append(value)
        errors.update(errs)
    for i, item in enumerate(raw_carers):
        if not isinstance(item, dict):
            errors[f"carers_present-{i}"] = ["Record each person present as an object with their role"]
            continue
        value, errs = validate_carer(item, index=i)
        carers.append(value)
        errors.update(errs)
    errors = merge_errors(errors, cross_checks(clean, child))
    if "weight_kg" not in errors and "visited_at" not in errors:
        errors = merge_errors(errors, weight_errors(clean, child))
    return clean, injuries, carers, errors


# --- reading ----------------------------------------------------------------------------------------

def with_rows(db: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A stored visit row in the dictionary's values, with its marks and the people present."""
    visit = store.decode_visit_row(row)
    visit["injuries"] = [store.decode_row(INJURY_FIELDS, r) for r in visits_data.injuries_for_visit(db, row["id"])]
    visit["carers_present"] = [store.decode_row(CARER_FIELDS, r)
                               for r in visits_data.carers_present_for_visit(db, row["id"])]
    return visit


def load_visit(db: Any, visit_id: str, user: dict[str, Any], *, log_view: bool = False) -> dict[str, Any]:
    """One visit of the user's team with its marks and people present; NotFound otherwise."""
    row = visits_data.in_team_with_visitor_and_signer(db, visit_id, user["team_id"])
    if row is None:
        raise NotFound(visit_id)
    visit = with_rows(db, row)
    if log_view:
        audit.record(db, action="view", object_type="visit", object_id=visit_id, child_id=visit["child_id"], user=user)
    return visit


def visits_for_child(db: Any, child_id: str, *, include_drafts_of: int | None = None) -> list[dict[str, Any]]:
    """The child's visits, newest first, by every professional (drafts only the caller's own)."""
    return visits_data.for_child_with_visitor(db, child_id, include_drafts_of or -1)


def measurements_for(db: Any, child_id: str) -> list[dict[str, Any]]:
    """Every submitted weight of the child, whoever took it, with the growth worked out when it was submitted
    (``growth.stored_series`` reads it; ``growth.growth_series`` works it out again)."""
    return visits_data.submitted_weights(db, child_id)


def history_for(db: Any, child_id: str, before_visit_id: str | None = None, *,
                windows: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the rules need to know of the child's past: earlier visits (the answers the history facts read,
    ``facts.HISTORY_VISIT_FIELDS``), concerns, allocations, open actions and referrals.

    With ``windows`` (``facts.history_windows`` for the visit's day) the database sums the child's visits up
    (``summed``: how many, the milestones recorded, the counts in each window, the last weight) instead of
    returning them one by one, so a submit costs the same for a child with years of visits as for a new
    baby. Concerns, which are few, are always listed. Without it every visit is listed."""
    past = [] if windows else _visit_rows(db, child_id, before_visit_id or "")
    concern_fired: dict[str, list[str]] = {}
    for a in rule_hits_data.concern_rules_for_child(db, child_id):
        concern_fired.setdefault(a["concern_id"], []).append(a["rule_id"])
    for row in concerns_data.for_child_except(db, child_id, before_visit_id or ""):
        row["categories"] = json.loads(row["categories"])
        pseudo = concerns.as_visit(row, {"id": row["recorded_by"]})
        pseudo["fired_rules"] = concern_fired.get(row["id"], [])
        past.append(pseudo)
    past.sort(key=lambda v: str(v.get("visited_at")))
    history: dict[str, Any] = {
        "visits": past,
        "allocations": allocations_data.for_child_by_start(db, child_id),
        "actions": actions_data.open_rule_states_for_child(db, child_id),
        "referrals": referrals.history_rows(db, child_id),
    }
    if windows:
        history["summed"] = _summed_visits(db, child_id, before_visit_id or "", windows)
    return history


def _visit_rows(db: Any, child_id: str, visit_id: str) -> list[dict[str, Any]]:
    rows = visits_data.history_rows_except(db, child_id, visit_id, HISTORY_VISIT_FIELDS)
    fired: dict[str, list[str]] = {}
    for a in rule_hits_data.visit_rules_for_child(db, child_id):
        fired.setdefault(a["visit_id"], []).append(a["rule_id"])
    past = []
    for row in rows:
        v = store.decode_visit_row(row)
        v["fired_rules"] = fired.get(v["id"], [])
        v["injuries"] = []
        v["carers_present"] = []
        past.append(v)
    return past


def _summed_visits(db: Any, child_id: str, visit_id: str, windows: dict[str, Any]) -> dict[str, Any]:
    # The history facts' sums over earlier visits, in the database (facts._history_facts does the same sums
    # over a list of visits; a test checks the two agree).
    row = visits_data.earlier_sums(db, child_id, visit_id, windows) or {}
    consider_ids = list(windows.get("consider_ids") or ())
    consider: list[dict[str, Any]] = []
    if consider_ids:
        consider = visits_data.earlier_firing_any_of(db, child_id, visit_id, windows, consider_ids)
    weight = visits_data.earlier_last_weight(db, child_id, visit_id, windows)
    return {"count": int(row.get("n") or 0), "milestones": sorted(m for m in MILESTONES if row.get(m)),
            "missed_appointments": int(row.get("missed") or 0), "not_seen": int(row.get("not_seen") or 0),
            "poor_hygiene": int(row.get("poor_hygiene") or 0), "no_access": int(row.get("no_access") or 0),
            "not_brought": int(row.get("not_brought") or 0), "consider_visits": len(consider),
            "consider_visitors": [c["visitor_id"] for c in consider], "last_weight": weight}


# --- drafts -----------------------------------------------------------------------------------------

def start_draft(db: Any, child: dict[str, Any], user: dict[str, Any], *, visit_id: str | None = None) -> str:
    """A new draft visit for the child, started now by the user."""
    visit_id = visit_id or str(uuid.uuid4())
    now = utc_now().astimezone(LONDON).replace(second=0, microsecond=0)
    with store.write(db):
        visits_data.insert(db, {
            "id": visit_id, "child_id": child["id"], "team_id": user["team_id"], "visitor_id": user["id"],
            "status": "draft", "version": 1, "source": "form", "draft_section": "seen",
            "created_at": utc_now_text(), "updated_at": utc_now_text(), "visited_at": now.isoformat(timespec="minutes"),
            "visitor_role": user.get("visitor_role")})
        audit.record(db, action="start_draft", object_type="visit", object_id=visit_id, child_id=child["id"], user=user)
    return visit_id


def save_section(db: Any, visit_id: str, user: dict[str, Any], section: str, clean: dict[str, Any], *,
                 version: int | None, injuries: list[dict[str, Any]] | None = None,
                 carers: list[dict[str, Any]] | None = None, next_section: str | None = None) -> int:
    """Store one checked page of a draft; returns the draft's new version.

    ``version`` is the version the page was loaded at: if the draft changed since (another tab, another
    device), Conflict is raised and nothing is overwritten.
    """
    with store.write(db):
        row = visits_data.draft_state_in_team(db, visit_id, user["team_id"])
        if row is None or row["visitor_id"] != user["id"]:
            raise NotFound(visit_id)
        if row["status"] != "draft":
            raise Conflict("This visit has been submitted and can no longer be changed")
        if version is not None and version != row["version"]:
            raise Conflict("This visit was changed in another tab or device since you opened this page")
        changes = dict(clean)
        saved = json.loads(row["saved_sections"] or "[]")
        changes.update({"version": row["version"] + 1, "updated_at": utc_now_text(), "draft_section": next_section or section,
                        "saved_sections": sorted(set(saved) | {section})})
        visits_data.update(db, visit_id, changes)
        if injuries is not None:
            visits_data.replace_injuries(db, visit_id, injuries)
        if carers is not None:
            visits_data.replace_carers_present(db, visit_id, carers)
        drafts_data.delete_for_section(db, visit_id, section)
        audit.record(db, action="save_section", object_type="visit", object_id=visit_id, child_id=row["child_id"],
                     user=user, detail={"section": section})
        return int(row["version"]) + 1


def keep_draft_input(db: Any, visit_id: str, user_id: int, section: str, form_data: dict[str, Any], reason: str) -> bool:
    """Keep exactly what was typed on a page that could not be saved normally (for example after a timeout)."""
    with store.write(db):
        row = visits_data.visitor_and_status(db, visit_id)
        if row is None or row["visitor_id"] != user_id or row["status"] != "draft":
            return False
        drafts_data.insert_or_replace(db, visit_id, section, json.dumps(form_data), utc_now_text(), reason)
    return True


def kept_draft_input(db: Any, visit_id: str, section: str) -> dict[str, Any] | None:
    row = drafts_data.for_section(db, visit_id, section)
    return {"form_data": json.loads(row["form_data"]), "reason": row["reason"]} if row else None


def drafts_for_user(db: Any, user: dict[str, Any]) -> list[dict[str, Any]]:
    return visits_data.drafts_of_visitor_with_child_names(db, user["id"])


def discard_draft(db: Any, visit_id: str, user: dict[str, Any]) -> None:
    with store.write(db):
        row = visits_data.visitor_status_child_in_team(db, visit_id, user["team_id"])
        if row is None or row["visitor_id"] != user["id"] or row["status"] != "draft":
            raise NotFound(visit_id)
        visits_data.delete(db, visit_id)
        audit.record(db, action="discard_draft", object_type="visit", object_id=visit_id, child_id=row["child_id"],
                     user=user)


# --- submitting -------------------------------------------------------------------------------------

def body_hash(payload: dict[str, Any]) -> str:
    """A fingerprint of a submitted body: the same JSON (whatever its key order) gives the same hash."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit_draft(db: Any, visit_id: str, user: dict[str, Any], child: dict[str, Any], rules: Any) -> dict[str, Any]:
    """Submit a finished draft: check every answer, derive growth and required actions, store, audit."""
    visit = load_visit(db, visit_id, user)
    if visit["visitor_id"] != user["id"]:
        raise NotFound(visit_id)
    if visit["status"] != "draft":
        raise Conflict("This visit has already been submitted")
    payload = {k: visit.get(k) for k in VISIT_COLUMNS}
    payload["injuries"] = [{f.name: i.get(f.name) for f in INJURY_FIELDS} for i in visit["injuries"]]
    payload["carers_present"] = [{f.name: c.get(f.name) for f in CARER_FIELDS} for c in visit["carers_present"]]
    clean, injuries, carers, errors = check_visit(payload, child)
    if errors:
        raise Invalid(errors)
    return _store_submission(db, visit_id, user, child, clean, injuries, carers, rules, source="form",
                             body_sha256=body_hash(payload), existing=True)


def put_visit(db: Any, visit_id: str, payload: dict[str, Any], user: dict[str, Any], rules: Any,
              *, get_child: Any) -> tuple[int, dict[str, Any]]:
    """Store a visit sent whole (API or offline sync) under the client's id, exactly once.

    Returns (201, visit) when stored, (200, visit) when the identical body was already stored. Raises
    Conflict when the id is already used by a different body or the visit is signed, NotFound for an
    id of another team, Invalid with field messages.
    """
    digest = body_hash(payload)
    existing = visits_data.replay_state(db, visit_id)
    if existing is not None:
        return _replay(db, existing, digest, user, visit_id)
    child_id = payload.get("child_id")
    try:
        child = get_child(child_id) if isinstance(child_id, str) else None
    except Exception:
        child = None
    if child is None:
        raise Invalid({"child_id": ["Enter the id of a child on your team's caseload"]})
    clean, injuries, carers, errors = check_visit(payload, child)
    if errors:
        raise Invalid(errors)
    try:
        result = _store_submission(db, visit_id, user, child, clean, injuries, carers, rules,
                                   source="offline" if payload.get("source") == "offline" else "api",
                                   body_sha256=digest, existing=False)
    except _AlreadyStored as again:  # a concurrent identical PUT won the race
        return _replay(db, again.row, digest, user, visit_id)
    return 201, result


class _AlreadyStored(Exception):
    def __init__(self, row: dict[str, Any]):
        super().__init__("already stored")
        self.row = row


def _replay(db: Any, existing: dict[str, Any], digest: str, user: dict[str, Any], visit_id: str) -> tuple[int, dict[str, Any]]:
    if existing["team_id"] != user["team_id"]:
        raise NotFound(visit_id)
    if existing["status"] == "draft" and existing["visitor_id"] == user["id"] and existing["body_sha256"] is None:
        raise Conflict("This visit is a draft being recorded in the forms: submit it there")
    if existing["body_sha256"] == digest:
        return 200, visit_payload(db, visit_id, user)
    if existing["status"] == "signed":
        raise Conflict("This visit is signed and cannot be changed: add an addendum instead")
    raise Conflict("A different visit was already stored under this id")


def _derivation_snapshot(db: Any, child_id: str) -> tuple[Any, ...]:
    """A fingerprint of everything about the child that growth and the rules read."""
    row = visits_data.derivation_snapshot(db, child_id)
    return tuple(row.values()) if row else ()


def _derive(db: Any, visit_id: str, child: dict[str, Any], clean: dict[str, Any], visit: dict[str, Any],
            rules: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The growth facts of this visit's weight and the required actions the rules raise, from the child's history."""
    facts = None
    if clean.get("weight_kg") is not None:
        measured_on = clean["visited_at"][:10]
        # the facts compare this weight with the one before it only (growth.weight_facts): read just that one
        measurements = visits_data.weight_before(db, child["id"], visit_id, measured_on)
        measurements.append({"visit_id": visit_id, "measured_on": measured_on,
                             "weight_kg": clean["weight_kg"], "weight_clothing": clean.get("weight_clothing")})
        facts = growth.weight_facts(child, measurements, visit_id)
    history = history_for(db, child["id"], before_visit_id=visit_id,
                          windows=history_windows(london_moment(clean["visited_at"]).date(), rules))
    return facts, rules_mod.required_actions_for(visit, child, facts, history, rules)


def _store_submission(db: Any, visit_id: str, user: dict[str, Any], child: dict[str, Any], clean: dict[str, Any],
                      injuries: list[dict[str, Any]], carers: list[dict[str, Any]], rules: Any, *, source: str,
                      body_sha256: str, existing: bool) -> dict[str, Any]:
    now = utc_now_text()
    visit = {**clean, "id": visit_id, "injuries": injuries, "carers_present": carers,
             "visitor_id": user["id"], "visitor_role": clean.get("visitor_role")}
    # Growth and the rules are worked out before taking the write lock, so writers queue only for the
    # inserts; if anything about the child changed in between, they are worked out again under the lock.
    snapshot = _derivation_snapshot(db, child["id"])
    facts, raised_items = _derive(db, visit_id, child, clean, visit, rules)
    with store.write(db):
        if existing:
            row = visits_data.status_of(db, visit_id)
            if row is None or row["status"] != "draft":
                raise Conflict("This visit has already been submitted")
        else:
            row = visits_data.replay_state(db, visit_id)
            if row is not None:
                raise _AlreadyStored(row)
        if _derivation_snapshot(db, child["id"]) != snapshot:
            facts, raised_items = _derive(db, visit_id, child, clean, visit, rules)
        derived = {
            "weight_sds": facts["sds"] if facts else None,
            "weight_centile": facts["centile"] if facts else None,
            "centile_spaces_fallen_since_birth": facts["centile_spaces_fallen_since_birth"] if facts else None,
            "centile_spaces_fallen_since_previous": facts["centile_spaces_fallen_since_previous"] if facts else None,
        }
        values = {**clean, **derived, "status": "submitted", "updated_at": now, "submitted_at": now,
                  "body_sha256": body_sha256, "source": source, "draft_section": None}
        if existing:
            visits_data.update(db, visit_id, values)
            visits_data.bump_version(db, visit_id)
        else:
            visits_data.insert(db, {"id": visit_id, "child_id": child["id"], "team_id": user["team_id"],
                                    "visitor_id": user["id"], "version": 1, "created_at": now, **values})
        visits_data.replace_injuries(db, visit_id, injuries)
        visits_data.replace_carers_present(db, visit_id, carers)
        raised = actions_mod.store_actions(db, raised_items, visit=visit, child=child, user=user)
        audit.record(db, action="submit", object_type="visit", object_id=visit_id, child_id=child["id"], user=user,
                     detail={"source": source, "actions": [a["rule_id"] for a in raised]})
    if existing:  # a draft's row holds more than this submit wrote: read it back
        return visit_payload(db, visit_id, user)
    # A new visit's row is what was just inserted: answer from it, without reading it back
    stored = {**values, "id": visit_id, "child_id": child["id"], "visitor_id": user["id"], "visitor_name": user["name"],
              "signed_at": None, "record_sha256": None, "injuries": injuries, "carers_present": carers}
    return _payload(stored, actions_mod.most_urgent_first(raised))


def visit_payload(db: Any, visit_id: str, user: dict[str, Any]) -> dict[str, Any]:
    """A stored visit as the API shows it: the observations, the growth derived, and the actions it raised."""
    return _payload(load_visit(db, visit_id, user), actions_mod.actions_for_visit(db, visit_id))


def _payload(visit: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": visit["id"], "child_id": visit["child_id"], "status": visit["status"]}
    for name in VISIT_COLUMNS:
        out[name] = visit.get(name)
    out["injuries"] = [{f.name: i.get(f.name) for f in INJURY_FIELDS} for i in visit["injuries"]]
    out["carers_present"] = [{f.name: c.get(f.name) for f in CARER_FIELDS} for c in visit["carers_present"]]
    out["visitor"] = {"id": visit["visitor_id"], "name": visit["visitor_name"]}
    out["submitted_at"] = visit["submitted_at"]
    out["signed_at"] = visit["signed_at"]
    out["record_sha256"] = visit["record_sha256"]
    out["growth"] = {"weight_sds": visit["weight_sds"], "weight_centile": visit["weight_centile"],
                     "centile_spaces_fallen_since_birth": visit["centile_spaces_fallen_since_birth"]}
    out["required_actions"] = [actions_mod.action_payload(a) for a in actions]
    return out
