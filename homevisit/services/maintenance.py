"""Keeping the records safe over years: backup, restore, retention and legal hold.

No Flask here: the CLI (homevisit.web.cli_ops) and the supervisor's page (homevisit.web.views.breakglass) call these.

Backup
    A backup is a folder, readable by its owner only (0700, files 0600): ``homevisit.db`` taken with SQLite's
    online backup API (a consistent snapshot while the service keeps writing; never a file copy, which would
    miss the ``-wal``), the signed PDF records (they are the legal record and the database points at them),
    the signing key and certificate (needed to check old records and to keep signing as the same
    organisation), the instance's ``secret_key``, ``config.py`` and ``rules.toml`` when present, and a
    ``manifest.json`` with the row count of every table, the audit chain's length and head, and the SHA-256
    of every file. The backup checks itself (SQLite's integrity check and the audit chain) before it says
    it is done. It holds everything needed to run the service as it was: keep it as safe as the server.

Restore
    Checks the backup first (file hashes, integrity, audit chain), refuses to overwrite an instance that is
    running (a live gunicorn pid file) or holds records unless forced, keeps a backup of what it replaces
    in ``pre-restore-<time>/`` inside the instance, then copies the database in with the backup API (one
    write transaction: a service that is still running sees the old or the new database, never half of
    each) and puts the files back. It finishes by checking that the counts match the manifest and that the
    audit chain verifies.

Retention
    A child's records are kept until their 25th birthday (``RETENTION_YEARS``), or their 26th when they
    were 17 or older when the service's involvement ended, then deleted. There is no "care ended" field:
    the last thing recorded about the child (a visit, a concern, or the end of an allocation) stands for it.
    A legal hold (``children.legal_hold``) stops deletion. Deleting a child removes every row about them
    (visits, marks, people present, concerns, actions, allocations, signed records and their files). The
    audit log is append-only and hash-chained, so its entries stay: they hold ids, never names, and a
    ``retention_delete`` entry says when and under which rule the records went. After deletion the child's
    id in the audit trail no longer leads to a person.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from homevisit.data import audit_log as audit_log_data
from homevisit.data import children as children_data
from homevisit.data import database as database_data
from homevisit.data import login_attempts as login_attempts_data
from homevisit.data import records as records_data
from homevisit.data import sessions as sessions_data
from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain.calendar import utc_now, utc_now_text
from homevisit.services import audit

RETENTION_YEARS = 25
OLDER_CHILD_AGE = 17  # 17 or older when care ended: kept one year longer
SESSION_KEEP_DAYS = 30
"""Ended or expired sign-in sessions (and what they held, such as a page kept after a time-out) are kept
this long for questions about a recent sign-in, then deleted by ``retention``."""
SIGN_IN_ATTEMPT_KEEP_DAYS = 400
"""Sign-in attempts (who, when, from where, and whether it worked) are kept for 13 months, so a year of
attempts can be looked back on when investigating an account; the audit log keeps sign-ins and lockouts."""
MIN_HOLD_REASON = 10
DB_NAME = "homevisit.db"
MANIFEST = "manifest.json"
PIDFILE = "gunicorn.pid"
EXTRA_FILES = ("secret_key", "config.py", "rules.toml")


class MaintenanceError(Exception):
    """A backup, restore or retention step that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class InstancePaths:
    """Where one deployment keeps its data."""

    instance: Path
    database: Path
    records: Path
    signing: Path
    extra: tuple[Path, ...] = field(default=())

    @classmethod
    def from_config(cls, instance_path: str, config: Any) -> InstancePaths:
        instance = Path(instance_path)
        extra = [instance / name for name in EXTRA_FILES]
        rules_file = config.get("RULES_FILE")
        if rules_file and Path(rules_file) not in extra:
            extra.append(Path(rules_file))
        return cls(instance=instance, database=Path(config["DATABASE"]),
                   records=Path(config.get("RECORDS_DIR") or instance / "records"),
                   signing=Path(config.get("SIGNING_DIR") or instance / "signing"), extra=tuple(extra))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_file(path: Path) -> None:
    """Create an empty file only its owner can read, before anything sensitive goes in it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def _copy_private(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        target.unlink()
    _private_file(target)
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())


def _copy_tree_private(source: Path, target: Path) -> list[Path]:
    copied = []
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target, 0o700)
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True, mode=0o700)
        elif path.is_file() and not path.name.startswith(".tmp-"):
            _copy_private(path, target / relative)
            copied.append(target / relative)
    return copied


def check_database(path: Path) -> dict[str, Any]:
    """Integrity, audit chain and counts of a database file."""
    db = store.connect(path)
    try:
        integrity = database_data.integrity_check(db)
        has_audit = database_data.has_audit_log(db)
        chain = audit.verify_chain(db) if has_audit else {"ok": True, "entries": 0, "first_broken_id": None}
        head = audit_log_data.last_hash(db) if has_audit else None
        return {"integrity": integrity, "integrity_ok": integrity == ["ok"], "audit": chain,
                "audit_head": head["hash"] if head else audit.GENESIS, "counts": database_data.table_counts(db.conn)}
    finally:
        db.conn.close()


# --- backup ----------------------------------------------------------------------------------------

def backup(paths: InstancePaths, dest: str | os.PathLike[str], *, include_files: bool = True) -> dict[str, Any]:
    """Take a backup of a running or stopped instance into ``dest`` (a new or empty folder).

    Returns the manifest. Raises MaintenanceError when ``dest`` is not empty or the database is missing.
    """
    target = Path(dest)
    if not paths.database.exists():
        raise MaintenanceError(f"There is no database at {paths.database}: nothing to back up")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise MaintenanceError(f"{target} already exists and is not an empty folder: choose a new folder")
    try:
        target.resolve().relative_to(paths.records.resolve())
    except ValueError:
        pass
    else:
        raise MaintenanceError("Put the backup outside the records folder")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target, 0o700)
    db_copy = target / DB_NAME
    _private_file(db_copy)
    started = utc_now_text()
    database_data.backup_to_file(paths.database, db_copy)  # SQLite's backup API: a consistent snapshot
    os.chmod(db_copy, 0o600)
    checked = check_database(db_copy)
    if not checked["integrity_ok"] or not checked["audit"]["ok"]:
        raise MaintenanceError(f"The backup copy failed its checks: integrity {checked['integrity'][:3]}, "
                               f"audit {checked['audit']}")
    files: dict[str, str] = {"homevisit.db": _sha256(db_copy)}
    if include_files:
        # After the database: every record file the snapshot refers to was written before its row.
        for name, folder in (("records", paths.records), ("signing", paths.signing)):
            if folder.is_dir():
                for copied in _copy_tree_private(folder, target / name):
                    files[str(copied.relative_to(target))] = _sha256(copied)
        for extra in paths.extra:
            if extra.is_file():
                _copy_private(extra, target / "files" / extra.name)
                files[f"files/{extra.name}"] = _sha256(target / "files" / extra.name)
    manifest = {
        "format": "homevisit-backup-1", "started_at": started, "finished_at": utc_now_text(),
        "source": str(paths.database), "sqlite_version": database_data.sqlite_version(),
        "counts": checked["counts"], "audit_entries": checked["audit"]["entries"],
        "audit_head": checked["audit_head"], "files": files,
    }
    manifest_path = target / MANIFEST
    _private_file(manifest_path)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


# --- restore ---------------------------------------------------------------------------------------

def running_pid(paths: InstancePaths) -> int | None:
    """The pid of a gunicorn master serving this instance (from its pid file), if it is alive."""
    pidfile = paths.instance / PIDFILE
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if b"gunicorn" in cmdline else None


def _holds_records(database: Path) -> bool:
    if not database.exists() or database.stat().st_size == 0:
        return False
    return database_data.any_rows_in(database, ("users", "children", "visits", "audit_log"))


def _backup_source(src: Path) -> tuple[Path, dict[str, Any] | None, Path | None]:
    if src.is_dir():
        db_file = src / DB_NAME
        manifest_path = src / MANIFEST
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else None
        if not db_file.exists():
            raise MaintenanceError(f"{src} holds no {DB_NAME}: is it a backup folder?")
        return db_file, manifest, src
    if src.is_file():
        return src, None, None
    raise MaintenanceError(f"There is no backup at {src}")


def restore(paths: InstancePaths, src: str | os.PathLike[str], *, force: bool = False) -> dict[str, Any]:
    """Restore a backup folder (or a bare database file) into this instance; returns what was done."""
    db_file, manifest, folder = _backup_source(Path(src))
    if manifest is not None:
        for name, expected in manifest.get("files", {}).items():
            present = (folder / name) if folder else None
            if present is None or not present.exists():
                raise MaintenanceError(f"The backup is missing {name}: it is incomplete")
            if _sha256(present) != expected:
                raise MaintenanceError(f"{name} in the backup does not match its manifest: it was changed or damaged")
    checked = check_database(db_file)
    if not checked["integrity_ok"]:
        raise MaintenanceError(f"The backup database is damaged: {checked['integrity'][:3]}")
    if not checked["audit"]["ok"]:
        raise MaintenanceError(f"The backup's audit log does not verify (entry {checked['audit']['first_broken_id']}): "
                               "it was changed after it was written")
    pid = running_pid(paths)
    occupied = _holds_records(paths.database)
    if (pid or occupied) and not force:
        why = f"the service is running (gunicorn pid {pid})" if pid else "this instance already holds records"
        raise MaintenanceError(f"Not restored: {why}. Stop the service and run restore again, or add --force "
                               "to replace it (a backup of what is there is kept in the instance folder first)")
    kept = None
    if occupied:
        kept = paths.instance / f"pre-restore-{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}"
        backup(paths, kept)
    paths.database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not paths.database.exists():
        _private_file(paths.database)
    # The backup API, one write transaction on the target (never half old and half new), then this version's
    # migrations for a backup made by an older version.
    migrated = database_data.restore_from_file(db_file, paths.database)
    os.chmod(paths.database, 0o600)
    restored_files = []
    if folder is not None:
        for name, destination in (("records", paths.records), ("signing", paths.signing)):
            if (folder / name).is_dir():
                if destination.exists():
                    shutil.rmtree(destination)
                restored_files += [str(p) for p in _copy_tree_private(folder / name, destination)]
        for extra in paths.extra:
            copied = folder / "files" / extra.name
            if copied.is_file():
                _copy_private(copied, extra)
                restored_files.append(str(extra))
    after = check_database(paths.database)
    if manifest is not None:
        differ = sorted(t for t, n in manifest["counts"].items()
                        if t != store.migrations.migrations_table and after["counts"].get(t) != n)
        if differ:
            raise MaintenanceError(f"The restored database's counts differ from the backup's manifest: {', '.join(differ)}")
    if not after["integrity_ok"] or not after["audit"]["ok"]:
        raise MaintenanceError("The restored database failed its checks")
    return {"database": str(paths.database), "counts": after["counts"], "audit_entries": after["audit"]["entries"],
            "migrations_applied": migrated,
            "files": restored_files, "kept_previous": str(kept) if kept else None, "was_running": pid}


# --- retention -------------------------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March (the later of the two, to keep longer)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def retention_date(date_of_birth: date, last_activity: date | None, years: int = RETENTION_YEARS) -> date:
    """The day a child's records may be deleted: the 25th birthday, or the 26th if they were 17 or over
    when the service's involvement ended (the last thing recorded stands for that)."""
    older = last_activity is not None and last_activity >= add_years(date_of_birth, OLDER_CHILD_AGE)
    return add_years(date_of_birth, years + (1 if older else 0))


def _last_activity(db: Any, child_id: str) -> date | None:
    row = visits_data.last_activity_of_child(db, child_id)
    return date.fromisoformat(row["last"]) if row and row["last"] else None


def retention_report(db: Any, *, today: date | None = None, years: int = RETENTION_YEARS) -> list[dict[str, Any]]:
    """Every child whose retention date has passed, oldest first, with ``legal_hold`` saying which stay."""
    today = today or date.today()
    due = []
    cutoff = add_years(today, -years).isoformat()  # nobody born after this can be due
    for child in children_data.born_on_or_before_with_team(db, cutoff):
        until = retention_date(date.fromisoformat(child["date_of_birth"]), _last_activity(db, child["id"]), years)
        if until <= today:
            due.append({**child, "retain_until": until.isoformat(), "legal_hold": bool(child["legal_hold"])})
    return due


def delete_child(db: Any, child_id: str, records_dir: str | os.PathLike[str] | None, *, rule: str,
                 retain_until: str | None = None, by: dict[str, Any] | None = None) -> dict[str, Any]:
    """Delete every row about one child (not under legal hold) and their signed record files; audited."""
    with store.write(db):
        child = children_data.hold_state(db, child_id)
        if child is None:
            raise MaintenanceError(f"No child {child_id}")
        if child["legal_hold"]:
            raise MaintenanceError(f"Child {child_id} is under a legal hold: not deleted")
        counts = children_data.counts_of_rows_about(db, child_id)
        files = [r["filename"] for r in records_data.filenames_for_child(db, child_id)]
        # Addenda point at the visit they correct; both go, so clear the link first.
        visits_data.clear_addendum_links_for_child(db, child_id)
        children_data.delete(db, child_id)
        audit.record(db, action="retention_delete", object_type="child", object_id=child_id, child_id=child_id,
                     user=by, detail={"rule": rule, "retain_until": retain_until, "deleted": counts})
    removed = []
    for name in files:  # after the commit: a failed delete leaves a file to tidy, never a row without its file
        path = Path(records_dir or "") / name
        if records_dir and path.is_file():
            path.unlink()
            removed.append(name)
    return {"child_id": child_id, "deleted": counts, "files_removed": removed}


def sign_in_records_due(db: Any, *, today: date | None = None) -> dict[str, Any]:
    """How many ended or expired sessions and old sign-in attempts are past their keeping time."""
    session_cutoff, attempt_cutoff = _sign_in_cutoffs(today)
    sessions = sessions_data.count_ended_before(db, session_cutoff)
    attempts = login_attempts_data.count_before(db, attempt_cutoff)
    return {
        "sessions": sessions[0]["n"],
        "login_attempts": attempts[0]["n"],
        "sessions_before": session_cutoff,
        "login_attempts_before": attempt_cutoff,
    }


def prune_sign_in_records(db: Any, *, today: date | None = None, by: dict[str, Any] | None = None) -> dict[str, Any]:
    """Delete sessions ended or expired more than SESSION_KEEP_DAYS ago and sign-in attempts older than
    SIGN_IN_ATTEMPT_KEEP_DAYS, with an audit entry of the counts; returns the counts."""
    session_cutoff, attempt_cutoff = _sign_in_cutoffs(today)
    with store.write(db):
        sessions = sessions_data.delete_ended_before(db, session_cutoff)
        attempts = login_attempts_data.delete_before(db, attempt_cutoff)
        audit.record(db, action="prune_sign_in_records", object_type="retention", user=by,
                     detail={"sessions": sessions, "login_attempts": attempts, "sessions_before": session_cutoff,
                             "login_attempts_before": attempt_cutoff})
    return {"sessions": sessions, "login_attempts": attempts, "sessions_before": session_cutoff,
            "login_attempts_before": attempt_cutoff}


def _sign_in_cutoffs(today: date | None) -> tuple[str, str]:
    # Stored times are UTC ISO strings, so a cut-off at UTC midnight compares as text.
    day = today or date.today()
    session = datetime.combine(day - timedelta(days=SESSION_KEEP_DAYS), datetime.min.time(), UTC)
    attempt = datetime.combine(day - timedelta(days=SIGN_IN_ATTEMPT_KEEP_DAYS), datetime.min.time(), UTC)
    return session.isoformat(), attempt.isoformat()


def apply_retention(db: Any, records_dir: str | os.PathLike[str] | None, *, today: date | None = None,
                    years: int = RETENTION_YEARS, by: dict[str, Any] | None = None) -> dict[str, Any]:
    """Delete every child past their retention date who is not under a legal hold, and sign-in records
    past their keeping time; returns what happened."""
    due = retention_report(db, today=today, years=years)
    deleted, held = [], []
    for child in due:
        if child["legal_hold"]:
            held.append(child)
            continue
        try:
            deleted.append(delete_child(db, child["id"], records_dir, rule=f"{years}th birthday (26th if 17+ at end)",
                                        retain_until=child["retain_until"], by=by))
        except MaintenanceError:
            held.append(child)  # put under a hold between the report and the delete
    audit.record(db, action="retention_run", object_type="retention", user=by,
                 detail={"years": years, "today": (today or date.today()).isoformat(), "deleted": len(deleted),
                         "held": [c["id"] for c in held]})
    pruned = prune_sign_in_records(db, today=today, by=by)
    return {"deleted": deleted, "held": held, "sign_in_records": pruned}


# --- legal hold ------------------------------------------------------------------------------------

def set_legal_hold(db: Any, child_id: str, held: bool, reason: Any, *, by: dict[str, Any] | None = None,
                   team_id: int | None = None) -> dict[str, Any]:
    """Put a child's records under a legal hold (or lift it), with the reason, in the audit log.

    ``team_id`` limits it to that team's children (a supervisor's action); None is the command line.
    """
    text = (reason if isinstance(reason, str) else "").strip()
    if len(text) < MIN_HOLD_REASON:
        raise MaintenanceError(f"Enter the reason for {'the legal hold' if held else 'lifting the legal hold'}, "
                               f"in at least {MIN_HOLD_REASON} characters (for example the court or case reference)")
    if len(text) > 1000:
        raise MaintenanceError("The reason must be 1000 characters or fewer")
    with store.write(db):
        child = children_data.hold_state(db, child_id, team_id)
        if child is None:
            raise MaintenanceError(f"No child {child_id}")
        children_data.set_fields(db, child_id, {"legal_hold": 1 if held else 0})
        audit.record(db, action="legal_hold_set" if held else "legal_hold_cleared", object_type="child",
                     object_id=child_id, child_id=child_id, user=by,
                     detail={"reason": text, "was": bool(child["legal_hold"])})
    return {"child_id": child_id, "legal_hold": held}
