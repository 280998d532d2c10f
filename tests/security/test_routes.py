"""Every route carries the access decorator; CSRF guards every change; headers on every response."""

from __future__ import annotations

import json
import re

import pytest

from homevisit.web import openapi

# Routes Flask adds itself; everything else must carry homevisit.web.auth.access.
ALLOWED_WITHOUT_DECORATOR = {"static"}


def test_every_route_has_an_access_decision(app):
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in ALLOWED_WITHOUT_DECORATOR:
            continue
        if not hasattr(view, "access_rule"):
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert not missing, "routes without @access: " + ", ".join(missing)


def test_the_route_walk_notices_a_route_without_the_decorator(app):
    app.add_url_rule("/undecorated", "undecorated", lambda: "open")
    with pytest.raises(AssertionError, match="undecorated"):
        test_every_route_has_an_access_decision(app)


def test_public_routes_are_a_short_explicit_list(app):
    public = sorted(r.rule for r in app.url_map.iter_rules()
                    if r.endpoint != "static" and app.view_functions[r.endpoint].access_rule["public"])
    assert public == ["/", "/api/v1/openapi.json", "/healthz", "/sign-in"]


def _html_post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/"):
            yield rule


def test_every_html_post_refuses_a_request_without_a_csrf_token(app, signed_in, db):
    b = signed_in("supervisor")
    checked = 0
    for rule in _html_post_routes(app):
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "1" if m.group(1).endswith("token_id") else
                     "00000000-0000-4000-8000-000000000000", rule.rule)
        response = b.client.post(url, data={"email": "sup@a.example", "password": "x", "button": "continue"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "This page has expired" in response.text
        checked += 1
    assert checked >= 8


def test_no_get_changes_anything(app, signed_in, db):
    b = signed_in("supervisor")
    before = db.conn.execute("SELECT COUNT(*) FROM audit_log WHERE action NOT IN ('view', 'sign_in')").fetchone()[0]
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.arguments:
            continue
        b.get(rule.rule)
    after = db.conn.execute("SELECT COUNT(*) FROM audit_log WHERE action NOT IN ('view', 'sign_in')").fetchone()[0]
    visits = db.conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
    assert after == before and visits == 0


@pytest.mark.parametrize("path", ["/sign-in", "/no-such-page", "/static/css/app.css", "/api/v1/openapi.json",
                                  "/api/v1/actions"])
def test_security_headers_on_every_kind_of_response(app, path):
    response = app.test_client().get(path)
    response.close()
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self' 'nonce-"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_pages_are_not_cached(signed_in):
    response = signed_in("practitioner").get("/children/")
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style_without_the_nonce(signed_in):
    response = signed_in("supervisor").get("/supervision/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<script\b[^>]*>", response.text):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    assert " style=" not in response.text


def test_openapi_document_matches_the_routes(app):
    doc = openapi.document()
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((path, method))
    assert documented == routed
    served = app.test_client().get("/api/v1/openapi.json")
    assert json.loads(served.data)["openapi"].startswith("3.1")


def test_openapi_documents_every_visit_field_with_its_allowed_values():
    from homevisit.domain.dictionary import VISIT_FIELDS

    props = openapi.document()["components"]["schemas"]["Visit"]["properties"]
    for f in VISIT_FIELDS:
        assert f.name in props
        if f.choices and f.kind == "choice":
            assert [v for v in props[f.name]["enum"] if v is not None] == f.values
