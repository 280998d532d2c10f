"""The supervisor's dashboard and visit review."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from homevisit.domain.calendar import london_today
from homevisit.services import access, children, referrals, supervision
from homevisit.web import auth
from homevisit.web.rulesets import current_rules

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


@bp.route("/")
@auth.access("supervisor", "admin")
def dashboard() -> Any:
    members = children.team_professionals(db(), g.user["team_id"])
    chosen = request.args.get("person", "")
    person = next((m for m in members if str(m["id"]) == chosen), None)
    lists = supervision.dashboard(db(), g.user["team_id"], person_id=person["id"] if person else None,
                                  config=current_app.config)
    unknown = bool(chosen) and person is None  # a stale or edited link: show everyone and say so
    since = access.window_start(london_today(), current_rules())
    patterns = access.team_patterns(db(), g.user["team_id"], since=since)
    return render_template("supervision/dashboard.html", members=members, person=person, unknown_person=unknown,
                           decision_words=referrals.DECISION_WORDS, access_patterns=patterns,
                           access_window_days=(london_today() - since).days, **lists)


@bp.route("/visits/<visit_id>/review", methods=["POST"])
@auth.access("supervisor", "admin")
def review(visit_id: str) -> Any:
    note = (request.form.get("note") or "").strip()[:4000]
    if not supervision.review_visit(db(), visit_id, g.user, note):
        abort(404)
    flash("The visit is marked as reviewed.", "success")
    return redirect(request.form.get("back") or url_for("supervision.dashboard"))
