"""Referrals to children's social care, tracked from the first words to the hub's decision and beyond.

A referral is its own record: who referred which child to which agency, why (in the referrer's words, with
the rules that support it), when and how it was sent, and its reference. The hub's responses are kept in
order (acknowledgement, decision with its reasons, more information asked for and sent); each has a
working-day deadline from the instance config (defaults from Working Together 2023, see ``DEFAULTS``).

Silence and refusal lead somewhere. A referral with no acknowledgement or decision in time, or a decision the
referrer disagrees with, opens the local escalation ("resolution of professional differences") route as
required actions, one step of the configured ladder at a time: a step whose deadline passes while the
referral is still unresolved opens the next. A decision of "no further action" followed within 90 days by a
new urgent concern raises the re-referral rule (R34 in the rules file). A strategy discussion records who
attended, what was decided, and the actions it allocated, each a tracked required action.

Every change is audited and appears in the child's chronology.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from homevisit.data import actions as actions_data
from homevisit.data import concerns as concerns_data
from homevisit.data import referrals as referrals_data
from homevisit.data import store
from homevisit.domain.calendar import (
    LONDON,
    add_working_days,
    due_at,
    is_deadline_spec,
    is_working_day,
    london_moment,
    utc_now,
)
from homevisit.domain.dictionary import (
    REFERRAL_DECISIONS,
    REFERRAL_METHODS,
    REFERRAL_STATUSES,
    STRATEGY_AGENCIES,
    STRATEGY_DECISIONS,
)
from homevisit.domain.presentation import datetime_words
from homevisit.domain.validation import Errors, clean_text
from homevisit.services import audit

MAX_REASON = 10_000
MAX_ANSWER = 8_000
MAX_SHORT = 200

DECISIONS = REFERRAL_DECISIONS
DECISION_WORDS = dict(DECISIONS)
METHODS = REFERRAL_METHODS
METHOD_WORDS = dict(METHODS)
STATUS_WORDS = dict(REFERRAL_STATUSES)
STRATEGY_DECISION_WORDS = dict(STRATEGY_DECISIONS)
STRATEGY_AGENCY_WORDS = dict(STRATEGY_AGENCIES)
STRATEGY_MINIMUM = ("social_care", "police", "health")  # Working Together 2023: the minimum membership

# The multi-agency referral form's questions: what local referral forms ask for (key, question, hint).
FORM_QUESTIONS = (
    ("household", "Who lives in the household?",
     "Names, relationship to the child and ages, as far as you know them"),
    ("parental_responsibility", "Who has parental responsibility?", "And who the child lives with, if different"),
    ("parents_told", "Have the parents or carers been told about this referral?",
     "Yes, no, or not yet; say what they said"),
    ("parents_consent", "Do they consent to the referral?",
     "Consent is not needed to refer when a child may be at risk of significant harm"),
    ("not_told_why", "If they have not been told or do not consent, why?",
     "For example, telling them could place the child at greater risk"),
    ("seen_and_heard", "What did you see and hear?", "In your own words: what, who, where and when"),
    ("child_experience", "What is daily life like for the child?",
     "The child's presentation, routines, sleep, food and care, as you saw them"),
    ("other_agencies", "What is known from other agencies?",
     "GP, hospital, police, housing, nursery or school: what they know and when"),
    ("next_steps", "What do you think should happen next?",
     "For example, a strategy discussion, a child protection medical, an assessment"),
)
FORM_KEYS = tuple(key for key, _q, _h in FORM_QUESTIONS)

DEFAULTS: dict[str, Any] = {
    # Each default is marked as one; a deployment sets its own in instance/config.py.
    "REFERRAL_AGENCIES": {"mash": "Multi-Agency Safeguarding Hub (MASH): children's social care front door"},
    "REFERRAL_ACK_WORKING_DAYS": 1,  # default: WT2023 [S], acknowledgement within one working day of receipt
    "REFERRAL_DECISION_WORKING_DAYS": 1,  # default: WT2023 [S], decision within one working day of receipt
    "REFERRAL_WORKING_HOURS": (9, 17),  # default: a referral sent outside these hours is received next working morning
    "REFERRAL_REREFERRAL_DAYS": 90,  # default: the window for a new urgent concern after no further action
    "REFERRAL_ESCALATION": [
        {"title": "Escalate to the hub manager",
         "action": "Speak to the hub (MASH) team manager: say what you referred, when, and what has not happened "
                   "or why you disagree. Ask for a decision and a named contact. Record what they said.",
         "who": "Hub (MASH) team manager", "owner": "visitor", "deadline": "1wd"},
        {"title": "Escalate to the named safeguarding leads",
         "action": "Ask your named or designated safeguarding lead to take it up with the hub's service manager, "
                   "in writing, with the referral pack. Record the reply.",
         "who": "Named safeguarding leads", "owner": "supervisor", "deadline": "2wd"},
        {"title": "Escalate to the partnership's senior leads",
         "action": "Raise it with the safeguarding partnership's senior leads under the resolution of professional "
                   "differences procedure, in writing. Record the reply and what was agreed.",
         "who": "Safeguarding partnership senior leads", "owner": "supervisor", "deadline": "5wd"},
    ],
}
ESCALATION_SOURCE = ("Local resolution of professional differences (escalation) procedure; WT2023 para 110 [S]; "
                     "the steps, owners and deadlines are defaults")
RULE_PREFIX = "ESC"  # escalation steps are actions ESC1, ESC2, ... of their referral


class ReferralError(Exception):
    """The change asked for cannot be made: ``errors`` maps each field to what to do."""

    def __init__(self, errors: Errors, status: int = 422):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors
        self.status = status


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


def _working_days_after(moment: datetime, n: int) -> datetime:
    later = add_working_days(moment, n)
    assert isinstance(later, datetime)  # a datetime in, a datetime out
    return later


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def settings(config: Any) -> dict[str, Any]:
    """The referral settings in force: the instance config over the defaults."""
    return {key: (config.get(key) if config.get(key) is not None else default) for key, default in DEFAULTS.items()}


def agencies(config: Any) -> dict[str, str]:
    return dict(settings(config)["REFERRAL_AGENCIES"])


def ladder(config: Any) -> list[dict[str, Any]]:
    return list(settings(config)["REFERRAL_ESCALATION"])


def check_settings(config: Any) -> list[str]:
    """Problems with the instance's referral settings, each saying what to change (empty when usable)."""
    s = settings(config)
    problems = []
    if not isinstance(s["REFERRAL_AGENCIES"], dict) or not s["REFERRAL_AGENCIES"]:
        problems.append("REFERRAL_AGENCIES must map a short key to each agency's name, like {'mash': 'MASH'}")
    for key in ("REFERRAL_ACK_WORKING_DAYS", "REFERRAL_DECISION_WORKING_DAYS"):
        if not isinstance(s[key], int) or not 0 <= s[key] <= 30:
            problems.append(f"{key} must be a whole number of working days from 0 to 30")
    steps = s["REFERRAL_ESCALATION"]
    if not isinstance(steps, list) or not steps:
        problems.append("REFERRAL_ESCALATION must list at least one escalation step")
    else:
        for i, step in enumerate(steps, 1):
            if not isinstance(step, dict) or not all(isinstance(step.get(k), str) and step.get(k)
                                                      for k in ("title", "action", "who", "owner", "deadline")):
                problems.append(f"REFERRAL_ESCALATION step {i} needs title, action, who, owner and deadline")
            elif step["owner"] not in ("visitor", "supervisor"):
                problems.append(f"REFERRAL_ESCALATION step {i}: owner must be 'visitor' or 'supervisor'")
            elif not is_deadline_spec(step["deadline"]):
                problems.append(f"REFERRAL_ESCALATION step {i}: deadline must be like today, 2d or 1wd")
    return problems


# --- deadlines ------------------------------------------------------------------------------------------

def received_at(sent: datetime, config: Any) -> datetime:
    """When the hub is taken to have received a referral sent at ``sent``: at once within working hours on a
    working day, else at the start of the next working day (a Saturday referral is received on Monday)."""
    start, end = settings(config)["REFERRAL_WORKING_HOURS"]
    local = london_moment(sent)
    if is_working_day(local.date()) and time(start) <= local.time() < time(end):
        return local
    day = local.date() if (is_working_day(local.date()) and local.time() < time(start)) else \
        add_working_days(local.date(), 1)
    return datetime.combine(day, time(start), tzinfo=LONDON)


def deadlines(sent: datetime, config: Any) -> dict[str, datetime]:
    """The acknowledgement and decision deadlines of a referral sent at ``sent`` (working days after receipt)."""
    s = settings(config)
    received = received_at(sent, config)
    return {"received_at": received,
            "ack_due_at": _working_days_after(received, int(s["REFERRAL_ACK_WORKING_DAYS"])),
            "decision_due_at": _working_days_after(received, int(s["REFERRAL_DECISION_WORKING_DAYS"]))}


# --- checking what was typed ----------------------------------------------------------------------------

def _text(errors: Errors, name: str, value: Any, *, noun: str, limit: int, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            errors.setdefault(name, []).append(f"Enter {noun}")
        return None
    if not isinstance(value, str):
        errors.setdefault(name, []).append(f"Enter {noun} as text")
        return None
    text = clean_text(value)
    if not text:
        if required:
            errors.setdefault(name, []).append(f"Enter {noun}")
        return None
    if len(text) > limit:
        errors.setdefault(name, []).append(
            f"{noun[0].upper() + noun[1:]} is {len(text):,} characters: keep it to {limit:,} or fewer. "
            f"Put the detail in the referral form's answers or attach it to the chronology")
        return None
    return text


def _moment(errors: Errors, name: str, value: Any, *, noun: str, now: datetime,
            not_before: str | None = None) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.setdefault(name, []).append(f"Enter {noun} as a date and time, like 2026-11-26 14:30")
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1) if "T" not in value else value.strip())
    except ValueError:
        errors.setdefault(name, []).append(f"Enter {noun} as a date and time, like 2026-11-26 14:30")
        return None
    moment = london_moment(moment)
    if moment > now + timedelta(minutes=5):
        errors.setdefault(name, []).append(
            f"{noun[0].upper() + noun[1:]} cannot be in the future: enter when it happened, in UK time")
        return None
    if moment.year < 2000:
        errors.setdefault(name, []).append(f"{noun[0].upper() + noun[1:]} must be after 2000")
        return None
    if not_before and moment < london_moment(not_before) - timedelta(minutes=1):
        errors.setdefault(name, []).append(f"{noun[0].upper() + noun[1:]} cannot be before the referral was sent")
        return None
    return _iso(moment)


def check_referral(data: dict[str, Any], *, config: Any, rule_ids: set[str], now: datetime | None = None
                   ) -> tuple[dict[str, Any], Errors]:
    """The stored values of a referral as written (form or API), and a message for each thing to correct."""
    now = now or utc_now()
    errors: Errors = {}
    known = agencies(config)
    agency = data.get("agency") or (next(iter(known)) if len(known) == 1 and "agency" not in data else None)
    if agency not in known:
        names = ", ".join(f"{key} ({name})" for key, name in known.items())
        errors.setdefault("agency", []).append(f"Choose the agency the referral goes to: {names}")
    reason = _text(errors, "reason", data.get("reason"), noun="the reason for the referral", limit=MAX_REASON,
                   required=True)
    rules_given = data.get("supporting_rules") or []
    if isinstance(rules_given, str):
        rules_given = [rules_given]
    supporting: list[str] = []
    if not isinstance(rules_given, list) or not all(isinstance(r, str) for r in rules_given):
        errors.setdefault("supporting_rules", []).append("List the supporting rules by id, like [\"R16\", \"R27\"]")
    else:
        unknown = [r for r in rules_given if r not in rule_ids]
        if unknown:
            errors.setdefault("supporting_rules", []).append(
                f"These are not rules in force: {', '.join(unknown[:10])}. Use ids like R16")
        supporting = sorted({r for r in rules_given if r in rule_ids})
    form_in = data.get("form") or {}
    form: dict[str, str] = {}
    if not isinstance(form_in, dict):
        errors.setdefault("form", []).append("Send the referral form's answers as an object keyed by question")
    else:
        extra = sorted(set(form_in) - set(FORM_KEYS))
        if extra:
            errors.setdefault("form", []).append(f"Unknown questions: {', '.join(extra[:10])}. "
                                                 f"Use: {', '.join(FORM_KEYS)}")
        questions = {key: q for key, q, _h in FORM_QUESTIONS}
        for key in FORM_KEYS:
            value = _text(errors, f"form.{key}", form_in.get(key), noun=f"the answer to ‘{questions[key]}’",
                          limit=MAX_ANSWER)
            if value:
                form[key] = value
    sent_at = _moment(errors, "sent_at", data.get("sent_at"), noun="the time you sent the referral", now=now)
    method = data.get("method") or None
    if method is not None and method not in METHOD_WORDS:
        errors.setdefault("method", []).append("Choose how you sent it: phone, secure_email or portal")
        method = None
    reference = _text(errors, "reference", data.get("reference"), noun="the referral reference", limit=MAX_SHORT)
    if sent_at and not method:
        errors.setdefault("method", []).append("Choose how you sent the referral: phone, secure email or portal")
    if (method or reference) and not sent_at and "sent_at" not in errors:
        errors.setdefault("sent_at", []).append("Enter when you sent the referral")
    clean = {"agency": agency, "reason": reason, "supporting_rules": supporting, "form": form, "sent_at": sent_at,
             "method": method, "reference": reference}
    return clean, errors


# --- reading ----------------------------------------------------------------------------------------------

def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["supporting_rules"] = json.loads(row.get("supporting_rules") or "[]")
    out["form"] = json.loads(row.get("form") or "{}")
    return out


def get_referral(db: Any, referral_id: str, user: dict[str, Any]) -> dict[str, Any]:
    """One referral of the user's team, with the child's and referrer's names; NotFound otherwise."""
    row = referrals_data.with_names(db, referral_id, user["team_id"])
    if row is None:
        raise NotFound(referral_id)
    return _decode(row)


def responses_for(db: Any, referral_id: str) -> list[dict[str, Any]]:
    return referrals_data.responses_with_recorder(db, referral_id)


def referrals_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    rows = referrals_data.for_child_with_referrer(db, child_id)
    return [_decode(r) for r in rows]


def list_referrals(db: Any, team_id: int, *, child_id: str | None = None, status: str | None = None,
                   limit: int = 500) -> list[dict[str, Any]]:
    rows = referrals_data.for_team_with_names(db, team_id, child_id=child_id, status=status, limit=limit)
    return [_decode(r) for r in rows]


def actions_for_referral(db: Any, referral_id: str) -> list[dict[str, Any]]:
    return actions_data.for_referral_with_names(db, referral_id)


def history_rows(db: Any, child_id: str) -> list[dict[str, Any]]:
    """What the rules read of a child's referrals (facts: open referral, days since no further action)."""
    return referrals_data.history_for_child(db, child_id)


def payload(db: Any, referral: dict[str, Any], config: Any) -> dict[str, Any]:
    """A referral as the API shows it (docs/referrals.md): what was sent, the deadlines, the hub's responses."""
    return {
        "id": referral["id"], "child_id": referral["child_id"], "status": referral["status"],
        "referrer": {"id": referral["referrer_id"], "name": referral.get("referrer_name")},
        "agency": referral["agency"], "agency_name": agencies(config).get(referral["agency"], referral["agency"]),
        "reason": referral["reason"], "supporting_rules": referral["supporting_rules"],
        "started_from": referral["started_from"], "action_id": referral["action_id"],
        "concern_id": referral["concern_id"], "form": referral["form"],
        "sent_at": referral["sent_at"], "method": referral["method"], "reference": referral["reference"],
        "received_at": referral["received_at"], "ack_due_at": referral["ack_due_at"],
        "decision_due_at": referral["decision_due_at"], "acknowledged_at": referral["acknowledged_at"],
        "acknowledged_by": referral["acknowledged_by"], "decision": referral["decision"],
        "decision_reasons": referral["decision_reasons"], "decided_at": referral["decided_at"],
        "decided_by": referral["decided_by"], "disputed_at": referral["disputed_at"],
        "dispute_reason": referral["dispute_reason"], "dispute_resolved_at": referral["dispute_resolved_at"],
        "escalation_step": referral["escalation_step"], "pack_sha256": referral["pack_sha256"],
        "pack_signed_at": referral["pack_signed_at"], "created_at": referral["created_at"],
        "responses": [{"kind": x["kind"], "at": x["at"], "hub_contact": x["hub_contact"], "decision": x["decision"],
                       "reasons": x["reasons"], "recorded_by": x["recorded_by_name"]}
                      for x in responses_for(db, referral["id"])],
        "actions": [{"id": a["id"], "rule_id": a["rule_id"], "title": a["title"], "status": a["status"],
                     "due_at": a["due_at"], "owner": a["owner"]} for a in actions_for_referral(db, referral["id"])],
    }


def body_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- writing ----------------------------------------------------------------------------------------------

def _origin(db: Any, child: dict[str, Any], data: dict[str, Any], errors: Errors) -> tuple[str | None, str | None]:
    action_id, concern_id = data.get("action_id") or None, data.get("concern_id") or None
    if action_id is not None and (not isinstance(action_id, str) or not actions_data.id_for_child(
            db, action_id, child["id"])):
        errors.setdefault("action_id", []).append("This required action is not one of this child's")
        action_id = None
    if concern_id is not None and (not isinstance(concern_id, str) or not concerns_data.id_for_child(
            db, concern_id, child["id"])):
        errors.setdefault("concern_id", []).append("This concern is not one of this child's")
        concern_id = None
    return action_id, concern_id


def create(db: Any, child: dict[str, Any], user: dict[str, Any], data: dict[str, Any], *, config: Any,
           rule_ids: set[str], referral_id: str | None = None, started_from: str = "child",
           body_sha256: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Store a new referral (a draft, or sent when ``sent_at`` is given); raises ReferralError with messages."""
    now = now or utc_now()
    clean, errors = check_referral(data, config=config, rule_ids=rule_ids, now=now)
    action_id, concern_id = _origin(db, child, data, errors)
    if errors:
        raise ReferralError(errors)
    if started_from not in ("action", "concern", "child", "api"):
        started_from = "child"
    if started_from != "api":
        started_from = "action" if action_id else "concern" if concern_id else "child"
    referral_id = referral_id or str(uuid.uuid4())
    stamp = _iso(now)
    row = {"id": referral_id, "child_id": child["id"], "team_id": user["team_id"], "referrer_id": user["id"],
           "agency": clean["agency"], "reason": clean["reason"], "supporting_rules": clean["supporting_rules"],
           "started_from": started_from, "action_id": action_id, "concern_id": concern_id, "form": clean["form"],
           "status": "draft", "body_sha256": body_sha256, "created_at": stamp, "updated_at": stamp}
    with store.write(db):
        if referrals_data.id_if_exists(db, referral_id):
            raise Conflict("A referral was already stored under this id")
        referrals_data.insert(db, row)
        audit.record(db, action="create", object_type="referral", object_id=referral_id, child_id=child["id"],
                     user=user, detail={"agency": clean["agency"], "started_from": started_from,
                                        "supporting_rules": clean["supporting_rules"]})
        if clean["sent_at"]:
            _mark_sent(db, referral_id, child["id"], user, clean["sent_at"], clean["method"], clean["reference"],
                       config=config, now=now)
    return get_referral(db, referral_id, user)


def update_draft(db: Any, referral_id: str, user: dict[str, Any], data: dict[str, Any], *, config: Any,
                 rule_ids: set[str]) -> dict[str, Any]:
    """Change a referral before its pack is signed and before it is sent (the form's "Change" pages)."""
    referral = get_referral(db, referral_id, user)
    if referral["pack_sha256"] or referral["status"] != "draft":
        raise ReferralError({"reason": ["This referral has been signed or sent and cannot be changed. "
                                        "Add what you have learned since as a concern, or make a new referral"]}, 409)
    clean, errors = check_referral({**data, "sent_at": None, "method": None, "reference": None},
                                   config=config, rule_ids=rule_ids)
    if errors:
        raise ReferralError(errors)
    with store.write(db):
        referrals_data.update(db, referral_id, {
            "agency": clean["agency"], "reason": clean["reason"], "supporting_rules": clean["supporting_rules"],
            "form": clean["form"], "updated_at": _iso(utc_now())})
        audit.record(db, action="update", object_type="referral", object_id=referral_id,
                     child_id=referral["child_id"], user=user)
    return get_referral(db, referral_id, user)


def put(db: Any, referral_id: str, body: dict[str, Any], user: dict[str, Any], *, config: Any, rule_ids: set[str],
        get_child: Any) -> tuple[int, dict[str, Any]]:
    """Store a referral sent whole through the API under the client's id, exactly once.

    (201, referral) when stored; (200, referral) when the identical body was stored before. Conflict when the id
    holds a different body (or a referral written in the forms); NotFound for another team's id."""
    digest = body_hash(body)
    existing = referrals_data.replay_state(db, referral_id)
    if existing is not None:
        return _replay(db, existing, digest, user, referral_id)
    child_id = body.get("child_id")
    try:
        child = get_child(child_id) if isinstance(child_id, str) else None
    except Exception:
        child = None
    if child is None:
        errors: Errors = {"child_id": ["Enter the id of a child on your team's caseload"]}
        _clean, more = check_referral(body, config=config, rule_ids=rule_ids)
        raise ReferralError({**errors, **more})
    try:
        referral = create(db, child, user, body, config=config, rule_ids=rule_ids, referral_id=referral_id,
                          started_from="api", body_sha256=digest)
    except Conflict:  # a concurrent identical PUT won the race
        again = referrals_data.replay_state(db, referral_id)
        assert again is not None
        return _replay(db, again, digest, user, referral_id)
    return 201, referral


def _replay(db: Any, existing: dict[str, Any], digest: str, user: dict[str, Any], referral_id: str
            ) -> tuple[int, dict[str, Any]]:
    if existing["team_id"] != user["team_id"]:
        raise NotFound(referral_id)
    if existing["body_sha256"] is None:
        raise Conflict("This referral is being written in the forms: finish it there")
    if existing["body_sha256"] != digest:
        raise Conflict("A different referral was already stored under this id. Use a new id for a new referral; "
                       "record the hub's responses with POST /api/v1/referrals/{id}/responses")
    return 200, get_referral(db, referral_id, user)


def _mark_sent(db: Any, referral_id: str, child_id: str, user: dict[str, Any], sent_at: str, method: str | None,
               reference: str | None, *, config: Any, now: datetime) -> None:
    due = deadlines(datetime.fromisoformat(sent_at), config)
    referrals_data.update(db, referral_id, {
        "status": "sent", "sent_at": sent_at, "method": method, "reference": reference,
        "received_at": _iso(due["received_at"]), "ack_due_at": _iso(due["ack_due_at"]),
        "decision_due_at": _iso(due["decision_due_at"]), "updated_at": _iso(now)})
    referrals_data.insert_response(db, {"referral_id": referral_id, "kind": "sent", "at": sent_at,
                                        "hub_contact": None, "decision": None,
                                        "reasons": f"{METHOD_WORDS.get(method or '', method)}"
                                                   f"{'; reference ' + reference if reference else ''}",
                                        "recorded_by": user["id"], "recorded_at": _iso(now)})
    audit.record(db, action="send", object_type="referral", object_id=referral_id, child_id=child_id, user=user,
                 detail={"sent_at": sent_at, "method": method, "reference": reference})
    # The required action the referral was made from is done: the referral is what it asked for.
    row = referrals_data.action_id_of(db, referral_id)
    if row and row["action_id"]:
        action = actions_data.status_by_id(db, row["action_id"])
        if action and action["status"] == "open":
            actions_data.update(db, action["id"], {
                "status": "done", "outcome": f"Referral made ({METHOD_WORDS.get(method or '', method)}"
                                             f"{', reference ' + reference if reference else ''}); "
                                             f"tracked as referral {referral_id}",
                "completed_by": user["id"], "completed_at": _iso(now)})
            audit.record(db, action="complete", object_type="action", object_id=action["id"], child_id=child_id,
                         user=user, detail={"referral_id": referral_id})


def record_sent(db: Any, referral_id: str, user: dict[str, Any], data: dict[str, Any], *, config: Any,
                now: datetime | None = None) -> dict[str, Any]:
    """Record when and how a draft referral was sent, and its reference; the hub's timers start."""
    now = now or utc_now()
    referral = get_referral(db, referral_id, user)
    errors: Errors = {}
    sent_at = _moment(errors, "sent_at", data.get("sent_at"), noun="the time you sent the referral", now=now)
    if sent_at is None and "sent_at" not in errors:
        errors["sent_at"] = ["Enter when you sent the referral"]
    method = data.get("method") or None
    if method not in METHOD_WORDS:
        errors["method"] = ["Choose how you sent the referral: phone, secure email or portal"]
    reference = _text(errors, "reference", data.get("reference"), noun="the referral reference", limit=MAX_SHORT)
    if errors:
        raise ReferralError(errors)
    with store.write(db):
        current = referrals_data.status_of(db, referral_id)
        if current is None or current["status"] != "draft":
            raise ReferralError({"sent_at": ["This referral has already been recorded as sent"]}, 409)
        assert sent_at is not None
        _mark_sent(db, referral_id, referral["child_id"], user, sent_at, method, reference, config=config, now=now)
    return get_referral(db, referral_id, user)


def record_response(db: Any, referral_id: str, user: dict[str, Any], data: dict[str, Any], *, config: Any,
                    now: datetime | None = None) -> dict[str, Any]:
    """Record the hub's acknowledgement or decision (or that the information it asked for was sent)."""
    now = now or utc_now()
    referral = get_referral(db, referral_id, user)
    errors: Errors = {}
    kind = data.get("kind")
    if kind not in ("acknowledgement", "decision", "information_sent"):
        errors["kind"] = ["Choose what happened: the hub acknowledged the referral, made a decision, "
                          "or you sent the information it asked for"]
    if referral["status"] == "draft":
        raise ReferralError({"kind": ["Record that the referral was sent before recording the hub's response"]}, 409)
    at = _moment(errors, "at", data.get("at") or None, noun="when this happened", now=now,
                 not_before=referral["sent_at"])
    if at is None and "at" not in errors:
        errors["at"] = ["Enter when this happened"]
    contact = _text(errors, "hub_contact", data.get("hub_contact"), noun="who at the hub responded", limit=MAX_SHORT,
                    required=kind in ("acknowledgement", "decision"))
    decision = data.get("decision") or None
    reasons = _text(errors, "reasons", data.get("reasons"), noun="the reasons the hub gave", limit=MAX_REASON,
                    required=kind == "decision")
    if kind == "decision" and decision not in DECISION_WORDS:
        errors["decision"] = ["Choose the hub's decision: " + ", ".join(w.lower() for w in DECISION_WORDS.values())]
    if kind != "decision":
        decision = None
    if kind == "acknowledgement" and referral["acknowledged_at"]:
        errors["kind"] = ["The acknowledgement is already recorded: record the decision"]
    if kind == "information_sent" and referral["decision"] != "more_information":
        errors["kind"] = ["The hub has not asked for more information on this referral"]
    if referral["status"] == "decided" and kind == "decision":
        errors["kind"] = ["The hub's decision is already recorded. If you disagree with it, record that instead"]
    if errors:
        raise ReferralError(errors)
    assert at is not None
    s = settings(config)
    changes: dict[str, Any] = {"updated_at": _iso(now)}
    if kind == "acknowledgement":
        changes.update({"status": "acknowledged", "acknowledged_at": at, "acknowledged_by": contact})
    elif kind == "decision":
        changes.update({"decision": decision, "decision_reasons": reasons, "decided_at": at, "decided_by": contact})
        if not referral["acknowledged_at"]:  # a decision answers the acknowledgement too
            changes.update({"acknowledged_at": at, "acknowledged_by": contact})
        if decision == "more_information":
            changes["status"] = "acknowledged"
        else:
            changes["status"] = "decided"
    else:  # the information asked for has been sent: the decision is due again
        changes["decision_due_at"] = _iso(_working_days_after(received_at(datetime.fromisoformat(at), config),
                                                              int(s["REFERRAL_DECISION_WORKING_DAYS"])))
    with store.write(db):
        referrals_data.update(db, referral_id, changes)
        referrals_data.insert_response(db, {"referral_id": referral_id, "kind": kind, "at": at,
                                            "hub_contact": contact, "decision": decision, "reasons": reasons,
                                            "recorded_by": user["id"], "recorded_at": _iso(now)})
        audit.record(db, action=f"response_{kind}", object_type="referral", object_id=referral_id,
                     child_id=referral["child_id"], user=user, detail={"decision": decision})
        if kind == "decision" and decision != "more_information":
            _close_escalations(db, referral_id, user, kind="stall", outcome=(
                f"The hub's decision was recorded: {DECISION_WORDS[str(decision)].lower()}, by {contact}"), now=now)
        if decision == "strategy_discussion":
            _raise(db, referral, user, rule_id="SD", title="Take part in the strategy discussion and record it",
                   action="Children's social care has decided on a strategy discussion. Make sure health is there "
                          "(you, or the named nurse), then record who attended, the decision and the actions.",
                   owner="visitor", deadline="1wd", severity="same_day", now=now,
                   source="WT2023 [S] (strategy discussion where there is reasonable cause to suspect significant "
                          "harm); the 1 working day deadline is a default")
        if decision == "more_information":
            _raise(db, referral, user, rule_id="MI", title="Send the hub the information it asked for",
                   action=f"The hub asked for more information: {reasons}. Send it, then record that you did.",
                   owner="visitor", deadline="today", severity="same_day", now=now,
                   source="WT2023 [S]; the same-day deadline is a default")
        if kind == "information_sent":
            _close_open(db, referral_id, "MI", user, "The information was sent to the hub", now)
    return get_referral(db, referral_id, user)


def record_dispute(db: Any, referral_id: str, user: dict[str, Any], reason: Any, *, config: Any,
                   now: datetime | None = None) -> dict[str, Any]:
    """The referrer (or their supervisor) disagrees with the hub's decision: the escalation route opens."""
    now = now or utc_now()
    referral = get_referral(db, referral_id, user)
    errors: Errors = {}
    text = _text(errors, "dispute_reason", reason, noun="why you disagree with the decision", limit=MAX_REASON,
                 required=True)
    if not referral["decided_at"]:
        errors["dispute_reason"] = ["Record the hub's decision first, then say why you disagree with it"]
    elif referral["disputed_at"] and not referral["dispute_resolved_at"]:
        errors["dispute_reason"] = ["The disagreement is already being escalated: see its required actions"]
    if errors:
        raise ReferralError(errors)
    with store.write(db):
        referrals_data.update(db, referral_id, {"disputed_at": _iso(now), "dispute_reason": text,
                                                "dispute_resolved_at": None, "dispute_resolution": None,
                                                "escalation_step": 0, "escalation_reason": None,
                                                "updated_at": _iso(now)})
        referrals_data.insert_response(db, {"referral_id": referral_id, "kind": "dispute", "at": _iso(now),
                                            "hub_contact": None, "decision": None, "reasons": text,
                                            "recorded_by": user["id"], "recorded_at": _iso(now)})
        audit.record(db, action="dispute", object_type="referral", object_id=referral_id,
                     child_id=referral["child_id"], user=user)
    check_timers(db, user["team_id"], config=config, now=now, referral_id=referral_id)
    return get_referral(db, referral_id, user)


def resolve_dispute(db: Any, referral_id: str, user: dict[str, Any], resolution: Any, *,
                    now: datetime | None = None) -> dict[str, Any]:
    """Record how the disagreement ended (what was agreed, with whom); its escalation actions are closed."""
    now = now or utc_now()
    referral = get_referral(db, referral_id, user)
    errors: Errors = {}
    text = _text(errors, "dispute_resolution", resolution, noun="how the disagreement was resolved",
                 limit=MAX_REASON, required=True)
    if not referral["disputed_at"] or referral["dispute_resolved_at"]:
        errors["dispute_resolution"] = ["There is no open disagreement on this referral"]
    if errors:
        raise ReferralError(errors)
    with store.write(db):
        referrals_data.update(db, referral_id, {"dispute_resolved_at": _iso(now), "dispute_resolution": text,
                                                "updated_at": _iso(now)})
        referrals_data.insert_response(db, {"referral_id": referral_id, "kind": "dispute_resolved",
                                            "at": _iso(now), "hub_contact": None, "decision": None,
                                            "reasons": text, "recorded_by": user["id"], "recorded_at": _iso(now)})
        audit.record(db, action="dispute_resolved", object_type="referral", object_id=referral_id,
                     child_id=referral["child_id"], user=user)
        _close_escalations(db, referral_id, user, kind="dispute",
                           outcome=f"The disagreement was resolved: {text}", now=now)
    return get_referral(db, referral_id, user)


# --- escalation -----------------------------------------------------------------------------------------

def _raise(db: Any, referral: dict[str, Any], user: dict[str, Any] | None, *, rule_id: str, title: str, action: str,
           owner: str, deadline: str, severity: str, source: str, now: datetime, reasons: str = "",
           strategy_id: str | None = None, owner_user_id: int | None = None, due: datetime | None = None
           ) -> str:
    """Open a required action that belongs to a referral (or strategy discussion); returns its id."""
    action_id = str(uuid.uuid4())
    if owner_user_id is None and owner == "visitor":
        owner_user_id = referral["referrer_id"]
    row = {"id": action_id, "child_id": referral["child_id"], "team_id": referral["team_id"], "visit_id": None,
           "concern_id": None, "referral_id": referral["id"] if referral.get("id") else None,
           "strategy_id": strategy_id, "rule_id": rule_id, "title": title, "action": action, "severity": severity,
           "deadline": deadline, "due_at": _iso(due or due_at(now, deadline)), "owner": owner,
           "owner_user_id": owner_user_id, "source": source, "reasons": reasons, "requires_referral": 0,
           "category": "process", "status": "open", "created_at": _iso(now)}
    actions_data.insert(db, row)
    audit.record(db, action="raise", object_type="action", object_id=action_id, child_id=referral["child_id"],
                 user=user, detail={"rule_id": rule_id, "referral_id": row["referral_id"], "strategy_id": strategy_id})
    return action_id


def _close_open(db: Any, referral_id: str, rule_pattern: str, user: dict[str, Any] | None, outcome: str,
                now: datetime) -> None:
    """Close the referral's open actions whose rule id matches ``rule_pattern`` (SQL LIKE), saying why."""
    for a in actions_data.open_for_referral_matching(db, referral_id, rule_pattern):
        actions_data.update(db, a["id"], {"status": "done", "outcome": outcome,
                                          "completed_by": user["id"] if user else None,
                                          "completed_at": _iso(now)})
        audit.record(db, action="complete", object_type="action", object_id=a["id"], child_id=a["child_id"],
                     user=user, detail={"referral_id": referral_id, "automatic": True})


def _close_escalations(db: Any, referral_id: str, user: dict[str, Any] | None, *, kind: str, outcome: str,
                       now: datetime) -> None:
    """Close the open escalation steps opened for a stall (or a dispute) once it is answered."""
    row = referrals_data.escalation_reason_of(db, referral_id)
    reason = (row or {}).get("escalation_reason") or ""
    if (kind == "dispute") != reason.startswith("dispute"):
        return
    _close_open(db, referral_id, RULE_PREFIX + "%", user, outcome, now)
    referrals_data.update(db, referral_id, {"escalation_step": 0, "escalation_reason": None})


def stall(referral: dict[str, Any], now: datetime) -> str | None:
    """Why a referral needs escalating now, in words, or None: no acknowledgement or no decision in time,
    or a decision the referrer disputes."""
    stamp = _iso(now)
    if referral["disputed_at"] and not referral["dispute_resolved_at"]:
        return (f"dispute: the referrer disagrees with the decision "
                f"({DECISION_WORDS.get(referral['decision'] or '', 'recorded')}): {referral['dispute_reason']}")
    if referral["status"] == "sent" and referral["ack_due_at"] and referral["ack_due_at"] < stamp:
        return "no acknowledgement: the hub has not acknowledged the referral in time"
    if referral["status"] in ("sent", "acknowledged") and referral["decision_due_at"] and \
            referral["decision_due_at"] < stamp:
        return "no decision: the hub has not made a decision in time"
    return None


def _escalation_reasons(referral: dict[str, Any], why: str) -> str:
    text = f"Referral sent {datetime_words(referral['sent_at'])}: {why.split(': ', 1)[1]}"
    if why.startswith("no acknowledgement"):
        text += f" (acknowledgement was due {datetime_words(referral['ack_due_at'])})"
    elif why.startswith("no decision"):
        text += f" (the decision was due {datetime_words(referral['decision_due_at'])})"
    return text


def check_timers(db: Any, team_id: int, *, config: Any, now: datetime | None = None,
                 referral_id: str | None = None) -> int:
    """Open the next escalation step for every stalled or disputed referral of the team; returns how many opened.

    Step 1 opens when a referral stalls (or its decision is disputed); each later step opens when the step
    before it is past its deadline while the referral is still unresolved. Safe to call on every page view:
    a step is opened once.
    """
    now = now or utc_now()
    steps = ladder(config)
    opened = 0
    candidates = [r for r in referrals_data.timer_candidates(db, team_id, referral_id) if stall(r, now)]
    if not candidates:
        return 0
    with store.write(db):
        for stale in candidates:
            referral = referrals_data.by_id(db, stale["id"])
            why = stall(referral, now) if referral else None
            if referral is None or why is None:
                continue
            step = referral["escalation_step"]
            if step >= len(steps):
                continue
            if step:
                last = actions_data.latest_due_for_referral_rule(db, referral["id"], f"{RULE_PREFIX}{step}")
                if last is not None and last["due_at"] >= _iso(now):
                    continue
            spec = steps[step]
            _raise(db, referral, None, rule_id=f"{RULE_PREFIX}{step + 1}", title=spec["title"],
                   action=f"{spec['action']} Who: {spec['who']}.", owner=spec["owner"], deadline=spec["deadline"],
                   severity="same_day" if step == 0 else "within_days", now=now,
                   source=ESCALATION_SOURCE if config.get("REFERRAL_ESCALATION") is None else
                   "Local resolution of professional differences (escalation) procedure, as set by this service",
                   reasons=_escalation_reasons(referral, why))
            referrals_data.update(db, referral["id"], {"escalation_step": step + 1,
                                                       "escalation_reason": why[:500]})
            referrals_data.insert_response(db, {"referral_id": referral["id"], "kind": "escalation",
                                                "at": _iso(now), "hub_contact": None, "decision": None,
                                                "reasons": f"Step {step + 1}: {spec['title']} ({why})"[:2000],
                                                "recorded_by": None, "recorded_at": _iso(now)})
            audit.record(db, action="escalate", object_type="referral", object_id=referral["id"],
                         child_id=referral["child_id"], detail={"step": step + 1, "reason": why.split(":")[0]})
            opened += 1
    return opened


def waiting_on_decision(db: Any, team_id: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The team's sent referrals with no decision yet, the most overdue first (the supervisor's dashboard)."""
    now = now or utc_now()
    rows = list_referrals(db, team_id)
    waiting = [r for r in rows if r["status"] in ("sent", "acknowledged")]
    for r in waiting:
        r["overdue"] = bool(stall(r, now)) and not r["disputed_at"]
    return sorted(waiting, key=lambda r: r["decision_due_at"] or "")


def disputed(db: Any, team_id: int) -> list[dict[str, Any]]:
    return [r for r in list_referrals(db, team_id) if r["disputed_at"] and not r["dispute_resolved_at"]]


# --- strategy discussions ---------------------------------------------------------------------------------

def check_strategy(data: dict[str, Any], *, now: datetime | None = None) -> tuple[dict[str, Any], Errors]:
    now = now or utc_now()
    errors: Errors = {}
    held_at = _moment(errors, "held_at", data.get("held_at"), noun="when the strategy discussion was held", now=now)
    if held_at is None and "held_at" not in errors:
        errors["held_at"] = ["Enter when the strategy discussion was held"]
    attendees = data.get("attendees") or []
    if isinstance(attendees, str):
        attendees = [attendees]
    if not isinstance(attendees, list) or not all(a in STRATEGY_AGENCY_WORDS for a in attendees):
        errors["attendees"] = ["Select the agencies that attended from the list"]
        attendees = []
    elif not attendees:
        errors["attendees"] = ["Select the agencies that attended"]
    decision = data.get("decision")
    if decision not in STRATEGY_DECISION_WORDS:
        errors["decision"] = ["Choose the decision: section 47 enquiry, child protection medical or no further action"]
    notes = _text(errors, "notes", data.get("notes"), noun="the notes of the discussion", limit=MAX_REASON) or ""
    allocated = []
    items = data.get("actions") or []
    if not isinstance(items, list):
        errors["actions"] = ["List the actions allocated, each with what, who and by when"]
        items = []
    for i, item in enumerate(items[:20]):
        if not isinstance(item, dict):
            errors[f"actions.{i}"] = ["Give each action as what, who and by when"]
            continue
        what = _text(errors, f"actions.{i}.action", item.get("action"), noun="what the action is", limit=2000)
        if not what:
            continue
        who = _text(errors, f"actions.{i}.who", item.get("who"), noun="who will do it", limit=MAX_SHORT,
                    required=True)
        owner = item.get("owner") if item.get("owner") in ("visitor", "supervisor") else "visitor"
        due = item.get("due_on") or ""
        try:
            due_day = datetime.strptime(str(due), "%Y-%m-%d").date()
        except ValueError:
            errors[f"actions.{i}.due_on"] = ["Enter when the action is due, like 2026-12-08"]
            continue
        if due_day < london_moment(now).date() - timedelta(days=1):
            errors[f"actions.{i}.due_on"] = ["The date an action is due cannot be in the past"]
            continue
        allocated.append({"action": what, "who": who, "owner": owner, "due_on": due_day.isoformat()})
    present = set(attendees)
    missing = [STRATEGY_AGENCY_WORDS[a] for a in STRATEGY_MINIMUM if a not in present]
    return {"held_at": held_at, "attendees": [a for a, _w in STRATEGY_AGENCIES if a in present], "decision": decision,
            "notes": notes, "actions": allocated, "missing_minimum": missing}, errors


def record_strategy(db: Any, child: dict[str, Any], user: dict[str, Any], data: dict[str, Any], *,
                    referral_id: str | None = None, strategy_id: str | None = None, body_sha256: str | None = None,
                    now: datetime | None = None) -> dict[str, Any]:
    """Record a strategy discussion and open each action it allocated as a tracked required action."""
    now = now or utc_now()
    clean, errors = check_strategy(data, now=now)
    referral = None
    if referral_id:
        try:
            referral = get_referral(db, referral_id, user)
        except NotFound:
            errors["referral_id"] = ["This referral is not one of your team's"]
        else:
            if referral["child_id"] != child["id"]:
                errors["referral_id"] = ["This referral is about another child"]
    if errors:
        raise ReferralError(errors)
    strategy_id = strategy_id or str(uuid.uuid4())
    owner_ref = referral or {"id": None, "child_id": child["id"], "team_id": user["team_id"], "referrer_id": user["id"]}
    with store.write(db):
        if referrals_data.strategy_id_if_exists(db, strategy_id):
            raise Conflict("A strategy discussion was already stored under this id")
        referrals_data.insert_strategy(db, {
            "id": strategy_id, "child_id": child["id"], "team_id": user["team_id"], "referral_id": referral_id,
            "held_at": clean["held_at"], "attendees": clean["attendees"], "decision": clean["decision"],
            "notes": clean["notes"], "body_sha256": body_sha256, "recorded_by": user["id"], "created_at": _iso(now)})
        audit.record(db, action="record_strategy", object_type="strategy_discussion", object_id=strategy_id,
                     child_id=child["id"], user=user, detail={"decision": clean["decision"],
                                                              "referral_id": referral_id})
        for i, item in enumerate(clean["actions"], 1):
            due = datetime.combine(datetime.strptime(item["due_on"], "%Y-%m-%d").date(), time(23, 59), tzinfo=LONDON)
            _raise(db, owner_ref, user, rule_id=f"SD{i}", title=item["action"][:120],
                   action=f"{item['action']} (allocated to {item['who']} at the strategy discussion)",
                   owner=item["owner"], deadline=f"{max(0, (due.date() - london_moment(now).date()).days)}d",
                   severity="within_days", now=now, strategy_id=strategy_id, due=due,
                   owner_user_id=user["id"] if item["owner"] == "visitor" else None,
                   source="Allocated at the strategy discussion (WT2023 [S])",
                   reasons=f"Strategy discussion {clean['held_at'][:10]}: "
                           f"{STRATEGY_DECISION_WORDS[clean['decision']].lower()}")
        if referral:
            _close_open(db, referral["id"], "SD", user, "The strategy discussion was recorded", now)
    return strategy_for(db, strategy_id, user)


def strategy_for(db: Any, strategy_id: str, user: dict[str, Any]) -> dict[str, Any]:
    row = referrals_data.strategy_with_recorder(db, strategy_id, user["team_id"])
    if row is None:
        raise NotFound(strategy_id)
    row["attendees"] = json.loads(row["attendees"])
    row["actions"] = actions_data.for_strategy(db, strategy_id)
    return row


def strategies_for_child(db: Any, child_id: str) -> list[dict[str, Any]]:
    rows = referrals_data.strategies_for_child_with_recorder(db, child_id)
    for row in rows:
        row["attendees"] = json.loads(row["attendees"])
    return rows


def strategy_payload(s: dict[str, Any]) -> dict[str, Any]:
    return {"id": s["id"], "child_id": s["child_id"], "referral_id": s["referral_id"], "held_at": s["held_at"],
            "attendees": s["attendees"], "decision": s["decision"], "notes": s["notes"],
            "recorded_by": s.get("recorded_by_name"),
            "actions": [{"id": a["id"], "rule_id": a["rule_id"], "action": a["action"], "owner": a["owner"],
                         "due_at": a["due_at"], "status": a["status"]} for a in s.get("actions", [])]}
