"""Signing in and out, and the user's own account page (API tokens)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from forms.auth import SignInForm, TokenForm
from homevisit.data import api_tokens as api_tokens_data
from homevisit.data import database as database_data
from homevisit.data import store
from homevisit.services import audit
from homevisit.web import auth

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password. After 6 wrong tries the account is locked for 30 minutes"


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("children.caseload")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("children.caseload")
    return target


@bp.route("/")
@auth.access(public=True)
def index() -> Any:
    if g.user is None:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for("children.caseload"))


@bp.route("/sign-in", methods=["GET", "POST"])
@auth.access(public=True)
def sign_in() -> Any:
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        db = current_app.extensions["homevisit_db"]()
        user = auth.authenticate(db, form.email.data, form.password.data, request.remote_addr)
        if user is None:
            error = SIGN_IN_FAILED
            form.email.errors = [SIGN_IN_FAILED]
        else:
            auth.start_session(user)
            audit.record(db, action="sign_in", object_type="user", object_id=user["id"], user=user)
            return redirect(_safe_next(request.args.get("next")))
    expired = request.args.get("expired")
    return render_template("auth/sign_in.html", form=form, error=error, expired=expired)


@bp.route("/sign-out", methods=["POST"])
@auth.access()
def sign_out() -> Any:
    db = current_app.extensions["homevisit_db"]()
    audit.record(db, action="sign_out", object_type="user", object_id=g.user["id"], user=g.user)
    auth.end_session("signed out")
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account", methods=["GET", "POST"])
@auth.access()
def account() -> Any:
    db = current_app.extensions["homevisit_db"]()
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = auth.create_token(db, g.user["id"], form.label.data.strip())
    tokens = api_tokens_data.live_for_user(db, g.user["id"])
    return render_template("account/account.html", form=form, tokens=tokens, new_token=new_token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@auth.access()
def revoke_token(token_id: int) -> Any:
    db = current_app.extensions["homevisit_db"]()
    with store.write(db):
        changed = api_tokens_data.revoke_for_user(db, token_id, g.user["id"], auth.iso(auth.now_utc()))
        if changed:
            audit.record(db, action="revoke", object_type="api_token", object_id=token_id, user=g.user)
    flash("The token has been revoked." if changed else "That token was already revoked.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/healthz")
@auth.access(public=True)
def healthz() -> Any:
    db = current_app.extensions["homevisit_db"]()
    database_data.ping(db)
    return {"status": "ok"}
