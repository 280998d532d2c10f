"""Closing a required action as done or not done, and countersigning a decision not to act."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.actions import CompleteActionForm, CountersignForm
from homevisit.services import actions as actions_mod
from homevisit.web import auth

bp = Blueprint("actions", __name__, url_prefix="/actions")


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def _action_or_404(action_id: str) -> dict[str, Any]:
    try:
        return actions_mod.get_action(db(), action_id, g.user)
    except actions_mod.NotFound:
        abort(404)


@bp.route("/<action_id>", methods=["GET", "POST"])
@auth.access()
def show(action_id: str) -> Any:
    action = _action_or_404(action_id)
    form = CompleteActionForm()
    countersign_form = CountersignForm(prefix="cs")
    if request.method == "POST" and form.validate_on_submit():
        done = form.result.data == "done"
        try:
            actions_mod.complete(db(), action_id, g.user, outcome=form.outcome.data if done else None,
                                 not_done_reason=None if done else form.not_done_reason.data)
        except actions_mod.ActionError as error:
            target = error.field if error.field in ("outcome", "not_done_reason") else "outcome"
            if not done and target == "outcome":
                target = "not_done_reason"
            form[target].errors = [error.message]
        else:
            flash("The action has been closed." if done else
                  "The action is recorded as not done. Your supervisor will be asked to countersign.", "success")
            return redirect(request.args.get("back") or url_for("children.show", child_id=action["child_id"]))
    return render_template("actions/show.html", action=action, form=form, countersign_form=countersign_form)


@bp.route("/<action_id>/countersign", methods=["POST"])
@auth.access("supervisor", "admin")
def countersign(action_id: str) -> Any:
    action = _action_or_404(action_id)
    form = CountersignForm(prefix="cs")
    if form.validate_on_submit():
        try:
            actions_mod.countersign(db(), action_id, g.user, form.note.data or "")
        except actions_mod.ActionError as error:
            form.note.errors = [error.message]
        else:
            flash("You have countersigned the decision.", "success")
            return redirect(url_for("supervision.dashboard"))
    return render_template("actions/show.html", action=action, form=CompleteActionForm(formdata=None),
                           countersign_form=form), 422
