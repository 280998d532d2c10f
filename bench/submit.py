"""Benchmark: a full visit submitted in-process (validate, derive, store, audit), and form page renders.

Targets on the 2-core machine (issue 2): submit median <= 10 ms; each form page render median <= 20 ms.
Run: .venv/bin/python bench/submit.py [--visits 500]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from app import create_app  # noqa: E402
from helpers import PASSWORD, Browser, full_visit, make_child, make_user  # noqa: E402
from homevisit import children, store, visits  # noqa: E402
from homevisit.dictionary import SECTION_KEYS  # noqa: E402
from homevisit.rulesets import current_rules  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=500)
    args = parser.parse_args()
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
    print(f"  median {statistics.median(times):.2f} ms   p95 {pct(times, 95):.2f} ms   (target median <= 10 ms)")

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
        print(f"  {section:<13} median {statistics.median(samples):6.2f} ms")
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        b.get(f"/visits/{visit_id}/check")
        samples.append((time.perf_counter() - start) * 1000)
    print(f"  {'check':<13} median {statistics.median(samples):6.2f} ms")
    print(f"slowest form page median {worst:.2f} ms (target <= 20 ms)")


if __name__ == "__main__":
    main()
