"""Plan item 19: kill -9 of the server while 20 writers submit, repeated.

After every crash the database passes ``PRAGMA integrity_check`` and ``foreign_key_check``, the audit chain
verifies, and every visit that got a 2xx is there with its submit entry in the audit log. The normal suite
crashes the server 3 times; ``make test-long`` crashes it 20 times.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import pytest
from serving import Server, Writers, make_instance


def _check_after_crash(database: Path, acked: set[str]) -> dict[str, int]:
    conn = sqlite3.connect(str(database))  # opening recovers the WAL the crash left behind
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {r[0] for r in conn.execute("SELECT id FROM visits")}
        missing = acked - stored
        assert not missing, f"{len(missing)} acknowledged visits lost, e.g. {sorted(missing)[:3]}"
        audited = {r[0] for r in conn.execute("SELECT object_id FROM audit_log WHERE action = 'submit'")}
        assert acked <= audited, "an acknowledged visit has no submit entry in the audit log"
        duplicates = conn.execute("SELECT COUNT(*) FROM (SELECT object_id FROM audit_log WHERE action = 'submit' "
                                  "GROUP BY object_id HAVING COUNT(*) > 1)").fetchone()[0]
        assert duplicates == 0
        return {"stored": len(stored)}
    finally:
        conn.close()


def crash_repeatedly(tmp_path: Path, rounds: int) -> dict[str, int]:
    from homevisit.data import store
    from homevisit.services import audit

    instance = make_instance(tmp_path / "instance", children=20)
    token = instance.tokens["practitioner"]
    rng = random.Random(19)
    acked: set[str] = set()
    totals = {"rounds": 0, "acked": 0, "sent": 0, "connection_errors": 0}
    for round_no in range(rounds):
        server = Server(instance.path, workers=2, threads=4, log=tmp_path / "gunicorn.log").start()
        writers = Writers(server, token, instance.children, n=20).start()
        deadline = time.monotonic() + 20
        target = len(writers.acked) + 10
        while len(writers.acked) < target and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.05, 0.6))  # kill at a random point in the stream of commits
        server.kill9()
        writers.stop()
        assert writers.acked, f"round {round_no}: no visit was acknowledged before the kill"
        unexpected = {s: n for s, n in writers.statuses.items() if s not in (200, 201)}
        assert not unexpected, f"round {round_no}: statuses other than 201 before the kill: {unexpected}"
        acked |= set(writers.acked)
        _check_after_crash(instance.database, acked)
        db = store.connect(instance.database)
        try:
            chain = audit.verify_chain(db)
        finally:
            db.conn.close()
        assert chain["ok"], f"round {round_no}: audit chain broken after the crash: {chain}"
        totals["rounds"] += 1
        totals["sent"] += writers.sent
        totals["connection_errors"] += writers.failures
    totals["acked"] = len(acked)
    return totals


def test_kill9_during_20_writers_loses_no_acknowledged_visit_3_times(tmp_path):
    totals = crash_repeatedly(tmp_path, rounds=3)
    assert totals["rounds"] == 3 and totals["acked"] >= 30


@pytest.mark.long
def test_kill9_during_20_writers_loses_no_acknowledged_visit_20_times(tmp_path):
    totals = crash_repeatedly(tmp_path, rounds=20)
    assert totals["rounds"] == 20 and totals["acked"] >= 200
    print(f"\nkill -9 x20: {totals}")
