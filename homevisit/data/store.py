"""The SQLite database: the connection settings, the numbered migrations and write transactions.

This is the only module that imports sqlite_utils. Every write transaction begins with
``BEGIN IMMEDIATE`` so two writers never both read and then fail on upgrade to a write lock
("database is locked"); WAL with ``synchronous=FULL`` makes a committed visit survive power loss.

Writers take turns through an operating-system file lock beside the database before ``BEGIN IMMEDIATE``
(see :func:`write`). SQLite's own wait for a busy database sleeps in growing steps (1, 2, 5, 10 ... 100 ms),
so under load a writer sleeps on long after the lock is free; the file lock is retried every millisecond at
most, and the transaction then finds SQLite's write lock free. The wait is bounded as before: after
``BUSY_TIMEOUT_MS`` the writer gives up with "database is locked", which the app reports as "not saved".
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from homevisit.domain.dictionary import BOOL, FIELDS_BY_NAME, MULTI, VISIT_FIELDS

BUSY_TIMEOUT_MS = 10_000
DB_FILENAME = "homevisit.db"

migrations = Migrations("homevisit")

OperationalError = sqlite3.OperationalError
"""What SQLite raises when the database is locked past the busy timeout, the disk is full or the file is
unreadable: the web layer answers it with "not saved" and keeps what was typed, without importing sqlite3."""


def connect(path: str | Path) -> Database:
    """Open the database with the settings every connection needs (WAL, FULL sync, foreign keys)."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Checkpoint the log less often (16 MB instead of 4 MB): each checkpoint fsyncs the database in the
    # committing request, and fewer of them take the long tail off submit latency under load.
    conn.execute("PRAGMA wal_autocheckpoint = 4000")
    return HomeVisitDatabase(conn, execute_plugins=False, writer_lock_path=_writer_lock_path(path))


WRITER_LOCK_SUFFIX = "-writers.lock"


def _writer_lock_path(path: str | Path) -> str | None:
    text = str(path)
    if text == ":memory:" or text.startswith("file:") or not text:
        return None
    return text + WRITER_LOCK_SUFFIX


class HomeVisitDatabase(Database):
    """A sqlite-utils database that knows the file its writers take turns on (None: SQLite's locking alone)."""

    def __init__(self, conn: sqlite3.Connection, *, execute_plugins: bool = False,
                 writer_lock_path: str | None = None) -> None:
        super().__init__(conn, execute_plugins=execute_plugins)
        self.writer_lock_path = writer_lock_path


def _open_turn_file(db: Database) -> int | None:
    # Opened for each transaction (about 10 microseconds), so closing the connection by any route leaks no
    # descriptor. flock locks belong to an open file, so two connections in one process exclude each other.
    path = getattr(db, "writer_lock_path", None)
    if path is None:
        return None
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:  # a read-only folder: SQLite's own locking still keeps writers apart
        return None


def _take_turn(fd: int, timeout_s: float) -> None:
    """Hold the writers' file lock, retrying at most every millisecond until ``timeout_s`` has passed."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline = time.monotonic() + timeout_s
    delay = 0.0001
    while True:
        time.sleep(delay)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError("database is locked") from None
            delay = min(delay * 2, 0.001)


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction opened with BEGIN IMMEDIATE; committed on success, rolled back on any error."""
    conn = db.conn
    if conn.in_transaction:  # nested: the outer transaction already holds the write lock
        with db.atomic():
            yield db
        return
    fd = _open_turn_file(db)
    try:
        if fd is not None:
            _take_turn(fd, BUSY_TIMEOUT_MS / 1000)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
    finally:
        if fd is not None:
            os.close(fd)  # releases the turn


RENAMED_MIGRATIONS = {"0100_create_offline_keys": "0014_create_offline_keys",
                      "0200_create_break_glass": "0015_create_break_glass"}
"""Migrations once registered out of order under other numbers: a database that applied them under the old
name has them recorded under the new one, so they are not applied twice."""


def migrate(db: Database) -> None:
    """Apply every pending numbered migration, in the order of their numbers."""
    with write(db):
        if migrations.migrations_table in db.table_names():
            for old, new in RENAMED_MIGRATIONS.items():
                db.conn.execute(f"UPDATE {migrations.migrations_table} SET name = ? WHERE migration_set = ? AND name = ?",
                                (new, migrations.name, old))
        migrations.apply(db)


def sql_literals(values: Any) -> str:
    """A fixed set of the dictionary's codes as SQL string literals, for ``IN (...)``: only for the service's own
    constants (never what someone typed), which are letters, digits and underscores."""
    codes = sorted(str(v) for v in values)
    if not all(c.replace("_", "").isalnum() for c in codes):
        raise ValueError(f"not a dictionary code: {codes}")
    return ", ".join(f"'{c}'" for c in codes)


def query(db: Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """Rows of a read query as plain dicts."""
    return [dict(row) for row in db.conn.execute(sql, params).fetchall()]


def query_one(db: Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    """The first row of a read query as a dict, or None."""
    row = db.conn.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


def execute(db: Database, sql: str, params: Any = ()) -> sqlite3.Cursor:
    """Run one statement (inside a write transaction for changes)."""
    return db.conn.execute(sql, params)


def insert(db: Database, table: str, row: dict[str, Any]) -> None:
    """Insert one row (inside a write transaction)."""
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    db.conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', [encode(v) for v in row.values()])


def update(db: Database, table: str, key: str, key_value: Any, changes: dict[str, Any]) -> int:
    """Update one row by key (inside a write transaction); returns the number of rows changed."""
    if not changes:
        return 0
    sets = ", ".join(f'"{c}" = ?' for c in changes)
    cur = db.conn.execute(f'UPDATE "{table}" SET {sets} WHERE "{key}" = ?',
                          [encode(v) for v in changes.values()] + [key_value])
    return cur.rowcount


def encode(value: Any) -> Any:
    """Store lists (multi-select answers) as JSON text; everything else as it is."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return value


MULTI_COLUMNS = frozenset(f.name for f in VISIT_FIELDS if f.kind == MULTI)


def decode_visit_row(row: dict[str, Any]) -> dict[str, Any]:
    """Turn a stored visit row back into the dictionary's values (JSON lists, booleans)."""
    out = dict(row)
    for name, value in row.items():
        f = FIELDS_BY_NAME.get(name)
        if f is None or value is None:
            continue
        if f.kind == MULTI:
            out[name] = json.loads(value)
        elif f.kind == BOOL:
            out[name] = bool(value)
    return out


def decode_row(fields: tuple, row: dict[str, Any]) -> dict[str, Any]:
    """Booleans back to True/False for a child row (injury, carer)."""
    out = dict(row)
    for f in fields:
        if f.kind == BOOL and out.get(f.name) is not None:
            out[f.name] = bool(out[f.name])
    return out


@migrations(name="0001_create_people")
def _m0001(db: Database) -> None:
    db.executescript("""
    CREATE TABLE teams (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      organisation TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL
    );
    CREATE TABLE users (
      id INTEGER PRIMARY KEY,
      email TEXT NOT NULL UNIQUE COLLATE NOCASE,
      name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('practitioner', 'supervisor', 'admin')),
      visitor_role TEXT,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      password_hash TEXT NOT NULL,
      active INTEGER NOT NULL DEFAULT 1,
      failed_logins INTEGER NOT NULL DEFAULT 0,
      locked_until TEXT,
      created_at TEXT NOT NULL
    );
    CREATE TABLE login_attempts (
      id INTEGER PRIMARY KEY,
      email TEXT NOT NULL,
      user_id INTEGER REFERENCES users(id),
      at TEXT NOT NULL,
      succeeded INTEGER NOT NULL,
      outcome TEXT NOT NULL,
      remote_addr TEXT
    );
    CREATE INDEX login_attempts_user ON login_attempts(user_id, at);
    CREATE TABLE sessions (
      id_hash TEXT PRIMARY KEY,
      user_id INTEGER REFERENCES users(id),
      data TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      ended_at TEXT,
      ended_reason TEXT
    );
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE TABLE api_tokens (
      id INTEGER PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      token_hash TEXT NOT NULL UNIQUE,
      label TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL,
      last_used_at TEXT,
      revoked_at TEXT
    );
    """)


@migrations(name="0002_create_children_and_visits")
def _m0002(db: Database) -> None:
    # The columns are written out as they were when this migration was made, not read from the live data
    # dictionary: a field added later gets its own ALTER migration (docs/adding-a-field.md).
    db.executescript("""
    CREATE TABLE children (
      id TEXT PRIMARY KEY,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      given_name TEXT NOT NULL,
      family_name TEXT NOT NULL,
      date_of_birth TEXT NOT NULL,
      sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
      gestation_weeks INTEGER NOT NULL,
      gestation_days INTEGER NOT NULL DEFAULT 0,
      birth_weight_kg REAL,
      nhs_number TEXT,
      lead_user_id INTEGER REFERENCES users(id),
      legal_hold INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      created_by INTEGER REFERENCES users(id)
    );
    CREATE INDEX children_team ON children(team_id, family_name, given_name);
    CREATE TABLE allocations (
      id INTEGER PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      user_id INTEGER NOT NULL REFERENCES users(id),
      role TEXT,
      started_on TEXT NOT NULL,
      ended_on TEXT,
      allocated_by INTEGER REFERENCES users(id)
    );
    CREATE INDEX allocations_child ON allocations(child_id, started_on);
    CREATE TABLE visits (
      id TEXT PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      visitor_id INTEGER NOT NULL REFERENCES users(id),
      status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'signed')),
      version INTEGER NOT NULL DEFAULT 1,
      body_sha256 TEXT,
      source TEXT NOT NULL DEFAULT 'form',
      draft_section TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      submitted_at TEXT,
      signed_at TEXT,
      signed_by INTEGER REFERENCES users(id),
      record_sha256 TEXT,
      reviewed_by INTEGER REFERENCES users(id),
      reviewed_at TEXT,
      review_note TEXT,
      addendum_of TEXT REFERENCES visits(id),
      weight_sds REAL,
      weight_centile REAL,
      centile_spaces_fallen_since_birth REAL,
      centile_spaces_fallen_since_previous REAL,
      visited_at TEXT,
      visitor_role TEXT,
      child_seen TEXT,
      child_not_seen_reason TEXT,
      seen_alone INTEGER,
      interpreter_used INTEGER,
      carer_presentation TEXT,
      account_consistency TEXT,
      agencies_involved TEXT,
      sleep_space TEXT,
      mattress_firm_flat_fits INTEGER,
      mattress_condition TEXT,
      covering TEXT,
      items_in_cot TEXT,
      room_temp_c REAL,
      room_heated INTEGER,
      child_cold INTEGER,
      co_sleeping INTEGER,
      co_sleeping_risks TEXT,
      left_in_cot_awake INTEGER,
      feeding_mode TEXT,
      age_appropriate_food TEXT,
      formula_days INTEGER,
      spoiled_food_accessible INTEGER,
      kitchen_usable TEXT,
      feed_observed INTEGER,
      feed_notes TEXT,
      child_hungry_or_hoarding INTEGER,
      food_bank_offered INTEGER,
      weight_kg REAL,
      weight_clothing TEXT,
      scale_type TEXT,
      scale_id TEXT,
      scale_calibration_date TEXT,
      length_height_cm REAL,
      length_method TEXT,
      ofc_cm REAL,
      mother_height_cm REAL,
      father_height_cm REAL,
      remeasured_confirmed INTEGER,
      head_control INTEGER,
      rolls INTEGER,
      sits_unsupported INTEGER,
      crawls_or_shuffles INTEGER,
      pulls_to_stand INTEGER,
      cruises INTEGER,
      stands_alone INTEGER,
      walks_independently INTEGER,
      milestones_evidence TEXT,
      weight_bearing INTEGER,
      skills_lost INTEGER,
      pain_on_handling INTEGER,
      limb_asymmetry INTEGER,
      limb_not_used INTEGER,
      stimulation_toys TEXT,
      known_fractures INTEGER,
      fractures_different_ages INTEGER,
      occult_fracture INTEGER,
      hca_smell INTEGER,
      hca_floors INTEGER,
      hca_surfaces INTEGER,
      hca_crockery INTEGER,
      hca_toilet_bath INTEGER,
      hca_furnishings INTEGER,
      hca_clothing_hair INTEGER,
      hca_rubbish INTEGER,
      hazards TEXT,
      heating INTEGER,
      hot_water INTEGER,
      damp_mould INTEGER,
      overcrowding INTEGER,
      gcp2_physical INTEGER,
      gcp2_safety INTEGER,
      gcp2_love INTEGER,
      gcp2_esteem INTEGER,
      demeanour TEXT,
      hygiene TEXT,
      clothing_adequate INTEGER,
      carer_interaction TEXT,
      restraint_observed INTEGER,
      day_in_the_life TEXT,
      child_words_or_behaviour TEXT,
      observed_verbatim TEXT,
      interpretation TEXT,
      disclosure TEXT,
      disclosure_details TEXT,
      referral_made INTEGER,
      referral_reference TEXT,
      s47_started INTEGER,
      assessment_started_on TEXT,
      missed_appointments INTEGER
    );
    CREATE INDEX visits_child ON visits(child_id, visited_at);
    CREATE INDEX visits_team ON visits(team_id, status, visited_at);
    CREATE INDEX visits_visitor ON visits(visitor_id, status);
    CREATE TABLE injuries (
      id INTEGER PRIMARY KEY,
      visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      type TEXT,
      body_site TEXT,
      size_mm INTEGER,
      pattern TEXT,
      count INTEGER,
      clustered INTEGER,
      colour TEXT,
      explanation TEXT,
      explanation_given_by TEXT,
      explanation_assessment TEXT,
      first_noticed_date TEXT,
      medical_help_sought INTEGER,
      medical_help_date TEXT,
      photo_taken INTEGER,
      known_medical_condition TEXT
    );
    CREATE INDEX injuries_visit ON injuries(visit_id, position);
    CREATE TABLE carers_present (
      id INTEGER PRIMARY KEY,
      visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      role TEXT,
      name TEXT,
      parental_responsibility INTEGER,
      lives_here INTEGER,
      present_throughout INTEGER
    );
    CREATE INDEX carers_present_visit ON carers_present(visit_id, position);
    CREATE TABLE draft_inputs (
      visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
      section TEXT NOT NULL,
      form_data TEXT NOT NULL,
      saved_at TEXT NOT NULL,
      reason TEXT NOT NULL,
      PRIMARY KEY (visit_id, section)
    );
    """)


@migrations(name="0003_create_audit_log")
def _m0003(db: Database) -> None:
    db.executescript("""
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      user_id INTEGER,
      user_role TEXT,
      team_id INTEGER,
      action TEXT NOT NULL,
      object_type TEXT NOT NULL,
      object_id TEXT,
      child_id TEXT,
      detail TEXT NOT NULL DEFAULT '{}',
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
    CREATE INDEX audit_child ON audit_log(child_id, at);
    CREATE INDEX audit_object ON audit_log(object_type, object_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """)


@migrations(name="0004_create_actions_and_concerns")
def _m0004(db: Database) -> None:
    db.executescript("""
    CREATE TABLE concerns (
      id TEXT PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      recorded_by INTEGER NOT NULL REFERENCES users(id),
      occurred_on TEXT NOT NULL,
      reporter_role TEXT NOT NULL,
      agency TEXT NOT NULL DEFAULT '',
      source TEXT NOT NULL DEFAULT '',
      summary TEXT NOT NULL,
      categories TEXT NOT NULL DEFAULT '[]',
      disclosure TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX concerns_child ON concerns(child_id, occurred_on);
    CREATE TABLE actions (
      id TEXT PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      visit_id TEXT REFERENCES visits(id) ON DELETE CASCADE,
      concern_id TEXT REFERENCES concerns(id) ON DELETE CASCADE,
      rule_id TEXT NOT NULL,
      title TEXT NOT NULL,
      action TEXT NOT NULL,
      severity TEXT NOT NULL,
      deadline TEXT NOT NULL,
      due_at TEXT NOT NULL,
      owner TEXT NOT NULL,
      owner_user_id INTEGER REFERENCES users(id),
      source TEXT NOT NULL,
      reasons TEXT NOT NULL DEFAULT '',
      requires_referral INTEGER NOT NULL DEFAULT 0,
      category TEXT NOT NULL DEFAULT '',
      status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'not_done')),
      outcome TEXT,
      not_done_reason TEXT,
      completed_by INTEGER REFERENCES users(id),
      completed_at TEXT,
      countersigned_by INTEGER REFERENCES users(id),
      countersigned_at TEXT,
      countersign_note TEXT,
      escalated_at TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX actions_team_status ON actions(team_id, status, due_at);
    CREATE INDEX actions_child ON actions(child_id, status);
    CREATE INDEX actions_visit ON actions(visit_id);
    """)


@migrations(name="0005_create_records")
def _m0005(db: Database) -> None:
    db.executescript("""
    CREATE TABLE records (
      id INTEGER PRIMARY KEY,
      visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
      kind TEXT NOT NULL CHECK (kind IN ('signed', 'countersigned')),
      filename TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      size_bytes INTEGER NOT NULL,
      signed_by INTEGER REFERENCES users(id),
      created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX records_visit_kind ON records(visit_id, kind);
    CREATE INDEX records_sha ON records(sha256);
    """)


@migrations(name="0006_create_rule_hits")
def _m0006(db: Database) -> None:
    # Every time a rule fires on a visit or concern is a hit; the tracked action is shared while it is open,
    # so a child seen five times with the same concern has one open action, five dated hits, and the
    # earliest deadline.
    db.executescript("""
    CREATE TABLE rule_hits (
      id INTEGER PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      visit_id TEXT REFERENCES visits(id) ON DELETE CASCADE,
      concern_id TEXT REFERENCES concerns(id) ON DELETE CASCADE,
      rule_id TEXT NOT NULL,
      action_id TEXT NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
      severity TEXT NOT NULL,
      reasons TEXT NOT NULL DEFAULT '',
      recorded_by INTEGER REFERENCES users(id),
      created_at TEXT NOT NULL
    );
    CREATE INDEX rule_hits_child ON rule_hits(child_id, rule_id);
    CREATE INDEX rule_hits_visit ON rule_hits(visit_id);
    CREATE INDEX rule_hits_concern ON rule_hits(concern_id);
    CREATE INDEX rule_hits_action ON rule_hits(action_id);
    """)


@migrations(name="0007_add_saved_sections")
def _m0007(db: Database) -> None:
    # Which pages of a draft have been saved: a blank answer on a saved page was "not observed", and the
    # page shows it that way when the practitioner comes back to it.
    db.execute("ALTER TABLE visits ADD COLUMN saved_sections TEXT NOT NULL DEFAULT '[]'")


@migrations(name="0008_create_print_jobs")
def _m0008(db: Database) -> None:
    db.executescript("""
    CREATE TABLE print_jobs (
      id TEXT PRIMARY KEY,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      user_id INTEGER NOT NULL REFERENCES users(id),
      kind TEXT NOT NULL CHECK (kind IN ('pdf', 'zip')),
      filters TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
      total INTEGER NOT NULL DEFAULT 0,
      done INTEGER NOT NULL DEFAULT 0,
      filename TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      finished_at TEXT
    );
    CREATE INDEX print_jobs_user ON print_jobs(user_id, created_at);
    """)


@migrations(name="0009_create_referrals")
def _m0009(db: Database) -> None:
    # A referral to children's social care as its own record (homevisit.services.referrals): what was sent, to whom
    # and how, the hub's responses in order, the signed referral pack, and the escalation step reached.
    # Strategy discussions record who attended and what was decided; the actions they allocate, and every
    # escalation step, are required actions that name their referral or discussion.
    db.executescript("""
    CREATE TABLE referrals (
      id TEXT PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      referrer_id INTEGER NOT NULL REFERENCES users(id),
      agency TEXT NOT NULL,
      reason TEXT NOT NULL,
      supporting_rules TEXT NOT NULL DEFAULT '[]',
      started_from TEXT NOT NULL CHECK (started_from IN ('action', 'concern', 'child', 'api')),
      action_id TEXT REFERENCES actions(id) ON DELETE SET NULL,
      concern_id TEXT REFERENCES concerns(id) ON DELETE SET NULL,
      form TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'acknowledged', 'decided')),
      sent_at TEXT,
      method TEXT CHECK (method IS NULL OR method IN ('phone', 'secure_email', 'portal')),
      reference TEXT,
      received_at TEXT,
      ack_due_at TEXT,
      decision_due_at TEXT,
      acknowledged_at TEXT,
      acknowledged_by TEXT,
      decision TEXT CHECK (decision IS NULL OR decision IN
        ('assessment', 'strategy_discussion', 'early_help', 'no_further_action', 'more_information')),
      decision_reasons TEXT,
      decided_at TEXT,
      decided_by TEXT,
      disputed_at TEXT,
      dispute_reason TEXT,
      dispute_resolved_at TEXT,
      dispute_resolution TEXT,
      escalation_step INTEGER NOT NULL DEFAULT 0,
      escalation_reason TEXT,
      body_sha256 TEXT,
      pack_filename TEXT,
      pack_sha256 TEXT,
      pack_signed_at TEXT,
      pack_signed_by INTEGER REFERENCES users(id),
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX referrals_child ON referrals(child_id, created_at);
    CREATE INDEX referrals_team ON referrals(team_id, status);
    CREATE INDEX referrals_pack ON referrals(pack_sha256);
    CREATE TABLE referral_responses (
      id INTEGER PRIMARY KEY,
      referral_id TEXT NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
      kind TEXT NOT NULL CHECK (kind IN ('sent', 'acknowledgement', 'decision', 'information_sent', 'dispute',
                                         'dispute_resolved', 'escalation')),
      at TEXT NOT NULL,
      hub_contact TEXT,
      decision TEXT,
      reasons TEXT,
      recorded_by INTEGER REFERENCES users(id),
      recorded_at TEXT NOT NULL
    );
    CREATE INDEX referral_responses_referral ON referral_responses(referral_id, at);
    CREATE TABLE strategy_discussions (
      id TEXT PRIMARY KEY,
      child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
      team_id INTEGER NOT NULL REFERENCES teams(id),
      referral_id TEXT REFERENCES referrals(id) ON DELETE SET NULL,
      held_at TEXT NOT NULL,
      attendees TEXT NOT NULL DEFAULT '[]',
      decision TEXT NOT NULL CHECK (decision IN ('s47', 'medical', 'no_further_action')),
      notes TEXT NOT NULL DEFAULT '',
      body_sha256 TEXT,
      recorded_by INTEGER NOT NULL REFERENCES users(id),
      created_at TEXT NOT NULL
    );
    CREATE INDEX strategy_discussions_child ON strategy_discussions(child_id, held_at);
    ALTER TABLE actions ADD COLUMN referral_id TEXT REFERENCES referrals(id) ON DELETE CASCADE;
    ALTER TABLE actions ADD COLUMN strategy_id TEXT REFERENCES strategy_discussions(id) ON DELETE CASCADE;
    CREATE INDEX actions_referral ON actions(referral_id);
    """)


@migrations(name="0010_add_mobility_level")
def _m0010(db: Database) -> None:
    # How the child gets about, recorded in one answer (#15), so "not independently mobile" is a fact.
    db.execute("ALTER TABLE visits ADD COLUMN mobility_level TEXT")


@migrations(name="0011_add_map_view")
def _m0011(db: Database) -> None:
    # Which body-map diagram a mark was placed on (#15): the front or back of a limb is told apart.
    db.execute("ALTER TABLE injuries ADD COLUMN map_view TEXT")


@migrations(name="0012_add_access_and_protection_plan")
def _m0012(db: Database) -> None:
    # Visits with no access (#15): what happened at the door and what was tried; and whether the child has a
    # child protection plan, which makes a visit with no access an action for today.
    for statement in ("ALTER TABLE visits ADD COLUMN access_outcome TEXT",
                      "ALTER TABLE visits ADD COLUMN access_attempts TEXT",
                      "ALTER TABLE visits ADD COLUMN access_notes TEXT",
                      "ALTER TABLE children ADD COLUMN child_protection_plan INTEGER"):
        db.execute(statement)


@migrations(name="0013_add_injury_mechanism")
def _m0013(db: Database) -> None:
    # What the carer's explanation of a mark says happened (#15), compared with how the child gets about (R39).
    db.execute("ALTER TABLE injuries ADD COLUMN mechanism TEXT")


@migrations(name="0014_create_offline_keys")
def _m0014(db: Database) -> None:
    # Numbered 0100 until #17: it was registered (and so applied) between 0007 and 0008.
    # One random key per user that encrypts what the offline app keeps in the browser; released only to
    # that user's signed-in session (homevisit.services.offline).
    db.executescript("""
    CREATE TABLE offline_keys (
      user_id INTEGER PRIMARY KEY REFERENCES users(id),
      key BLOB NOT NULL,
      created_at TEXT NOT NULL
    );
    """)


@migrations(name="0015_create_break_glass")
def _m0015(db: Database) -> None:
    # Numbered 0200 until #17, registered between 0007 and 0008 like 0014.
    # Emergency ("break-glass") read-only access to another team's child: who, why, until when, and
    # whether the child's team's supervisor has seen the alert (homevisit.services.breakglass).
    for statement in (
        """CREATE TABLE break_glass (
          id TEXT PRIMARY KEY,
          child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
          child_team_id INTEGER NOT NULL REFERENCES teams(id),
          user_id INTEGER NOT NULL REFERENCES users(id),
          user_team_id INTEGER NOT NULL REFERENCES teams(id),
          reason TEXT NOT NULL,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          acknowledged_by INTEGER REFERENCES users(id),
          acknowledged_at TEXT
        )""",
        "CREATE INDEX break_glass_user ON break_glass(user_id, expires_at)",
        "CREATE INDEX break_glass_team ON break_glass(child_team_id, acknowledged_at)",
    ):
        db.execute(statement)


@migrations(name="0016_history_indexes")
def _m0016(db: Database) -> None:
    # #16: a submit reads the child's earlier visits for the history facts; these indexes answer those reads
    # from the index alone (no wide visit row is read), so a child with years of visits costs about what a new
    # baby does. The expression is the one the queries compare (data.visits._EARLIER): julianday() makes
    # times with different UTC offsets comparable. The columns are the history sums' (data.visits.earlier_sums).
    for statement in (
        """CREATE INDEX visits_child_history ON visits(child_id, julianday(visited_at), status, id, visited_at,
             visitor_id, weight_kg,
             missed_appointments, child_seen, hygiene, access_outcome, head_control, rolls, sits_unsupported,
             crawls_or_shuffles, pulls_to_stand, cruises, stands_alone, walks_independently)""",
        "CREATE INDEX visits_child_status_updated ON visits(child_id, status, updated_at)",
        "CREATE INDEX rule_hits_child_concern ON rule_hits(child_id, concern_id, rule_id) WHERE concern_id IS NOT NULL",
    ):
        db.execute(statement)


CHANGE_COUNTED = ("visits", "rule_hits", "actions", "allocations", "concerns", "referrals")
"""The tables whose rows growth and the rules read about a child: a change to any of them counts in child_changes."""


@migrations(name="0017_child_changes")
def _m0017(db: Database) -> None:
    # #16: a submit works out growth and the rules before it takes the write lock, then checks under the lock
    # that nothing about the child changed meanwhile. The check counted and dated every one of the child's
    # visits, hits, actions, allocations, concerns and referrals (a scan that grew with the history); now the
    # database keeps one number a child, raised by a trigger in the same statement as any change to those
    # rows, whatever code makes it. Reading it is one row.
    db.execute("""CREATE TABLE child_changes (
      child_id TEXT PRIMARY KEY,
      n INTEGER NOT NULL DEFAULT 0
    )""")
    bump = ("INSERT INTO child_changes (child_id, n) VALUES ({who}.child_id, 1) "
            "ON CONFLICT(child_id) DO UPDATE SET n = n + 1")
    for table in CHANGE_COUNTED:
        db.execute(f"""CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} WHEN NEW.child_id IS NOT NULL
                       BEGIN {bump.format(who="NEW")}; END""")
        db.execute(f"""CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table} WHEN OLD.child_id IS NOT NULL
                       BEGIN {bump.format(who="OLD")}; END""")
        db.execute(f"""CREATE TRIGGER {table}_count_update AFTER UPDATE ON {table} WHEN NEW.child_id IS NOT NULL
                       BEGIN {bump.format(who="NEW")}; END""")
        db.execute(f"""CREATE TRIGGER {table}_count_update_old AFTER UPDATE ON {table}
                       WHEN OLD.child_id IS NOT NULL AND OLD.child_id IS NOT NEW.child_id
                       BEGIN {bump.format(who="OLD")}; END""")


# The kept running sums of a child's visits (migration 0018). Frozen here as the migration wrote them: a test
# (tests/integration/test_visit_sums.py) checks they are still the dictionary's, so a change there needs a
# new migration rather than silently leaving the triggers behind.
SUMS_POOR_HYGIENE = ("dirty", "smelly", "soiled_nappy", "sore_nappy_area")
SUMS_NO_ACCESS = ("child_not_seen", "no_answer", "refused_entry", "seen_at_window")
SUMS_MILESTONES = ("head_control", "rolls", "sits_unsupported", "crawls_or_shuffles", "pulls_to_stand", "cruises",
                   "stands_alone", "walks_independently")
SUMS_COLUMNS: dict[str, str] = {
    "n": "1",
    "missed": "COALESCE({r}.missed_appointments, 0)",
    "not_seen": "COALESCE({r}.child_seen = 'not_seen', 0)",
    "poor_hygiene": f"COALESCE({{r}}.hygiene IN ({sql_literals(SUMS_POOR_HYGIENE)}), 0)",
    "no_access": f"COALESCE({{r}}.access_outcome IN ({sql_literals(SUMS_NO_ACCESS)}), 0)",
    **{m: f'COALESCE({{r}}."{m}" = 1, 0)' for m in SUMS_MILESTONES},
}
"""Each kept sum and what one visit ``{r}`` adds to it: the visit itself, its missed appointments, whether
the child was not seen, poor hygiene, no access, and each milestone recorded as seen."""
SUMS_READ = ("status", "child_id", "visited_at", "missed_appointments", "child_seen", "hygiene", "access_outcome",
             *SUMS_MILESTONES)
"""The visit columns the sums are made of: only an update of one of these can change them."""


def _sums_counted(r: str) -> str:
    return f"({r}.status != 'draft' AND julianday({r}.visited_at) IS NOT NULL)"


def _sums_add(r: str) -> str:
    """The statements that count visit ``r`` in (nothing if it is a draft or has no readable time): its own
    row, the sums up to and including it, and its share added to every later row of the child."""
    key = f"(julianday({r}.visited_at), {r}.id)"
    later = ", ".join(f"{c} = {c} + {e.format(r=r)}" for c, e in SUMS_COLUMNS.items())
    own = ", ".join(f"COALESCE(p.{c}, 0) + {e.format(r=r)}" for c, e in SUMS_COLUMNS.items())
    return (f"UPDATE visit_sums SET {later} WHERE child_id = {r}.child_id AND (jd, visit_id) > {key} "
            f"AND {_sums_counted(r)};\n"
            f"INSERT INTO visit_sums (child_id, jd, visit_id, {', '.join(SUMS_COLUMNS)}) "
            f"SELECT {r}.child_id, julianday({r}.visited_at), {r}.id, {own} FROM (SELECT 1) "
            f"LEFT JOIN (SELECT * FROM visit_sums WHERE child_id = {r}.child_id AND (jd, visit_id) < {key} "
            f"ORDER BY jd DESC, visit_id DESC LIMIT 1) AS p WHERE {_sums_counted(r)};")


def _sums_remove(r: str) -> str:
    """The statements that count visit ``r`` out again: its row gone, its share taken from every later row."""
    key = f"(julianday({r}.visited_at), {r}.id)"
    later = ", ".join(f"{c} = {c} - {e.format(r=r)}" for c, e in SUMS_COLUMNS.items())
    return (f"DELETE FROM visit_sums WHERE child_id = {r}.child_id AND jd = julianday({r}.visited_at) "
            f"AND visit_id = {r}.id;\n"
            f"UPDATE visit_sums SET {later} WHERE child_id = {r}.child_id AND (jd, visit_id) > {key} "
            f"AND {_sums_counted(r)};")


@migrations(name="0018_visit_sums")
def _m0018(db: Database) -> None:
    # #16: the history facts count a child's earlier visits (all of them, and those in each window) and the
    # milestones ever recorded. Summed at each submit, that read grew with the child's history. Now the
    # database keeps, for each of the child's submitted visits in time order, the sums of every visit up to
    # and including it: the sums before any instant are one row (the last visit before it), and a window's
    # sums are the difference of two. Triggers keep the rows in the same statement as any change to a visit;
    # a new visit, the latest, adds one row and changes none, and a backdated or amended one changes the rows
    # after it.
    sums = ", ".join(f"{c} INTEGER NOT NULL" for c in SUMS_COLUMNS)
    db.execute(f"""CREATE TABLE visit_sums (
      child_id TEXT NOT NULL,
      jd REAL NOT NULL,
      visit_id TEXT NOT NULL,
      {sums},
      PRIMARY KEY (child_id, jd, visit_id)
    ) WITHOUT ROWID""")
    running = ", ".join(f"SUM({e.format(r='v')}) OVER running" for e in SUMS_COLUMNS.values())
    db.execute(f"""INSERT INTO visit_sums (child_id, jd, visit_id, {', '.join(SUMS_COLUMNS)})
                   SELECT v.child_id, julianday(v.visited_at), v.id, {running} FROM visits v
                   WHERE {_sums_counted('v')}
                   WINDOW running AS (PARTITION BY v.child_id ORDER BY julianday(v.visited_at), v.id
                                      ROWS UNBOUNDED PRECEDING)""")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in SUMS_READ)
    db.execute(f"""CREATE TRIGGER visits_sums_insert AFTER INSERT ON visits WHEN {_sums_counted('NEW')}
                   BEGIN {_sums_add('NEW')} END""")
    db.execute(f"""CREATE TRIGGER visits_sums_delete AFTER DELETE ON visits WHEN {_sums_counted('OLD')}
                   BEGIN {_sums_remove('OLD')} END""")
    db.execute(f"""CREATE TRIGGER visits_sums_update AFTER UPDATE OF {', '.join(SUMS_READ)} ON visits
                   WHEN ({_sums_counted('OLD')} OR {_sums_counted('NEW')}) AND ({changed})
                   BEGIN {_sums_remove('OLD')} {_sums_add('NEW')} END""")
