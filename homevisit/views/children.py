"""The caseload: finding a child, adding one, and the child's page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.child import ChildForm, child_form_values
from homevisit import actions as actions_mod
from homevisit import auth, children, growth, visits
from homevisit.validation import validate_child

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
    return render_template("children/caseload.html", children=found, q=text, drafts=drafts)


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
    history = visits.visits_for_child(db(), child_id, include_drafts_of=g.user["id"])
    series = growth.growth_series(child, visits.measurements_for(db(), child_id))
    chart = growth.weight_chart_svg(child, series) if series or child.get("birth_weight_kg") else None
    open_actions = actions_mod.list_actions(db(), g.user["team_id"], status="open", child_id=child_id)
    return render_template("children/show.html", child=child, visits=history, series=series, chart=chart,
                           latest=series[-1] if series else None, open_actions=open_actions,
                           allocations=children.allocations(db(), child_id))
