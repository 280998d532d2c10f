"""The share of this machine's CPU time the host took for other guests while a benchmark ran ("steal").

On a shared virtual machine the same code measured minutes apart differed by half (issue 16's session of
2026-12-07: a full record 268 ms, then 430 ms); ``top`` showed up to a quarter of the CPU stolen. Each
benchmark prints this figure with its results so that a reader can tell a slow run from a slow machine."""

from __future__ import annotations


def _ticks() -> tuple[int, int] | None:
    """(steal, total) CPU ticks since boot, all CPUs together; None where /proc/stat is not there."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    steal = fields[7] if len(fields) > 7 else 0
    return steal, sum(fields[:8])


class StolenTime:
    """Started at creation; ``words()`` says how much of the CPU time since was stolen by the host."""

    def __init__(self) -> None:
        self.start = _ticks()

    def share(self) -> float | None:
        end = _ticks()
        if self.start is None or end is None or end[1] == self.start[1]:
            return None
        return (end[0] - self.start[0]) / (end[1] - self.start[1])

    def words(self) -> str:
        share = self.share()
        if share is None:
            return "CPU time taken by the host during this run: not known here"
        return f"CPU time taken by the host (steal) during this run: {share:.1%}"
