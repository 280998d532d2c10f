"""Command-line commands: ``flask --app app <command>``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from homevisit.data import store
from homevisit.data import users as users_data
from homevisit.domain import rules
from homevisit.records import signing
from homevisit.services import audit, visit_records
from homevisit.web import auth, cli_ops, demo
from homevisit.web.rulesets import local_rules_path


def _db() -> Any:
    return current_app.extensions["homevisit_db"]()


def register(app: Flask) -> None:
    register_records(app)

    cli_ops.register(app)
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create the database, or apply any new migrations to it."""
        db = _db()
        store.migrate(db)
        click.echo(f"Database ready: {current_app.config['DATABASE']}")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(auth.ROLES))
    @click.option("--team", required=True)
    @click.option("--name", default=None, help="The person's name (defaults to the email's local part)")
    @click.option("--visitor-role", default=None, help="health_visitor, social_worker, housing_officer, ...")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
    def create_user(email: str, role: str, team: str, name: str | None, visitor_role: str | None,
                    password_stdin: bool) -> None:
        """Create a user in a team (the team is created if it is new)."""
        db = _db()
        store.migrate(db)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = auth.create_user(db, email=email, name=name or email.split("@")[0], role=role, team=team,
                                    password=password, visitor_role=visitor_role,
                                    organisation=current_app.config["ORGANISATION_NAME"])
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Created {user['role']} {user['email']} in team {team}")

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--label", default="command line")
    def create_token(email: str, label: str) -> None:
        """Print a new API token for a user, once, alone on the last line."""
        db = _db()
        row = users_data.active_id_by_email(db, email)
        if row is None:
            raise click.ClickException(f"No active user with the email {email}")
        token = auth.create_token(db, row["id"], label)
        click.echo(f"API token for {email} (shown once; only its hash is kept):")
        click.echo(token)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users")
    def seed_demo(if_empty: bool) -> None:
        """Create a demo team, its users (passwords printed once) and children with months of visits, the earlier
        ones signed (with a signing key in place)."""

        db = _db()
        store.migrate(db)
        if if_empty and users_data.any_user(db):
            click.echo("Demo data already present: nothing to do.")
            return
        for line in demo.seed(db, current_app.config["ORGANISATION_NAME"], config=current_app.config):
            click.echo(line)
        for line in demo.sign_past_visits(db, current_app.config, current_app.static_folder or "static"):
            click.echo(line)

    @app.cli.command("check-rules")
    @click.argument("path", required=False)
    def check_rules(path: str | None) -> None:
        """Check a rules file (the instance's rules.toml by default); report errors with line numbers."""

        target = Path(path or local_rules_path())
        if not target.exists():
            raise click.ClickException(f"No rules file at {target}")
        errors = rules.check_rules_file(target)
        if errors:
            for error in errors:
                click.echo(error, err=True)
            raise click.exceptions.Exit(1)
        click.echo(f"{target}: no errors")

    @app.cli.command("verify-audit")
    def verify_audit() -> None:
        """Check the audit log's hash chain; report the first broken entry."""
        result = audit.verify_chain(_db())
        if result["ok"]:
            click.echo(f"Audit log intact: {result['entries']} entries verified")
            return
        click.echo(f"Audit log broken at entry {result['first_broken_id']}: {result['reason']}", err=True)
        raise click.exceptions.Exit(1)


def register_records(app: Flask) -> None:
    @app.cli.command("init-signing")
    @click.option("--force", is_flag=True, help="Replace an existing key and certificate")
    def init_signing(force: bool) -> None:
        """Create a self-signed demo key and certificate for signing records (a deployment loads its own PKCS#12)."""

        paths = signing.init_signing(current_app.config["SIGNING_DIR"], current_app.config["ORGANISATION_NAME"],
                                     overwrite=force)
        click.echo(f"Signing key and self-signed certificate written to {paths.pkcs12.parent} (mode 0600)")

    @app.cli.command("check-records")
    @click.option("--since", metavar="YYYY-MM-DD", help="Only records stored on or after this date")
    def check_records(since: str | None) -> None:
        """Check every stored signed record: the file is there, matches its SHA-256 and its signatures are intact.

        Also lists the signatures whose time no trusted time-stamping authority attests (signed while the
        authority could not be reached, or before one was set up). Exits 1 if any record fails the check.
        """

        if since is not None:
            try:
                date.fromisoformat(since)
            except ValueError:
                raise click.BadParameter("Give the date as YYYY-MM-DD, for example 2026-01-31", param_hint="--since") from None
        checked = failed = 0
        untimed: list[str] = []
        for finding in visit_records.check_stored_records(_db(), current_app.config, since):
            checked += 1
            where = finding["where"]
            if finding["problem"]:
                failed += 1
                click.echo(f"FAILED {where}: {finding['problem']}", err=True)
            elif finding["untimed"]:
                fields = (visit_records.SIGNATURE_WORDS.get(f, f"signature {f}") for f in finding["untimed"])
                untimed.append(f"  {where}: {', '.join(fields)}")
        scope = f" stored since {since}" if since else ""
        click.echo(f"Checked {checked} stored record{'' if checked == 1 else 's'}{scope}: {checked - failed} intact "
                   f"and matching their SHA-256, {failed} failed.")
        if untimed:
            click.echo(f"{len(untimed)} carry signatures without a trusted timestamp (their time is the signing "
                       "server's clock):")
            for line in untimed:
                click.echo(line)
        if failed:
            raise click.exceptions.Exit(1)

    @app.cli.command("verify-record")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def verify_record(path: str) -> None:
        """Check a signed PDF visit record or referral pack: intact or altered, who signed and when, stored copy,
        later changes."""

        report = visit_records.verify_record(_db(), Path(path).read_bytes(), config=current_app.config)
        verdict = "INTACT: " if report["intact"] else "NOT A SIGNED RECORD: " if report["bundle_id"] else "NOT INTACT: "
        click.echo(verdict + report["summary"])
        for n, s in enumerate(report["signatures"], start=1):
            click.echo(f"  signature {n} ({s['field']}): {s['signer']}, signed {s['signed_at']}, "
                       f"{'intact' if s['intact'] else 'altered'}, coverage {s['coverage']}, "
                       f"modification level {s['modification_level']}, {'trusted' if s['trusted'] else 'untrusted'}")
            stamp = s.get("timestamp")
            if stamp:
                click.echo(f"    timestamp: {stamp['authority']}, {stamp['at']}, "
                           f"{'intact' if stamp['intact'] else 'altered'}, {'trusted' if stamp['trusted'] else 'untrusted'}")
            else:
                click.echo("    timestamp: none (the time is the signing server's clock)")
        click.echo(f"  changed after signing: {'yes' if report['changed_after_signing'] else 'no'}")
        stored = report["stored"] or {}
        if stored.get("referral_id"):
            click.echo(f"  matches our stored copy: yes, referral pack {stored['referral_id']}")
        else:
            click.echo(f"  matches our stored copy: {'yes, record ' + stored['visit_id'] if stored else 'no'}")
        click.echo(f"  sha256 {report['sha256']}")
        if not report["intact"]:
            raise click.exceptions.Exit(1)
