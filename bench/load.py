"""Load: 20 practitioners submitting visits at once through gunicorn on loopback (locust, headless).

Plan item 25. Builds a temporary instance (20 practitioners with their own API tokens, 400 children), serves
it with the project's gunicorn.conf.py on 127.0.0.1, and runs bench/locust/locustfile.py against it:

* the soak: 20 concurrent submitters for 60 s, each sending again as soon as answered. Prints submits per
  second, p50/p95/p99 latency, errors, the "database is locked" lines in the server log, duplicates, and
  rows stored against 2xx received, then checks ``PRAGMA integrity_check`` and the audit chain.
  Targets: >= 400 submits/s (issue #16) and p95 <= 100 ms flat out; zero errors, locked, lost or duplicated.
* the paced run: the same 20 submitters offering 200 submits/s between them (10/s each) for 30 s, for the
  latency a steady 200/s sees (flat out, latency is users / throughput, so it mostly measures capacity).
* the break point: short steps (10 s each at 20, 40, 80, 160 users) until p95 passes 1 s.

Each speed figure is printed with its ratio to its target. The growth of one submit with a child's history
(1 to 1000 earlier visits) is in bench/submit.py.

Correctness (errors, lost or duplicated visits, locked database, a failed integrity check) makes the run
exit 1; the speed targets are reported, and only fail the run with --strict.

Run: .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--workers N] [--threads N] [--no-steps]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from hostcpu import StolenTime  # noqa: E402
from serving import Server, app_for  # noqa: E402

LOCUSTFILE = ROOT / "bench" / "locust" / "locustfile.py"
TARGET_RPS, TARGET_P95_MS, BREAK_P95_MS = 400, 100, 1000


def build_instance(path: Path, practitioners: int = 20, children: int = 400) -> dict[str, Any]:
    from argon2 import PasswordHasher, Type

    from helpers import full_visit, make_child, make_user
    from homevisit.data import store
    from homevisit.web import auth

    real_hasher = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)  # set-up speed only
    app_for(path)
    db = store.connect(path / "homevisit.db")
    try:
        store.migrate(db)
        users = [make_user(db, f"hv{i}@a.example", "practitioner", "Team A", "health_visitor")
                 for i in range(practitioners)]
        tokens = [auth.create_token(db, u["id"], "load") for u in users]
        kids = [make_child(db, users[i % practitioners], given_name=f"Child{i}",
                           date_of_birth=(date.today() - timedelta(days=290 + i % 20)).isoformat())["id"]
                for i in range(children)]
    finally:
        db.conn.close()
        auth._hasher = real_hasher
    template = full_visit(kids[0])
    template.pop("id")
    return {"tokens": tokens, "children": kids, "template": template}


def run_locust(server: Server, setup: dict[str, Any], users: int, seconds: int, out: Path,
               rate: float = 0) -> dict[str, Any]:
    acks = out / "acks"
    acks.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOMEVISIT_LOAD_RATE": str(rate), "HOMEVISIT_LOAD_TOKENS": ",".join(setup["tokens"]),
           "HOMEVISIT_LOAD_CHILDREN": ",".join(setup["children"]), "HOMEVISIT_LOAD_BODY": json.dumps(setup["template"]),
           "HOMEVISIT_LOAD_ACKS": str(acks)}
    prefix = out / "locust"
    args = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
            "-r", str(users), "-t", f"{seconds}s", "--host", server.base, "--csv", str(prefix), "--only-summary",
            "--loglevel", "WARNING", "--stop-timeout", "10"]
    started = time.monotonic()
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120)
    elapsed = time.monotonic() - started
    with open(f"{prefix}_stats.csv", newline="") as fh:
        total = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as fh:
            failures = list(csv.DictReader(fh))
    acked: dict[str, list[str]] = {"200": [], "201": []}
    for file in acks.glob("acks-*.txt"):
        for line in file.read_text().splitlines():
            status, visit_id = line.split()
            acked.setdefault(status, []).append(visit_id)
    return {
        "users": users, "seconds": seconds, "elapsed": elapsed, "exit_code": result.returncode,
        "requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]), "p50": float(total["50%"]), "p95": float(total["95%"]),
        "p99": float(total["99%"]), "max": float(total["Max Response Time"]),
        "failure_kinds": [f"{f['Occurrences']}x {f['Error']}" for f in failures],
        "acked_201": acked.get("201", []), "acked_200": acked.get("200", []),
        "stderr": result.stderr[-2000:],
    }


def check_store(database: Path, acked_201: list[str], acked_200: list[str]) -> dict[str, Any]:
    from homevisit.data import store
    from homevisit.services import audit

    db = store.connect(database)
    try:
        stored = {r["id"] for r in store.query(db, "SELECT id FROM visits")}
        submits = store.query(db, "SELECT object_id, COUNT(*) AS n FROM audit_log WHERE action = 'submit' "
                                  "GROUP BY object_id HAVING n > 1")
        integrity = db.conn.execute("PRAGMA integrity_check").fetchone()[0]
        chain = audit.verify_chain(db)
    finally:
        db.conn.close()
    created = set(acked_201)
    return {"rows": len(stored), "acked_201": len(acked_201), "distinct_201": len(created),
            "lost": len(created - stored), "unacknowledged_rows": len(stored - created),
            "duplicate_201": len(acked_201) - len(created), "duplicate_submit_entries": len(submits),
            "replays_200": len(acked_200), "replays_stored_twice": len(set(acked_200) - created),
            "integrity": integrity, "audit_chain_ok": chain["ok"], "audit_entries": chain["entries"]}


def locked_lines(log: str) -> int:
    return sum(1 for line in log.splitlines() if "database is locked" in line)


def server_errors(log: str) -> int:
    return sum(1 for line in log.splitlines() if '" 5' in line and "HTTP/1.1\" 5" in line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per worker")
    parser.add_argument("--steps", default="20,40,80,160,320,640", help="user counts for the break-point steps")
    parser.add_argument("--step-seconds", type=int, default=10)
    parser.add_argument("--no-steps", action="store_true", help="skip the break-point search")
    parser.add_argument("--rate", type=float, default=200,
                        help="offered submissions/s for the latency run (default 200/s, a steady day); 0 skips it")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a speed target is missed too")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance and logs")
    args = parser.parse_args()
    stolen = StolenTime()

    tmp = Path(tempfile.mkdtemp(prefix="hv-load-"))
    env = {}
    if args.workers:
        env["HOMEVISIT_WORKERS"] = str(args.workers)
    if args.threads:
        env["HOMEVISIT_THREADS"] = str(args.threads)
    workers = args.workers or int(os.environ.get("HOMEVISIT_WORKERS", 0)) or _conf("workers")
    threads = args.threads or int(os.environ.get("HOMEVISIT_THREADS", 0)) or _conf("threads")
    figures: dict[str, Any] = {"workers": workers, "threads": threads}
    ok = True

    def fresh(name: str) -> tuple[dict[str, Any], Server]:
        """Each phase starts from an empty instance: a child's history makes every submit a little slower."""
        setup = build_instance(tmp / name)
        return setup, Server(tmp / name, log=tmp / f"{name}.log", env=env, workers=workers, threads=threads)

    try:
        print(f"gunicorn, {workers} workers x {threads} threads, on 127.0.0.1; {args.users} submitters")
        setup, server = fresh("soak")
        with server:
            soak = run_locust(server, setup, args.users, args.seconds, tmp / "soak-run")
        log = server.log_text()
        stored = check_store(tmp / "soak" / "homevisit.db", soak["acked_201"], soak["acked_200"])
        figures["soak"] = {k: v for k, v in soak.items() if not k.startswith("acked")}
        figures["store"] = stored | {"locked": locked_lines(log), "server_5xx": server_errors(log)}
        print(f"soak: {args.seconds} s, each submitter sending again as soon as answered")
        print(f"  submits per second  {soak['rps']:8.1f}   (target >= {TARGET_RPS}; ratio to target "
              f"{soak['rps'] / TARGET_RPS:.2f})")
        print(f"  latency p50/p95/p99 {soak['p50']:.0f} / {soak['p95']:.0f} / {soak['p99']:.0f} ms   "
              f"(target p95 <= {TARGET_P95_MS} ms; ratio to target {soak['p95'] / TARGET_P95_MS:.2f}; "
              f"max {soak['max']:.0f} ms)")
        print(f"  requests {soak['requests']}, errors {soak['failures']} {soak['failure_kinds'] or ''}")
        print(f"  'database is locked' in the server log: {figures['store']['locked']}; "
              f"5xx in the access log: {figures['store']['server_5xx']}")
        print(f"  2xx received: {stored['acked_201']} created (201) + {stored['replays_200']} replays (200); "
              f"rows stored {stored['rows']}; lost {stored['lost']}; stored without a 2xx "
              f"{stored['unacknowledged_rows']}; duplicates "
              f"{stored['duplicate_201'] + stored['duplicate_submit_entries'] + stored['replays_stored_twice']}")
        print(f"  integrity_check {stored['integrity']}; audit chain "
              f"{'verifies' if stored['audit_chain_ok'] else 'BROKEN'} ({stored['audit_entries']} entries)")
        correct = (soak["failures"] == 0 and figures["store"]["locked"] == 0 and figures["store"]["server_5xx"] == 0
                   and stored["lost"] == 0 and stored["unacknowledged_rows"] == 0 and stored["duplicate_201"] == 0
                   and stored["duplicate_submit_entries"] == 0 and stored["replays_stored_twice"] == 0
                   and stored["integrity"] == "ok" and stored["audit_chain_ok"] and stored["rows"] == stored["distinct_201"])
        fast = soak["rps"] >= TARGET_RPS and soak["p95"] <= TARGET_P95_MS
        if args.rate:
            # And the latency at the target rate offered as arrivals (20 users x 10/s).
            setup, server = fresh("paced")
            seconds = min(args.seconds, 30)
            with server:
                paced = run_locust(server, setup, args.users, seconds, tmp / "paced-run", rate=args.rate / args.users)
            figures["paced"] = {k: v for k, v in paced.items() if not k.startswith("acked")}
            print(f"paced: {args.rate:.0f} submits/s offered ({args.users} users x {args.rate / args.users:g}/s) "
                  f"for {seconds} s")
            print(f"  {paced['rps']:.1f} served ({paced['rps'] / args.rate:.2f} of offered); p50/p95/p99 "
                  f"{paced['p50']:.0f} / {paced['p95']:.0f} / {paced['p99']:.0f} ms   (target p95 <= {TARGET_P95_MS} ms; "
                  f"ratio to target {paced['p95'] / TARGET_P95_MS:.2f}); errors {paced['failures']}")
            fast = fast and paced["p95"] <= TARGET_P95_MS
            correct = correct and paced["failures"] == 0
        print(f"correctness: {'PASS' if correct else 'FAIL'}; speed targets: {'met' if fast else 'MISSED'}")
        ok = correct and (fast or not args.strict)
        if not args.no_steps:
            print(f"break point (p95 > {BREAK_P95_MS} ms), {args.step_seconds} s per step, one fresh instance:")
            figures["steps"] = []
            setup, server = fresh("steps")
            with server:
                for users in [int(u) for u in args.steps.split(",") if u]:
                    step = run_locust(server, setup, users, args.step_seconds, tmp / f"step-{users}")
                    figures["steps"].append({k: v for k, v in step.items() if not k.startswith("acked")})
                    print(f"  {users:4d} users: {step['rps']:7.1f} submits/s ({step['rps'] / TARGET_RPS:.2f} of target), "
                          f"p50 {step['p50']:5.0f} ms, p95 {step['p95']:6.0f} ms ({step['p95'] / BREAK_P95_MS:.2f} of "
                          f"the break point), p99 {step['p99']:6.0f} ms, errors {step['failures']}")
                    if step["p95"] > BREAK_P95_MS:
                        figures["break_point_users"] = users
                        print(f"  p95 passed {BREAK_P95_MS} ms at {users} users")
                        break
                else:
                    print(f"  p95 stayed under {BREAK_P95_MS} ms up to {args.steps.split(',')[-1]} users")
    finally:
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1, default=str))
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        print(stolen.words())
    return 0 if ok else 1


def _conf(name: str) -> int:
    """A setting as gunicorn.conf.py computes it on this machine."""
    namespace: dict[str, Any] = {"__file__": str(ROOT / "gunicorn.conf.py")}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    return int(namespace[name])


if __name__ == "__main__":
    sys.exit(main())
