"""Recording visits with no signal: the offline app's pages, its service worker and the data it downloads.

The offline pages are one HTML shell (``/offline/`` and ``/offline/visit``) that the service worker keeps;
the fields are built in the browser from ``/offline/dictionary.json``. Nothing user-specific is ever in
the shell, so a cached copy holds no one's data: the signed-in user's store, name and CSRF token come from
``/offline/session.json`` and the key from ``POST /offline/key``, neither of which the service worker keeps.

This module also compresses text responses app-wide (gzip) when the browser accepts it: tablets on a weak
signal pay for every byte.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from forms.fields import NOT_OBSERVED, SELECT_THRESHOLD, YES_NO, render_params
from homevisit.domain.dictionary import BOOL, CHOICE, MULTI, TEXT, Field
from homevisit.services import offline
from homevisit.web import auth
from homevisit.web.rulesets import current_rules

bp = Blueprint("offline", __name__)
ROLES = offline.ROLES


def db() -> Any:
    return current_app.extensions["homevisit_db"]()


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str), status=status,
                    mimetype="application/json")


# --- the shell ------------------------------------------------------------------------------------

def _shell(view: str) -> str:
    # current_user=None: the page is the same for everyone (no name, no CSRF token), so the copy the
    # service worker keeps holds nothing about the person who happened to fetch it.
    return render_template("offline/app.html", view=view, current_user=None, offline_store="")


@bp.route("/offline/")
@auth.access(*ROLES)
def home() -> Any:
    return _shell("home")


@bp.route("/offline/visit")
@auth.access(*ROLES)
def visit() -> Any:
    return _shell("visit")


@bp.route("/offline/session.json")
@auth.access(*ROLES, api=True)
def session_info() -> Response:
    """Who is signed in, as the offline app needs it. Never kept by the service worker."""
    user = g.user
    return _json({
        "signed_in": True,
        "store_id": offline.store_id(current_app.config["SECRET_KEY"], user["id"]),
        "email_hash": offline.email_hash(user["email"]),
        "name": user["name"],
        "team": user["team_name"],
        "visitor_role": user["visitor_role"],
        "csrf_token": generate_csrf(),
        "idle_minutes": current_app.config["SESSION_IDLE_MINUTES"],
    })


@bp.route("/offline/key", methods=["POST"])
@auth.access(*ROLES, api=True)
def key() -> Response:
    """The user's offline key, to this session only (CSRF-checked POST: each release is audited)."""
    user = g.user
    return _json({"store_id": offline.store_id(current_app.config["SECRET_KEY"], user["id"]),
                  "key": offline.release_key(db(), user)})


@bp.route("/offline/caseload.json")
@auth.access(*ROLES, api=True)
def caseload() -> Response:
    """The team's children, minimal fields; the offline app keeps them encrypted."""
    return _json(offline.caseload(db(), g.user))


def _widget(f: Field) -> dict[str, Any]:
    """How the HTML forms ask this question (forms.fields.wtf_field and render_params), as data."""
    params = render_params(f)
    if f.kind == BOOL:
        widget, options = "radios", list(YES_NO)
    elif f.kind == CHOICE and len(f.choices) > SELECT_THRESHOLD:
        widget, options = "select", [("", "Select an option")] + list(f.choices)
    elif f.kind == CHOICE:
        widget, options = "radios", list(f.choices) + ([] if f.required else [NOT_OBSERVED])
    elif f.kind == MULTI:
        widget, options = "checkboxes", list(f.choices)
    elif f.kind == TEXT and f.max_length > 300:
        widget, options = "textarea", []
    else:
        widget, options = "input", []
    return {"widget": widget, "options": [list(o) for o in options], "classes": params.get("classes", ""),
            "input_type": params.get("type", "text"), "inputmode": params.get("inputmode", ""),
            "suffix": (params.get("suffix") or {}).get("text", ""), "rows": params.get("rows", 0)}


@bp.route("/offline/dictionary.json")
@auth.access(api=True)
def dictionary() -> Response:
    """The questions and their widgets. Its ETag lets the service worker's refresh be a 304."""

    response = _json(offline.dictionary_document(_widget, current_rules()))
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.make_conditional(request)
    return response


# --- the service worker ---------------------------------------------------------------------------

_SW_SOURCE = ("js", "offline", "sw.js")
_lock = threading.Lock()
_sw_cache: dict[str, tuple[tuple[float, ...], str]] = {}


def precache_urls() -> list[str]:
    """Everything the offline journey needs, fetched by the service worker when it installs."""
    static = current_app.static_folder or ""
    modules = sorted(name for name in os.listdir(os.path.join(static, "js", "offline"))
                     if name.endswith(".js") and name != "sw.js")
    files = ["vendor/govuk-frontend/govuk-frontend.min.css", "css/app.css", "vendor/govuk-frontend/govuk-frontend.min.js",
             "js/app.js", "vendor/signature_pad/signature_pad.umd.min.js", "icons/icon.svg", "manifest.webmanifest"]
    files += [f"js/offline/{name}" for name in modules]
    return ([url_for("offline.home"), url_for("offline.visit"), url_for("offline.dictionary")]
            + [url_for("static", filename=name) for name in files])


def _service_worker_source() -> str:
    """The worker's source with its version (a hash of everything it caches) and its list prepended."""
    static = current_app.static_folder or ""
    root = current_app.root_path
    urls = precache_urls()
    paths = [os.path.join(static, *_SW_SOURCE)]
    paths += [os.path.join(static, u[len("/static/"):]) for u in urls if u.startswith("/static/")]
    paths += [os.path.join(root, "templates", "offline", n) for n in sorted(os.listdir(os.path.join(root, "templates", "offline")))]
    paths += [os.path.join(root, "templates", "base.html"), os.path.join(root, "homevisit", "dictionary.py")]
    stamp = tuple(os.path.getmtime(p) if os.path.exists(p) else 0.0 for p in paths)
    with _lock:
        cached = _sw_cache.get(root)
        if cached and cached[0] == stamp:
            return cached[1]
        digest = hashlib.sha256()
        for p in paths:
            if os.path.exists(p):
                with open(p, "rb") as fh:
                    digest.update(fh.read())
        digest.update(json.dumps(urls).encode())
        with open(paths[0], encoding="utf-8") as fh:
            source = fh.read()
        text = (f"const VERSION = {json.dumps(digest.hexdigest()[:16])}\n"
                f"const PRECACHE = {json.dumps(urls)}\n" + source)
        _sw_cache[root] = (stamp, text)
        return text


@bp.route("/sw.js")
@auth.access(*ROLES)
def service_worker() -> Response:
    """Served from the root so its scope is the whole app (a worker under /static/ could only control
    /static/). A signed-out update check is redirected to sign-in, which fails it and keeps the old one."""
    response = Response(_service_worker_source(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # the app's after_request makes it no-store when signed in
    return response


@bp.app_context_processor
def offline_globals() -> dict[str, Any]:
    """``offline_store``: the signed-in practitioner's offline store id, for the status banner in base.html."""
    user = g.get("user")
    store = ""
    if user is not None and user["role"] in ROLES:
        store = offline.store_id(current_app.config["SECRET_KEY"], user["id"])
    return {"offline_store": store}


# --- compression, app-wide ------------------------------------------------------------------------

COMPRESSIBLE = frozenset({"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                          "application/problem+json", "application/manifest+json", "image/svg+xml", "text/plain"})
MIN_COMPRESS_BYTES = 500
_gzip_cache: dict[tuple[str, str], bytes] = {}
_GZIP_CACHE_MAX = 64


def _accepts_gzip() -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@bp.after_app_request
def compress(response: Response) -> Response:
    """Gzip text responses (pages, CSS, JavaScript, JSON) for browsers that accept it.

    Static files are compressed once per version (keyed by their ETag). A compressed static file keeps a
    weak form of its ETag, so a browser's revalidation still gets a 304. ``COMPRESS_RESPONSES = False``
    (``HOMEVISIT_COMPRESS_RESPONSES=false``) turns it off, for a proxy that compresses instead.
    """
    if (response.status_code != 200 or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers
            or request.method not in ("GET", "HEAD") or not current_app.config.get("COMPRESS_RESPONSES", True)):
        return response
    if response.mimetype == "text/html" and request.query_string:
        # BREACH: a signed-in page that reflects the query (a search) is sent uncompressed, so its size
        # says nothing about the secrets beside the reflected text. POSTed pages (which echo what was
        # typed) are never compressed either.
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip() or (response.is_streamed and not response.direct_passthrough):
        return response  # a generator (an export) is left streaming
    etag, _weak = response.get_etag()
    key = (request.path, etag) if etag and request.endpoint == "static" else None
    body = _gzip_cache.get(key) if key else None
    if body is None:
        response.direct_passthrough = False
        data = response.get_data()
        if len(data) < MIN_COMPRESS_BYTES:
            return response
        body = gzip.compress(data, compresslevel=6, mtime=0)
        if key:
            if len(_gzip_cache) >= _GZIP_CACHE_MAX:
                _gzip_cache.clear()
            _gzip_cache[key] = body
    else:
        close = getattr(response.response, "close", None)  # the static file, unread
        if close is not None:
            response.call_on_close(close)
        response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(etag, weak=True)
    return response
