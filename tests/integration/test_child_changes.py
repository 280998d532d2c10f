"""The count of changes kept for each child (migration 0017, issue 16): any insert, update or delete of a row
that growth and the rules read about a child raises that child's count in the same statement, whatever code
makes it; and a submit whose child changed while its growth and rules were worked out works them out again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from helpers import full_visit, make_child
from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.services import children, visits
from homevisit.web.rulesets import current_rules


def _count(db: Any, child_id: str) -> int:
    row = visits_data.derivation_snapshot(db, child_id)
    return row["n"] if row else 0


def _row_for(db: Any, table: str, child_id: str) -> dict[str, Any]:
    """A row of ``table`` for the child with every required column filled in."""
    row: dict[str, Any] = {}
    for column in db.conn.execute(f'PRAGMA table_info("{table}")').fetchall():
        name, kind, notnull, default, pk = column[1], column[2].upper(), column[3], column[4], column[5]
        if name == "child_id":
            row[name] = child_id
        elif pk and "INT" in kind:
            continue
        elif notnull and default is None:
            row[name] = 0 if "INT" in kind or "REAL" in kind else f"{table}-{name}"
    return row


@pytest.mark.parametrize("table", store.CHANGE_COUNTED)
def test_every_insert_update_and_delete_of_a_child_s_rows_counts_for_that_child_only(db, table):
    store.execute(db, "PRAGMA foreign_keys = OFF")  # rows of one table alone, without their parents,
    store.execute(db, "PRAGMA ignore_check_constraints = ON")  # and with placeholder values
    assert _count(db, "child-a") == 0
    with store.write(db):
        store.insert(db, table, _row_for(db, table, "child-a"))
    assert _count(db, "child-a") == 1
    with store.write(db):
        store.execute(db, f'UPDATE "{table}" SET child_id = child_id WHERE child_id = ?', ("child-a",))
    assert _count(db, "child-a") == 2
    with store.write(db):  # moved to another child: both children changed
        store.execute(db, f'UPDATE "{table}" SET child_id = ? WHERE child_id = ?', ("child-b", "child-a"))
    assert (_count(db, "child-a"), _count(db, "child-b")) == (3, 1)
    with store.write(db):
        store.execute(db, f'DELETE FROM "{table}" WHERE child_id = ?', ("child-b",))
    assert (_count(db, "child-a"), _count(db, "child-b")) == (3, 2)
    assert _count(db, "child-c") == 0


def test_a_submit_works_growth_and_the_rules_out_again_when_the_child_changed_meanwhile(app, db, users, monkeypatch):
    user = users["practitioner"]
    child = make_child(db, user, date_of_birth=(date.today() - timedelta(days=400)).isoformat())
    other = store.connect(app.config["DATABASE"])  # another request, on its own connection
    real_derive = visits._derive
    calls: list[int] = []

    def derive_while_another_visit_arrives(*args: Any, **kwargs: Any) -> Any:
        result = real_derive(*args, **kwargs)
        calls.append(_count(db, child["id"]))
        if len(calls) == 1:  # after the first working out, before the write lock: another visit is stored
            earlier = full_visit(child["id"], visited_at=f"{(date.today() - timedelta(days=1)).isoformat()}T10:00:00+00:00",
                                 age_appropriate_food="none")
            status, _ = visits.put_visit(other, earlier["id"], earlier, user, current_rules(),
                                         get_child=lambda cid: children.get_child(other, cid, user, log_view=False))
            assert status == 201
        return result

    monkeypatch.setattr(visits, "_derive", derive_while_another_visit_arrives)
    body = full_visit(child["id"])
    with app.app_context():
        status, _stored = visits.put_visit(db, body["id"], body, user, current_rules(),
                                           get_child=lambda cid: children.get_child(db, cid, user, log_view=False))
    other.close()
    assert status == 201
    assert len(calls) == 3  # the first working out, the other visit's own, and this one's again under the lock
    assert calls[2] > calls[0]


def test_a_submit_whose_child_did_not_change_works_it_out_once(app, db, users, monkeypatch):
    user = users["practitioner"]
    child = make_child(db, user)
    real_derive = visits._derive
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_derive(*args, **kwargs)

    monkeypatch.setattr(visits, "_derive", counted)
    body = full_visit(child["id"])
    with app.app_context():
        status, _ = visits.put_visit(db, body["id"], body, user, current_rules(),
                                     get_child=lambda cid: children.get_child(db, cid, user, log_view=False))
    assert status == 201 and len(calls) == 1
