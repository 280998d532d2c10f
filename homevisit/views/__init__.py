"""Thin blueprints: read the request, call the domain, render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from homevisit.views import actions, api, auth, children, records, supervision, visits

    for module in (auth, children, visits, actions, supervision, records, api):
        app.register_blueprint(module.bp)
