"""The migrated schema holds exactly the data dictionary's fields, and a new field is added by a migration.

Migration 0002 once built the visits table from the live dictionary, so adding a field to the dictionary
together with the obvious ``ALTER TABLE`` migration broke every fresh database ("duplicate column name").
Its columns are now written out as they were; docs/adding-a-field.md says how to add one.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlite_utils.migrations import Migrations

from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain.dictionary import CARER_FIELDS, INJURY_FIELDS, VISIT_FIELDS, Field
from homevisit.domain.facts import history_windows

# Columns that are the service's own bookkeeping, not observations in the data dictionary.
VISIT_BOOKKEEPING = {
    "id", "child_id", "team_id", "visitor_id", "status", "version", "body_sha256", "source", "draft_section",
    "created_at", "updated_at", "submitted_at", "signed_at", "signed_by", "record_sha256", "reviewed_by",
    "reviewed_at", "review_note", "addendum_of", "weight_sds", "weight_centile",
    "centile_spaces_fallen_since_birth", "centile_spaces_fallen_since_previous", "saved_sections",
}
ROW_BOOKKEEPING = {"id", "visit_id", "position"}


def _columns(db, table: str) -> dict[str, str]:
    return {c.name: c.type for c in db[table].columns}


@pytest.fixture()
def fresh_db(tmp_path):
    db = store.connect(tmp_path / "fresh.db")
    store.migrate(db)
    return db


@pytest.mark.parametrize(("table", "fields", "bookkeeping"), [
    ("visits", VISIT_FIELDS, VISIT_BOOKKEEPING),
    ("injuries", INJURY_FIELDS, ROW_BOOKKEEPING),
    ("carers_present", CARER_FIELDS, ROW_BOOKKEEPING),
])
def test_migrated_columns_are_the_dictionary_fields(fresh_db, table, fields, bookkeeping):
    columns = _columns(fresh_db, table)
    observed = {name: kind for name, kind in columns.items() if name not in bookkeeping}
    assert observed == {f.name: f.column_type for f in fields}


def _scratch_migrations(extra_name: str, extra_sql: str) -> Migrations:
    """A scratch copy of the project's migrations with one more, as a change adding a field would have."""
    scratch = Migrations(store.migrations.name)
    for m in store.migrations._migrations:
        scratch(name=m.name, transactional=m.transactional)(m.fn)

    @scratch(name=extra_name)
    def _add(db):
        db.execute(extra_sql)

    return scratch


def test_adding_a_field_migrates_an_existing_and_a_fresh_database(tmp_path, monkeypatch):
    # An existing database, migrated before the field existed, with a visit-sized row in it.
    existing = store.connect(tmp_path / "existing.db")
    store.migrate(existing)
    before = _columns(existing, "visits")

    # The change: a new food question in the dictionary and its migration, as docs/adding-a-field.md says.
    new_field = Field(name="baby_formula_made_correctly", section="food", question="Is formula made up correctly?",
                      kind="bool", noun="whether formula is made up correctly")
    for where in ("homevisit.domain.dictionary.VISIT_FIELDS", "homevisit.data.store.VISIT_FIELDS"):
        monkeypatch.setattr(where, (*VISIT_FIELDS, new_field))
    scratch = _scratch_migrations("0099_add_baby_formula_made_correctly",
                                  "ALTER TABLE visits ADD COLUMN baby_formula_made_correctly INTEGER")

    with store.write(existing):
        scratch.apply(existing)
    fresh = store.connect(tmp_path / "fresh.db")
    with store.write(fresh):
        scratch.apply(fresh)  # would fail with "duplicate column name" if 0002 read the live dictionary

    for db in (existing, fresh):
        columns = _columns(db, "visits")
        assert columns["baby_formula_made_correctly"] == "INTEGER"
        assert set(columns) == set(before) | {"baby_formula_made_correctly"}
    assert _columns(existing, "visits") == _columns(fresh, "visits")


def test_migrations_are_registered_in_the_order_of_their_numbers():
    """#17: the order migrations are applied in is the order their numbers say (0100 and 0200 once sat
    between 0007 and 0008), with no number used twice and none skipped."""
    names = [m.name for m in store.migrations._migrations]
    numbers = [int(name.split("_", 1)[0]) for name in names]
    assert numbers == list(range(1, len(names) + 1))


def test_a_database_that_applied_the_old_numbers_is_not_migrated_twice(tmp_path):
    """A database from before the renumbering recorded 0100_create_offline_keys and 0200_create_break_glass;
    migrating it again applies nothing (creating those tables twice would fail) and records the new names."""
    db = store.connect(tmp_path / "old.db")
    store.migrate(db)
    with store.write(db):
        for old, new in store.RENAMED_MIGRATIONS.items():
            db.conn.execute("UPDATE _sqlite_migrations SET name = ? WHERE name = ?", (old, new))
    assert {m.name for m in store.migrations.pending(db)} == set(store.RENAMED_MIGRATIONS.values())
    store.migrate(db)
    recorded = [r[0] for r in db.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert sorted(recorded) == sorted(m.name for m in store.migrations._migrations)
    assert not set(store.RENAMED_MIGRATIONS) & set(recorded)
    assert store.migrations.pending(db) == []
    assert {"offline_keys", "break_glass"} <= set(db.table_names())


def test_a_submits_reads_of_the_childs_history_use_an_index_not_the_visits_rows(fresh_db):
    """#16: a submit's reads of the child's earlier visits (the history sums, the repeat-window hits, the last
    weight, the weight before this one, the change fingerprint) go through an index, and the sums over every
    earlier visit are four seeks in the kept sums (migration 0018: the sums before the end of the day and before
    each window starts), so they read no visit row of a child with years of visits, only the new visit's own row
    by its id. The repeat-window hits start from the child's hits of the rules asked about. Checked on SQLite's
    own query plans for the statements the data layer sends."""
    statements: list[str] = []
    fresh_db.conn.set_trace_callback(statements.append)
    windows = {**history_windows(date(2026, 6, 1)), "consider_ids": ["R05"]}
    store.execute(fresh_db, "PRAGMA foreign_keys = OFF")
    with store.write(fresh_db):  # one earlier visit, so the windows' sums are asked for too
        store.insert(fresh_db, "visits", {"id": "old", "child_id": "c", "team_id": 1, "visitor_id": 1,
                                          "status": "submitted", "visited_at": "2026-05-01T10:00:00+01:00",
                                          "created_at": "x", "updated_at": "x"})
    statements.clear()
    visits_data.earlier_sums(fresh_db, "c", "v", windows)
    visits_data.earlier_firing_any_of(fresh_db, "c", "v", windows, ["R05"])
    visits_data.earlier_last_weight(fresh_db, "c", "v", windows)
    visits_data.weight_before(fresh_db, "c", "v", "2026-06-01")
    visits_data.derivation_snapshot(fresh_db, "c")
    fresh_db.conn.set_trace_callback(None)
    assert len(statements) == 5
    plans = {sql: [row[-1] for row in fresh_db.conn.execute("EXPLAIN QUERY PLAN " + sql)] for sql in statements}
    for sql, plan in plans.items():
        scans = [step for step in plan if step.startswith("SCAN") and "CONSTANT ROW" not in step
                 and not step.startswith("SCAN (subquery-")]  # a one-row subquery's result, read as it is made
        assert scans == [], f"{sql[:80]}: {plan}"
        assert all("USING" in step for step in plan if step.startswith("SEARCH")), plan
        assert not any("FOR ORDER BY" in step for step in plan), plan  # the index gives the order: no sort
    summed = next(plan for sql, plan in plans.items() if sql.startswith("SELECT 'end' AS at"))
    searches = [step for step in summed if step.startswith("SEARCH")]
    assert searches == ["SEARCH visit_sums USING PRIMARY KEY (child_id=? AND jd<?)"] * 4 + [
        "SEARCH visits USING INDEX sqlite_autoindex_visits_1 (id=?)"]
    fired = next(plan for sql, plan in plans.items() if "FROM rule_hits h" in sql)
    assert fired[:2] == ["SEARCH h USING INDEX rule_hits_child (child_id=? AND rule_id=?)",
                         "SEARCH v USING INDEX sqlite_autoindex_visits_1 (id=?)"]
