"""Wiring for the web app: the per-request database, sessions, CSRF, security headers and templates."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException

from forms.fields import render_params
from homevisit.data import database as database_data
from homevisit.data import store
from homevisit.domain import presentation
from homevisit.services import referrals
from homevisit.web import auth
from homevisit.web.problems import problem
from homevisit.web.views import register_blueprints
from homevisit.web.views.visits import keep_typed_input_after_timeout

csrf = CSRFProtect()


class LoudUndefined(ChainableUndefined):
    """Undefined that fails when printed: a typo in a template is an error, not an empty string.

    The GOV.UK macro library tests optional parameters with ``if params.x``, so truth tests and
    iteration stay permissive; printing a missing value is what StrictUndefined would catch.
    """

    def __str__(self) -> str:
        self._fail_with_undefined_error()
        return ""  # pragma: no cover


def instance_secret_key(instance_path: str) -> str:
    """The deployment's secret key, made once and kept in the instance folder (mode 0600)."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        # Several gunicorn workers may boot at once on a new instance: each writes a whole key to a file of
        # its own and links it into place; the first link wins and everyone reads the winner's complete key
        # (never a half-written or empty file).
        candidate = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(candidate)
    with open(path) as fh:
        return fh.read().strip()


def get_db() -> Any:
    """The request's (or CLI command's) connection: the one this worker thread keeps, given back on teardown."""
    from flask import current_app

    if "db" not in g:
        g.db = database_data.reusable_connection(current_app.config["DATABASE"])
        database_data.keep_files_open(current_app.config["DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        database_data.release(db, failed=exc is not None)


def init_app(app: Flask) -> None:
    problems = referrals.check_settings(app.config)
    if problems:
        raise RuntimeError("The referral settings in instance/config.py cannot be used: " + "; ".join(problems))
    app.extensions["homevisit_db"] = get_db
    app.teardown_appcontext(close_db)
    app.session_interface = auth.DatabaseSessionInterface()
    csrf.init_app(app)
    WTFormsHelpers(app)
    app.jinja_env.undefined = LoudUndefined
    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,  # type: ignore[list-item]
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    presentation.register_filters(app)

    app.add_template_global(render_params, "render_params")
    app.jinja_env.globals["govukRebrand"] = False

    @app.before_request
    def before() -> Any:
        g.csp_nonce = secrets.token_urlsafe(16)
        auth.load_current_user()
        if request.endpoint == "records.check":
            request.max_content_length = 21 * 1024 * 1024  # a signed record to check may be larger than a form
        if request.path.startswith("/api/"):
            return None

        kept = keep_typed_input_after_timeout()
        if kept is not None:
            return kept
        csrf.protect()
        return None

    @app.after_request
    def headers(response: Any) -> Any:
        nonce = g.get("csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
            "worker-src 'self'; manifest-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Strict-Transport-Security"] = f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains"
        # Signed-in pages and the API are never cached; the static assets (the same for everyone) may be, so
        # the offline service worker does not fetch them twice.
        if (g.get("user") is not None and request.endpoint != "static") or request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {
            "cspNonce": g.get("csp_nonce", ""),
            "current_user": g.get("user"),
            "service_name": app.config["SERVICE_NAME"],
            "organisation_name": app.config["ORGANISATION_NAME"],
            "source_code_url": app.config["SOURCE_CODE_URL"],
        }

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return problem(error.code or 500, error.name, error.description or "")
        code = error.code or 500
        template = f"errors/{code}.html" if code in (403, 404, 413) else "errors/generic.html"
        return render_template(template, error=error), code

    @app.errorhandler(store.OperationalError)
    def database_unavailable(error: store.OperationalError) -> Any:
        return not_saved_response(error)


    register_blueprints(app)


DISK_FULL = ("Not saved: the server's disk is full. What you typed is kept on this page; "
             "try again in a few minutes or tell your administrator")
BUSY = ("Not saved: the service is busy. What you typed is kept on this page; try again in a moment, "
        "and tell your administrator if this keeps happening")


def not_saved_response(error: store.OperationalError) -> Any:
    """A write the database refused because the disk is full (507) or it stayed locked (503).

    The write transaction has been rolled back, so nothing half-saved is left. An HTML form comes back
    with everything that was typed in it (passwords apart), ready to send again; the API answers with a
    problem document and Retry-After so a client keeps the record and retries. Any other database error
    is a fault, not a condition to explain: it is raised again (a 500, logged).
    """
    text = str(error).lower()
    if "database or disk is full" in text or "disk full" in text:
        status, message, retry = 507, DISK_FULL, "120"
    elif "database is locked" in text or "database is busy" in text:
        status, message, retry = 503, BUSY, "5"
    else:
        raise error
    if request.method in ("GET", "HEAD") and status == 507:
        message = ("Not shown: the server's disk is full, and every view of a record must be written to the "
                   "audit log first. Try again in a few minutes or tell your administrator")
    from flask import current_app

    current_app.logger.error("Request not saved (%s %s): %s", request.method, request.path, error)
    if request.path.startswith("/api/"):
        response = problem(status, message.split(":")[0],
                           "Nothing was stored. Keep the record and send it again later." if status == 507 else
                           "Nothing was stored. Send it again in a moment.")
    else:
        kept = [] if request.method != "POST" else [
            (name, value) for name in request.form.keys() if "password" not in name.lower()
            for value in request.form.getlist(name)]
        response = current_app.make_response((render_template(
            "errors/not_saved.html", message=message, status=status, kept=kept,
            action=request.full_path if request.query_string else request.path), status))
    response.headers["Retry-After"] = retry
    return response
