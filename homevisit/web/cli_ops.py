"""Operations commands: ``flask --app app backup|restore|retention|legal-hold``.

``homevisit.web.cli.register`` calls ``register(app)``. The work itself is in homevisit.services.maintenance.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click
from flask import Flask, current_app

from homevisit.data import store
from homevisit.services import maintenance


def _db() -> Any:
    return current_app.extensions["homevisit_db"]()


def _paths() -> maintenance.InstancePaths:
    return maintenance.InstancePaths.from_config(current_app.instance_path, current_app.config)


def register(app: Flask) -> None:
    app.config.setdefault("RETENTION_YEARS", maintenance.RETENTION_YEARS)

    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False))
    @click.option("--database-only", is_flag=True, help="Leave out the signed records, signing key and instance files")
    def backup_command(dest: str, database_only: bool) -> None:
        """Back up the instance into DEST (a new folder) while the service runs: database, records, keys."""
        try:
            manifest = maintenance.backup(_paths(), dest, include_files=not database_only)
        except maintenance.MaintenanceError as error:
            raise click.ClickException(str(error)) from error
        counts = manifest["counts"]
        click.echo(f"Backup written to {dest} (folder 0700, files 0600): "
                   f"{counts.get('children', 0)} children, {counts.get('visits', 0)} visits, "
                   f"{manifest['audit_entries']} audit entries verified, {len(manifest['files'])} files")

    @app.cli.command("restore")
    @click.argument("src", type=click.Path(exists=True))
    @click.option("--force", is_flag=True, help="Replace an instance that is running or already holds records")
    def restore_command(src: str, force: bool) -> None:
        """Restore a backup folder made by `backup` into this instance, checking it before and after."""
        try:
            report = maintenance.restore(_paths(), src, force=force)
        except maintenance.MaintenanceError as error:
            raise click.ClickException(str(error)) from error
        counts = report["counts"]
        click.echo(f"Restored {src} into {report['database']}: {counts.get('children', 0)} children, "
                   f"{counts.get('visits', 0)} visits, audit chain of {report['audit_entries']} entries verified")
        if report["migrations_applied"]:
            click.echo(f"The backup came from an older version; brought up to date with {len(report['migrations_applied'])} "
                       f"migration(s): {', '.join(report['migrations_applied'])}")
        if report["kept_previous"]:
            click.echo(f"What was there before is kept in {report['kept_previous']}")
        if report["was_running"]:
            click.echo("The service was running: restart it so every worker starts afresh")

    @app.cli.command("retention")
    @click.option("--dry-run", is_flag=True, help="List what is due for deletion; delete nothing")
    @click.option("--today", default=None, help="Judge as of this date (YYYY-MM-DD); default today")
    @click.option("--years", type=int, default=None, help="Keep records to this birthday (default RETENTION_YEARS, 25)")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON")
    def retention_command(dry_run: bool, today: str | None, years: int | None, as_json: bool) -> None:
        """Delete children's records past their retention date (25th birthday; 26th if 17+ when care ended).

        Children under a legal hold are listed and kept. Sign-in sessions ended over 30 days ago and sign-in
        attempts over 400 days old are deleted too. Every deletion is written to the audit log.
        """
        db = _db()
        store.migrate(db)
        try:
            on = date.fromisoformat(today) if today else date.today()
        except ValueError as error:
            raise click.ClickException("Give --today as a date, like 2026-11-24") from error
        keep = years or int(current_app.config.get("RETENTION_YEARS") or maintenance.RETENTION_YEARS)
        due = maintenance.retention_report(db, today=on, years=keep)
        if dry_run:
            sign_in = maintenance.sign_in_records_due(db, today=on)
            if as_json:
                click.echo(json.dumps({"due": due, "sign_in_records": sign_in}, indent=1))
                return
            click.echo(f"{len(due)} children past their retention date on {on.isoformat()} (dry run: nothing deleted)")
            for c in due:
                hold = "  LEGAL HOLD: kept" if c["legal_hold"] else ""
                click.echo(f"  {c['id']}  born {c['date_of_birth']}  keep until {c['retain_until']}  "
                           f"{c['team_name']}{hold}")
            click.echo(f"{sign_in['sessions']} sessions ended before {sign_in['sessions_before'][:10]} and "
                       f"{sign_in['login_attempts']} sign-in attempts before {sign_in['login_attempts_before'][:10]} "
                       "would be deleted")
            return
        result = maintenance.apply_retention(db, current_app.config.get("RECORDS_DIR"), today=on, years=keep)
        if as_json:
            click.echo(json.dumps(result, indent=1))
            return
        click.echo(f"Deleted the records of {len(result['deleted'])} children; kept {len(result['held'])} under a legal hold")
        for d in result["deleted"]:
            click.echo(f"  deleted {d['child_id']}: " + ", ".join(f"{n} {k}" for k, n in d["deleted"].items()))
        for c in result["held"]:
            click.echo(f"  kept {c['id']} (legal hold)")
        pruned = result["sign_in_records"]
        click.echo(f"Deleted {pruned['sessions']} ended sessions and {pruned['login_attempts']} old sign-in attempts")

    @app.cli.command("legal-hold")
    @click.argument("child_id")
    @click.option("--set/--clear", "held", default=True, help="Put the hold on (default) or lift it")
    @click.option("--reason", required=True, help="Why: the court, inquiry or case reference")
    def legal_hold_command(child_id: str, held: bool, reason: str) -> None:
        """Put a child's records under a legal hold (retention will not delete them), or lift it."""
        try:
            maintenance.set_legal_hold(_db(), child_id, held, reason)
        except maintenance.MaintenanceError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Legal hold {'set on' if held else 'lifted from'} {child_id}")
