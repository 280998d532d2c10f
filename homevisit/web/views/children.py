"""The caseload: finding a child, adding one, and the child's page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.child import ChildForm, child_form_values
from forms.concern import ConcernForm, concern_form_values
from forms.not_brought import NotBroughtForm, not_brought_values
from homevisit.domain import growth
from homevisit.domain.calendar import london_today
from homevisit.domain.validation import validate_child
from homevisit.services import access, children, concerns, referrals, visits
from homevisit.services import actions as actions_mod
from homevisit.services.chronology import KINDS, chronology_for
from homevisit.web import auth
from homevisit.web.rulesets import current_rules

bp = Blueprint("children", __name__, url_prefix="/children")


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def child_or_404(child_id: str, *, log_view: bool = True) -> dict[str, Any]:
    try:
        return children.get_child(db(), child_id, g.user, log_view=log_view)
    except children.NotFound:
        abort(404)


@bp.route("/")
@auth.access()
def caseload() -> Any:
    text = request.args.get("q", "")[:100]
    found = children.search_children(db(), g.user, text)
    drafts = visits.drafts_for_user(db(), g.user)
    since = access.window_start(london_today(), rules())
    patterns = {p["id"]: p for p in access.team_patterns(db(), g.user["team_id"], since=since)}
    return render_template("children/caseload.html", children=found, q=text, drafts=drafts, patterns=patterns,
                           window_days=(london_today() - since).days)


@bp.route("/new", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def add() -> Any:
    form = ChildForm()
    if request.method == "POST":
        if form.validate():
            child, errors = children.add_child(db(), child_form_values(form), g.user)
            if child:
                flash(f"{child['given_name']} {child['family_name']} has been added to your caseload.", "success")
                return redirect(url_for("children.show", child_id=child["id"]))
        else:
            _clean, errors = validate_child(child_form_values(form))
        for name, messages in errors.items():
            if name in form._fields and not form[name].errors:
                form[name].errors = list(messages)
    return render_template("children/add.html", form=form)


@bp.route("/<child_id>")
@auth.access()
def show(child_id: str) -> Any:
    child = child_or_404(child_id)
    referrals.check_timers(db(), g.user["team_id"], config=current_app.config)
    history = visits.visits_for_child(db(), child_id, include_drafts_of=g.user["id"])
    series = growth.stored_series(child, visits.measurements_for(db(), child_id))
    chart = growth.weight_chart_svg(child, series) if series or child.get("birth_weight_kg") else None
    open_actions = actions_mod.list_actions(db(), g.user["team_id"], status="open", child_id=child_id)
    kinds = tuple(k for k in request.args.getlist("kind") if k in KINDS) or KINDS
    professional = request.args.get("professional", "")
    entries = chronology_for(db(), child, kinds=kinds,
                             professional_id=int(professional) if professional.isdigit() else None)
    since = access.window_start(london_today(), rules())
    access_events = access.child_events(db(), child_id, since=since)
    return render_template("children/show.html", child=child, visits=history, series=series, chart=chart,
                           access_events=access_events, access_failures=access.failures(access_events),
                           access_window_days=(london_today() - since).days,
                           latest=series[-1] if series else None, open_actions=open_actions,
                           allocations=children.allocations(db(), child_id), entries=entries, kinds=kinds,
                           professional=professional, members=children.team_members(db(), g.user["team_id"]),
                           referrals=referrals.referrals_for_child(db(), child_id),
                           strategies=referrals.strategies_for_child(db(), child_id),
                           referral_status_words=referrals.STATUS_WORDS, decision_words=referrals.DECISION_WORDS,
                           strategy_decision_words=referrals.STRATEGY_DECISION_WORDS)


@bp.route("/<child_id>/concerns/new", methods=["GET", "POST"])
@auth.access()
def record_concern(child_id: str) -> Any:
    child = child_or_404(child_id, log_view=request.method == "GET")
    form = ConcernForm()
    if request.method == "GET" and g.user.get("visitor_role"):
        form.reporter_role.data = g.user["visitor_role"]
    if request.method == "POST":
        values = concern_form_values(form)
        values["categories"] = request.form.getlist("categories")
        if form.validate():
            concern, raised, errors = concerns.record_concern(db(), child, g.user, values, rules(),
                                                              history=visits.history_for(db(), child_id))
            if concern:
                flash(f"The concern has been added to {child['given_name']}'s chronology. "
                      f"It raised {len(raised)} required {'action' if len(raised) == 1 else 'actions'}.", "success")
                return redirect(url_for("children.show", child_id=child_id) + "#actions")
            for name, messages in errors.items():
                if name in form._fields and not form[name].errors:
                    form[name].errors = list(messages)
    return render_template("children/concern.html", child=child, form=form), (422 if form.errors else 200)


@bp.route("/<child_id>/not-brought", methods=["GET", "POST"])
@auth.access()
def not_brought(child_id: str) -> Any:
    child = child_or_404(child_id, log_view=request.method == "GET")
    form = NotBroughtForm()
    if request.method == "GET" and g.user.get("visitor_role"):
        form.reporter_role.data = g.user["visitor_role"]
    if request.method == "POST" and form.validate():
        concern, raised, errors = access.record_not_brought(db(), child, g.user, not_brought_values(form), rules(),
                                                            history=visits.history_for(db(), child_id))
        if concern:
            flash(f"Recorded in {child['given_name']}'s chronology that they were not brought. It raised "
                  f"{len(raised)} required {'action' if len(raised) == 1 else 'actions'}.", "success")
            return redirect(url_for("children.show", child_id=child_id) + "#access")
        for name, messages in errors.items():
            if name in form._fields and not form[name].errors:
                form[name].errors = list(messages)
    return render_template("children/not_brought.html", child=child, form=form), (422 if form.errors else 200)


@bp.route("/<child_id>/protection-plan", methods=["POST"])
@auth.access("practitioner", "supervisor")
def protection_plan(child_id: str) -> Any:
    child = child_or_404(child_id, log_view=False)
    choice = request.form.get("child_protection_plan", "")
    if choice not in ("yes", "no"):
        flash("Choose whether the child has a child protection plan.", "important")
    else:
        children.set_protection_plan(db(), child_id, choice == "yes", g.user)
        flash(f"Recorded that {child['given_name']} {'has' if choice == 'yes' else 'no longer has'} a child "
              f"protection plan.", "success")
    return redirect(url_for("children.show", child_id=child_id))


@bp.route("/<child_id>/handover")
@auth.access()
def handover(child_id: str) -> Any:
    child = child_or_404(child_id)
    series = growth.stored_series(child, visits.measurements_for(db(), child_id))
    return render_template(
        "children/handover.html", child=child, series=series, latest=series[-1] if series else None,
        chart=growth.weight_chart_svg(child, series) if series else None,
        open_actions=actions_mod.list_actions(db(), g.user["team_id"], status="open", child_id=child_id),
        recent=visits.visits_for_child(db(), child_id)[:5],
        open_concerns=[e for e in chronology_for(db(), child, kinds=("concern",))][:20],
        allocations=children.allocations(db(), child_id))


@bp.route("/<child_id>/allocate", methods=["GET", "POST"])
@auth.access("supervisor", "admin")
def allocate(child_id: str) -> Any:
    child = child_or_404(child_id, log_view=False)
    members = children.team_professionals(db(), g.user["team_id"])
    error = None
    if request.method == "POST":
        chosen = request.form.get("user_id", "")
        if not chosen.isdigit() or int(chosen) not in {m["id"] for m in members}:
            error = "Select who will hold the case"
        else:
            children.allocate(db(), child_id, int(chosen), g.user)
            flash("The case has been handed over. The new lead practitioner can see the handover page.", "success")
            return redirect(url_for("children.handover", child_id=child_id))
    return render_template("children/allocate.html", child=child, members=members, error=error), (422 if error else 200)


def rules() -> Any:
    return current_rules()
