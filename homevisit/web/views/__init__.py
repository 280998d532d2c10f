"""Thin blueprints: read the request, call the domain, render."""

from __future__ import annotations

from flask import Flask

from homevisit.web.views import (
    actions,
    api,
    auth,
    breakglass,
    children,
    exports,
    offline,
    records,
    referrals,
    supervision,
    visits,
)


def register_blueprints(app: Flask) -> None:
    for module in (auth, children, visits, actions, supervision, records, referrals, api, offline, breakglass, exports):
        app.register_blueprint(module.bp)
