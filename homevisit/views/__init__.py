"""Thin blueprints: read the request, call the domain, render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from homevisit.views import (
        actions,
        api,
        auth,
        breakglass,
        children,
        offline,
        records,
        referrals,
        supervision,
        visits,
    )

    for module in (auth, children, visits, actions, supervision, records, referrals, api, offline, breakglass):
        app.register_blueprint(module.bp)
    from homevisit.views import exports

    app.register_blueprint(exports.bp)
