"""The default rules R01-R33: each fires at its threshold and not just short of it, from a well child's visit."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from homevisit.domain.dictionary import BODY_SITES, BODY_SITES_TEN4
from homevisit.domain.rules import (
    DEFAULT_RULES_PATH,
    RulesFileError,
    check_rules_file,
    load_rules,
    required_actions_for,
    severity_label,
)

VISITED_AT = "2026-11-26T14:30:00+00:00"  # a Thursday
VISIT_DAY = date(2026, 11, 26)
DAYS_PER_MONTH = 365.25 / 12
MILESTONES_BY_AGE = (  # (age in months from which a well child has it, milestone)
    (0, "head_control"), (4, "rolls"), (7, "sits_unsupported"), (9, "crawls_or_shuffles"), (10, "pulls_to_stand"),
    (11, "cruises"), (13, "stands_alone"), (14, "walks_independently"))


def child(months: float = 17, **changes: Any) -> dict[str, Any]:
    """A term child aged ``months`` (or ``days=``) on the visit day."""
    days = changes.pop("days", None)
    dob = VISIT_DAY - timedelta(days=days if days is not None else round(months * DAYS_PER_MONTH))
    return {"date_of_birth": dob.isoformat(), "sex": "male", "gestation_weeks": 40, "gestation_days": 0,
            "birth_weight_kg": 3.4, **changes}


def _typical_weight(months: float) -> float:
    return round(3.4 + 0.7 * min(months, 6) + 0.3 * max(0.0, min(months, 12) - 6) + 0.2 * max(0.0, months - 12), 2)


def well_visit(months: float = 17, **changes: Any) -> dict[str, Any]:
    """A content, clean, well-fed, warm child doing what is expected for their age; ``changes`` change one thing."""
    visit: dict[str, Any] = {
        "id": "visit-now", "visitor_id": 1, "visited_at": VISITED_AT, "visitor_role": "health_visitor",
        "child_seen": "awake", "seen_alone": False, "sleep_space": "cot", "mattress_firm_flat_fits": True,
        "mattress_condition": "clean", "covering": "sleep_bag", "items_in_cot": ["none"], "room_temp_c": 18.5,
        "room_heated": True, "child_cold": False, "co_sleeping": False, "co_sleeping_risks": [],
        "feeding_mode": "family_foods", "age_appropriate_food": "more_than_3_days", "spoiled_food_accessible": False,
        "weight_kg": _typical_weight(months), "weight_clothing": "naked", "weight_bearing": True, "skills_lost": False,
        "pain_on_handling": False, "limb_asymmetry": False, "limb_not_used": False, "known_fractures": 0,
        "fractures_different_ages": False, "occult_fracture": False, "hazards": ["none"], "heating": True,
        "hot_water": True, "damp_mould": False, "overcrowding": False, "demeanour": "content", "hygiene": "clean",
        "clothing_adequate": True, "carer_interaction": "warm", "restraint_observed": False, "disclosure": "none",
        "referral_made": False, "s47_started": False, "assessment_started_on": None, "missed_appointments": 0,
        "injuries": [], "carers_present": [{"role": "mother", "parental_responsibility": True}],
    }
    for item in ("hca_smell", "hca_floors", "hca_surfaces", "hca_crockery", "hca_toilet_bath", "hca_furnishings",
                 "hca_clothing_hair", "hca_rubbish"):
        visit[item] = False
    for from_months, milestone in MILESTONES_BY_AGE:
        visit[milestone] = months >= from_months
    visit.update(changes)
    return visit


def well_growth(**changes: Any) -> dict[str, Any]:
    """A weight following its centile since birth; centile spaces fallen follow from ``bw_sds`` and ``sds``."""
    sds, bw_sds = changes.get("sds", 0.1), changes.get("bw_sds", 0.2)
    return {"sds": sds, "centile": 54.0, "bw_sds": bw_sds, "centile_spaces_fallen_since_birth": (bw_sds - sds) / (2 / 3),
            "centile_spaces_fallen_since_previous": 0.0, "previous_weight_kg": None, "previous_measured_on": None,
            "previous_weight_clothing": None, "weight_change_since_birth_pct": 229.0, "below_2nd": False,
            "below_0_4th": False, "ng75_fall_concern": False, "early_weight_loss_over_10pct": False,
            "not_back_to_birth_weight": False, "reweigh_interval_days": None, **changes}


def earlier_visit(days_ago: int, months: float = 17, **changes: Any) -> dict[str, Any]:
    """An earlier visit by another practitioner that fired no rules, ``days_ago`` before this one."""
    when = (VISIT_DAY - timedelta(days=days_ago)).isoformat() + "T10:00:00+00:00"
    base = well_visit(months - days_ago / DAYS_PER_MONTH, id=f"visit-{days_ago}", visitor_id=2, visited_at=when,
                      fired_rules=[], weight_kg=None)
    base.update(changes)
    return base


def no_access_visit(outcome: str = "no_answer", **changes: Any) -> dict[str, Any]:
    """A visit where the practitioner could not get in (or see the child): only the first page answered."""
    visit = {"id": "visit-now", "visitor_id": 1, "visited_at": VISITED_AT, "visitor_role": "health_visitor",
             "child_seen": "not_seen", "access_outcome": outcome, "access_attempts": ["knocked", "phoned"],
             "injuries": [], "carers_present": []}
    visit.update(changes)
    return visit


# A referral sent a day before the visit, with no decision yet
WAITING_REFERRAL = {"status": "sent", "sent_at": (VISIT_DAY - timedelta(days=1)).isoformat() + "T09:00:00+00:00",
                    "decision": None, "decided_at": None}


def mark(**changes: Any) -> dict[str, Any]:
    """One bruise on a bony site, one only, with a suitable explanation, seen by the GP."""
    return {"type": "bruise", "body_site": "left_lower_leg", "size_mm": 10, "pattern": "none", "count": 1,
            "clustered": False, "explanation_assessment": "suitable", "first_noticed_date": VISIT_DAY.isoformat(),
            "medical_help_sought": None, "known_medical_condition": "none", **changes}


def actions(visit: dict[str, Any], the_child: dict[str, Any] | None = None, growth: dict[str, Any] | None = None,
            history: dict[str, Any] | None = None, rules: Any = None) -> dict[str, dict[str, Any]]:
    found = required_actions_for(visit, the_child or child(17), growth if growth is not None else well_growth(),
                                 history or {}, rules or load_rules())
    return {a["rule_id"]: a for a in found}


def fired(visit: dict[str, Any], **kw: Any) -> set[str]:
    return set(actions(visit, **kw))


# --- no rule for a well child ----------------------------------------------------------------------------

@pytest.mark.parametrize("months", [0.5, 2, 6, 9, 11, 17, 24, 36])
def test_a_well_child_fires_nothing(months: float) -> None:
    assert fired(well_visit(months), the_child=child(months)) == set()


def test_a_baby_on_a_bare_firm_mattress_in_a_sleep_bag_fires_nothing() -> None:
    visit = well_visit(5, sleep_space="cot", mattress_firm_flat_fits=True, mattress_condition="clean",
                       covering="sleep_bag", items_in_cot=["none"])
    assert fired(visit, the_child=child(5)) == set()


def test_a_baby_on_a_bare_mattress_with_no_covering_in_a_warm_room_fires_nothing() -> None:
    visit = well_visit(8, covering="none", items_in_cot=["none"], room_temp_c=19.0)
    assert fired(visit, the_child=child(8)) == set()


def test_a_17_month_old_with_no_covering_in_a_cold_room_fires_r17() -> None:
    result = actions(well_visit(covering="none", room_temp_c=14.0))
    assert "R17" in result
    assert "No covering at 17 months" in result["R17"]["reasons"]


def test_a_blank_visit_fires_nothing() -> None:
    visit = {"visited_at": VISITED_AT, "visitor_role": "social_worker", "child_seen": "asleep"}
    assert fired(visit, the_child=child(17), growth={}) == set()
    assert required_actions_for(visit, child(17), None, None, load_rules()) == []


# --- each rule at and just short of its threshold --------------------------------------------------------

def bruise_case(**changes: Any) -> dict[str, Any]:
    return well_visit(injuries=[mark(**changes)])


CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    # (rule, what, kwargs for actions() that fire it, kwargs that just miss it)
    ("R01", "restrained", {"visit": well_visit(restraint_observed=True)},
     {"visit": well_visit(restraint_observed=None)}),
    ("R01", "ligature mark", {"visit": bruise_case(type="ligature_mark", body_site="left_wrist")},
     {"visit": bruise_case(type="abrasion", body_site="left_wrist")}),
    ("R02", "bruise under 6 months", {"visit": well_visit(5, injuries=[mark()]), "the_child": child(5)},
     {"visit": well_visit(17, injuries=[mark()]), "the_child": child(17)}),
    ("R02", "bruise on a sitting, not crawling baby",
     {"visit": well_visit(8, injuries=[mark()]), "the_child": child(8)},
     {"visit": well_visit(8, crawls_or_shuffles=True, injuries=[mark()]), "the_child": child(8)}),
    ("R02", "bruise at 8 months, recorded as rolling",
     {"visit": well_visit(8, mobility_level="rolling", injuries=[mark()]), "the_child": child(8)},
     {"visit": well_visit(8, mobility_level="crawling", injuries=[mark()]), "the_child": child(8)}),
    ("R02", "bruise at 10 months, recorded as not mobile although the milestones say crawling",
     {"visit": well_visit(10, mobility_level="not_mobile", injuries=[mark()]), "the_child": child(10)},
     {"visit": well_visit(10, mobility_level="bottom_shuffling", injuries=[mark()]), "the_child": child(10)}),
    ("R02", "bruise at 12 months, recorded as sitting",
     {"visit": well_visit(12, mobility_level="sitting", injuries=[mark()]), "the_child": child(12)},
     {"visit": well_visit(12, mobility_level="cruising", injuries=[mark()]), "the_child": child(12)}),
    ("R02", "petechiae, not explained",
     {"visit": well_visit(3, injuries=[mark(type="petechiae")]), "the_child": child(3)},
     {"visit": well_visit(3, injuries=[mark(type="petechiae", known_medical_condition="coagulopathy")]),
      "the_child": child(3)}),
    ("R35", "cheek bruise at 3 years, against a shin bruise",
     {"visit": well_visit(36, injuries=[mark(body_site="left_cheek")]), "the_child": child(36)},
     {"visit": well_visit(36, injuries=[mark(body_site="right_lower_leg")]), "the_child": child(36)}),
    ("R35", "ear bruise the day before the 4th birthday, against on it",
     {"visit": well_visit(47, injuries=[mark(body_site="right_ear")]), "the_child": child(date_of_birth="2022-11-27")},
     {"visit": well_visit(48, injuries=[mark(body_site="right_ear")]), "the_child": child(date_of_birth="2022-11-26")}),
    ("R36", "a bruise the day before 4 months old, against 4 months exactly",
     {"visit": well_visit(4, injuries=[mark()]), "the_child": child(date_of_birth="2026-07-27")},
     {"visit": well_visit(4, injuries=[mark()]), "the_child": child(date_of_birth="2026-07-26")}),
    ("R36", "petechiae at 6 weeks, against petechiae a clinician explains",
     {"visit": well_visit(1.5, injuries=[mark(type="petechiae")]), "the_child": child(days=42)},
     {"visit": well_visit(1.5, injuries=[mark(type="petechiae", known_medical_condition="coagulopathy")]),
      "the_child": child(days=42)}),
    ("R03", "grip marks", {"visit": bruise_case(pattern="grip")}, {"visit": bruise_case(pattern="none")}),
    ("R03", "implement", {"visit": bruise_case(pattern="implement")}, {"visit": bruise_case(pattern=None)}),
    ("R04", "two bruises, unsuitable explanation", {"visit": bruise_case(count=2, explanation_assessment="unsuitable")},
     {"visit": bruise_case(count=1, explanation_assessment="unsuitable")}),
    ("R04", "clustered, explanation inconsistent",
     {"visit": bruise_case(clustered=True, explanation_assessment="inconsistent")},
     {"visit": bruise_case(clustered=True, explanation_assessment="suitable")}),
    ("R04", "ear, no explanation", {"visit": bruise_case(body_site="left_ear", explanation_assessment="none")},
     {"visit": bruise_case(body_site="face", explanation_assessment="none")}),
    ("R05", "pain on handling", {"visit": well_visit(pain_on_handling=True)},
     {"visit": well_visit(pain_on_handling=False)}),
    ("R05", "limb not used", {"visit": well_visit(limb_not_used=True)}, {"visit": well_visit(limb_not_used=None)}),
    ("R05", "swollen forearm", {"visit": bruise_case(type="swelling", body_site="right_forearm")},
     {"visit": bruise_case(type="swelling", body_site="head_scalp")}),
    ("R05", "suspected fracture", {"visit": bruise_case(type="suspected_fracture", body_site="left_upper_leg")},
     {"visit": bruise_case(type="abrasion", body_site="left_upper_leg")}),
    ("R06", "burn noticed a day ago, no help",
     {"visit": bruise_case(type="burn", body_site="back", first_noticed_date="2026-11-25", medical_help_sought=False)},
     {"visit": bruise_case(type="burn", body_site="back", first_noticed_date="2026-11-26", medical_help_sought=False)}),
    ("R06", "burn noticed 3 days ago, help sought",
     {"visit": bruise_case(type="burn", body_site="back", first_noticed_date="2026-11-23", medical_help_sought=False)},
     {"visit": bruise_case(type="burn", body_site="back", first_noticed_date="2026-11-23", medical_help_sought=True)}),
    ("R07", "two fractures", {"visit": well_visit(known_fractures=2)}, {"visit": well_visit(known_fractures=1)}),
    ("R07", "different ages", {"visit": well_visit(fractures_different_ages=True)},
     {"visit": well_visit(fractures_different_ages=False)}),
    ("R07", "occult", {"visit": well_visit(occult_fracture=True)}, {"visit": well_visit(occult_fracture=None)}),
    ("R08", "below the 0.4th centile", {"visit": well_visit(), "growth": well_growth(sds=-2.68, bw_sds=-2.5)},
     {"visit": well_visit(), "growth": well_growth(sds=-2.66, bw_sds=-2.5)}),
    ("R08", "from 2 weeks", {"visit": well_visit(0.5), "the_child": child(days=14), "growth": well_growth(sds=-2.8, bw_sds=-2.7)},
     {"visit": well_visit(0.5), "the_child": child(days=13), "growth": well_growth(sds=-2.8, bw_sds=-2.7)}),
    ("R09", "below the 2nd centile", {"visit": well_visit(), "growth": well_growth(sds=-2.01, bw_sds=-1.9)},
     {"visit": well_visit(), "growth": well_growth(sds=-1.99, bw_sds=-1.9)}),
    ("R10", "2 spaces from the middle band", {"visit": well_visit(), "growth": well_growth(bw_sds=0.0, sds=-1.3334)},
     {"visit": well_visit(), "growth": well_growth(bw_sds=0.0, sds=-1.32)}),
    ("R10", "1 space from below the 9th", {"visit": well_visit(), "growth": well_growth(bw_sds=-1.5, sds=-1.5 - 2 / 3)},
     {"visit": well_visit(), "growth": well_growth(bw_sds=-1.5, sds=-2.15)}),
    ("R10", "3 spaces from above the 91st", {"visit": well_visit(), "growth": well_growth(bw_sds=1.5, sds=-0.5)},
     {"visit": well_visit(), "growth": well_growth(bw_sds=1.5, sds=-0.45)}),
    ("R11", "more than 10% lost", {"visit": well_visit(0.3, weight_kg=3.05), "the_child": child(days=10)},
     {"visit": well_visit(0.3, weight_kg=3.06), "the_child": child(days=10)}),
    ("R12", "not back to birth weight at 3 weeks", {"visit": well_visit(0.7, weight_kg=3.39), "the_child": child(days=21)},
     {"visit": well_visit(0.7, weight_kg=3.40), "the_child": child(days=21)}),
    ("R13", "lighter than last time, same clothing",
     {"visit": well_visit(weight_kg=11.1), "growth": well_growth(previous_weight_kg=11.2, previous_weight_clothing="naked",
                                                                  previous_measured_on="2026-10-20")},
     {"visit": well_visit(weight_kg=11.2), "growth": well_growth(previous_weight_kg=11.2, previous_weight_clothing="naked",
                                                                  previous_measured_on="2026-10-20")}),
    ("R13", "different clothing is not compared",
     {"visit": well_visit(weight_kg=11.1), "growth": well_growth(previous_weight_kg=11.2, previous_weight_clothing="naked")},
     {"visit": well_visit(weight_kg=11.1), "growth": well_growth(previous_weight_kg=11.2, previous_weight_clothing="clothed")}),
    ("R14", "after a growth rule", {"visit": well_visit(), "growth": well_growth(sds=-2.1, bw_sds=-2.0)},
     {"visit": well_visit(), "growth": well_growth(sds=-1.9, bw_sds=-2.0)}),
    ("R15", "growth and neglect", {"visit": well_visit(age_appropriate_food="none"), "growth": well_growth(sds=-2.1, bw_sds=-2.0)},
     {"visit": well_visit(age_appropriate_food="none"), "growth": well_growth(sds=-1.9, bw_sds=-2.0)}),
    ("R15", "growth and neglect, not safe-sleep advice",
     {"visit": well_visit(6, child_cold=True), "the_child": child(6), "growth": well_growth(sds=-2.1, bw_sds=-2.0)},
     {"visit": well_visit(6, items_in_cot=["soft_toys"]), "the_child": child(6), "growth": well_growth(sds=-2.1, bw_sds=-2.0)}),
    ("R16", "no food", {"visit": well_visit(age_appropriate_food="none")},
     {"visit": well_visit(age_appropriate_food="less_than_1_day")}),
    ("R16", "mouldy food in reach", {"visit": well_visit(spoiled_food_accessible=True)},
     {"visit": well_visit(spoiled_food_accessible=None)}),
    ("R17", "no covering, room below 16°C", {"visit": well_visit(covering="none", room_temp_c=15.9)},
     {"visit": well_visit(covering="none", room_temp_c=16.0)}),
    ("R17", "no covering from 12 months",
     {"visit": well_visit(12, covering="none", room_temp_c=14.0), "the_child": child(days=366)},
     {"visit": well_visit(11.9, covering="none", room_temp_c=14.0), "the_child": child(days=364)}),
    ("R17", "no covering, unheated, no thermometer",
     {"visit": well_visit(covering="none", room_temp_c=None, room_heated=False)},
     {"visit": well_visit(covering="none", room_temp_c=None, room_heated=None)}),
    ("R17", "soiled mattress", {"visit": well_visit(mattress_condition="soiled")},
     {"visit": well_visit(mattress_condition="stained")}),
    ("R17", "no sleep space", {"visit": well_visit(sleep_space="none")}, {"visit": well_visit(sleep_space="floor")}),
    ("R18", "pillow under 12 months", {"visit": well_visit(8, items_in_cot=["pillow"]), "the_child": child(8)},
     {"visit": well_visit(12, items_in_cot=["pillow"]), "the_child": child(days=366)}),
    ("R18", "duvet", {"visit": well_visit(3, covering="duvet"), "the_child": child(3)},
     {"visit": well_visit(3, covering="tucked_sheet_blanket"), "the_child": child(3)}),
    ("R18", "co-sleeping with a smoker",
     {"visit": well_visit(3, co_sleeping=True, co_sleeping_risks=["smoking"]), "the_child": child(3)},
     {"visit": well_visit(3, co_sleeping=True, co_sleeping_risks=[]), "the_child": child(3)}),
    ("R19", "cold child", {"visit": well_visit(child_cold=True)}, {"visit": well_visit(child_cold=None)}),
    ("R19", "inadequate clothing", {"visit": well_visit(clothing_adequate=False)},
     {"visit": well_visit(clothing_adequate=True)}),
    ("R20", "sore nappy area", {"visit": well_visit(hygiene="sore_nappy_area")}, {"visit": well_visit(hygiene="clean")}),
    ("R20", "home conditions at the cut-off",
     {"visit": well_visit(hca_smell=True, hca_floors=True, hca_surfaces=True, hca_rubbish=True)},
     {"visit": well_visit(hca_smell=True, hca_floors=True, hca_surfaces=True)}),
    ("R20", "dirty on two visits",
     {"visit": well_visit(hygiene="dirty"), "history": {"visits": [earlier_visit(60, hygiene="smelly")]}},
     {"visit": well_visit(hygiene="dirty"), "history": {"visits": [earlier_visit(60)]}}),
    ("R20", "GCP2 grade 4", {"visit": well_visit(gcp2_physical=4)}, {"visit": well_visit(gcp2_physical=3)}),
    ("R21", "not sitting at 9 months",
     {"visit": well_visit(9, sits_unsupported=False), "the_child": child(days=274)},
     {"visit": well_visit(8.9, sits_unsupported=False), "the_child": child(days=273)}),
    ("R22", "not walking at 18 months",
     {"visit": well_visit(18, walks_independently=False), "the_child": child(days=548)},
     {"visit": well_visit(17.9, walks_independently=False), "the_child": child(days=547)}),
    ("R23", "lost skills", {"visit": well_visit(skills_lost=True)}, {"visit": well_visit(skills_lost=None)}),
    ("R23", "previously mobile, not weight-bearing",
     {"visit": well_visit(weight_bearing=False), "history": {"visits": [earlier_visit(30)]}},
     {"visit": well_visit(weight_bearing=False)}),
    ("R23", "stopped walking since an earlier visit",
     {"visit": well_visit(walks_independently=False), "history": {"visits": [earlier_visit(30)]}},
     {"visit": well_visit(walks_independently=False), "history": {"visits": [earlier_visit(30, walks_independently=False)]}}),
    ("R23", "no pull-to-stand with a growth concern",
     {"visit": well_visit(13, pulls_to_stand=False, cruises=False, stands_alone=False, walks_independently=False),
      "the_child": child(13), "growth": well_growth(sds=-2.1, bw_sds=-2.0)},
     {"visit": well_visit(13, pulls_to_stand=False, cruises=False, stands_alone=False, walks_independently=False),
      "the_child": child(13)}),
    ("R24", "frozen watchfulness", {"visit": well_visit(demeanour="watchful_frozen")},
     {"visit": well_visit(demeanour="distressed")}),
    ("R24", "unresponsive to carer", {"visit": well_visit(demeanour="unresponsive")},
     {"visit": well_visit(demeanour="interactive")}),
    ("R25", "disclosure by a third party", {"visit": well_visit(disclosure="by_third_party")},
     {"visit": well_visit(disclosure="none")}),
    ("R26", "one consider feature", {"visit": well_visit(child_cold=True)}, {"visit": well_visit(child_cold=False)}),
    ("R27", "a suspect feature", {"visit": well_visit(disclosure="by_child")}, {"visit": well_visit(disclosure=None)}),
    ("R27", "two consider features", {"visit": well_visit(child_cold=True, demeanour="withdrawn")},
     {"visit": well_visit(child_cold=True)}),
    ("R27", "a consider feature again within 180 days",
     {"visit": well_visit(child_cold=True), "history": {"visits": [earlier_visit(180, fired_rules=["R24"])]}},
     {"visit": well_visit(child_cold=True), "history": {"visits": [earlier_visit(181, fired_rules=["R24"])]}}),
    ("R28", "referral made", {"visit": well_visit(referral_made=True)}, {"visit": well_visit(referral_made=None)}),
    ("R29", "referral needed, not made", {"visit": well_visit(disclosure="by_child", referral_made=False)},
     {"visit": well_visit(disclosure="by_child", referral_made=True)}),
    ("R29", "referral needed, not recorded", {"visit": well_visit(injuries=[mark(pattern="teeth")], referral_made=None)},
     {"visit": well_visit(injuries=[mark(pattern="teeth")], referral_made=True)}),
    ("R30", "patterned bruise", {"visit": bruise_case(pattern="hand")}, {"visit": well_visit(5, injuries=[mark()]), "the_child": child(5)}),
    ("R30", "three signs of neglect",
     {"visit": well_visit(child_cold=True, age_appropriate_food="none", hygiene="soiled_nappy")},
     {"visit": well_visit(child_cold=True, age_appropriate_food="none")}),
    ("R30", "GCP2 grade 5", {"visit": well_visit(gcp2_safety=5)}, {"visit": well_visit(gcp2_safety=4)}),
    ("R30", "injury needing care without a suitable explanation",
     {"visit": bruise_case(type="suspected_fracture", explanation_assessment="none")},
     {"visit": bruise_case(type="suspected_fracture", explanation_assessment="suitable")}),
    ("R31", "section 47 started", {"visit": well_visit(s47_started=True)}, {"visit": well_visit(s47_started=False)}),
    ("R32", "three social workers in 120 days",
     {"visit": well_visit(), "history": {"allocations": [
         {"user_id": 7, "role": "social_worker", "started_on": "2026-06-01", "ended_on": "2026-07-29"},
         {"user_id": 8, "role": "social_worker", "started_on": "2026-07-29", "ended_on": "2026-09-30"},
         {"user_id": 9, "role": "social_worker", "started_on": "2026-10-01", "ended_on": None}]}},
     {"visit": well_visit(), "history": {"allocations": [
         {"user_id": 7, "role": "social_worker", "started_on": "2026-06-01", "ended_on": "2026-07-28"},
         {"user_id": 8, "role": "social_worker", "started_on": "2026-07-29", "ended_on": "2026-09-30"},
         {"user_id": 9, "role": "social_worker", "started_on": "2026-10-01", "ended_on": None},
         {"user_id": 3, "role": "health_visitor", "started_on": "2026-10-01", "ended_on": None}]}}),
    # From 2026-09-23 to 2026-11-26 is 46 working days; from 2026-09-24, 45.
    ("R32", "assessment open more than 45 working days", {"visit": well_visit(assessment_started_on="2026-09-23")},
     {"visit": well_visit(assessment_started_on="2026-09-24")}),
    ("R33", "two missed weighs", {"visit": well_visit(missed_appointments=2)}, {"visit": well_visit(missed_appointments=1)}),
    ("R33", "a missed weigh and a visit when the child was not seen",
     {"visit": well_visit(missed_appointments=1), "history": {"visits": [earlier_visit(100, child_seen="not_seen")]}},
     {"visit": well_visit(missed_appointments=1), "history": {"visits": [earlier_visit(200, child_seen="not_seen")]}}),
    ("R37", "no access to a child with a plan", {"visit": no_access_visit(), "the_child": child(child_protection_plan=1)},
     {"visit": no_access_visit(), "the_child": child(child_protection_plan=0)}),
    ("R37", "no access while a referral waits for a decision",
     {"visit": no_access_visit("refused_entry"), "history": {"referrals": [WAITING_REFERRAL]}},
     {"visit": well_visit(), "history": {"referrals": [WAITING_REFERRAL]}}),
    ("R37", "seen only at the window counts as no access",
     {"visit": no_access_visit("seen_at_window", child_seen="awake"), "the_child": child(child_protection_plan=1)},
     {"visit": well_visit(access_outcome="visited"), "the_child": child(child_protection_plan=1)}),
    ("R39", "fell while walking, said of a child who cruises",
     {"visit": well_visit(20, mobility_level="cruising", injuries=[mark(mechanism="fell_walking")]), "the_child": child(20)},
     {"visit": well_visit(20, mobility_level="walking", injuries=[mark(mechanism="fell_walking")]), "the_child": child(20)}),
    ("R38", "two visits with no access in 90 days",
     {"visit": no_access_visit(), "history": {"visits": [earlier_visit(90, access_outcome="no_answer")]}},
     {"visit": no_access_visit(), "history": {"visits": [earlier_visit(91, access_outcome="no_answer")]}}),
    ("R38", "a visit with no access and an appointment not brought",
     {"visit": well_visit(missed_appointments=1), "history": {"visits": [earlier_visit(30, access_outcome="child_not_seen")]}},
     {"visit": well_visit(missed_appointments=0), "history": {"visits": [earlier_visit(30, access_outcome="child_not_seen")]}}),
]


@pytest.mark.parametrize(("rule_id", "what", "at", "short"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_fires_at_its_threshold_and_not_short_of_it(rule_id: str, what: str, at: dict[str, Any],
                                                         short: dict[str, Any]) -> None:
    assert rule_id in fired(**at), f"{rule_id} should fire: {what}"
    assert rule_id not in fired(**short), f"{rule_id} should not fire just short of: {what}"


def test_every_default_rule_has_a_threshold_test() -> None:
    # R34 (re-referral) has its own tests with a referral history (tests/integration/test_referrals.py)
    assert {c[0] for c in CASES} == {f"R{n:02d}" for n in (*range(1, 34), 35, 36, 37, 38, 39)}


@pytest.mark.parametrize("site", sorted(BODY_SITES_TEN4))
def test_each_ten4_facesp_region_fires_r35_under_4_years(site: str) -> None:
    result = actions(well_visit(30, injuries=[mark(body_site=site)]), the_child=child(30))
    assert "R35" in result
    assert dict(BODY_SITES)[site].lower() in result["R35"]["reasons"]


@pytest.mark.parametrize("site", ["head_scalp", "face", "left_eye", "left_forearm", "right_hand", "left_upper_leg",
                                  "right_lower_leg", "left_foot"])
def test_bruises_outside_the_ten4_regions_do_not_fire_r35(site: str) -> None:
    assert "R35" not in fired(well_visit(30, injuries=[mark(body_site=site)]), the_child=child(30))


# --- what an action says -------------------------------------------------------------------------------

def test_child_au_weight_gives_the_reason_in_words() -> None:
    result = actions(well_visit(weight_kg=7.3), growth=well_growth(sds=-3.46, bw_sds=0.0))
    assert result["R08"]["reasons"] == "Weight 7.30 kg is below the 0.4th centile (SDS -3.46)"
    assert result["R08"]["severity"] == "same_day"
    assert result["R08"]["due_at"] == "2026-11-26T23:59:00+00:00"
    assert result["R08"]["severity_label"] == "Same day"
    assert result["R09"]["due_at"] == "2026-12-03T23:59:00+00:00"
    assert result["R09"]["severity_label"] == "Within 7 days"


@pytest.mark.parametrize(("months", "deadline"), [(0.5, "1d"), (3, "7d"), (8, "14d"), (17, "30d")])
def test_reweigh_deadline_follows_age(months: float, deadline: str) -> None:
    result = actions(well_visit(months), the_child=child(months), growth=well_growth(sds=-2.2, bw_sds=-2.1))
    assert result["R14"]["deadline"] == deadline


def test_reweigh_deadline_prefers_the_growth_modules_interval() -> None:
    result = actions(well_visit(), growth=well_growth(sds=-2.2, bw_sds=-2.1, reweigh_interval_days=14))
    assert result["R14"]["deadline"] == "14d"
    assert result["R14"]["due_at"] == "2026-12-10T23:59:00+00:00"


def test_unsought_help_is_immediate_when_the_injury_needs_urgent_care() -> None:
    visit = bruise_case(type="swelling", body_site="left_forearm", first_noticed_date="2026-11-23",
                        medical_help_sought=False)
    result = actions(visit)
    assert result["R05"]["severity"] == "immediate"
    assert result["R06"]["severity"] == "immediate"
    assert result["R06"]["due_at"] == "2026-11-26T14:30:00+00:00"
    assert "3 day(s)" in result["R06"]["reasons"]


def test_unsought_help_without_urgent_injury_is_same_day() -> None:
    visit = bruise_case(type="burn", body_site="back", first_noticed_date="2026-11-24", medical_help_sought=False)
    result = actions(visit)
    assert "R05" not in result
    assert result["R06"]["severity"] == "same_day"


def test_a_limb_injury_needs_a_referral_only_without_a_suitable_explanation() -> None:
    explained = actions(bruise_case(type="suspected_fracture", explanation_assessment="suitable"))
    unexplained = actions(bruise_case(type="suspected_fracture", explanation_assessment="unsuitable"))
    assert explained["R05"]["requires_referral"] is False and "R29" not in explained
    assert unexplained["R05"]["requires_referral"] is True and "R29" in unexplained


def test_chasing_a_referral_is_due_at_five_the_next_working_day() -> None:
    christmas_eve = well_visit(referral_made=True, visited_at="2026-12-24T16:00:00+00:00")
    # Christmas Day, the weekend and the substitute Boxing Day (Monday 28th) are not working days.
    assert actions(christmas_eve)["R28"]["due_at"] == "2026-12-29T17:00:00+00:00"


def test_icpc_tracking_is_due_in_15_working_days() -> None:
    assert actions(well_visit(s47_started=True))["R31"]["due_at"] == "2026-12-17T17:00:00+00:00"


def test_actions_are_most_urgent_first() -> None:
    visit = well_visit(restraint_observed=True, child_cold=True, missed_appointments=3)
    severities = [a["severity"] for a in required_actions_for(visit, child(), well_growth(), {}, load_rules())]
    order = ["immediate", "same_day", "within_days", "monitor"]
    assert severities == sorted(severities, key=order.index)
    assert severities[0] == "immediate"


def test_an_action_still_open_from_before_is_marked() -> None:
    history = {"actions": [{"rule_id": "R19", "status": "open", "created_at": "2026-11-01T10:00:00+00:00",
                            "due_at": "2026-11-01T23:59:00+00:00"}]}
    result = actions(well_visit(child_cold=True), history=history)
    assert result["R19"]["already_open"] is True
    assert result["R26"]["already_open"] is False


def test_every_action_has_the_fields_the_store_keeps() -> None:
    result = actions(well_visit(restraint_observed=True))["R01"]
    assert set(result) >= {"rule_id", "title", "severity", "action", "deadline", "due_at", "owner", "source",
                           "requires_referral", "category", "reasons"}
    assert result["owner"] == "visitor" and result["requires_referral"] is True and result["category"] == "injury"


@pytest.mark.parametrize(("sev", "deadline", "label"), [
    ("immediate", "now", "Immediate: before you leave the home"), ("same_day", "today", "Same day"),
    ("within_days", "7d", "Within 7 days"), ("within_days", "1wd", "Within 1 working day"),
    ("within_days", "15wd", "Within 15 working days"), ("monitor", "now", "Monitor")])
def test_severity_label(sev: str, deadline: str, label: str) -> None:
    assert severity_label(sev, deadline) == label


# --- the rules file ----------------------------------------------------------------------------------

def test_the_default_rules_file_is_clean() -> None:
    assert check_rules_file(DEFAULT_RULES_PATH) == []
    assert [r.id for r in load_rules().rules] == [f"R{n:02d}" for n in range(1, 40)]


def test_every_default_rule_says_where_it_comes_from() -> None:
    for rule in load_rules().rules:
        assert rule.source.strip(), rule.id
        if "[R]" in rule.source:
            assert "unsourced" in rule.source, f"{rule.id}: a recalled source must say it is unsourced"


def test_project_chosen_timings_say_default() -> None:
    sourced_timing = {"R28"}  # WT2023: the decision within one working day
    for rule in load_rules().rules:
        if rule.severity in ("same_day", "within_days") and rule.id not in sourced_timing:
            assert "default" in rule.source, f"{rule.id}: its severity or deadline is the project's choice"
    assert "default" in load_rules().by_id["R13"].source and "unsourced" in load_rules().by_id["R01"].source


def test_rules_are_compiled_once_and_cached() -> None:
    assert load_rules() is load_rules()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_local_file_overrides_only_the_keys_it_gives(tmp_path: Path) -> None:
    local = write(tmp_path, '[[rule]]\nid = "R16"\nseverity = "monitor"\ndeadline = "now"\n')
    rules = load_rules(local_path=local)
    result = actions(well_visit(age_appropriate_food="none"), rules=rules)
    assert result["R16"]["severity"] == "monitor"
    assert result["R16"]["title"] == "No suitable food, or mouldy food within reach"
    assert load_rules().by_id["R16"].severity == "same_day"


def test_a_local_file_adds_a_rule(tmp_path: Path) -> None:
    local = write(tmp_path, """
[[rule]]
id = "L01"
title = "Overcrowded home"
condition = "overcrowding == true"
severity = "within_days"
deadline = "14d"
action = "Refer to the housing team."
owner = "visitor"
requires_referral = false
category = "neglect"
source = "Local partnership decision, 2026 (default)"
""")
    rules = load_rules(local_path=local)
    result = actions(well_visit(overcrowding=True), rules=rules)
    assert result["L01"]["due_at"] == "2026-12-10T23:59:00+00:00"
    assert "L01" not in actions(well_visit(), rules=rules)


def test_a_local_file_disables_a_rule(tmp_path: Path) -> None:
    rules = load_rules(local_path=write(tmp_path, '[[rule]]\nid = "R24"\nenabled = false\n'))
    assert "R24" not in fired(well_visit(demeanour="withdrawn"), rules=rules)
    assert "R24" in fired(well_visit(demeanour="withdrawn"))


def test_a_local_file_changes_the_home_conditions_cut_off(tmp_path: Path) -> None:
    rules = load_rules(local_path=write(tmp_path, "[settings]\nhca_cutoff = 3\n"))
    visit = well_visit(hca_smell=True, hca_floors=True, hca_surfaces=True)
    assert "R20" in fired(visit, rules=rules)
    assert "R20" not in fired(visit)


def test_a_missing_local_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_rules(local_path=tmp_path / "absent.toml") is load_rules()


def test_load_rules_refuses_a_broken_local_file(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError) as caught:
        load_rules(local_path=write(tmp_path, '[[rule]]\nid = "R07"\ncondition = "foo > 1"\n'))
    assert caught.value.errors == ["rules.toml:3: R07: unknown field 'foo' in condition"]


@pytest.mark.parametrize(("text", "error"), [
    ('# local rules\n\n[[rule]]\nid = "R07"\nseverity = "immediate"\ncondition = "foo > 1 and bar"\n',
     ["rules.toml:6: R07: unknown field 'bar' in condition", "rules.toml:6: R07: unknown field 'foo' in condition"]),
    ('[[rule]]\nid = "R07"\nseverity = "urgent"\n',
     ["rules.toml:3: R07: severity must be one of immediate, same_day, within_days, monitor, not 'urgent'"]),
    ('[[rule]]\nid = "R07"\n\ndeadline = "2 weeks"\n',
     ["rules.toml:4: R07: bad deadline '2 weeks': use now, today, Nd, Nwd or reweigh"]),
    ('[[rule]]\nid = "R07"\nsevrity = "monitor"\n', ["rules.toml:3: R07: unknown key 'sevrity'"]),
    ('[[rule]]\nid = "R08"\ncondition = "sds < -2"\n',
     ["rules.toml:3: R08: condition: data type mismatch (left ordered-comparison operand is nullable; "
      "discharge with '??' or use '&.' / '&[' for safe navigation)"]),
    ('[[rule]]\nid = "R08"\ncondition = "sds >>> 1"\n', ["rules.toml:3: R08: syntax error in condition: syntax error at: line 1:6"]),
    ('[[rule]]\nid = "R08"\nreason = "Weight {wieght_kg} kg"\n', ["rules.toml:3: R08: unknown field 'wieght_kg' in reason"]),
    ('[[rule]]\nid = "R08"\n\n[[rule]]\nid = "R08"\n', ["rules.toml:4: R08: duplicate id (already defined above in rules.toml)"]),
    ('[[rule]]\nid = "L02"\ntitle = "New"\ncondition = "overcrowding == true"\n',
     [f"rules.toml:1: L02: missing key '{key}'" for key in
      ("severity", "deadline", "action", "owner", "requires_referral", "category", "source")]),
    ('[[rule]]\nid = "R08"\nsource = ""\n', ["rules.toml:3: R08: source must be non-empty text"]),
    ('[settings]\nhca_cutof = 3\n', ["rules.toml:2: settings: 'hca_cutof' is not a known setting with a number"]),
    ('[[rule]]\nid = "R08"\ntitle = "Unclosed\n', ["rules.toml:3: TOML syntax error: Illegal character '\\n'"]),
])
def test_check_rules_file_gives_the_line_of_each_problem(tmp_path: Path, text: str, error: list[str]) -> None:
    assert check_rules_file(write(tmp_path, text)) == error


def test_check_rules_file_notices_a_misspelt_table(tmp_path: Path) -> None:
    assert check_rules_file(write(tmp_path, '# local\n[[rules]]\nid = "R24"\nenabled = false\n')) == [
        "rules.toml:2: unknown table or key 'rules': use [[rule]] tables and [settings]"]


def test_check_rules_file_notices_single_brackets(tmp_path: Path) -> None:
    assert check_rules_file(write(tmp_path, '\n[rule]\nid = "R24"\nenabled = false\n')) == [
        "rules.toml:2: each rule is a [[rule]] table (two brackets)"]


# --- scenarios from issue #15: each raises exactly the rules expected ---------------------------------------

def test_a_non_mobile_4_month_old_with_a_cheek_bruise_and_no_explanation() -> None:
    baby = child(date_of_birth="2026-07-16")  # 4 months and 10 days: past TEN-4's "under 4 months"
    visit = well_visit(4.3, mobility_level="not_mobile",
                       injuries=[mark(body_site="left_cheek", explanation_assessment="none")])
    result = actions(visit, the_child=baby)
    # not independently mobile (R02), a TEN-4-FACESp region (R35), non-bony with no explanation (R04),
    # so suspect maltreatment (R27), a strategy discussion about a CP medical (R30), and no referral yet (R29)
    assert set(result) == {"R02", "R04", "R27", "R29", "R30", "R35"}
    assert "mobility: Not mobile" in result["R02"]["reasons"]
    assert "left cheek" in result["R35"]["reasons"]
    assert {result[r]["severity"] for r in result} == {"same_day"}


def test_the_same_bruise_a_week_younger_also_raises_the_under_4_months_rule() -> None:
    visit = well_visit(3.9, mobility_level="not_mobile", injuries=[mark(body_site="left_cheek")])
    assert fired(visit, the_child=child(date_of_birth="2026-08-01")) == {"R02", "R27", "R29", "R35", "R36"}


def test_a_walking_toddler_with_a_shin_bruise_raises_nothing() -> None:
    visit = well_visit(20, mobility_level="walking", injuries=[mark(body_site="right_lower_leg")])
    assert fired(visit, the_child=child(20)) == set()


def test_a_baby_with_two_visits_with_no_access_raises_the_supervisors_review_and_nothing_about_the_home() -> None:
    baby = child(3)
    earlier = earlier_visit(40, 3, access_outcome="refused_entry", child_seen="not_seen")
    result = actions(no_access_visit(), the_child=baby, growth={}, history={"visits": [earlier]})
    # the pattern for the supervisor (R38); for the visitor, R33's 'was not brought' follow-up (two visits where
    # the child was not seen), a CG89 'consider' feature, so R26's discussion with the safeguarding lead; and
    # nothing about sleep, food or the home, which nobody could see
    assert set(result) == {"R26", "R33", "R38"}
    assert result["R38"]["owner"] == "supervisor"
    assert "2 visit(s) with no access and 0 appointment(s) not brought in 90 days" in result["R38"]["reasons"]


def test_the_same_baby_with_a_child_protection_plan_is_an_action_for_today() -> None:
    baby = child(3, child_protection_plan=1)
    earlier = earlier_visit(40, 3, access_outcome="refused_entry", child_seen="not_seen")
    result = actions(no_access_visit(), the_child=baby, growth={}, history={"visits": [earlier]})
    assert set(result) == {"R26", "R33", "R37", "R38"}
    assert result["R37"]["deadline"] == "today" and result["R37"]["owner"] == "visitor"
    assert "No access: nobody answered, for a child with a child protection plan" in result["R37"]["reasons"]


def test_a_visit_that_went_ahead_for_a_child_with_a_plan_raises_nothing() -> None:
    assert fired(well_visit(access_outcome="visited"), the_child=child(child_protection_plan=1)) == set()


# R39: each explanation against each mobility level. An explanation needs at least its level; "bottom-shuffling"
# gets a child as far as crawling does.
LEVELS = ["not_mobile", "rolling", "sitting", "crawling", "bottom_shuffling", "cruising", "walking"]
NEEDS = {"rolled_off": "rolling", "fell_crawling": "crawling", "pulled_up_fell": "cruising", "fell_walking": "walking",
         "climbed_fell": "walking"}
RANK = {"not_mobile": 0, "rolling": 1, "sitting": 2, "crawling": 3, "bottom_shuffling": 3, "cruising": 4, "walking": 5}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mechanism", sorted(NEEDS))
def test_an_explanation_needing_more_than_the_child_can_do_raises_r39(level: str, mechanism: str) -> None:
    visit = well_visit(10, mobility_level=level, injuries=[mark(mechanism=mechanism)])
    raised = "R39" in fired(visit, the_child=child(10))
    assert raised == (RANK[NEEDS[mechanism]] > RANK[level]), (mechanism, level)


@pytest.mark.parametrize("mechanism", ["caused_it_themselves", "dropped", "another_child", "other", None])
def test_explanations_that_need_no_mobility_never_raise_r39(mechanism: str | None) -> None:
    visit = well_visit(3, mobility_level="not_mobile", injuries=[mark(mechanism=mechanism)])
    assert "R39" not in fired(visit, the_child=child(3))


def test_r39_needs_to_know_how_the_child_gets_about() -> None:
    visit = well_visit(10, injuries=[mark(mechanism="fell_walking")])
    for milestone in ("rolls", "sits_unsupported", "crawls_or_shuffles", "pulls_to_stand", "cruises", "stands_alone",
                      "walks_independently", "head_control"):
        visit[milestone] = None
    visit["mobility_level"] = None
    assert "R39" not in fired(visit, the_child=child(10))


def test_r39_says_which_explanation_and_what_the_child_can_do() -> None:
    visit = well_visit(9, mobility_level="crawling", injuries=[mark(mechanism="climbed_fell")])
    result = actions(visit, the_child=child(9))
    assert result["R39"]["reasons"] == ("The explanation (climbed onto furniture or stairs and fell) needs more than "
                                        "the child can do (mobility: Crawling)")
    assert result["R39"]["requires_referral"] is True and result["R39"]["deadline"] == "today"


def test_a_local_rules_file_sets_the_protocol_for_bruising_and_explanations(tmp_path: Path) -> None:
    local = write(tmp_path, """# Northshire's protocol: the paediatric liaison nurse, within 2 working days
[[rule]]
id = "R35"
severity = "within_days"
deadline = "2wd"
action = "Discuss with the paediatric liaison nurse and agree whether a child protection medical is needed."

[[rule]]
id = "R39"
action = "Phone the MASH consultation line today."
""")
    assert check_rules_file(local) == []
    rules = load_rules(local_path=local)
    visit = well_visit(30, mobility_level="cruising", injuries=[mark(body_site="left_ear", mechanism="fell_walking")])
    result = actions(visit, the_child=child(30), rules=rules)
    assert result["R35"]["deadline"] == "2wd" and result["R35"]["action"].startswith("Discuss with the paediatric")
    assert result["R35"]["source"] == load_rules().by_id["R35"].source  # the source stays with the rule
    assert result["R39"]["action"] == "Phone the MASH consultation line today."


def test_a_local_protocol_with_a_mistake_is_refused_with_its_line(tmp_path: Path) -> None:
    local = write(tmp_path, '# protocol\n[[rule]]\nid = "R36"\nseverity = "soon"\ndeadline = "tomorrow"\n')
    problems = check_rules_file(local)
    assert problems and all(p.startswith("rules.toml:") for p in problems)
    assert any(p.startswith("rules.toml:4:") and "severity" in p for p in problems), problems
    assert any(p.startswith("rules.toml:5:") and "deadline" in p for p in problems), problems


def test_docs_rules_md_is_the_rules_file_in_words() -> None:
    """docs/rules.md is generated from the default rules: regenerate it with
    `python -c "from homevisit.domain.rules import rules_markdown; open('docs/rules.md', 'w').write(rules_markdown())"`."""
    from homevisit.domain.rules import rules_markdown

    path = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == rules_markdown(), "docs/rules.md is out of date: regenerate it"
