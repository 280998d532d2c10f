"""A new instance served by several gunicorn workers at once: every worker must end up with the same
complete secret key (sessions signed by one worker are read by the others), made once, private to the
service user, with nothing left behind."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from homevisit.web.wiring import instance_secret_key


def _boot(instance: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait(10)
    results.put(instance_secret_key(instance))


def test_workers_booting_together_on_a_new_instance_share_one_complete_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        instance = tmp_path / f"instance-{attempt}"
        instance.mkdir()
        workers = 8
        barrier, results = context.Barrier(workers), context.Queue()
        processes = [context.Process(target=_boot, args=(str(instance), barrier, results)) for _ in range(workers)]
        for process in processes:
            process.start()
        keys = [results.get(timeout=20) for _ in processes]
        for process in processes:
            process.join(10)
            assert process.exitcode == 0
        results.close()
        results.join_thread()
        assert len(set(keys)) == 1, keys
        assert len(keys[0]) == 64 and int(keys[0], 16) >= 0  # 32 random bytes in hex, never empty or partial
        key_file = instance / "secret_key"
        assert key_file.read_text().strip() == keys[0]
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]
        assert instance_secret_key(str(instance)) == keys[0]  # and it is kept
