"""Exports: the Export page and downloads for supervisors and admins, the data dictionary for everyone, and
the same exports in the JSON API (``/api/v1/exports/...``).

Team exports (visit history) are for supervisors and admins; practitioners get 403. A child's chronology
is for anyone in the child's team (it is what the child's page shows); the subject access export is for
supervisors and admins. Another team's child is "not found" (404). Each download is streamed and audited
by homevisit.services.exports once it has been sent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from homevisit.domain.calendar import utc_now
from homevisit.domain.dictionary import dictionary_rows
from homevisit.records import records
from homevisit.services import children, exports
from homevisit.services.chronology import chronology_for
from homevisit.web import auth
from homevisit.web.problems import problem

bp = Blueprint("exports", __name__)
FORMAT_NAMES = {"csv": "CSV: visits only", "zip": "ZIP of CSV files: visits, injuries, carers present and actions",
                "xlsx": "Excel workbook (XLSX): a sheet each", "json": "JSON: one array, lists nested in each visit",
                "ndjson": "NDJSON: one visit a line"}
ERROR_ORDER = ("from", "to", "child_id", "practitioner", "rule", "action_status", "format")


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def download(chunks: Any, fmt: str, filename: str, **headers: str) -> Response:
    """A streamed attachment; its file name carries no child identifier beyond the record id."""
    return Response(chunks, content_type=exports.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', **headers})


def _visits_download(filters: exports.VisitFilter, fmt: str) -> Response:
    chunks = exports.visits_export(current_app.config["DATABASE"], g.user, filters, fmt)
    return download(chunks, fmt, exports.filename_for("visits", fmt), Vary="Accept")


def _child_or_none(child_id: str) -> dict[str, Any] | None:
    try:
        return children.get_child(db(), child_id, g.user, log_view=False)
    except children.NotFound:
        return None


def _chronology_pdf(child: dict[str, Any]) -> Response:
    """The chronology laid out for print by records.html_to_pdf (the only module that may run WeasyPrint,
    and only through its strict URL fetcher), audited once made."""

    entries = chronology_for(db(), child, newest_first=False)
    html = render_template("exports/chronology_print.html", child=child, entries=entries,
                           exported_by=g.user, exported_at=utc_now())
    pdf = records.html_to_pdf(html, current_app.static_folder or "static")
    exports.record_export(db(), g.user, what="chronology", fmt="pdf", rows={"entries": len(entries)},
                          filters={"child_id": child["id"]}, child_id=child["id"])
    return Response(pdf, content_type=exports.MEDIA_TYPES["pdf"], headers={
        "Content-Disposition": f'attachment; filename="{exports.filename_for("chronology", "pdf", child_id=child["id"])}"'})


def _child_download(child: dict[str, Any], what: str, fmt: str, redact: bool = False) -> Response:
    database = current_app.config["DATABASE"]
    if what == "chronology" and fmt == "pdf":
        return _chronology_pdf(child)
    if what == "chronology":
        chunks = exports.chronology_csv(database, g.user, child)
    else:
        chunks = exports.subject_access_export(database, g.user, child, redact=redact)
        what = "subject_access_redacted" if redact else what
    return download(chunks, fmt, exports.filename_for(what, fmt, child_id=child["id"]))


# --- the Export page ---------------------------------------------------------------------------------

def _page(errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    errors = errors or {}
    page_errors = [{"text": errors[name][0], "href": f"#{name}-day" if name in ("from", "to") else f"#{name}"}
                   for name in ERROR_ORDER if name in errors]
    return render_template("exports/index.html", errors=errors, page_errors=page_errors, args=request.args,
                           formats=FORMAT_NAMES, **exports.form_choices(db(), g.user)), status


@bp.route("/exports/")
@auth.access("supervisor", "admin")
def index() -> Any:
    return _page()


@bp.route("/exports/visits")
@auth.access("supervisor", "admin")
def visits() -> Any:
    if not request.args:
        return redirect(url_for("exports.index"))
    try:
        filters, errors = exports.parse_filters(db(), g.user, request.args.to_dict(flat=False))
    except exports.NotFound:
        abort(404)
    fmt = request.args.get("format", "")
    if fmt not in exports.FORMATS:
        errors["format"] = ["Select the format of the download"]
    if errors or filters is None:
        return _page(errors, 422)
    return _visits_download(filters, fmt)


@bp.route("/exports/child")
@auth.access("supervisor", "admin")
def child_records() -> Any:
    """The "one child's records" form: sends the browser to that child's download."""
    kind = request.args.get("records", "")
    child_id = request.args.get("record_child_id", "")
    errors: dict[str, list[str]] = {}
    if not child_id:
        errors["record_child_id"] = ["Select the child"]
    if kind not in ("chronology.csv", "chronology.pdf", "subject-access.zip"):
        errors["records"] = ["Select what to download"]
    if errors:
        return _page(errors, 422)
    query: dict[str, Any] = {"redact": "1"} if kind == "subject-access.zip" and request.args.get("redact") == "1" else {}
    endpoint = "exports.subject_access" if kind == "subject-access.zip" else "exports.chronology"
    return redirect(url_for(endpoint, child_id=child_id, fmt=kind.rsplit(".", 1)[1], **query))


@bp.route("/exports/children/<child_id>/chronology.<any(csv, pdf):fmt>")
@auth.access()
def chronology(child_id: str, fmt: str) -> Any:
    child = _child_or_none(child_id)
    if child is None:
        abort(404)
    return _child_download(child, "chronology", fmt)


@bp.route("/exports/children/<child_id>/subject-access.<any(zip):fmt>")
@auth.access("supervisor", "admin")
def subject_access(child_id: str, fmt: str) -> Any:
    child = _child_or_none(child_id)
    if child is None:
        abort(404)
    return _child_download(child, "subject_access", "zip", redact=request.args.get("redact") == "1")


@bp.route("/exports/dictionary")
@auth.access()
def dictionary() -> Any:
    return render_template("exports/dictionary.html", rows=dictionary_rows())


@bp.route("/exports/dictionary.<any(csv, json):fmt>")
@auth.access()
def dictionary_download(fmt: str) -> Response:
    chunks = exports.dictionary_csv() if fmt == "csv" else exports.dictionary_json()
    return download(chunks, fmt, f"data-dictionary.{fmt}")


def _referrals_download(fmt: str) -> tuple[Any, dict[str, list[str]]]:
    """The team's referrals between ``from`` and ``to`` (ISO dates, optional), or the messages for bad dates."""
    from datetime import date

    errors: dict[str, list[str]] = {}
    bounds: dict[str, str | None] = {}
    for name in ("from", "to"):
        value = (request.args.get(name) or "").strip()
        try:
            bounds[name] = date.fromisoformat(value).isoformat() if value else None
        except ValueError:
            errors[name] = [f"Enter the ‘{name}’ date as a real date, like 2026-04-01"]
    if not errors and bounds["from"] and bounds["to"] and bounds["from"] > bounds["to"]:
        errors["to"] = ["The ‘to’ date must be the same as or after the ‘from’ date"]
    if errors:
        return None, errors
    chunks = exports.referrals_export(current_app.config["DATABASE"], g.user, fmt, date_from=bounds["from"],
                                      date_to=bounds["to"])
    return download(chunks, fmt, exports.filename_for("referrals", fmt)), {}


@bp.route("/exports/referrals.<any(zip, xlsx):fmt>")
@auth.access("supervisor", "admin")
def referrals_download(fmt: str) -> Any:
    response, errors = _referrals_download(fmt)
    return _page(errors, 422) if errors else response


# --- the API -------------------------------------------------------------------------------------------


@bp.route("/api/v1/exports/referrals.zip", defaults={"fmt": "zip"})
@bp.route("/api/v1/exports/referrals.xlsx", defaults={"fmt": "xlsx"})
@auth.access("supervisor", "admin", api=True)
def api_referrals(fmt: str) -> Response:
    response, errors = _referrals_download(fmt)
    if errors:
        return problem(422, "Some filters need correcting", "See 'errors' for each filter and what to do.", errors)
    return response

@bp.route("/api/v1/exports/visits.csv", defaults={"fmt": "csv"})
@bp.route("/api/v1/exports/visits.zip", defaults={"fmt": "zip"})
@bp.route("/api/v1/exports/visits.json", defaults={"fmt": "json"})
@bp.route("/api/v1/exports/visits.xlsx", defaults={"fmt": "xlsx"})
@auth.access("supervisor", "admin", api=True)
def api_visits(fmt: str) -> Response:
    if fmt == "json" and request.accept_mimetypes.best_match(
            ["application/json", "application/x-ndjson"]) == "application/x-ndjson":
        fmt = "ndjson"
    try:
        filters, errors = exports.parse_filters(db(), g.user, request.args.to_dict(flat=False))
    except exports.NotFound:
        return problem(404, "Not found", "No such child, practitioner or team in your team's records.")
    if errors or filters is None:
        return problem(422, "Some filters need correcting", "See 'errors' for each filter and what to do.", errors)
    return _visits_download(filters, fmt)


@bp.route("/api/v1/exports/dictionary.csv", defaults={"fmt": "csv"})
@bp.route("/api/v1/exports/dictionary.json", defaults={"fmt": "json"})
@auth.access(api=True)
def api_dictionary(fmt: str) -> Response:
    return dictionary_download(fmt)


def _api_child(child_id: str) -> dict[str, Any] | Response:
    child = _child_or_none(child_id)
    return child if child is not None else problem(404, "Not found", "No child with this id on your team's caseload.")


@bp.route("/api/v1/exports/children/<child_id>/chronology.csv", defaults={"fmt": "csv"})
@bp.route("/api/v1/exports/children/<child_id>/chronology.pdf", defaults={"fmt": "pdf"})
@auth.access(api=True)
def api_chronology(child_id: str, fmt: str) -> Response:
    child = _api_child(child_id)
    return child if isinstance(child, Response) else _child_download(child, "chronology", fmt)


@bp.route("/api/v1/exports/children/<child_id>/subject-access.zip")
@auth.access("supervisor", "admin", api=True)
def api_subject_access(child_id: str) -> Response:
    child = _api_child(child_id)
    if isinstance(child, Response):
        return child
    return _child_download(child, "subject_access", "zip", redact=request.args.get("redact") == "1")
