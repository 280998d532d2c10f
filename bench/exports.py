"""Benchmark: visit history exports over 100,000 synthetic visits.

Targets (issue: exports): the CSV export takes at most 1.5 times as long as the sqlite3 shell's own CSV export
of the same rows; the CSV and NDJSON exports peak at <= 100 MB resident (each measured in a fresh process);
the XLSX export takes <= 30 s.
Run: .venv/bin/python bench/exports.py [--visits 100000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from homevisit.data import store  # noqa: E402
from homevisit.domain.dictionary import (  # noqa: E402
    BOOL,
    CARER_FIELDS,
    DATE,
    DATETIME,
    DECIMAL,
    INJURY_FIELDS,
    INT,
    MULTI,
    TEXT,
    VISIT_FIELDS,
)
from homevisit.services import exports

TEAM_A, TEAM_B = 1, 2
SENTENCES = (
    "Mum said the baby had been unsettled overnight and feeding less.",
    "Home warm and tidy; cot in parents' room with a firm mattress and a sleep bag.",
    "- bruise noted on the left upper arm, about 2 cm, carer said it happened at nursery",
    "Dad was present throughout and answered most questions; mum was quiet.",
    "Child smiled and babbled, reached for toys, good eye contact with carer.",
    "Kitchen had little food; food bank referral offered and accepted.",
    "=Agreed to review next week with the GP and the nursery key worker.",
    "Mould on the bedroom wall beside the cot; landlord contacted.",
    'Mum said "he rolled off the sofa" and then that he had been in his cot all day.',
    "Seen:\n- cot in parents' room\n- sleep bag\nDiscussed safe sleep, leaflet left.",
)


def _value(f, rng: random.Random, today: date):
    if rng.random() < 0.08 and not f.required:
        return None  # not observed
    if f.kind == BOOL:
        return rng.randint(0, 1)
    if f.kind == MULTI:
        return json.dumps(sorted(rng.sample(f.values, rng.randint(1, min(3, len(f.values))))), separators=(",", ":"))
    if f.choices:
        return rng.choice(f.values)
    if f.kind == INT:
        return rng.randint(int(f.minimum or 0), int(f.maximum or 10))
    if f.kind == DECIMAL:
        return round(rng.uniform(f.minimum or 0, f.maximum or 100), f.places or 1)
    if f.kind == DATE:
        return (today - timedelta(days=rng.randint(0, 700))).isoformat()
    if f.kind == DATETIME:
        return None
    if f.kind == TEXT:
        return " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))[: f.max_length]
    return None


def build(path: str, n_visits: int) -> dict:
    """A migrated database with two teams, their children and n_visits synthetic visits in team A."""
    db = store.connect(path)
    store.migrate(db)
    conn = db.conn
    rng = random.Random(11)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    today = date.today()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)",
                     [(TEAM_A, "Team A", now), (TEAM_B, "Team B", now)])
    users = [(i, f"user{i}@bench.example", f"Practitioner {i}", "practitioner" if i > 2 else "supervisor",
              "health_visitor", TEAM_A if i <= 40 else TEAM_B, "x", now) for i in range(1, 46)]
    conn.executemany("INSERT INTO users (id, email, name, role, visitor_role, team_id, password_hash, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", users)
    children = []
    for i in range(6000):
        team = TEAM_A if i < 5000 else TEAM_B
        dob = today - timedelta(days=rng.randint(30, 900))
        children.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), team, f"Given{i}", f"Family{i}",
                         dob.isoformat(), rng.choice(("male", "female")), rng.randint(30, 42), now))
    conn.executemany("INSERT INTO children (id, team_id, given_name, family_name, date_of_birth, sex, gestation_weeks, "
                     "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", children)
    team_children = {TEAM_A: [c for c in children if c[1] == TEAM_A], TEAM_B: [c for c in children if c[1] == TEAM_B]}
    fields = [f for f in VISIT_FIELDS if f.name not in ("visited_at", "visitor_role")]
    templates = [[_value(f, rng, today) for f in fields] for _ in range(2000)]
    columns = ["id", "child_id", "team_id", "visitor_id", "status", "created_at", "updated_at", "visited_at",
               "visitor_role", "weight_sds", "weight_centile", "centile_spaces_fallen_since_birth",
               "centile_spaces_fallen_since_previous"] + [f.name for f in fields]
    insert_visit = f"INSERT INTO visits ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    injury_cols = ["visit_id", "position"] + [f.name for f in INJURY_FIELDS]
    carer_cols = ["visit_id", "position"] + [f.name for f in CARER_FIELDS]
    injury_templates = [[_value(f, rng, today) for f in INJURY_FIELDS] for _ in range(500)]
    carer_templates = [[_value(f, rng, today) for f in CARER_FIELDS] for _ in range(500)]
    for row in carer_templates:
        row[1] = rng.choice(("Sarah Jones", "Tom Ellis", "Priya Shah", None))
    counts = {"visits": 0, "injuries": 0, "carers_present": 0, "actions": 0}  # team A's
    batch_v, batch_i, batch_c, batch_a = [], [], [], []

    def flush() -> None:
        conn.executemany(insert_visit, batch_v)
        conn.executemany(f"INSERT INTO injuries ({', '.join(injury_cols)}) VALUES ({', '.join('?' * len(injury_cols))})",
                         batch_i)
        conn.executemany(f"INSERT INTO carers_present ({', '.join(carer_cols)}) VALUES "
                         f"({', '.join('?' * len(carer_cols))})", batch_c)
        conn.executemany("INSERT INTO actions (id, child_id, team_id, visit_id, rule_id, title, action, severity, "
                         "deadline, due_at, owner, source, reasons, status, created_at) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch_a)
        for batch in (batch_v, batch_i, batch_c, batch_a):
            batch.clear()

    total = n_visits + n_visits // 20  # team B's visits too, which team A's export must leave out
    for n in range(total):
        team = TEAM_A if n < n_visits else TEAM_B
        child = rng.choice(team_children[team])
        visit_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        visited = datetime(today.year, 1, 1, tzinfo=UTC) - timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        sds = round(rng.gauss(0, 1), 4)
        visitor = rng.randint(1, 40) if team == TEAM_A else rng.randint(41, 45)
        batch_v.append([visit_id, child[0], team, visitor, rng.choice(("submitted", "signed")), now, now,
                        visited.isoformat(timespec="minutes"), "health_visitor", sds, round(rng.uniform(1, 99), 1),
                        round(rng.uniform(-1, 3), 2), round(rng.uniform(-1, 2), 2)] + templates[n % len(templates)])
        counts["visits"] += team == TEAM_A
        if rng.random() < 0.12:
            for position in range(rng.randint(1, 3)):
                batch_i.append([visit_id, position] + rng.choice(injury_templates))
                counts["injuries"] += team == TEAM_A
        for position in range(rng.randint(1, 2)):
            batch_c.append([visit_id, position] + rng.choice(carer_templates))
            counts["carers_present"] += team == TEAM_A
        if rng.random() < 0.25:
            rule = rng.choice(("R01", "R05", "R14", "R20", "R26"))
            batch_a.append([str(uuid.uuid4()), child[0], team, visit_id, rule, f"Rule {rule}", "Do the thing",
                            "same_day", "today", now, "visitor", "NICE", "Because", rng.choice(("open", "done")), now])
            counts["actions"] += team == TEAM_A
        if len(batch_v) >= 5000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    db.close()
    return counts


SUPERVISOR = {"id": 1, "role": "supervisor", "team_id": TEAM_A}


def run_export(path: str, fmt: str, out: str) -> tuple[float, int]:
    """Run one export to a file; (seconds, bytes)."""
    started = time.perf_counter()
    size = 0
    with open(out, "wb") as fh:
        for chunk in exports.visits_export(path, SUPERVISOR, exports.VisitFilter(team_id=TEAM_A), fmt):
            fh.write(chunk)
            size += len(chunk)
    return time.perf_counter() - started, size


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_in_child(path: str, fmt: str) -> dict:
    """Peak resident memory of one export, in a fresh interpreter so nothing else counts."""
    out = subprocess.run([sys.executable, __file__, "--measure", fmt, "--db", path], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        before = peak_rss_mb()
        seconds, size = 0.0, 0
        started = time.perf_counter()
        for chunk in exports.visits_export(args.db, SUPERVISOR, exports.VisitFilter(team_id=TEAM_A), args.measure):
            size += len(chunk)
        seconds = time.perf_counter() - started
        print(json.dumps({"fmt": args.measure, "seconds": seconds, "bytes": size, "peak_mb": peak_rss_mb(),
                          "peak_before_export_mb": before}))
        return
    tmp = tempfile.mkdtemp(prefix="hv-bench-exports-")
    path = os.path.join(tmp, "homevisit.db")
    try:
        started = time.perf_counter()
        counts = build(path, args.visits)
        print(f"built team A's {counts} (and team B's 5%) in {time.perf_counter() - started:.1f} s; "
              f"database {os.path.getsize(path) / 1e6:.0f} MB")
        names = ", ".join(c.name for c in exports.VISITS.columns)
        shell_queries = {  # the brief's query, and the same rows in the export's order
            "as briefed": f"SELECT {names} FROM visits WHERE team_id = {TEAM_A}",
            "same order": f"SELECT {names} FROM visits WHERE team_id = {TEAM_A} AND status != 'draft' "
                          "ORDER BY visited_at, id"}
        times: dict[str, list[float]] = {"ours": [], **{k: [] for k in shell_queries}}
        cpu: dict[str, list[float]] = {k: [] for k in times}  # CPU seconds: steadier than wall time on a busy machine
        for _ in range(3):
            started_cpu = time.process_time()
            times["ours"].append(run_export(path, "csv", os.path.join(tmp, "ours.csv"))[0])
            cpu["ours"].append(time.process_time() - started_cpu)
            for label, sql in shell_queries.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                with open(os.path.join(tmp, "shell.csv"), "wb") as fh:
                    subprocess.run(["sqlite3", "-csv", "-header", path, sql], stdout=fh, check=True)
                times[label].append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[label].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        with open(os.path.join(tmp, "ours.csv"), newline="", encoding="utf-8") as fh:
            rows = sum(1 for _ in csv.reader(fh)) - 1
        mine, mine_cpu = min(times["ours"]), min(cpu["ours"])
        print(f"CSV: {rows} visits, {os.path.getsize(os.path.join(tmp, 'ours.csv')) / 1e6:.0f} MB in {mine:.2f} s wall, "
              f"{mine_cpu:.2f} s CPU (best of 3; wall {', '.join(f'{t:.2f}' for t in times['ours'])})")
        for label in shell_queries:
            shell, shell_cpu = min(times[label]), min(cpu[label])
            print(f"  sqlite3 -csv -header, {label}: {shell:.2f} s wall, {shell_cpu:.2f} s CPU; "
                  f"ratio {mine / shell:.2f} wall, {mine_cpu / shell_cpu:.2f} CPU (target <= 1.5)")
        for fmt in ("zip", "json"):
            seconds, size = run_export(path, fmt, os.path.join(tmp, f"ours.{fmt}"))
            print(f"{fmt.upper()}: {size / 1e6:.0f} MB in {seconds:.2f} s")
        for fmt in ("csv", "ndjson"):
            m = measure_in_child(path, fmt)
            print(f"{fmt.upper()} peak RSS {m['peak_mb']:.0f} MB (interpreter and imports before the export "
                  f"{m['peak_before_export_mb']:.0f} MB; export {m['seconds']:.2f} s) (target <= 100 MB)")
        m = measure_in_child(path, "xlsx")
        print(f"XLSX: {m['bytes'] / 1e6:.0f} MB in {m['seconds']:.1f} s (target <= 30 s); peak RSS {m['peak_mb']:.0f} MB")
        check = sqlite3.connect(path)
        audits = check.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'export'").fetchone()[0]
        check.close()
        print(f"audit entries written: {audits}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
