"""The visit journey: one section per page, saved as a draft at every step, then check and submit."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from forms.fields import render_params, to_form_value
from forms.visit import SECTION_FORMS
from homevisit.domain import answers, bodymap
from homevisit.domain.dictionary import (
    BODY_SITES,
    CARER_FIELDS,
    FIELDS_BY_NAME,
    INJURY_FIELDS,
    NO_ACCESS,
    NO_ACCESS_SKIPS,
    SECTION_BY_KEY,
    SECTION_KEYS,
)
from homevisit.domain.validation import merge_errors, validate_carer, validate_injury
from homevisit.services import actions as actions_mod
from homevisit.services import children, visits
from homevisit.web import auth
from homevisit.web.rulesets import current_rules

bp = Blueprint("visits", __name__)


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def rules() -> Any:
    return current_rules()


def _visit_or_404(visit_id: str, *, log_view: bool = False) -> dict[str, Any]:
    try:
        return visits.load_visit(db(), visit_id, g.user, log_view=log_view)
    except visits.NotFound:
        abort(404)


def _child(child_id: str, *, log_view: bool = False) -> dict[str, Any]:
    try:
        return children.get_child(db(), child_id, g.user, log_view=log_view)
    except children.NotFound:
        abort(404)


@bp.route("/children/<child_id>/visits/new", methods=["POST"])
@auth.access("practitioner", "supervisor")
def start(child_id: str) -> Any:
    child = _child(child_id)
    visit_id = visits.start_draft(db(), child, g.user)
    return redirect(url_for("visits.section", visit_id=visit_id, section="seen"))


def _row_errors(prefix: str, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k[len(prefix):]: v for k, v in errors.items() if k.startswith(prefix)}


@bp.route("/visits/<visit_id>/section/<section>", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def section(visit_id: str, section: str) -> Any:
    if section not in SECTION_FORMS:
        abort(404)
    visit = _visit_or_404(visit_id)
    if visit["visitor_id"] != g.user["id"]:
        abort(404)
    if visit["status"] != "draft":
        flash("This visit has been submitted, so it can no longer be changed.", "important")
        return redirect(url_for("visits.show", visit_id=visit_id))
    child = _child(visit["child_id"])
    form_class = SECTION_FORMS[section]
    notice = None
    if request.method == "POST":
        form = form_class()
        button = request.form.get("button", "continue")
        if button.startswith(("add_", "remove_")):
            form = _change_rows(form_class, button)
            visits.keep_draft_input(db(), visit_id, g.user["id"], section, _form_dict(form_class), "rows changed")
            return _render_section(form, visit, child, section, None)
        ok = form.validate()
        clean, errors = visits.check_section(section, {**request.form.to_dict(), **_multi(form)}, child, visit)
        rows_clean, row_errors = _check_rows(section, request.form, visit)
        errors = merge_errors(errors, row_errors)
        if ok and not errors:
            version = int(form.version.data) if (form.version.data or "").isdigit() else None
            try:
                visits.save_section(db(), visit_id, g.user, section, clean, version=version,
                                    next_section=_next(section, {**visit, **clean}) or "check", **rows_clean)
            except visits.Conflict as conflict:
                visits.keep_draft_input(db(), visit_id, g.user["id"], section, _form_dict(form_class), "conflict")
                notice = f"{conflict} Your answers on this page have been kept: check them and save again."
                fresh = _visit_or_404(visit_id)
                form.version.data = str(fresh["version"])
                return _render_section(form, fresh, child, section, notice), 409
            if button == "save":
                flash("Your draft has been saved. You can come back to it from your caseload.", "success")
                return redirect(url_for("children.caseload"))
            following = _next(section, {**visit, **clean})
            return redirect(url_for("visits.section", visit_id=visit_id, section=following) if following
                            else url_for("visits.check", visit_id=visit_id))
        _apply_errors(form, errors)
        visits.keep_draft_input(db(), visit_id, g.user["id"], section, _form_dict(form_class), "needs correcting")
        return _render_section(form, visit, child, section, None), 422
    kept = visits.kept_draft_input(db(), visit_id, section)
    if kept:
        form = form_class(formdata=MultiDict(_pairs(kept["form_data"])))
        form.version.data = str(visit["version"])
        if kept["reason"] == "session ended":
            notice = "You were signed out before this page was saved. Everything you typed has been kept: check it and save."
        elif kept["reason"] in ("needs correcting", "conflict"):
            notice = "This page has answers that were not saved yet. Check them and save again."
            form.validate()
            clean, errors = visits.check_section(section, {**form.data, **_multi(form)}, child, visit)
            _apply_errors(form, errors)
    else:
        data = form_class.initial_data(visit, saved=section in json.loads(visit.get("saved_sections") or "[]"))
        if section == "seen":
            data["carers_present"] = [{f.name: _row_value(f, c.get(f.name)) for f in CARER_FIELDS}
                                      for c in visit["carers_present"]]
        if section == "injuries":
            data["injuries"] = [{f.name: _row_value(f, i.get(f.name)) for f in INJURY_FIELDS} for i in visit["injuries"]]
        data["version"] = str(visit["version"])
        form = form_class(formdata=None, data=data)
    return _render_section(form, visit, child, section, notice)


def _row_value(f: Any, value: Any) -> Any:
    return to_form_value(f, value)


def _next(section: str, visit: dict[str, Any]) -> str | None:
    """The page after this one. With no access, the pages about the home and the child are skipped: the
    practitioner goes from who was seen to their account of what happened."""
    if visit.get("access_outcome") in NO_ACCESS and section in NO_ACCESS_SKIPS + ("seen",):
        return "summary"
    index = SECTION_KEYS.index(section)
    return SECTION_KEYS[index + 1] if index + 1 < len(SECTION_KEYS) else None


def _previous(section: str, visit: dict[str, Any]) -> str | None:
    if visit.get("access_outcome") in NO_ACCESS and section == "summary":
        return "seen"
    index = SECTION_KEYS.index(section)
    return SECTION_KEYS[index - 1] if index > 0 else None


def _multi(form: Any) -> dict[str, Any]:
    """Multi-select answers as lists (the flat dict keeps only the first ticked box). A question with no box
    ticked was not answered: not observed (None), not "none of these", which has its own box."""
    return {f.name: request.form.getlist(f.name) or None for f in form.dictionary_fields if f.kind == "multi"}


def _form_dict(form_class: Any) -> dict[str, list[str]]:
    return {k: request.form.getlist(k) for k in request.form.keys() if k not in ("csrf_token", "button")}


def _pairs(data: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in data.items() for v in values]


def _rows_from(prefix: str, formdata: Any) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for key in formdata.keys():
        if key.startswith(prefix + "-"):
            parts = key.split("-", 2)
            if len(parts) == 3 and parts[1].isdigit():
                rows.setdefault(int(parts[1]), {})[parts[2]] = formdata.get(key)
    return [rows[i] for i in sorted(rows)]


def _check_rows(section: str, formdata: Any, visit: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    from datetime import date

    errors: dict[str, list[str]] = {}
    if section == "seen":
        carers = []
        for i, row in enumerate(_rows_from("carers_present", formdata)):
            value, errs = validate_carer(row, index=i)
            carers.append(value)
            errors.update(errs)
        return {"carers": carers}, errors
    if section == "injuries":
        injuries = []
        visited_on = date.fromisoformat(str(visit["visited_at"])[:10]) if visit.get("visited_at") else None
        for i, row in enumerate(_rows_from("injuries", formdata)):
            value, errs = validate_injury(row, index=i, visited_on=visited_on)
            injuries.append(value)
            errors.update(errs)
        return {"injuries": injuries}, errors
    return {}, {}


def _change_rows(form_class: Any, button: str) -> Any:
    """Add or remove a repeatable row (a person present, a mark) without losing what was typed."""
    name = "carers_present" if "carer" in button else "injuries"
    rows = _rows_from(name, request.form)
    if button == "add_injury_from_list":
        site = request.form.get("bodymap_site", "")
        if site in bodymap.SITE_LABELS:  # nothing chosen adds nothing: the page says to choose (_render_section)
            rows.append({"body_site": site, "map_view": bodymap.default_view(site)})
    elif button.startswith("add_injury:"):
        # a tap on the body map: add_injury:<site>:<view>
        _add, site, view = (button.split(":") + ["", ""])[:3]
        rows.append({"body_site": site, "map_view": view} if bodymap.region_for(site, view) else {})
    elif button.startswith("add_"):
        rows.append({})
    else:
        index = button.rsplit("-", 1)[-1]
        if index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
    pairs = [(k, v) for k in request.form.keys() if not k.startswith(name + "-") and k != "button"
             for v in request.form.getlist(k)]
    for i, row in enumerate(rows):
        pairs += [(f"{name}-{i}-{k}", v) for k, v in row.items() if v is not None]
    form = form_class(formdata=MultiDict(pairs))
    entries = getattr(form, name)
    while len(entries) < len(rows):
        entries.append_entry()
    return form


def _apply_errors(form: Any, errors: dict[str, list[str]]) -> None:
    for key, messages in errors.items():
        if key in form._fields:
            form[key].errors = list(messages)
            continue
        for list_name in ("carers_present", "injuries"):
            if key.startswith(list_name + "-") and list_name in form._fields:
                _prefix, index, field = key.split("-", 2)
                entries = form[list_name].entries
                if index.isdigit() and int(index) < len(entries) and field in entries[int(index)].form._fields:
                    entries[int(index)].form[field].errors = list(messages)
                    form[list_name].errors = form[list_name].errors or []
    form.all_errors = [{"text": messages[0], "href": "#" + key} for key, messages in errors.items()]


def _render_section(form: Any, visit: dict[str, Any], child: dict[str, Any], section: str, notice: str | None) -> Any:
    if not getattr(form, "all_errors", None):
        form.all_errors = []
        for field in form:
            if field.errors and field.name not in ("carers_present", "injuries") and isinstance(field.errors, list):
                form.all_errors.append({"text": field.errors[0], "href": "#" + field.id})
    body_map, focus_mark = None, None
    if section == "injuries":
        rows = [{"body_site": e.form.body_site.data, "map_view": e.form.map_view.data} for e in form.injuries]
        body_map = _body_map(rows)
        button = request.form.get("button", "") if request.method == "POST" else ""
        if button == "add_injury_from_list" and request.form.get("bodymap_site") not in bodymap.SITE_LABELS:
            body_map["error"] = "Choose where the mark is from the list, then select ‘Add a mark here’"
            form.all_errors = [*form.all_errors, {"text": body_map["error"], "href": "#bodymap_site"}]
        elif button.startswith("add_injury"):
            focus_mark = len(rows)
    return render_template("visits/section.html", form=form, visit=visit, child=child, section=SECTION_BY_KEY[section],
                           step=SECTION_KEYS.index(section) + 1, steps=len(SECTION_KEYS), render_params=render_params,
                           previous=_previous(section, visit), notice=notice, carer_fields=CARER_FIELDS,
                           injury_fields=INJURY_FIELDS, body_map=body_map, focus_mark=focus_mark)


def _body_map(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The injuries page's diagrams, with a button in every region and the marks so far numbered on them."""
    marks = bodymap.placed_marks(rows)
    views = [{"key": key, "title": title, "note": note,
              "svg": Markup(bodymap.svg(key, marks, buttons=True, form_id="section-form"))}
             for key, title, _w, _h, note in bodymap.VIEWS]
    labels = [bodymap.SITE_LABELS.get(r.get("body_site") or "", "") for r in rows]
    return {"views": views, "sites": BODY_SITES, "labels": labels}


@bp.route("/visits/<visit_id>/check", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def check(visit_id: str) -> Any:
    visit = _visit_or_404(visit_id)
    if visit["visitor_id"] != g.user["id"]:
        abort(404)
    if visit["status"] != "draft":
        return redirect(url_for("visits.show", visit_id=visit_id))
    child = _child(visit["child_id"])
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            visits.submit_draft(db(), visit_id, g.user, child, rules())
        except visits.Invalid as invalid:
            errors = invalid.errors
        except visits.Conflict as conflict:
            flash(str(conflict), "important")
            return redirect(url_for("visits.show", visit_id=visit_id))
        else:
            return redirect(url_for("visits.show", visit_id=visit_id, submitted=1))
    summary = []
    for key, messages in errors.items():
        field = key.split("-")[0]
        section_key = _section_of(field)
        summary.append({"text": messages[0], "href": url_for("visits.section", visit_id=visit_id, section=section_key)
                        + "#" + key})
    kept = [s for s in SECTION_KEYS if visits.kept_draft_input(db(), visit_id, s)]
    return render_template("visits/check.html", visit=visit, child=child, sections=answers.answer_sections(visit),
                           errors=summary, kept=kept), (422 if errors else 200)


def _section_of(field: str) -> str:
    if field in ("injuries",):
        return "injuries"
    if field in ("carers_present",):
        return "seen"
    f = FIELDS_BY_NAME.get(field)
    return f.section if f else "seen"


@bp.route("/visits/<visit_id>")
@auth.access()
def show(visit_id: str) -> Any:
    visit = _visit_or_404(visit_id, log_view=True)
    if visit["status"] == "draft" and visit["visitor_id"] != g.user["id"]:
        abort(404)
    child = _child(visit["child_id"])
    raised = actions_mod.actions_for_visit(db(), visit_id)
    return render_template("visits/show.html", visit=visit, child=child, sections=answers.answer_sections(visit),
                           actions=raised, submitted=request.args.get("submitted"))


@bp.route("/visits/<visit_id>/discard", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def discard(visit_id: str) -> Any:
    visit = _visit_or_404(visit_id)
    if visit["status"] != "draft" or visit["visitor_id"] != g.user["id"]:
        abort(404)
    if request.method == "GET":
        return render_template("visits/discard.html", visit=visit, child=_child(visit["child_id"]))
    try:
        visits.discard_draft(db(), visit_id, g.user)
    except visits.NotFound:
        abort(404)
    flash("The draft visit has been deleted.", "success")
    return redirect(url_for("children.show", child_id=visit["child_id"]))


def keep_typed_input_after_timeout() -> Any:
    """A page of a draft posted after the session ended: keep what was typed, then ask to sign in again.

    The form's CSRF token is checked against the ended session's, so only the practitioner's own
    browser can leave input on their own draft.
    """
    expired = request.environ.get("homevisit.expired_session")
    if request.method != "POST" or not expired or not request.endpoint == "visits.section":
        return None
    args = request.view_args or {}
    token = request.form.get("csrf_token", "")
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.config["SECRET_KEY"]
    try:
        raw = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token)
    except BadData:
        return None
    if raw != expired["data"].get("csrf_token") or not expired.get("user_id"):
        return None
    form_data = {k: request.form.getlist(k) for k in request.form.keys() if k not in ("csrf_token", "button")}
    kept = visits.keep_draft_input(db(), args.get("visit_id", ""), expired["user_id"], args.get("section", ""),
                                   form_data, "session ended")
    target = url_for("visits.section", visit_id=args.get("visit_id"), section=args.get("section"))
    if kept:
        return redirect(url_for("auth.sign_in", next=target, expired="kept"))
    return redirect(url_for("auth.sign_in", next=target, expired="1"))

