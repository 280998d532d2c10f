"""The facts a rule can test: one flat dictionary per visit.

``facts_for`` turns a visit (the practitioner's answers), the child, the child's growth and the child's history
into plain named facts. Every visit field keeps its data-dictionary name; the derived facts are listed in
``DERIVED_FACTS`` with what each one means. ``FACT_TYPES`` gives the type of every fact, which is how the rules
file is checked for unknown names and for comparisons that forget a fact may be "not observed".

"Not observed" stays ``None``: a fact derived from observations that were not made is ``None`` or ``False``
(never a concern), so a blank form raises nothing.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rule_engine import DataType

from homevisit.domain.calendar import london_moment, london_today, working_days_between
from homevisit.domain.dictionary import (
    BODY_SITES_NON_BONY,
    BODY_SITES_TEN4,
    BOOL,
    DECIMAL,
    HCA_ITEMS,
    INT,
    MECHANISM_NEEDS,
    MILESTONES,
    MOBILITY_RANK,
    MULTI,
    NO_ACCESS,
    NOT_INDEPENDENTLY_MOBILE,
    VISIT_FIELDS,
)

DAYS_PER_MONTH = 365.25 / 12
TERM_WEEKS = 37
MOBILE_MILESTONES = ("crawls_or_shuffles", "pulls_to_stand", "cruises", "stands_alone", "walks_independently")
# When the practitioner did not answer "how does the child get about", the level is read from the highest
# milestone recorded, highest first, in the same words. Pulling to stand or standing without walking counts
# as cruising; crawling or bottom-shuffling (one question) as crawling.
MOBILITY_LEVELS = (("walks_independently", "walking"), ("stands_alone", "cruising"), ("cruises", "cruising"),
                   ("pulls_to_stand", "cruising"), ("crawls_or_shuffles", "crawling"),
                   ("sits_unsupported", "sitting"), ("rolls", "rolling"))
BRUISE_TYPES = frozenset({"bruise", "petechiae"})
UNSUITABLE_EXPLANATIONS = frozenset({"none", "unsuitable", "inconsistent"})
LIMB_PARTS = ("upper_arm", "forearm", "wrist", "hand", "upper_leg", "lower_leg", "ankle", "foot")
# Marks that need a clinician to see them, so leaving them a day or more untreated is delayed care.
NEEDS_CARE_TYPES = frozenset({"swelling", "deformity", "suspected_fracture", "burn", "laceration", "bite",
                              "ligature_mark"})
POOR_HYGIENE = frozenset({"dirty", "smelly", "sore_nappy_area", "soiled_nappy"})

DEFAULT_SETTINGS: dict[str, float] = {
    "hca_cutoff": 4,
    "repeat_window_days": 180,
    "social_worker_window_days": 120,
    "missed_window_days": 180,
    "rereferral_window_days": 90,
    "access_window_days": 90,
}

_N, _B, _S = DataType.NULLABLE(DataType.FLOAT), DataType.NULLABLE(DataType.BOOLEAN), DataType.NULLABLE(DataType.STRING)
_F, _T, _SET = DataType.FLOAT, DataType.BOOLEAN, DataType.SET(DataType.STRING)

DERIVED_FACTS: dict[str, tuple[Any, str]] = {
    # the child
    "sex": (_S, "the child's sex"),
    "gestation_weeks": (_N, "completed weeks of gestation at birth"),
    "preterm": (_T, "born before 37 weeks"),
    "birth_weight_kg": (_N, "the birth weight in kg"),
    "age_days": (_F, "chronological age at the visit, in days"),
    "corrected_age_days": (_F, "age in days, corrected for prematurity during the correction period"),
    "age_m": (_F, "age in months, corrected for prematurity if born before 37 weeks (1 year if 32-36 weeks, 2 if <32)"),
    "age_m_chronological": (_F, "chronological age in months"),
    "under_4_months": (_T, "younger than 4 calendar months on the visit day (chronological age; TEN-4)"),
    "under_4_years": (_T, "younger than 4 years on the visit day (chronological age; TEN-4-FACESp)"),
    "child_protection_plan": (_B, "the child has a child protection plan (recorded on the child's page)"),
    # mobility
    "mobility_level": (_S, "how the child gets about: the answer given (not_mobile, rolling, sitting, crawling, "
                           "bottom_shuffling, cruising, walking), else read from the highest milestone recorded"),
    "nim": (_T, "not independently mobile: under 6 months, or not yet crawling, shuffling, standing or walking"),
    "previously_mobile": (_T, "an earlier visit recorded crawling, standing, cruising or walking"),
    "milestones_lost": (_SET, "milestones recorded on an earlier visit and recorded as absent now"),
    # injuries and marks
    "injury_count": (_F, "the number of marks recorded"),
    "injury_types": (_SET, "the types of mark recorded"),
    "injury_patterns": (_SET, "the shapes or patterns of the marks (hand, grip, ligature, stick, teeth, implement)"),
    "any_bruise_or_petechiae": (_T, "a bruise or petechiae not explained by a clinician-confirmed condition"),
    "bruise_count": (_F, "the number of such bruises and petechiae"),
    "bruises_clustered": (_T, "some of those bruises are clustered"),
    "bruise_non_bony_sites": (_SET, "non-bony sites with bruising (ears, eyes, neck, trunk, buttocks, genitals)"),
    "bruise_ten4_sites": (_SET, "TEN-4-FACESp sites with bruising (torso, ears, neck, frenulum, angle of jaw, "
                                "cheeks, eyelids, subconjunctivae)"),
    "explanation_beyond_development": (_SET, "marks whose explanation needs more than the child can do (the "
                                             "mechanisms, e.g. fell_walking, given for a child who is not walking)"),
    "bruise_explanation_unsuitable": (_T, "a bruise with no, an unsuitable or an inconsistent explanation"),
    "injury_explanation_unsuitable": (_T, "any mark with no, an unsuitable or an inconsistent explanation"),
    "marks_explained_by_condition": (_F, "marks a clinician has confirmed a medical condition explains"),
    "injury_untreated_days": (_F, "longest time in days since a carer noticed a mark with no medical help sought"),
    "serious_injury_untreated_days": (_F, "the same, for marks that need a clinician (swelling, burn, fracture ...)"),
    "limb_swelling": (_T, "swelling on an arm, hand, leg or foot"),
    "limb_deformity": (_T, "a deformity recorded"),
    "suspected_fracture": (_T, "a suspected fracture or deformity recorded"),
    "ligature_mark": (_T, "a ligature mark, or a mark with a ligature pattern"),
    # home
    "room_cold": (_T, "room below 16°C, or not heated when no temperature was taken"),
    "hca_score": (_F, "Home Conditions Assessment items present (0-8)"),
    "gcp2_max": (_N, "the highest Graded Care Profile 2 grade recorded"),
    # growth (from the growth module; None when not weighed)
    "sds": (_N, "UK-WHO weight SDS"),
    "centile": (_N, "weight centile"),
    "bw_sds": (_N, "gestation-corrected birth-weight SDS"),
    "centile_spaces_fallen_since_birth": (_N, "(bw_sds - sds) / (2/3), to 2 decimal places"),
    "centile_spaces_fallen_since_previous": (_N, "centile spaces fallen since the previous weight"),
    "previous_weight_kg": (_N, "the previous weight"),
    "previous_measured_on": (_S, "the date of the previous weight"),
    "previous_weight_clothing": (_S, "what the child wore for the previous weight"),
    "weight_change_since_birth_pct": (_N, "weight change since birth, per cent (growth module)"),
    "weight_loss_since_birth_pct": (_N, "weight lost since birth, per cent of birth weight (negative if gained)"),
    "below_2nd": (_B, "weight below the 2nd centile"),
    "below_0_4th": (_B, "weight below the 0.4th centile"),
    "ng75_fall_concern": (_B, "NG75 fall across centile spaces (growth module)"),
    "early_weight_loss_over_10pct": (_B, "more than 10% of birth weight lost (growth module)"),
    "not_back_to_birth_weight": (_B, "not back to birth weight at 3 weeks (growth module)"),
    "reweigh_interval_days": (_N, "re-weigh interval from the growth module"),
    "reweigh_in_days": (_F, "days to the re-weigh: 1 under 1 month, 7 to 6 months, 14 to 12 months, then 30"),
    # history
    "earlier_visits": (_F, "the number of earlier visits"),
    "prior_consider_visits": (_F, "earlier visits in the repeat window on which a 'consider' rule fired"),
    "prior_consider_by_other_visitor": (_T, "one of those visits was by a different practitioner"),
    "poor_hygiene_visits": (_F, "visits in the repeat window (this one included) with poor hygiene"),
    "missed_appointments_recent": (_F, "missed weighs or clinics recorded in the missed window, this visit included"),
    "not_seen_visits_recent": (_F, "visits in the missed window, this one included, where the child was not seen"),
    "missed_contacts_recent": (_F, "missed appointments plus visits where the child was not seen"),
    "no_access": (_T, "this visit had no access: nobody answered, entry refused, the child not seen, or seen only "
                      "at a window or the door"),
    "no_access_visits_recent": (_F, "visits with no access in the access window, this one included"),
    "not_brought_recent": (_F, "appointments the child was not brought to, recorded in the access window, this "
                               "visit or concern included"),
    "access_failures_recent": (_F, "visits with no access plus appointments not brought, in the access window"),
    "social_workers_recent": (_F, "distinct social workers allocated within the social worker window"),
    "assessment_open_working_days": (_N, "working days since the open assessment started"),
    "open_action_rules": (_SET, "rules with an action still open"),
    "overdue_action_rules": (_SET, "rules with an open action past its due time"),
    # what has fired so far on this visit (filled in while the rules are evaluated)
    "fired": (_SET, "ids of the rules that fired on this visit"),
    "fired_categories": (_SET, "categories of the rules that fired"),
    "fired_consider": (_SET, "ids of fired rules at the CG89 'consider' level"),
    "fired_suspect": (_SET, "ids of fired rules at the CG89 'suspect' level"),
    "fired_requiring_referral": (_SET, "ids of fired rules that require a referral"),
    "fired_urgent": (_SET, "ids of fired rules (not process rules) due immediately or the same day: an urgent concern"),
    # referrals (homevisit.services.referrals)
    "open_referral": (_B, "a referral has been sent and the hub has not yet decided on it"),
    "days_since_no_further_action": (_N, "days from the latest 'no further action' decision on a referral to this visit"),
}


def _visit_type(kind: str) -> Any:
    if kind == BOOL:
        return _B
    if kind in (INT, DECIMAL):
        return _N
    if kind == MULTI:
        return _SET
    return _S


FACT_TYPES: dict[str, Any] = {f.name: _visit_type(f.kind) for f in VISIT_FIELDS}
FACT_TYPES.update({name: t for name, (t, _desc) in DERIVED_FACTS.items()})
FACT_TYPES.update({name: _F for name in DEFAULT_SETTINGS})


def coerce(kind: str, value: Any) -> Any:
    """A stored answer as the plain type the rules compare: bool, float, str, a set, or None (not observed)."""
    if kind == MULTI:
        if value is None:
            return set()
        if isinstance(value, str):
            value = json.loads(value) if value.startswith("[") else [value]
        return {str(v) for v in value}
    if value is None or value == "":
        return None
    if kind == BOOL:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "y")
        return bool(value)
    if kind in (INT, DECIMAL):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return london_moment(value).date()
    if isinstance(value, date):
        return value
    text = str(value)
    return london_moment(text).date() if "T" in text or " " in text else date.fromisoformat(text)


def _months_after(dob: date, months: int) -> date:
    """The date ``months`` calendar months after ``dob``: the month's last day when it is shorter (a
    birthday of 29 February falls on 28 February)."""
    year, month0 = divmod(dob.month - 1 + months, 12)
    year += dob.year
    return date(year, month0 + 1, min(dob.day, calendar.monthrange(year, month0 + 1)[1]))


def _age_facts(child: Mapping[str, Any], on: date) -> dict[str, Any]:
    dob = _date(child.get("date_of_birth"))
    if dob is None:
        raise ValueError("The child's date of birth is needed to work out their age")
    weeks = child.get("gestation_weeks")
    gestation = int(weeks if weeks is not None else 40) * 7 + int(child.get("gestation_days") or 0)
    age_days = (on - dob).days
    preterm = gestation < TERM_WEEKS * 7
    corrected = age_days
    # Fact Sheet 5 [R]: correct until the 1st birthday if born at 32-36 weeks, the 2nd if born before 32 weeks.
    if preterm and on < _months_after(dob, 12 if gestation >= 32 * 7 else 24):
        corrected = age_days - (40 * 7 - gestation)
    return {"sex": child.get("sex"), "gestation_weeks": coerce(INT, weeks), "preterm": preterm,
            "birth_weight_kg": coerce(DECIMAL, child.get("birth_weight_kg")), "age_days": float(age_days),
            "corrected_age_days": float(corrected), "age_m": corrected / DAYS_PER_MONTH,
            "age_m_chronological": age_days / DAYS_PER_MONTH,
            "under_4_months": on < _months_after(dob, 4), "under_4_years": on < _months_after(dob, 48)}


def _yes(value: Any) -> bool:
    return coerce(BOOL, value) is True


def _no(value: Any) -> bool:
    return coerce(BOOL, value) is False


def _mobility_level(visit: Mapping[str, Any]) -> str | None:
    recorded = visit.get("mobility_level")
    if recorded:
        return str(recorded)
    for milestone, level in MOBILITY_LEVELS:
        if _yes(visit.get(milestone)):
            return level
    if all(_no(visit.get(m)) for m in MOBILE_MILESTONES):
        return "not_mobile"
    return None


def _injury_facts(injuries: Iterable[Mapping[str, Any]], on: date) -> dict[str, Any]:
    marks = list(injuries or [])
    bruises = [m for m in marks if m.get("type") in BRUISE_TYPES and m.get("known_medical_condition") in (None, "none")]
    untreated, serious = 0.0, 0.0
    for m in marks:
        noticed = _date(m.get("first_noticed_date"))
        if noticed is not None and _no(m.get("medical_help_sought")):
            days = float((on - noticed).days)
            untreated = max(untreated, days)
            if m.get("type") in NEEDS_CARE_TYPES:
                serious = max(serious, days)
    types = {str(m["type"]) for m in marks if m.get("type")}
    patterns = {str(m["pattern"]) for m in marks if m.get("pattern") not in (None, "none")}
    return {
        "injury_count": float(len(marks)),
        "injury_types": types,
        "injury_patterns": patterns,
        "any_bruise_or_petechiae": bool(bruises),
        "bruise_count": float(sum(int(m.get("count") or 1) for m in bruises)),
        "bruises_clustered": any(_yes(m.get("clustered")) for m in bruises),
        "bruise_non_bony_sites": {str(m["body_site"]) for m in bruises if m.get("body_site") in BODY_SITES_NON_BONY},
        "bruise_ten4_sites": {str(m["body_site"]) for m in bruises if m.get("body_site") in BODY_SITES_TEN4},
        "bruise_explanation_unsuitable": any(m.get("explanation_assessment") in UNSUITABLE_EXPLANATIONS
                                             for m in bruises),
        "injury_explanation_unsuitable": any(m.get("explanation_assessment") in UNSUITABLE_EXPLANATIONS
                                             for m in marks),
        "marks_explained_by_condition": float(sum(1 for m in marks
                                                  if m.get("known_medical_condition") not in (None, "none"))),
        "injury_untreated_days": untreated,
        "serious_injury_untreated_days": serious,
        "limb_swelling": any(m.get("type") == "swelling" and str(m.get("body_site") or "").endswith(LIMB_PARTS)
                             for m in marks),
        "limb_deformity": "deformity" in types,
        "suspected_fracture": bool(types & {"suspected_fracture", "deformity"}),
        "ligature_mark": "ligature_mark" in types or "ligature" in patterns,
    }


def _beyond_development(injuries: Iterable[Mapping[str, Any]], level: str | None) -> set[str]:
    """The explanations (mechanisms) of marks that need more mobility than the child has: "fell while walking"
    for a child who crawls. Nothing when how the child gets about is not known."""
    if level not in MOBILITY_RANK:
        return set()
    found = set()
    for m in injuries:
        needs = MECHANISM_NEEDS.get(str(m.get("mechanism")))
        if needs is not None and MOBILITY_RANK[needs] > MOBILITY_RANK[level]:
            found.add(str(m["mechanism"]))
    return found


def _growth_facts(growth: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> dict[str, Any]:
    growth = growth or {}
    out: dict[str, Any] = {}
    for name in ("sds", "centile", "bw_sds", "centile_spaces_fallen_since_birth",
                 "centile_spaces_fallen_since_previous", "previous_weight_kg", "weight_change_since_birth_pct",
                 "reweigh_interval_days"):
        out[name] = coerce(DECIMAL, growth.get(name))
    for name in ("below_2nd", "below_0_4th", "ng75_fall_concern", "early_weight_loss_over_10pct",
                 "not_back_to_birth_weight"):
        out[name] = coerce(BOOL, growth.get(name))
    out["previous_measured_on"] = coerce("text", growth.get("previous_measured_on"))
    out["previous_weight_clothing"] = coerce("text", growth.get("previous_weight_clothing"))
    fallen = out["centile_spaces_fallen_since_birth"]
    if fallen is None and out["bw_sds"] is not None and out["sds"] is not None:
        fallen = (out["bw_sds"] - out["sds"]) / (2 / 3)
    # Rounded so that a fall of exactly 2 spaces is not read as 1.99999 and missed.
    out["centile_spaces_fallen_since_birth"] = None if fallen is None else round(fallen, 2)
    birth_weight = facts["birth_weight_kg"] or coerce(DECIMAL, growth.get("birth_weight_kg"))
    weight = facts.get("weight_kg")
    if birth_weight and weight:  # whole grams, so exactly 10% lost is not "more than 10%"
        grams_at_birth = round(birth_weight * 1000)
        out["weight_loss_since_birth_pct"] = round((grams_at_birth - round(weight * 1000)) * 100 / grams_at_birth, 4)
    else:
        out["weight_loss_since_birth_pct"] = None
    months = facts["age_m_chronological"]  # NG75's intervals go by chronological age, as the growth module does
    default_interval = 1.0 if months < 1 else 7.0 if months < 6 else 14.0 if months < 12 else 30.0
    out["reweigh_in_days"] = out["reweigh_interval_days"] or default_interval
    return out


HISTORY_VISIT_FIELDS = ("id", "visited_at", "visitor_id", "missed_appointments", "child_seen", "access_outcome",
                        "hygiene", "weight_kg",
                        "weight_clothing", *MILESTONES)
"""The answers of earlier visits that the history facts below read (with each visit's ``fired_rules``).
``visits.history_for`` loads only these, so a child with a long history costs little to check; a fact that
needs another answer from earlier visits must add it here (a test compares against full rows)."""


def history_windows(on: date, rules: Any = None) -> dict[str, Any]:
    """The windows the history facts count earlier visits in, for a visit on ``on``: each window's first day
    as the instant it starts in UK time (so a database can compare instants), the end of ``on``, and the
    "consider" rules. ``visits.history_for`` sums the child's visits up over these (``summed``)."""
    settings = {**DEFAULT_SETTINGS, **getattr(rules, "settings", {})}

    def starts(day: date) -> str:
        return london_moment(day).astimezone(UTC).isoformat()

    return {"end": starts(on + timedelta(days=1)),
            "repeat": starts(on - timedelta(days=int(settings["repeat_window_days"]))),
            "missed": starts(on - timedelta(days=int(settings["missed_window_days"]))),
            "access": starts(on - timedelta(days=int(settings["access_window_days"]))),
            "consider_ids": sorted(getattr(rules, "consider_ids", ()) or ())}


def _history_facts(visit: Mapping[str, Any], history: Mapping[str, Any] | None, on: date, moment: datetime,
                   settings: Mapping[str, float], consider_ids: frozenset[str]) -> dict[str, Any]:
    history = history or {}
    earlier = []
    for v in history.get("visits") or []:
        d = _date(v.get("visited_at"))
        if d is not None and d <= on and v.get("id") != visit.get("id"):
            earlier.append(((on - d).days, v))
    repeat, missed = settings["repeat_window_days"], settings["missed_window_days"]
    me = visit.get("visitor_id")
    consider_visits = [v for age, v in earlier if age <= repeat and consider_ids & coerce(MULTI, v.get("fired_rules"))]
    # the child's visits summed up by the database (visits.history_for with the windows), beside the visits
    # and concerns given one by one in "visits"; either may be empty
    summed = history.get("summed") or {}
    had = {m for _age, v in earlier for m in MILESTONES if _yes(v.get(m))} | set(summed.get("milestones") or ())
    recent_missed = [v for age, v in earlier if age <= missed] + [visit]
    sw_window_start = on - timedelta(days=settings["social_worker_window_days"])
    social_workers = set()
    for a in history.get("allocations") or []:
        start, end = _date(a.get("started_on")), _date(a.get("ended_on"))
        if a.get("role") == "social_worker" and (start is None or start <= on) and (end is None or end >= sw_window_start):
            social_workers.add(a.get("user_id"))
    started = _date(visit.get("assessment_started_on"))
    open_rules, overdue = set(), set()
    for action in history.get("actions") or []:
        if action.get("status") == "open":
            open_rules.add(str(action.get("rule_id")))
            due = action.get("due_at")
            if due and london_moment(due) < moment:
                overdue.add(str(action.get("rule_id")))
    missed_appointments = float(sum(int(v.get("missed_appointments") or 0) for v in recent_missed)
                                + summed.get("missed_appointments", 0))
    not_seen = float(sum(1 for v in recent_missed if v.get("child_seen") == "not_seen") + summed.get("not_seen", 0))
    in_access_window = [v for age, v in earlier if age <= settings["access_window_days"]] + [visit]
    no_access_visits = float(sum(1 for v in in_access_window if v.get("access_outcome") in NO_ACCESS)
                             + summed.get("no_access", 0))
    not_brought = float(sum(int(v.get("missed_appointments") or 0) for v in in_access_window)
                        + summed.get("not_brought", 0))
    consider_visitors = [v.get("visitor_id") for v in consider_visits] + list(summed.get("consider_visitors") or ())
    return {
        "earlier_visits": float(len(earlier) + summed.get("count", 0)),
        "prior_consider_visits": float(len(consider_visits) + summed.get("consider_visits", 0)),
        "prior_consider_by_other_visitor": any(me is not None and who not in (None, me) for who in consider_visitors),
        "previously_mobile": bool(had & set(MOBILE_MILESTONES)),
        "milestones_lost": {m for m in had if _no(visit.get(m))},
        "poor_hygiene_visits": float(sum(1 for age, v in earlier if age <= repeat and v.get("hygiene") in POOR_HYGIENE)
                                     + (visit.get("hygiene") in POOR_HYGIENE) + summed.get("poor_hygiene", 0)),
        "missed_appointments_recent": missed_appointments,
        "not_seen_visits_recent": not_seen,
        "missed_contacts_recent": missed_appointments + not_seen,
        "no_access_visits_recent": no_access_visits,
        "not_brought_recent": not_brought,
        "access_failures_recent": no_access_visits + not_brought,
        "social_workers_recent": float(len(social_workers)),
        "assessment_open_working_days": float(working_days_between(started, on)) if started else None,
        "open_action_rules": open_rules,
        "overdue_action_rules": overdue,
    }


def _referral_facts(history: Mapping[str, Any] | None, moment: datetime) -> dict[str, Any]:
    """Whether a referral is waiting on a decision, and how long ago the hub last decided 'no further action'.

    Only what was known at the visit counts: a decision recorded as made after the visit is not yet known."""
    referrals = (history or {}).get("referrals") or []
    open_referral = any(r.get("status") in ("sent", "acknowledged") and r.get("sent_at")
                        and london_moment(r["sent_at"]) <= moment for r in referrals)
    nfa = [london_moment(r["decided_at"]) for r in referrals
           if r.get("decision") == "no_further_action" and r.get("decided_at") and london_moment(r["decided_at"]) <= moment]
    days = float((moment.date() - max(nfa).date()).days) if nfa else None
    return {"open_referral": open_referral, "days_since_no_further_action": days}


def _previous_weight(visit: Mapping[str, Any], history: Mapping[str, Any] | None, on: date) -> dict[str, Any]:
    """The last weight on an earlier visit, for when the growth module gave none."""
    found: tuple[date, Mapping[str, Any]] | None = None
    for v in reversed((history or {}).get("visits") or []):
        d = _date(v.get("visited_at"))
        if v.get("weight_kg") is not None and d is not None and d <= on and v.get("id") != visit.get("id"):
            found = (d, v)
            break
    summed = ((history or {}).get("summed") or {}).get("last_weight")
    if summed:
        d = _date(summed["visited_at"])
        if d is not None and (found is None or d > found[0]):
            found = (d, summed)
    if found is None:
        return {}
    d, v = found
    return {"previous_weight_kg": coerce(DECIMAL, v["weight_kg"]), "previous_measured_on": d.isoformat(),
            "previous_weight_clothing": coerce("text", v.get("weight_clothing"))}


def facts_for(visit: Mapping[str, Any], child: Mapping[str, Any], growth: Mapping[str, Any] | None,
              history: Mapping[str, Any] | None, today: date | None = None, rules: Any = None) -> dict[str, Any]:
    """The flat facts the rules test for one visit: every visit answer plus what is derived from it.

    ``growth`` is the growth module's summary for this visit's weight (or None if the child was not weighed);
    ``history`` holds the child's earlier visits (oldest first), social worker allocations and earlier actions.
    Ages and time windows are measured to the day of the visit (``today`` is used only when the visit has no
    ``visited_at``). ``rules`` supplies the local settings (cut-offs and windows) and which rules are at the
    "consider" level (``rules.required_actions_for`` always passes them). With none, the default settings
    are used and no rule counts as "consider".
    """
    settings = {**DEFAULT_SETTINGS, **getattr(rules, "settings", {})}
    consider_ids = frozenset(getattr(rules, "consider_ids", ()))
    moment = london_moment(visit.get("visited_at") or datetime.combine(today or london_today(), datetime.min.time()))
    on = moment.date()
    facts: dict[str, Any] = {f.name: coerce(f.kind, visit.get(f.name)) for f in VISIT_FIELDS}
    facts.update({name: float(value) for name, value in settings.items()})
    facts.update(_age_facts(child, on))
    plan = child.get("child_protection_plan")
    facts["child_protection_plan"] = None if plan is None else bool(plan)
    facts["no_access"] = facts["access_outcome"] in NO_ACCESS
    level = _mobility_level(visit)
    facts["mobility_level"] = level
    facts["nim"] = facts["age_m"] < 6 or level in NOT_INDEPENDENTLY_MOBILE
    facts.update(_injury_facts(visit.get("injuries") or [], on))
    facts["explanation_beyond_development"] = _beyond_development(visit.get("injuries") or [], level)
    temp = facts["room_temp_c"]
    facts["room_cold"] = temp < 16 if temp is not None else (facts["room_heated"] is False or facts["heating"] is False)
    facts["hca_score"] = float(sum(1 for item in HCA_ITEMS if facts[item] is True))
    grades = [facts[g] for g in ("gcp2_physical", "gcp2_safety", "gcp2_love", "gcp2_esteem") if facts[g] is not None]
    facts["gcp2_max"] = max(grades) if grades else None
    facts.update(_growth_facts(growth, facts))
    facts.update(_history_facts(visit, history, on, moment, settings, consider_ids))
    if facts["previous_weight_kg"] is None:
        facts.update(_previous_weight(visit, history, on))
    facts.update(_referral_facts(history, moment))
    for name in ("fired", "fired_categories", "fired_consider", "fired_suspect", "fired_requiring_referral",
                 "fired_urgent"):
        facts[name] = set()
    return facts
