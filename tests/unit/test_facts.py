"""The facts the rules test, derived from a visit, the child, their growth and their history."""

from __future__ import annotations

from typing import Any

import pytest

from homevisit.domain.dictionary import BOOL, MULTI, VISIT_FIELDS
from homevisit.domain.facts import DERIVED_FACTS, FACT_TYPES, coerce, facts_for
from homevisit.domain.rules import load_rules

VISITED_AT = "2026-11-26T14:30:00+00:00"


def child(dob: str = "2025-06-26", weeks: int = 40, days: int = 0, **kw: Any) -> dict[str, Any]:
    return {"date_of_birth": dob, "sex": "female", "gestation_weeks": weeks, "gestation_days": days,
            "birth_weight_kg": 3.4, **kw}


def facts(visit: dict[str, Any] | None = None, the_child: dict[str, Any] | None = None,
          growth: dict[str, Any] | None = None, history: dict[str, Any] | None = None) -> dict[str, Any]:
    return facts_for({"visited_at": VISITED_AT, "visitor_id": 1, **(visit or {})}, the_child or child(), growth,
                     history or {}, rules=load_rules())


def test_every_fact_has_a_declared_type() -> None:
    assert set(facts()) == set(FACT_TYPES)
    assert {f.name for f in VISIT_FIELDS} <= set(FACT_TYPES)
    assert all(description for _type, description in DERIVED_FACTS.values())


def test_a_blank_visit_is_not_observed_rather_than_no() -> None:
    f = facts()
    assert f["child_cold"] is None and f["sits_unsupported"] is None and f["sds"] is None
    assert f["items_in_cot"] == set()
    assert f["mobility_level"] is None and f["nim"] is False
    assert f["room_cold"] is False and f["hca_score"] == 0


@pytest.mark.parametrize(("the_child", "age_days", "corrected"), [
    (child("2026-09-17", weeks=30), 70, 0),            # 30 weeks, 10 weeks old: term-equivalent age
    (child("2025-12-26", weeks=34, days=3), 335, 296),  # 34+3 weeks at 11 months: corrected by 39 days
    (child("2025-11-25", weeks=34), 366, 366),          # past the first birthday: no longer corrected
    (child("2024-11-27", weeks=31), 729, 666),          # before 32 weeks: corrected to the second birthday
    (child("2024-11-26", weeks=31), 730, 730),
    (child("2025-06-26", weeks=41, days=5), 518, 518),  # term babies are never corrected
])
def test_age_is_corrected_for_prematurity_as_domain_says(the_child: dict[str, Any], age_days: int,
                                                         corrected: int) -> None:
    f = facts(the_child=the_child)
    assert f["age_days"] == age_days
    assert f["corrected_age_days"] == corrected
    assert f["age_m"] == pytest.approx(corrected / (365.25 / 12))
    assert f["preterm"] is (the_child["gestation_weeks"] < 37)


@pytest.mark.parametrize(("milestones", "level", "nim"), [
    ({}, None, False),
    ({m: False for m in ("crawls_or_shuffles", "pulls_to_stand", "cruises", "stands_alone", "walks_independently")},
     "not_mobile", True),
    ({"rolls": True, "crawls_or_shuffles": None}, "rolling", True),
    ({"sits_unsupported": True, "crawls_or_shuffles": False}, "sitting", True),
    ({"sits_unsupported": True, "crawls_or_shuffles": True}, "crawling", False),
    ({"pulls_to_stand": True}, "cruising", False),
    ({"walks_independently": True, "stands_alone": True}, "walking", False),
    # the answer to "how does the child get about" is the level, whatever the milestones say
    ({"mobility_level": "not_mobile"}, "not_mobile", True),
    ({"mobility_level": "rolling"}, "rolling", True),
    ({"mobility_level": "sitting", "rolls": True}, "sitting", True),
    ({"mobility_level": "crawling"}, "crawling", False),
    ({"mobility_level": "bottom_shuffling", "crawls_or_shuffles": False}, "bottom_shuffling", False),
    ({"mobility_level": "cruising"}, "cruising", False),
    ({"mobility_level": "walking"}, "walking", False),
])
def test_mobility_level_and_not_independently_mobile(milestones: dict[str, Any], level: str | None,
                                                     nim: bool) -> None:
    f = facts(milestones)
    assert f["mobility_level"] == level
    assert f["nim"] is nim


def test_every_baby_under_6_months_is_not_independently_mobile() -> None:
    assert facts({"crawls_or_shuffles": True}, the_child=child("2026-06-01"))["nim"] is True


@pytest.mark.parametrize(("visit", "cold"), [
    ({"room_temp_c": 15.9}, True), ({"room_temp_c": 16.0}, False),
    ({"room_temp_c": None, "room_heated": False}, True), ({"room_temp_c": None, "heating": False}, True),
    ({"room_temp_c": 19.0, "heating": False}, False),  # a measured temperature decides
    ({"room_temp_c": None, "room_heated": None, "heating": None}, False),
])
def test_room_cold(visit: dict[str, Any], cold: bool) -> None:
    assert facts(visit)["room_cold"] is cold


def test_home_conditions_and_gcp2() -> None:
    f = facts({"hca_smell": True, "hca_floors": 1, "hca_rubbish": False, "gcp2_love": 3, "gcp2_safety": 4})
    assert f["hca_score"] == 2
    assert f["gcp2_max"] == 4
    assert f["hca_cutoff"] == 4


def test_injury_facts() -> None:
    injuries = [
        {"type": "bruise", "body_site": "left_ear", "count": 2, "clustered": True, "explanation_assessment": "none",
         "pattern": "none"},
        {"type": "petechiae", "body_site": "face", "known_medical_condition": "coagulopathy"},
        {"type": "swelling", "body_site": "right_wrist", "first_noticed_date": "2026-11-23",
         "medical_help_sought": False, "explanation_assessment": "suitable"},
        {"type": "abrasion", "body_site": "neck", "pattern": "ligature", "first_noticed_date": "2026-11-20",
         "medical_help_sought": False},
    ]
    f = facts({"injuries": injuries})
    assert f["injury_count"] == 4
    assert f["any_bruise_or_petechiae"] is True
    assert f["bruise_count"] == 2  # the petechiae a clinician has explained are left out
    assert f["bruises_clustered"] is True
    assert f["bruise_non_bony_sites"] == {"left_ear"}
    assert f["bruise_explanation_unsuitable"] is True
    assert f["marks_explained_by_condition"] == 1
    assert f["injury_patterns"] == {"ligature"}
    assert f["ligature_mark"] is True
    assert f["limb_swelling"] is True and f["suspected_fracture"] is False
    assert f["injury_untreated_days"] == 6
    assert f["serious_injury_untreated_days"] == 3


def test_growth_facts_pass_through_and_fill_gaps() -> None:
    f = facts({"weight_kg": 3.05}, the_child=child("2026-11-16"), growth={"sds": -1.5, "bw_sds": 0.0})
    assert f["sds"] == -1.5
    assert f["centile_spaces_fallen_since_birth"] == 2.25
    assert f["weight_loss_since_birth_pct"] == pytest.approx(10.2941, abs=1e-3)
    assert f["reweigh_in_days"] == 1


@pytest.mark.parametrize(("dob", "interval"), [("2026-11-01", 1), ("2026-08-01", 7), ("2026-03-01", 14),
                                               ("2025-06-26", 30)])
def test_reweigh_interval_by_age(dob: str, interval: int) -> None:
    assert facts(the_child=child(dob))["reweigh_in_days"] == interval


def visit_on(day: str, **kw: Any) -> dict[str, Any]:
    return {"id": f"v-{day}", "visited_at": f"{day}T10:00:00+00:00", "visitor_id": 2, "fired_rules": [], **kw}


def test_history_facts() -> None:
    history = {
        "visits": [
            visit_on("2026-01-10", fired_rules=["R19"], walks_independently=True, missed_appointments=3),
            visit_on("2026-07-01", fired_rules='["R24", "R26"]', weight_kg=10.1, weight_clothing="naked"),
            visit_on("2026-10-01", visitor_id=1, fired_rules=["R33"], child_seen="not_seen", hygiene="dirty"),
        ],
        "allocations": [
            {"user_id": 5, "role": "social_worker", "started_on": "2026-01-01", "ended_on": "2026-07-01"},
            {"user_id": 6, "role": "social_worker", "started_on": "2026-07-02", "ended_on": None},
            {"user_id": 6, "role": "social_worker", "started_on": "2026-01-01", "ended_on": "2026-02-01"},
        ],
        "actions": [
            {"rule_id": "R26", "status": "open", "due_at": "2026-07-01T23:59:00+01:00"},
            {"rule_id": "R33", "status": "open", "due_at": "2026-12-01T23:59:00+00:00"},
            {"rule_id": "R19", "status": "done", "due_at": "2026-01-10T23:59:00+00:00"},
        ],
    }
    f = facts({"walks_independently": False, "hygiene": "smelly", "missed_appointments": 1,
               "assessment_started_on": "2026-11-19", "weight_kg": 9.9, "weight_clothing": "naked"},
              history=history)
    assert f["earlier_visits"] == 3
    assert f["prior_consider_visits"] == 2  # R24 on 1 July and R33 on 1 October; R19 in January is too long ago
    assert f["prior_consider_by_other_visitor"] is True
    assert f["previously_mobile"] is True and f["milestones_lost"] == {"walks_independently"}
    assert f["poor_hygiene_visits"] == 2
    assert f["missed_appointments_recent"] == 1  # January's three are outside the 180 days
    assert f["not_seen_visits_recent"] == 1 and f["missed_contacts_recent"] == 2
    assert f["social_workers_recent"] == 1  # user 5's allocation ended more than 120 days ago
    assert f["assessment_open_working_days"] == 5
    assert f["open_action_rules"] == {"R26", "R33"} and f["overdue_action_rules"] == {"R26"}
    assert (f["previous_weight_kg"], f["previous_measured_on"], f["previous_weight_clothing"]) == (
        10.1, "2026-07-01", "naked")


@pytest.mark.parametrize(("kind", "stored", "value"), [
    (BOOL, 1, True), (BOOL, 0, False), (BOOL, None, None), (BOOL, "", None), (BOOL, "true", True),
    (MULTI, '["pillow", "pod"]', {"pillow", "pod"}), (MULTI, None, set()), (MULTI, ("none",), {"none"}),
    ("int", "3", 3.0), ("decimal", 7, 7.0), ("choice", "none", "none"),
])
def test_stored_answers_become_plain_values(kind: str, stored: Any, value: Any) -> None:
    assert coerce(kind, stored) == value


def test_every_fact_has_its_declared_type_so_rules_can_run_untyped() -> None:
    import rule_engine

    typed = rule_engine.Context(type_resolver=FACT_TYPES)
    rich = {"room_temp_c": 14, "child_cold": 1, "items_in_cot": '["pillow"]', "sits_unsupported": True,
            "gcp2_love": 5, "assessment_started_on": "2026-10-01", "weight_kg": 7.3, "weight_clothing": "naked",
            "injuries": [{"type": "bruise", "body_site": "back", "pattern": "grip", "count": 3}]}
    growth = {"sds": -3.46, "centile": 0.03, "bw_sds": 0, "below_2nd": 1, "reweigh_interval_days": 30,
              "previous_weight_kg": 7.5, "previous_measured_on": "2026-10-01"}
    for f in (facts(), facts(rich, growth=growth, history={"visits": [visit_on("2026-10-01", weight_kg=7.5)]})):
        for name in f:
            rule_engine.Rule(name, context=typed).evaluate(f)  # raises SymbolTypeError on a wrong type


def test_answers_stored_as_sqlite_integers_count_as_yes_and_no() -> None:
    f = facts({"sits_unsupported": 1, "crawls_or_shuffles": 0, "pulls_to_stand": 0, "cruises": 0,
               "stands_alone": 0, "walks_independently": 0,
               "injuries": [{"type": "bruise", "body_site": "back", "clustered": 1, "first_noticed_date": "2026-11-24",
                             "medical_help_sought": 0}]},
              history={"visits": [visit_on("2026-10-01", walks_independently=1)]})
    assert f["mobility_level"] == "sitting" and f["nim"] is True
    assert f["bruises_clustered"] is True and f["injury_untreated_days"] == 2
    assert f["previously_mobile"] is True and f["milestones_lost"] == {"walks_independently"}
