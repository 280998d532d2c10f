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

from homevisit import auth, store

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
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def get_db() -> Any:
    """One connection per request (or CLI command), closed on teardown."""
    from flask import current_app

    if "db" not in g:
        g.db = store.connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
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
    from homevisit import presentation

    presentation.register_filters(app)
    from forms.fields import render_params

    app.add_template_global(render_params, "render_params")
    app.add_template_global(False, "govukRebrand")

    @app.before_request
    def before() -> Any:
        g.csp_nonce = secrets.token_urlsafe(16)
        auth.load_current_user()
        if request.endpoint == "records.check":
            request.max_content_length = 21 * 1024 * 1024  # a signed record to check may be larger than a form
        if request.path.startswith("/api/"):
            return None
        from homevisit.views.visits import keep_typed_input_after_timeout

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
        if g.get("user") is not None or request.path.startswith("/api/"):
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
            from homevisit.views.api import problem

            return problem(error.code or 500, error.name, error.description or "")
        code = error.code or 500
        template = f"errors/{code}.html" if code in (403, 404, 413) else "errors/generic.html"
        return render_template(template, error=error), code

    from homevisit.views import register_blueprints

    register_blueprints(app)
