"""Home Visit Toolkit: the application factory.

Config, extensions, blueprints and CLI commands; nothing else. Run with ``flask --app app run``.
Copyright the Home Visit Toolkit contributors. Licensed AGPL-3.0-or-later.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from homevisit.web import cli, wiring


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. The instance folder is ``HOMEVISIT_INSTANCE_PATH`` or ``./instance``."""
    instance_path = os.path.abspath(os.environ.get("HOMEVISIT_INSTANCE_PATH")
                                    or os.path.join(os.path.dirname(os.path.abspath(__file__)), "instance"))
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = os.path.abspath(test_config["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True,
                static_folder="static", template_folder="templates")
    app.config.from_mapping(
        SECRET_KEY=None,
        SERVICE_NAME="Home Visit Toolkit",
        ORGANISATION_NAME="Demo Safeguarding Partnership",
        SOURCE_CODE_URL="https://example.org/homevisit-toolkit/source",
        DATABASE=os.path.join(app.instance_path, "homevisit.db"),
        SESSION_IDLE_MINUTES=15,
        SESSION_ABSOLUTE_HOURS=12,
        SESSION_COOKIE_NAME="homevisit_session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        HSTS_SECONDS=31536000,
        HCA_CUTOFF=4,
        RULES_FILE=None,
        RECORDS_DIR=os.path.join(app.instance_path, "records"),
        SIGNING_DIR=os.path.join(app.instance_path, "signing"),
        SIGNING_TSA_URL=None,
        SIGNING_TSA_TIMEOUT=5,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("HOMEVISIT")
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = wiring.instance_secret_key(app.instance_path)
    wiring.init_app(app)
    cli.register(app)
    return app
