"""Referrals: write one from a required action, a concern or the child's page; sign its pack; record that it was
sent, the hub's responses, a disagreement and the strategy discussion."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.referral import (
    DisputeForm,
    ReferralForm,
    ResolveForm,
    ResponseForm,
    SentForm,
    SignPackForm,
    StrategyForm,
    referral_form_data,
)
from homevisit.data import actions as actions_data
from homevisit.data import concerns as concerns_data
from homevisit.services import actions as actions_mod
from homevisit.services import children, referral_records, referrals
from homevisit.services.visit_records import SignError
from homevisit.web import auth
from homevisit.web.rulesets import current_rules

bp = Blueprint("referrals", __name__)


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def rules() -> Any:
    return current_rules()


def _referral_or_404(referral_id: str) -> dict[str, Any]:
    try:
        return referrals.get_referral(db(), referral_id, g.user)
    except referrals.NotFound:
        abort(404)


def _child_or_404(child_id: str, *, log_view: bool = True) -> dict[str, Any]:
    try:
        return children.get_child(db(), child_id, g.user, log_view=log_view)
    except children.NotFound:
        abort(404)


def _rule_choices(child_id: str, chosen: list[str]) -> list[tuple[str, str]]:
    """The rules a referral can cite: the child's open actions that need a referral, and any already chosen."""
    known = rules().by_id
    ids = [a["rule_id"] for a in actions_data.referral_rule_ids(db(), child_id) if a["rule_id"] in known]
    ids = list(dict.fromkeys(chosen + ids))
    return [(r, f"{r}: {known[r].title}") for r in ids if r in known]


def _put_errors(form: Any, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        target = f"form_{name[5:]}" if name.startswith("form.") else name
        if target in form._fields:
            form[target].errors = list(messages)
        else:
            form.reason.errors = list(form.reason.errors or []) + list(messages)


@bp.route("/children/<child_id>/referrals/new", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def new(child_id: str) -> Any:
    child = _child_or_404(child_id, log_view=request.method == "GET")
    form = ReferralForm()
    if request.method == "GET":
        action = concern = None
        if request.args.get("action"):
            try:
                action = actions_mod.get_action(db(), request.args["action"], g.user)
            except actions_mod.NotFound:
                abort(404)
            if action["child_id"] != child_id:
                abort(404)
        if request.args.get("concern"):
            concern = concerns_data.by_id_for_child(db(), request.args["concern"], child_id)
            if concern is None:
                abort(404)
        draft = referral_records.prefill(db(), child, rules=rules(), action=action, concern=concern)
        agencies = referrals.agencies(current_app.config)
        draft["agency"] = next(iter(agencies)) if len(agencies) == 1 else ""
        form.process(data=referral_form_data(draft))
    form.set_choices(referrals.agencies(current_app.config),
                     _rule_choices(child_id, list(form.supporting_rules.data or [])))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                referral = referrals.create(db(), child, g.user, form.values(), config=current_app.config,
                                            rule_ids=set(rules().by_id))
            except referrals.ReferralError as error:
                _put_errors(form, error.errors)
            else:
                flash("The referral is saved. Check it, sign the pack, then send it.", "success")
                return redirect(url_for("referrals.show", referral_id=referral["id"]))
        status = 422
    return render_template("referrals/edit.html", child=child, form=form, referral=None,
                           questions=referrals.FORM_QUESTIONS, evidence=referral_records.evidence(db(), child)), status


@bp.route("/referrals/<referral_id>/change", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def change(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    child = _child_or_404(referral["child_id"], log_view=False)
    if referral["pack_sha256"] or referral["status"] != "draft":
        flash("This referral has been signed or sent, so it cannot be changed.", "info")
        return redirect(url_for("referrals.show", referral_id=referral_id))
    form = ReferralForm()
    if request.method == "GET":
        form.process(data=referral_form_data(referral))
    form.set_choices(referrals.agencies(current_app.config),
                     _rule_choices(referral["child_id"], list(form.supporting_rules.data or [])))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                referrals.update_draft(db(), referral_id, g.user, form.values(), config=current_app.config,
                                       rule_ids=set(rules().by_id))
            except referrals.ReferralError as error:
                _put_errors(form, error.errors)
            else:
                flash("Your changes are saved.", "success")
                return redirect(url_for("referrals.show", referral_id=referral_id))
        status = 422
    return render_template("referrals/edit.html", child=child, form=form, referral=referral,
                           questions=referrals.FORM_QUESTIONS, evidence=referral_records.evidence(db(), child)), status


def _page(referral: dict[str, Any], status: int = 200, **forms: Any) -> Any:
    referrals.check_timers(db(), g.user["team_id"], config=current_app.config, referral_id=referral["id"])
    referral = referrals.get_referral(db(), referral["id"], g.user)
    defaults = {"sign_form": SignPackForm(prefix="sign"), "sent_form": SentForm(prefix="sent"),
                "response_form": ResponseForm(prefix="resp"), "dispute_form": DisputeForm(prefix="disp"),
                "resolve_form": ResolveForm(prefix="res")}
    defaults.update(forms)
    known = rules().by_id
    return render_template(
        "referrals/show.html", referral=referral, responses=referrals.responses_for(db(), referral["id"]),
        actions=referrals.actions_for_referral(db(), referral["id"]),
        agency_name=referrals.agencies(current_app.config).get(referral["agency"], referral["agency"]),
        rules_by_id=known, questions=referrals.FORM_QUESTIONS, decision_words=referrals.DECISION_WORDS,
        method_words=referrals.METHOD_WORDS, status_words=referrals.STATUS_WORDS,
        strategies=[s for s in referrals.strategies_for_child(db(), referral["child_id"])
                    if s["referral_id"] == referral["id"]],
        strategy_decision_words=referrals.STRATEGY_DECISION_WORDS, **defaults), status


@bp.route("/referrals/<referral_id>")
@auth.access()
def show(referral_id: str) -> Any:
    return _page(_referral_or_404(referral_id))


@bp.route("/referrals/<referral_id>/sign", methods=["POST"])
@auth.access("practitioner", "supervisor")
def sign(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    form = SignPackForm(prefix="sign")
    if not form.validate_on_submit():
        return _page(referral, 422, sign_form=form)
    try:
        referral_records.sign_pack(db(), referral_id, g.user, bool(form.declaration_accepted.data) or None,
                                   config=current_app.config, rules=rules(), static_dir=current_app.static_folder or "static")
    except SignError as error:
        if error.status == 404:
            abort(404)
        form.declaration_accepted.errors = [error.message]
        return _page(referral, 422 if error.status == 422 else error.status, sign_form=form)
    flash("The referral pack is signed. Open it to send or print it, then record how you sent it.", "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.route("/referrals/<referral_id>/pack.pdf")
@auth.access()
def pack_pdf(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    data = referral_records.stored_pack(db(), referral_id, g.user, current_app.config)
    if data is None:
        abort(404)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{referral_records.pack_filename_for(referral)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/referrals/<referral_id>/sent", methods=["POST"])
@auth.access("practitioner", "supervisor")
def sent(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    form = SentForm(prefix="sent")
    if not form.validate_on_submit():
        return _page(referral, 422, sent_form=form)
    try:
        referrals.record_sent(db(), referral_id, g.user, {"sent_at": form.sent_at.data, "method": form.method.data,
                                                           "reference": form.reference.data},
                              config=current_app.config)
    except referrals.ReferralError as error:
        for name, messages in error.errors.items():
            form[name].errors = list(messages)
        return _page(referral, error.status, sent_form=form)
    flash("The referral is recorded as sent. The hub's deadlines are shown below.", "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.route("/referrals/<referral_id>/responses", methods=["POST"])
@auth.access("practitioner", "supervisor")
def response(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    form = ResponseForm(prefix="resp")
    if not form.validate_on_submit():
        return _page(referral, 422, response_form=form)
    try:
        referrals.record_response(db(), referral_id, g.user, {
            "kind": form.kind.data, "at": form.at.data, "hub_contact": form.hub_contact.data,
            "decision": form.decision.data, "reasons": form.reasons.data}, config=current_app.config)
    except referrals.ReferralError as error:
        for name, messages in error.errors.items():
            form[name if name in form._fields else "kind"].errors = list(messages)
        return _page(referral, 422, response_form=form)
    flash("The hub's response is recorded.", "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.route("/referrals/<referral_id>/dispute", methods=["POST"])
@auth.access("practitioner", "supervisor")
def dispute(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    form = DisputeForm(prefix="disp")
    if not form.validate_on_submit():
        return _page(referral, 422, dispute_form=form)
    try:
        referrals.record_dispute(db(), referral_id, g.user, form.dispute_reason.data, config=current_app.config)
    except referrals.ReferralError as error:
        form.dispute_reason.errors = [m for ms in error.errors.values() for m in ms]
        return _page(referral, 422, dispute_form=form)
    flash("Your disagreement is recorded. The first escalation step is a required action.", "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.route("/referrals/<referral_id>/resolve", methods=["POST"])
@auth.access("practitioner", "supervisor")
def resolve(referral_id: str) -> Any:
    referral = _referral_or_404(referral_id)
    form = ResolveForm(prefix="res")
    if not form.validate_on_submit():
        return _page(referral, 422, resolve_form=form)
    try:
        referrals.resolve_dispute(db(), referral_id, g.user, form.dispute_resolution.data)
    except referrals.ReferralError as error:
        form.dispute_resolution.errors = [m for ms in error.errors.values() for m in ms]
        return _page(referral, 422, resolve_form=form)
    flash("The resolution is recorded and the escalation actions are closed.", "success")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.route("/children/<child_id>/strategy-discussions/new", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def new_strategy(child_id: str) -> Any:
    child = _child_or_404(child_id, log_view=request.method == "GET")
    referral_id = request.values.get("referral") or None
    referral = None
    if referral_id:
        referral = _referral_or_404(referral_id)
        if referral["child_id"] != child_id:
            abort(404)
    form = StrategyForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                referrals.record_strategy(db(), child, g.user, form.values(), referral_id=referral_id)
            except referrals.ReferralError as error:
                for name, messages in error.errors.items():
                    if name.startswith("actions."):
                        parts = name.split(".")
                        index = int(parts[1]) + 1
                        field = {"action": "action", "who": "who", "due_on": "due"}.get(parts[2] if len(parts) > 2
                                                                                        else "action", "action")
                        name = f"{field}_{index}"
                    target = name if name in form._fields else "notes"
                    form[target].errors = list(messages)
            else:
                flash("The strategy discussion is recorded. Its actions are tracked as required actions.", "success")
                if referral:
                    return redirect(url_for("referrals.show", referral_id=referral["id"]))
                return redirect(url_for("children.show", child_id=child_id) + "#referrals")
        status = 422
    return render_template("referrals/strategy.html", child=child, form=form, referral=referral,
                           rows=range(1, 5)), status
