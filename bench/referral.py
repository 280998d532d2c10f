"""Benchmark the referral pack: build + render + sign for a child with 30 visits, against a visit record.

Run from the repository root:  .venv/bin/python bench/referral.py [--runs 15] [--visits 30]

The child is a toddler seen every two weeks by two professionals (a health visitor and a social worker) whose
weight falls across the visits, with no suitable food on a third of them, a bare mattress on some and a mark
on every fifth, so the pack carries what a real one does: the UK-WHO chart with 30 weights, the concerns
recorded more than once with their dates, the injuries, and a chronology of every visit, required action and
rule hit. The pack is built from the database (``referral_records.build_pack``), rendered and signed
(``records.render_signed_referral``); the comparison is the latest visit's signed record built from the same
database (``visit_records.build_record``) and rendered and signed (``records.render_signed_record``), the two
run by turns in the same process so a drift in the machine's speed weighs on both alike.

Target (issue 14): the pack's median at most 1.5 times the visit record's.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from helpers import full_visit, make_child, make_user  # noqa: E402
from homevisit.data import store  # noqa: E402
from homevisit.records import records  # noqa: E402
from homevisit.records.signing import init_signing, trusted_certificates, verify_pdf  # noqa: E402
from homevisit.services import children, referral_records, referrals, visits  # noqa: E402
from homevisit.services.visit_records import build_record, load_signer  # noqa: E402
from homevisit.web.rulesets import current_rules  # noqa: E402

TARGET_RATIO = 1.5


def signature_png() -> bytes:
    """The integration tests' drawn signature, so the record carries a real one."""
    path = ROOT / "tests" / "integration" / "test_records.py"
    spec = importlib.util.spec_from_file_location("records_fixture", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.signature_png()


def seed(db: Any, rules: Any, count: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A child with ``count`` visits by two professionals, and a referral pre-filled from them."""
    hv = make_user(db, "hv@bench.example", "practitioner", "Bench team", "health_visitor", name="Priya Natarajan")
    sw = make_user(db, "sw@bench.example", "practitioner", "Bench team", "social_worker", name="Tom Okafor")
    first_day = date.today() - timedelta(days=14 * count)
    child = make_child(db, hv, given_name="Leo", family_name="Harris", sex="male",
                       date_of_birth=(first_day - timedelta(days=120)).isoformat(), birth_weight_kg=3.4)
    for n in range(count):
        day = first_day + timedelta(days=14 * n)
        visitor = hv if n % 2 == 0 else sw
        age_days = (day - date.fromisoformat(child["date_of_birth"])).days
        expected = 3.4 + age_days / 365 * 6.0
        kg = round(expected * (1.0 - 0.006 * n), 2)  # drifts down across the centile lines
        extra: dict[str, Any] = {}
        if n % 3 == 2:
            extra["age_appropriate_food"] = "none"
        if n % 4 == 3:
            extra.update(covering="none", room_heated=False, room_temp_c=14.0)
        body = full_visit(child["id"], visited_at=f"{day.isoformat()}T10:00:00+00:00", weight_kg=kg,
                          remeasured_confirmed=True,
                          visitor_role="health_visitor" if visitor is hv else "social_worker",
                          observed_verbatim=f"Leo was in his cot on {day.isoformat()}; he was quiet and did not reach "
                                            "for toys. The kitchen cupboards were open and empty. " * 2,
                          injuries=[{"type": "bruise", "body_site": "left_upper_arm", "size_mm": 15, "count": 1,
                                     "pattern": "none", "explanation": "Bumped on the cot side",
                                     "explanation_assessment": "suitable"}] if n % 5 == 4 else [],
                          **extra)
        status, _ = visits.put_visit(db, str(uuid.uuid4()), body, visitor, rules,
                                     get_child=lambda cid, u=visitor: children.get_child(db, cid, u, log_view=False))
        if status != 201:
            raise RuntimeError(f"visit {n} was not stored: {status}")
    draft = referral_records.prefill(db, child, rules=rules)
    referral = referrals.create(db, child, hv, {"agency": "mash", "reason": draft["reason"] or "Weight falling",
                                                "supporting_rules": draft["supporting_rules"], "form": draft["form"]},
                                config=CONFIG, rule_ids=set(rules.by_id))
    return child, hv, referral


CONFIG: dict[str, Any] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--visits", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="homevisit-bench-") as scratch:
        app = create_app({"INSTANCE_PATH": scratch, "DATABASE": os.path.join(scratch, "homevisit.db"),
                          "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
        CONFIG.update(app.config)
        init_signing(app.config["SIGNING_DIR"], app.config["ORGANISATION_NAME"])
        static_dir = ROOT / "static"
        png = signature_png()
        with app.app_context():
            db = app.extensions["homevisit_db"]()
            store.migrate(db)
            rules = current_rules()
            child, hv, referral = seed(db, rules, args.visits)
            signer = load_signer(app.config)
            referral = referrals.get_referral(db, referral["id"], hv)
            latest = visits.visits_for_child(db, child["id"])[0]
            visit = visits.load_visit(db, latest["id"], hv)
            visitor = store.query_one(db, "SELECT * FROM users WHERE id = ?", (visit["visitor_id"],))

            def pack() -> bytes:
                built = referral_records.build_pack(db, referral, child, config=app.config, rules=rules, signer=hv,
                                                    signed_at=datetime.now(UTC))
                return records.render_signed_referral(built, static_dir, signer)

            def record() -> bytes:
                built = build_record(db, visit, child, organisation=app.config["ORGANISATION_NAME"],
                                     service_name=app.config["SERVICE_NAME"], signer=visitor, signed_at=datetime.now(UTC),
                                     signature_png=png)
                return records.render_signed_record(built, static_dir, signer)

            pack_pdf, record_pdf = pack(), record()  # warm fonts, templates and stylesheets
            trusted = trusted_certificates(app.config["SIGNING_DIR"])
            for name, pdf in (("pack", pack_pdf), ("record", record_pdf)):
                report = verify_pdf(pdf, trusted)
                if not report["intact"]:
                    raise RuntimeError(f"the {name} did not verify: {report}")
            built = referral_records.build_pack(db, referral, child, config=app.config, rules=rules, signer=hv,
                                                signed_at=datetime.now(UTC))
            samples: dict[str, list[tuple[float, float]]] = {"pack": [], "record": []}
            for _ in range(args.runs):
                for name, fn in (("pack", pack), ("record", record)):
                    wall, cpu = time.perf_counter(), time.process_time()
                    fn()
                    samples[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    def median(name: str, index: int) -> float:
        return statistics.median(s[index] for s in samples[name]) * 1000

    print(f"Referral pack benchmark ({args.runs} runs by turns, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]})")
    print(f"  child with {args.visits} visits: {len(built['growth']['rows'])} weights on the chart, "
          f"{len(built['concerns'])} concerns recorded more than once, {len(built['injuries'])} injuries, "
          f"{len(built['chronology'])} chronology entries; pack {len(pack_pdf) / 1024:.0f} KiB, "
          f"visit record {len(record_pdf) / 1024:.0f} KiB (both verified intact)")
    print(f"  pack build + render + sign         median {median('pack', 0):7.1f} ms wall  {median('pack', 1):7.1f} ms CPU")
    print(f"  visit record build + render + sign median {median('record', 0):7.1f} ms wall  "
          f"{median('record', 1):7.1f} ms CPU")
    ratio = median("pack", 0) / median("record", 0)
    cpu_ratio = median("pack", 1) / median("record", 1)
    verdict = "meets target" if ratio <= TARGET_RATIO else "MISSES target"
    print(f"  ratio pack / visit record: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
          f"(target <= {TARGET_RATIO}x): {verdict}")


if __name__ == "__main__":
    main()
