"""The running sums the database keeps of each child's visits (migration 0018, issue 16).

A submit's history facts (visits counted, milestones ever recorded, the counts in each window) are read from
``visit_sums`` in a few seeks instead of summing every earlier visit. What they must never do is disagree with
the visits themselves: after any insert, update or delete, in any order of times, the kept rows are exactly what
summing the visits afresh gives, and ``earlier_sums`` answers exactly what ``scanned_sums`` (the visits one by
one) answers, for any day and any windows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain.dictionary import MILESTONES, NO_ACCESS
from homevisit.domain.facts import POOR_HYGIENE, history_windows

COLUMNS = tuple(store.SUMS_COLUMNS)


def test_the_codes_frozen_in_the_migration_are_still_the_dictionarys():
    """The triggers carry the codes they were written with: if the dictionary's change, a new migration must
    write new triggers (this fails until one does)."""
    assert set(store.SUMS_POOR_HYGIENE) == set(POOR_HYGIENE)
    assert set(store.SUMS_NO_ACCESS) == set(NO_ACCESS)
    assert store.SUMS_MILESTONES == MILESTONES


def _afresh(db: Any) -> list[tuple[Any, ...]]:
    """The sums worked out from the visits now, one row per counted visit, as the migration's backfill does."""
    running = ", ".join(f"SUM({e.format(r='v')}) OVER w" for e in store.SUMS_COLUMNS.values())
    return [tuple(r) for r in db.conn.execute(
        f"""SELECT v.child_id, julianday(v.visited_at), v.id, {running} FROM visits v
            WHERE v.status != 'draft' AND julianday(v.visited_at) IS NOT NULL
            WINDOW w AS (PARTITION BY v.child_id ORDER BY julianday(v.visited_at), v.id ROWS UNBOUNDED PRECEDING)
            ORDER BY 1, 2, 3""")]


def _kept(db: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.conn.execute(
        f"SELECT child_id, jd, visit_id, {', '.join(COLUMNS)} FROM visit_sums ORDER BY 1, 2, 3")]


def _time(rng: random.Random) -> str | None:
    """A visit time over two years, in summer or winter time, sometimes on the same minute as another, rarely
    unreadable (a time that julianday() cannot read is counted nowhere)."""
    if rng.random() < 0.02:
        return "not a time"
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 730))
    offset = "+01:00" if 3 < day.month < 11 else "+00:00"
    return f"{day.isoformat()}T{rng.choice(['09:00', '10:30', '23:30', '00:15'])}:00{offset}"


def _answers(rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {
        "missed_appointments": rng.choice([None, 0, 0, 1, 3]),
        "child_seen": rng.choice([None, "seen_awake", "not_seen"]),
        "hygiene": rng.choice([None, "clean", *sorted(POOR_HYGIENE)]),
        "access_outcome": rng.choice([None, "visited", *sorted(NO_ACCESS)]),
    }
    for m in MILESTONES:
        row[m] = rng.choice([None, 0, 1])
    return row


def _insert(db: Any, rng: random.Random, n: int, children: list[str]) -> None:
    store.insert(db, "visits", {"id": f"v{n:04d}", "child_id": rng.choice(children), "team_id": 1, "visitor_id": 1,
                                "status": rng.choice(["submitted", "submitted", "signed", "draft"]),
                                "visited_at": _time(rng), "created_at": "x", "updated_at": "x", **_answers(rng)})


def _change(db: Any, rng: random.Random, children: list[str]) -> str:
    """One random change to an existing visit, of the kinds the service and a restore can make."""
    ids = [r[0] for r in db.conn.execute("SELECT id FROM visits")]
    visit_id = rng.choice(ids)
    kind = rng.choice(["answers", "answers", "time", "status", "child", "delete", "untouched", "several"])
    if kind == "answers":
        column, value = rng.choice(list(_answers(rng).items()))
        store.execute(db, f'UPDATE visits SET "{column}" = ? WHERE id = ?', (value, visit_id))
    elif kind == "time":  # backdated, or moved later
        store.execute(db, "UPDATE visits SET visited_at = ? WHERE id = ?", (_time(rng), visit_id))
    elif kind == "status":
        store.execute(db, "UPDATE visits SET status = ? WHERE id = ?",
                      (rng.choice(["draft", "submitted", "signed"]), visit_id))
    elif kind == "child":
        store.execute(db, "UPDATE visits SET child_id = ? WHERE id = ?", (rng.choice(children), visit_id))
    elif kind == "delete":
        store.execute(db, "DELETE FROM visits WHERE id = ?", (visit_id,))
    elif kind == "untouched":  # an update of columns the sums do not read
        store.execute(db, "UPDATE visits SET updated_at = ?, version = version + 1 WHERE id = ?", ("y", visit_id))
    else:  # every column at once, as an amendment's UPDATE writes them
        sets = {**_answers(rng), "visited_at": _time(rng), "status": "submitted"}
        store.execute(db, f"UPDATE visits SET {', '.join(f'{c} = :{c}' for c in sets)} WHERE id = :id",
                      {**sets, "id": visit_id})
    return kind


def _check_reads(db: Any, rng: random.Random, children: list[str], rounds: int) -> None:
    ids = [r[0] for r in db.conn.execute("SELECT id FROM visits")]
    for _ in range(rounds):
        on = date(2024, 12, 1) + timedelta(days=rng.randrange(0, 800))
        windows = history_windows(on)
        if rng.random() < 0.3:  # windows of a local rules file, of any lengths
            windows["missed"] = (datetime.fromisoformat(windows["end"]) - timedelta(days=rng.randrange(1, 400))
                                 ).astimezone(UTC).isoformat()
        child = rng.choice(children)
        visit_id = rng.choice([*ids, "new-visit"])  # often a visit of the child's own, already counted
        kept = visits_data.earlier_sums(db, child, visit_id, windows)
        scanned = visits_data.scanned_sums(db, child, visit_id, windows) or {}
        # the scan gives a milestone never recorded either way as None; the kept sums as 0
        scanned = {k: (0 if k in MILESTONES and v is None else v) for k, v in scanned.items()}
        assert kept == scanned, (child, visit_id, on)


@pytest.mark.parametrize("seed", range(4))
def test_the_kept_sums_stay_what_the_visits_sum_to_after_any_change(db, seed):
    rng = random.Random(seed)
    store.execute(db, "PRAGMA foreign_keys = OFF")  # visits alone, without their children and teams
    children = ["child-a", "child-b", "child-c"]
    with store.write(db):
        for n in range(60):
            _insert(db, rng, n, children)
    assert _kept(db) == _afresh(db)
    assert len(_kept(db)) > 20
    kinds = set()
    for n in range(60, 260):
        with store.write(db):
            if rng.random() < 0.3:
                _insert(db, rng, n, children)
                kind = "insert"
            else:
                kind = _change(db, rng, children)
        kinds.add(kind)
        assert _kept(db) == _afresh(db), (seed, n, kind)
    assert kinds == {"insert", "answers", "time", "status", "child", "delete", "untouched", "several"}
    _check_reads(db, rng, children, 150)


def test_a_change_rolled_back_leaves_the_kept_sums_as_they_were(db):
    rng = random.Random(9)
    store.execute(db, "PRAGMA foreign_keys = OFF")
    with store.write(db):
        for n in range(20):
            _insert(db, rng, n, ["child-a"])
    before = _kept(db)
    with pytest.raises(RuntimeError), store.write(db):
        store.execute(db, "UPDATE visits SET visited_at = '2024-01-01T10:00:00+00:00', missed_appointments = 5")
        raise RuntimeError("the submit failed after its write")
    assert _kept(db) == before == _afresh(db)


def test_the_migration_sums_the_visits_already_there(tmp_path):
    """A database with years of visits, made before migration 0018, gets the sums of all of them."""
    db = store.connect(tmp_path / "old.db")
    store.migrations.apply(db, stop_before="0018_visit_sums")
    assert "visit_sums" not in db.table_names()
    rng = random.Random(5)
    store.execute(db, "PRAGMA foreign_keys = OFF")
    with store.write(db):
        for n in range(120):
            _insert(db, rng, n, ["child-a", "child-b"])
    store.migrate(db)
    assert len(_kept(db)) > 60
    assert _kept(db) == _afresh(db)
    _check_reads(db, rng, ["child-a", "child-b"], 60)


def test_deleting_a_child_takes_their_sums_and_leaves_the_others(db, users):
    """Retention's delete of a child (the visits go by cascade) leaves no sums of theirs, and every other
    child's as they were."""
    from helpers import make_child
    from homevisit.services import maintenance

    user = users["practitioner"]
    kept_child, deleted_child = (make_child(db, user, given_name=name)["id"] for name in ("Kept", "Deleted"))
    rng = random.Random(2)
    with store.write(db):
        for n in range(200):
            store.insert(db, "visits", {"id": f"v{n:04d}", "child_id": (kept_child, deleted_child)[n % 2],
                                        "team_id": user["team_id"], "visitor_id": user["id"], "status": "submitted",
                                        "visited_at": _time(rng) if n % 7 else "2025-03-01T10:00:00+00:00",
                                        "created_at": "x", "updated_at": "x", **_answers(rng)})
    before = [row for row in _kept(db) if row[0] == kept_child]
    maintenance.delete_child(db, deleted_child, None, rule="test")
    assert [row[0] for row in _kept(db)] == [kept_child] * len(before)
    assert _kept(db) == before == _afresh(db)
