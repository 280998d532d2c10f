"""Plan item 25: against gunicorn on loopback (locust), 20 concurrent submitters with zero errors, zero
"database is locked", no duplicates, rows stored equal to the 2xx count, and ``integrity_check`` ok after.

The normal suite runs 8 seconds of it; ``make test-long`` the full 60. Speed is measured and reported by
bench/load.py (targets: >= 400 submits/s, p95 <= 100 ms); this test holds the correctness half.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import load  # noqa: E402  (bench/load.py)
from serving import Server  # noqa: E402


def soak(tmp_path: Path, seconds: int) -> dict:
    setup = load.build_instance(tmp_path / "instance", children=100)
    with Server(tmp_path / "instance", workers=load._conf("workers"), threads=load._conf("threads"),
                log=tmp_path / "gunicorn.log") as server:
        result = load.run_locust(server, setup, users=20, seconds=seconds, out=tmp_path / "soak")
    log = server.log_text()  # after the stop: every line written
    stored = load.check_store(tmp_path / "instance" / "homevisit.db", result["acked_201"], result["acked_200"])
    assert result["exit_code"] == 0 and result["failures"] == 0, (result["failure_kinds"], result["stderr"])
    assert result["requests"] > 20 * seconds / 2, "too few submissions to prove anything"
    assert load.locked_lines(log) == 0
    assert load.server_errors(log) == 0
    assert stored["lost"] == 0 and stored["unacknowledged_rows"] == 0
    assert stored["rows"] == stored["acked_201"] == stored["distinct_201"], stored
    assert stored["duplicate_submit_entries"] == 0 and stored["replays_stored_twice"] == 0
    assert stored["replays_200"] > 0
    assert stored["integrity"] == "ok" and stored["audit_chain_ok"]
    return {"rps": result["rps"], "p95": result["p95"], "p99": result["p99"], **stored}


def test_20_submitters_for_8_seconds_lose_nothing_and_duplicate_nothing(tmp_path):
    soak(tmp_path, seconds=8)


@pytest.mark.long
def test_20_submitters_for_60_seconds_lose_nothing_and_duplicate_nothing(tmp_path):
    figures = soak(tmp_path, seconds=60)
    print(f"\n60 s soak: {figures}")
