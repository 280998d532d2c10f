"""Signing a visit with a drawn signature, the signed record, countersigning, and checking a record."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for

from homevisit.domain.validation import _parse_date
from homevisit.services import actions as actions_mod
from homevisit.services import audit, children, printing, visit_records, visits
from homevisit.web import auth

bp = Blueprint("records", __name__)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def sign_with(visit_id: str, signature: Any, declaration: Any) -> dict[str, Any]:
    """Sign through the domain with this deployment's settings (shared by the page and the API)."""
    return visit_records.sign_visit(db(), visit_id, g.user, signature, declaration,
                                    config=current_app.config, static_dir=current_app.static_folder or "static")


@bp.route("/visits/<visit_id>/sign", methods=["GET", "POST"])
@auth.access("practitioner", "supervisor")
def sign(visit_id: str) -> Any:
    try:
        visit = visits.load_visit(db(), visit_id, g.user)
    except visits.NotFound:
        abort(404)
    if visit["visitor_id"] != g.user["id"] or visit["status"] == "draft":
        abort(404)
    if visit["status"] == "signed":
        return redirect(url_for("visits.show", visit_id=visit_id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            sign_with(visit_id, request.form.get("signature_png", ""), request.form.get("declaration") == "yes")
        except visit_records.SignError as error:
            errors[error.field] = error.message
        else:
            flash("The visit record is signed. You can download the signed PDF below.", "success")
            return redirect(url_for("visits.show", visit_id=visit_id))
    child = children.get_child(db(), visit["child_id"], g.user, log_view=False)

    anchors = {"signature_png": "#signature-pad", "declaration_accepted": "#declaration"}
    page_errors = [{"text": m, "href": anchors.get(f, "#main-content")} for f, m in errors.items()]
    return render_template("records/sign.html", visit=visit, child=child, errors=errors, page_errors=page_errors,
                           declaration=visit_records.DECLARATION,
                           actions=actions_mod.actions_for_visit(db(), visit_id)), (422 if errors else 200)


@bp.route("/visits/<visit_id>/record.pdf")
@auth.access()
def record_pdf(visit_id: str) -> Any:
    stored = visit_records.stored_record(db(), visit_id, g.user, current_app.config)
    if stored is None:
        abort(404)
    return pdf_response(*stored, visit_id)


def pdf_response(data: bytes, sha256: str, visit_id: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="visit-record-{visit_id}.pdf"'
    response.headers["X-Record-SHA256"] = sha256
    return response


@bp.route("/visits/<visit_id>/countersign", methods=["POST"])
@auth.access("supervisor", "admin")
def countersign(visit_id: str) -> Any:
    try:  # another team's visit is "not found", not "only a signed visit can be countersigned"
        visits.load_visit(db(), visit_id, g.user)
    except visits.NotFound:
        abort(404)
    try:
        visit_records.countersign_visit(db(), visit_id, g.user, config=current_app.config)
    except visit_records.SignError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "important")
    else:
        flash("You have countersigned the visit record.", "success")
    return redirect(url_for("visits.show", visit_id=visit_id))


@bp.route("/visits/<visit_id>/addendum", methods=["POST"])
@auth.access("practitioner", "supervisor")
def addendum(visit_id: str) -> Any:
    try:
        new_id = visit_records.start_addendum(db(), visit_id, g.user)
    except visits.NotFound:
        abort(404)
    except visit_records.SignError as error:
        flash(error.message, "important")
        return redirect(url_for("visits.show", visit_id=visit_id))
    flash("This addendum starts from the signed answers. Change what needs correcting, then submit and sign it.",
          "success")
    return redirect(url_for("visits.section", visit_id=new_id, section="seen"))


@bp.route("/records/check", methods=["GET", "POST"])
@auth.access()
def check() -> Any:
    report = None
    error = None
    if request.method == "POST":
        upload = request.files.get("record")
        data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
        if not data:
            error = "Select the PDF visit record to check"
        elif len(data) > MAX_UPLOAD_BYTES:
            error = "The file must be smaller than 20 MB"
        elif not data.startswith(b"%PDF-"):
            error = "The file must be a PDF visit record"
        else:
            report = visit_records.verify_record(db(), data, config=current_app.config)

            audit.record(db(), action="check_record", object_type="record",
                         object_id=(report.get("stored") or {}).get("visit_id"), user=g.user,
                         detail={"sha256": report["sha256"], "intact": report["intact"]})
    return render_template("records/check.html", report=report, error=error), (422 if error else 200)


def _print_filters() -> tuple[dict[str, Any], dict[str, str]]:
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, label in (("date_from", "the start date"), ("date_to", "the end date")):
        raw = (request.values.get(name) or "").strip()
        if raw:
            value = _parse_date(raw)
            if value is None:
                errors[name] = f"Enter {label} as a real date, like 2026-11-01"
            else:
                filters[name] = value.isoformat()
    if filters.get("date_from") and filters.get("date_to") and filters["date_from"] > filters["date_to"]:
        errors["date_to"] = "The end date must be the same as or after the start date"
    child_id = request.values.get("child_id") or ""
    if child_id:
        filters["child_id"] = child_id
    practitioner = request.values.get("practitioner_id") or ""
    if practitioner.isdigit():
        filters["practitioner_id"] = int(practitioner)
    return filters, errors


@bp.route("/records/print", methods=["GET", "POST"])
@auth.access("supervisor", "admin")
def print_batch() -> Any:
    filters, errors = _print_filters()
    matches = [] if errors else printing.matching_records(db(), g.user["team_id"], **filters)
    if request.method == "POST" and not errors:
        kind = request.form.get("kind")
        if kind not in ("pdf", "zip"):
            errors["kind"] = "Select one PDF for printing or a zip of the signed files"
        elif not matches:
            errors["date_from"] = "No signed visit records match. Change the filters"
        else:
            job_id = printing.start_job(db(), g.user, kind, filters, current_app.config)
            return redirect(url_for("records.print_job", job_id=job_id))
    team_children = children.search_children(db(), g.user, "", limit=1000)
    members = children.team_members(db(), g.user["team_id"])
    page_errors = [{"text": m, "href": f"#{f}"} for f, m in errors.items()]
    return render_template("records/print.html", filters=filters, errors=errors, page_errors=page_errors,
                           matches=matches, team_children=team_children, members=members,
                           values=request.values), (422 if errors else 200)


@bp.route("/records/print/<job_id>")
@auth.access("supervisor", "admin")
def print_job(job_id: str) -> Any:
    job = printing.get_job(db(), job_id, g.user)
    if job is None:
        abort(404)
    return render_template("records/print_job.html", job=job)


@bp.route("/records/print/<job_id>/download")
@auth.access("supervisor", "admin")
def print_download(job_id: str) -> Any:
    from flask import send_file


    job = printing.get_job(db(), job_id, g.user)
    if job is None or job["status"] != "done":
        abort(404)
    audit.record(db(), action="download_print_batch", object_type="print_job", object_id=job_id, user=g.user,
                 detail={"records": job["done"]})
    mimetype = "application/pdf" if job["kind"] == "pdf" else "application/zip"
    return send_file(printing.job_file(job, current_app.config), mimetype=mimetype, as_attachment=True,
                     download_name=f"visit-records-{job['created_at'][:10]}.{job['kind']}", max_age=0)
