"""How long deriving a visit's required actions takes for a child with a long history.

Run: .venv/bin/python bench/rules.py

Times ``required_actions_for`` (facts building included) for a new visit of a child with 30 earlier visits,
then ``homevisit.domain.growth.weight_sds`` per weight if the growth module is present. Target: 5 ms per visit.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homevisit.domain.calendar import LONDON  # noqa: E402
from homevisit.domain.rules import load_rules, required_actions_for  # noqa: E402

RUNS = 500
TARGET_MS = 5.0
CHILD = {"id": "child-1", "date_of_birth": "2025-06-26", "sex": "male", "gestation_weeks": 39, "gestation_days": 2,
         "birth_weight_kg": 3.3}
FIRST_VISIT = datetime(2025, 7, 10, 10, 0, tzinfo=LONDON)
MILESTONES = ("head_control", "rolls", "sits_unsupported", "crawls_or_shuffles", "pulls_to_stand", "cruises",
              "stands_alone", "walks_independently")


def a_visit(n: int, when: datetime, **changes: Any) -> dict[str, Any]:
    months = (when.date() - date.fromisoformat(CHILD["date_of_birth"])).days / 30.44
    visit: dict[str, Any] = {
        "id": f"visit-{n}", "visitor_id": 1 + n % 4, "visitor_role": "health_visitor" if n % 2 else "social_worker",
        "visited_at": when.isoformat(), "child_seen": "awake", "sleep_space": "cot", "mattress_condition": "clean",
        "covering": "sleep_bag", "items_in_cot": ["none"], "room_temp_c": 18.0, "room_heated": True,
        "child_cold": False, "age_appropriate_food": "more_than_3_days", "spoiled_food_accessible": False,
        "weight_kg": round(3.6 + 0.45 * months, 2), "weight_clothing": "naked", "weight_bearing": True,
        "skills_lost": False, "pain_on_handling": False, "limb_not_used": False, "demeanour": "content",
        "hygiene": "clean", "clothing_adequate": True, "disclosure": "none", "referral_made": False,
        "missed_appointments": n % 3 == 0 and 1 or 0, "injuries": [], "carers_present": [],
        "fired_rules": ["R19", "R26"] if n % 5 == 0 else [],
    }
    for i, milestone in enumerate(MILESTONES):
        visit[milestone] = months >= (0, 4, 7, 9, 10, 11, 13, 14)[i]
    visit.update(changes)
    return visit


def history() -> dict[str, Any]:
    visits = [a_visit(n, FIRST_VISIT + timedelta(days=17 * n)) for n in range(30)]
    allocations = [{"user_id": 10 + n, "role": "social_worker", "started_on": (date(2025, 7, 1) + timedelta(days=60 * n)).isoformat(),
                    "ended_on": (date(2025, 7, 1) + timedelta(days=60 * n + 59)).isoformat()} for n in range(8)]
    actions = [{"rule_id": rule, "status": "open" if n % 3 else "done",
                "created_at": v["visited_at"], "due_at": v["visited_at"]}
               for n, v in enumerate(visits) for rule in v["fired_rules"]]
    return {"visits": visits, "allocations": allocations, "actions": actions}


def growth_for(visit: dict[str, Any], past: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    try:
        from homevisit.domain import growth
    except ImportError:
        return ({"sds": -3.1, "centile": 0.1, "bw_sds": -0.2, "centile_spaces_fallen_since_birth": 4.35,
                 "previous_weight_kg": past[-1]["weight_kg"], "previous_weight_clothing": "naked",
                 "previous_measured_on": past[-1]["visited_at"][:10]}, "synthetic growth facts")
    measurements = [{"visit_id": v["id"], "measured_on": v["visited_at"][:10], "weight_kg": v["weight_kg"],
                     "weight_clothing": v["weight_clothing"]} for v in [*past, visit] if v.get("weight_kg")]
    return growth.weight_facts(CHILD, measurements, visit["id"]), "growth facts from homevisit.domain.growth"


def timed(fn: Any, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, times: list[float]) -> float:
    times = sorted(times)
    median, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(f"{label}: median {median:.3f} ms, p95 {p95:.3f} ms over {len(times)} runs")
    return median


def main() -> int:
    rules = load_rules()
    past = history()
    when = FIRST_VISIT + timedelta(days=17 * 30)
    concerning = a_visit(30, when, weight_kg=7.3, covering="none", room_temp_c=14.0, child_cold=True,
                         age_appropriate_food="none", mattress_condition="soiled", hygiene="soiled_nappy",
                         demeanour="watchful_frozen", stands_alone=False, walks_independently=False,
                         weight_bearing=False, limb_not_used=True,
                         injuries=[{"type": "swelling", "body_site": "left_forearm", "first_noticed_date":
                                    (when.date() - timedelta(days=3)).isoformat(), "medical_help_sought": False,
                                    "explanation_assessment": "none"}])
    well = a_visit(30, when)
    worst = 0.0
    for label, visit in (("concerning visit", concerning), ("routine visit (its history has missed weighs and earlier concerns)", well)):
        growth, growth_source = growth_for(visit, past["visits"])
        fired = required_actions_for(visit, CHILD, growth, past, rules)
        print(f"{label}: {len(fired)} actions ({', '.join(a['rule_id'] for a in fired) or 'none'}); {growth_source}")
        timed(lambda _i, v=visit, g=growth: required_actions_for(v, CHILD, g, past, rules), 50)  # warm up
        worst = max(worst, report(f"required_actions_for, {label}, 30 earlier visits",
                                  timed(lambda _i, v=visit, g=growth: required_actions_for(v, CHILD, g, past, rules),
                                        RUNS)))
    try:
        from homevisit.domain.growth import weight_sds
    except ImportError:
        print("growth module not present")
    else:
        dob = date.fromisoformat(CHILD["date_of_birth"])
        on = dob + timedelta(days=400)
        report("weight_sds, a new weight each time (uncached)",
               timed(lambda i: weight_sds("male", dob, 39, 2, on, 6.0 + i / 1000), RUNS))
        report("weight_sds, the same weight again (cached)",
               timed(lambda _i: weight_sds("male", dob, 39, 2, on, 6.0), RUNS))
    print(f"target: median <= {TARGET_MS} ms for required_actions_for (issue 3): "
          f"{'met' if worst <= TARGET_MS else 'NOT MET'} (slowest median {worst:.3f} ms)")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
