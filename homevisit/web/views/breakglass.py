"""Break-glass access to another team's child, the supervisors' alert, "who has viewed this record", legal hold."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from homevisit.domain import answers
from homevisit.services import audit, breakglass, children, maintenance
from homevisit.web import auth

bp = Blueprint("breakglass", __name__)


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


@bp.app_context_processor
def alerts_for_templates() -> dict[str, Any]:
    def break_glass_alerts() -> list[dict[str, Any]]:
        user = g.get("user")
        if not user or user["role"] not in ("supervisor", "admin"):
            return []
        return breakglass.alerts_for_team(db(), user["team_id"])

    return {"break_glass_alerts": break_glass_alerts}


@bp.route("/break-glass/", methods=["GET", "POST"])
@auth.access(*breakglass.ROLES)
def request_access() -> Any:
    errors: dict[str, str] = {}
    identifier = request.form.get("identifier", request.args.get("identifier", ""))[:100]
    reason = request.form.get("reason", "")[:breakglass.MAX_REASON_CHARS + 1]
    if request.method == "POST":
        try:
            grant = breakglass.request_access(db(), g.user, identifier, reason,
                                              hours=int(current_app.config.get("BREAK_GLASS_HOURS",
                                                                               breakglass.GRANT_HOURS)))
        except breakglass.OwnTeam as own:
            flash("This child is on your team's caseload: you do not need emergency access.", "success")
            return redirect(url_for("children.show", child_id=own.child_id))
        except breakglass.BreakGlassError as error:
            errors[error.field] = error.message
        else:
            return redirect(url_for("breakglass.record", grant_id=grant["id"]))
    page_errors = [{"text": message, "href": f"#{field}"} for field, message in errors.items()]
    return render_template("breakglass/request.html", errors=errors, page_errors=page_errors, identifier=identifier,
                           reason=reason, hours=breakglass.GRANT_HOURS, min_reason=breakglass.MIN_REASON_CHARS,
                           grants=breakglass.grants_for_user(db(), g.user)), (422 if errors else 200)


def _live_grant(grant_id: str) -> dict[str, Any] | Any:
    try:
        grant = breakglass.active_grant(db(), grant_id, g.user)
    except breakglass.NotFound:
        abort(404)
    return grant


@bp.route("/break-glass/<grant_id>")
@auth.access(*breakglass.ROLES)
def record(grant_id: str) -> Any:
    grant = _live_grant(grant_id)
    if grant["ended"]:
        return render_template("breakglass/ended.html", grant=grant), 403
    child = breakglass.child_under_grant(db(), grant, g.user)
    return render_template("breakglass/record.html", grant=grant, child=child, **breakglass.record_for_grant(db(), grant))


@bp.route("/break-glass/<grant_id>/visits/<visit_id>")
@auth.access(*breakglass.ROLES)
def visit(grant_id: str, visit_id: str) -> Any:
    grant = _live_grant(grant_id)
    if grant["ended"]:
        return render_template("breakglass/ended.html", grant=grant), 403
    try:
        shown = breakglass.visit_under_grant(db(), grant, visit_id, g.user)
    except breakglass.NotFound:
        abort(404)
    child = breakglass.child_under_grant(db(), grant, g.user, log_view=False)
    return render_template("breakglass/visit.html", grant=grant, child=child, visit=shown,
                           sections=answers.answer_sections(shown))


@bp.route("/break-glass/<grant_id>/acknowledge", methods=["POST"])
@auth.access("supervisor", "admin")
def acknowledge(grant_id: str) -> Any:
    if not breakglass.acknowledge(db(), grant_id, g.user):
        abort(404)
    flash("The emergency access has been acknowledged.", "success")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else url_for("supervision.dashboard"))


def _own_child(child_id: str) -> dict[str, Any]:
    try:
        return children.get_child(db(), child_id, g.user, log_view=False)
    except children.NotFound:
        abort(404)


@bp.route("/children/<child_id>/viewers")
@auth.access("supervisor", "admin")
def viewers(child_id: str) -> Any:
    child = _own_child(child_id)
    audit.record(db(), action="view_access_log", object_type="child", object_id=child_id, child_id=child_id,
                 user=g.user)
    seen = breakglass.viewers_of_child(db(), child_id)
    return render_template("children/viewers.html", child=child, people=seen["people"], entries=seen["entries"],
                           grants=breakglass.grants_for_child(db(), child_id), hold_error=None,
                           min_hold_reason=maintenance.MIN_HOLD_REASON)


@bp.route("/children/<child_id>/legal-hold", methods=["POST"])
@auth.access("supervisor", "admin")
def legal_hold(child_id: str) -> Any:
    child = _own_child(child_id)
    held = request.form.get("legal_hold") == "on"
    try:
        maintenance.set_legal_hold(db(), child_id, held, request.form.get("reason", ""), by=g.user,
                                   team_id=g.user["team_id"])
    except maintenance.MaintenanceError as error:
        seen = breakglass.viewers_of_child(db(), child_id)
        return render_template("children/viewers.html", child=child, people=seen["people"], entries=seen["entries"],
                               grants=breakglass.grants_for_child(db(), child_id), hold_error=str(error),
                               page_errors=[{"text": str(error), "href": "#reason"}],
                               min_hold_reason=maintenance.MIN_HOLD_REASON), 422
    flash("The legal hold is on: these records will not be deleted at the end of the retention period." if held
          else "The legal hold has been lifted.", "success")
    return redirect(url_for("breakglass.viewers", child_id=child_id))
