"""Benchmark: a full visit submitted in-process (validate, derive, store, audit), and form page renders.

Targets on the 2-core machine (issue 2): submit median <= 10 ms; each form page render median <= 20 ms. Each
figure is printed with its ratio to its target.

History growth (issue 16): a child's submit time with 1, 50, 200 and 1000 earlier visits (a child each, of the
same age at the timed submits), and the ratio of each to the time with 1 earlier visit (target: 1000/1 close to 1; a submit reads the child's history for the
growth and the rules). With --profile-history the functions whose time grows most from 1 to 1000 are listed.
Run: .venv/bin/python bench/submit.py [--visits 500] [--history 1,50,200,1000] [--profile-history]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from hostcpu import StolenTime  # noqa: E402

from app import create_app  # noqa: E402
from helpers import PASSWORD, Browser, full_visit, make_child, make_user  # noqa: E402
from homevisit.data import store  # noqa: E402
from homevisit.domain.dictionary import SECTION_KEYS  # noqa: E402
from homevisit.services import children, visits
from homevisit.web.rulesets import current_rules  # noqa: E402

SUBMIT_TARGET_MS, PAGE_TARGET_MS = 10.0, 20.0
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")) + os.sep
HISTORY_SAMPLES = 31


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def history_visit(child: dict[str, Any], day: date, rng: random.Random) -> dict[str, Any]:
    """A visit to the child on ``day``, weighed."""
    age = (day - date.fromisoformat(child["date_of_birth"])).days
    return full_visit(child["id"], visited_at=f"{day.isoformat()}T10:00:00+00:00",
                      weight_kg=round(3.5 + min(age, 1400) / 365 * 2.6 + rng.uniform(-0.2, 0.2), 2),
                      remeasured_confirmed=True, room_temp_c=18.5, covering="sleep_bag")


def history_growth(app: Any, user: dict[str, Any], levels: list[int], profile: bool) -> None:
    """Submit time at each number of earlier visits, and its ratio to the first level.

    Each level has a child of its own, the same age at the timed submits for every level (its earlier visits a
    day apart just before them), so the rows differ by the history alone and not by the age the rules read."""
    rng = random.Random(11)
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        first_timed = date.today() - timedelta(days=HISTORY_SAMPLES + 1)
        born = first_timed - timedelta(days=max(levels) + 30)
        rules = current_rules()

        def submit(child: dict[str, Any], day: date) -> float:
            body = history_visit(child, day, rng)
            start = time.perf_counter()
            status, _ = visits.put_visit(db, str(uuid.uuid4()), body, user, rules,
                                         get_child=lambda cid: children.get_child(db, cid, user, log_view=False))
            elapsed = (time.perf_counter() - start) * 1000
            assert status == 201, status
            return elapsed

        # every child's history first, then the timed submits by turns (a submit for each level in each
        # round), so a drift in the machine's speed weighs on every level alike
        kids = []
        for level in levels:
            child = make_child(db, user, given_name=f"History{level}", date_of_birth=born.isoformat())
            for n in range(level, 0, -1):
                submit(child, first_timed - timedelta(days=n))
            kids.append(child)
        profilers = {level: cProfile.Profile() for level in levels} if profile else {}
        samples: dict[int, list[float]] = {level: [] for level in levels}
        for n in range(HISTORY_SAMPLES):
            for level, child in zip(levels, kids, strict=True):
                if profilers:
                    profilers[level].enable()
                samples[level].append(submit(child, first_timed + timedelta(days=n)))
                if profilers:
                    profilers[level].disable()
        rows = [(level, statistics.median(samples[level]), pct(samples[level], 95)) for level in levels]
        profiles = {level: pstats.Stats(p) for level, p in profilers.items()}
    first = rows[0][1]
    print(f"history growth: {HISTORY_SAMPLES} submits at each number of earlier visits, a child of the same age "
          "each, the levels by turns (validate, growth, rules, store, audit)")
    print("  earlier visits   median ms   p95 ms   ratio to the first row")
    for level, median, p95 in rows:
        print(f"  {level:14d}   {median:9.2f}   {p95:6.2f}   {median / first:6.2f}")
    print(f"  ratio {rows[-1][0]}/{rows[0][0]} earlier visits: {rows[-1][1] / first:.2f}")
    if profiles:
        low, high = profiles[levels[0]], profiles[levels[-1]]
        cum = {key: value[3] for key, value in low.stats.items()}  # type: ignore[attr-defined]
        growth = sorted(((value[3] - cum.get(key, 0.0), key) for key, value in high.stats.items()),  # type: ignore[attr-defined]
                        reverse=True)
        print(f"  functions whose cumulative time grows most, {levels[0]} -> {levels[-1]} earlier visits "
              f"(ms a submit, profiled):")
        for extra, (filename, line, name) in growth[:15]:
            before = cum.get((filename, line, name), 0.0)
            short = os.path.normpath(filename).split("site-packages/")[-1].replace(ROOT, "")
            print(f"    +{extra / HISTORY_SAMPLES * 1000:8.2f}  ({before / HISTORY_SAMPLES * 1000:7.2f} -> "
                  f"{(before + extra) / HISTORY_SAMPLES * 1000:7.2f})  {short}:{line}({name})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=500)
    parser.add_argument("--history", default="1,50,200,1000", help="earlier visits of one child to time a submit at")
    parser.add_argument("--profile-history", action="store_true", help="list the functions that grow with history")
    args = parser.parse_args()
    stolen = StolenTime()
    tmp = tempfile.mkdtemp(prefix="hv-bench-")
    app = create_app({"INSTANCE_PATH": tmp, "DATABASE": os.path.join(tmp, "homevisit.db"), "SECRET_KEY": "bench",
                      "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        store.migrate(db)
        user = make_user(db, "bench@a.example")
        kids = [make_child(db, user, given_name=f"Child{i}", date_of_birth=(date.today() - timedelta(days=200 + 7 * i)).isoformat())
                for i in range(25)]
        rules = current_rules()
        rng = random.Random(7)
        times = []
        for n in range(args.visits):
            child = kids[n % len(kids)]
            dob = date.fromisoformat(child["date_of_birth"])
            day = date.today() - timedelta(days=(args.visits - n) // 5)
            age = (day - dob).days
            # every section answered, a new weight each time (a fresh UK-WHO lookup), a mark on every 5th visit
            body = full_visit(child["id"], visited_at=f"{day.isoformat()}T{8 + n % 10:02d}:00:00+00:00",
                              weight_kg=round(6.5 + age / 365 * 2.5 + rng.uniform(-0.3, 0.3), 2),
                              remeasured_confirmed=True, room_temp_c=round(rng.uniform(15, 21), 1),
                              covering=rng.choice(["sleep_bag", "tucked_sheet_blanket", "none"]),
                              observed_verbatim="Mother said he had been unsettled overnight. " * 5,
                              injuries=[{"type": "bruise", "body_site": "left_upper_arm", "pattern": "none",
                                         "explanation_assessment": "suitable"}] if n % 5 == 0 else [])
            start = time.perf_counter()
            status, _ = visits.put_visit(db, str(uuid.uuid4()), body, user, rules,
                                         get_child=lambda cid: children.get_child(db, cid, user, log_view=False))
            times.append((time.perf_counter() - start) * 1000)
            assert status == 201
        visit_id = visits.start_draft(db, kids[0], user)
    print(f"full visit submitted in-process (validate, growth, rules, store, audit), {args.visits} visits "
          f"across {len(kids)} children:")
    submit_median = statistics.median(times)
    print(f"  median {submit_median:.2f} ms   p95 {pct(times, 95):.2f} ms   "
          f"(target median <= {SUBMIT_TARGET_MS:.0f} ms; ratio to target {submit_median / SUBMIT_TARGET_MS:.2f})")

    b = Browser(app)
    b.sign_in("bench@a.example", PASSWORD)
    print("form page render (GET through the Flask test client), 50 renders each:")
    worst = 0.0
    for section in SECTION_KEYS:
        url = f"/visits/{visit_id}/section/{section}"
        b.get(url)
        samples = []
        for _ in range(50):
            start = time.perf_counter()
            response = b.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        worst = max(worst, statistics.median(samples))
        print(f"  {section:<13} median {statistics.median(samples):6.2f} ms   "
              f"ratio to target {statistics.median(samples) / PAGE_TARGET_MS:.2f}")
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        b.get(f"/visits/{visit_id}/check")
        samples.append((time.perf_counter() - start) * 1000)
    print(f"  {'check':<13} median {statistics.median(samples):6.2f} ms   "
          f"ratio to target {statistics.median(samples) / PAGE_TARGET_MS:.2f}")
    print(f"slowest form page median {worst:.2f} ms (target <= {PAGE_TARGET_MS:.0f} ms; "
          f"ratio to target {worst / PAGE_TARGET_MS:.2f})")
    if args.history:
        history_growth(app, user, [int(n) for n in args.history.split(",") if n], args.profile_history)
    print(stolen.words())


if __name__ == "__main__":
    main()
