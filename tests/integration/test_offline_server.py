"""The server side of offline recording: the key, the session-authenticated API, the shell, the worker, gzip."""

from __future__ import annotations

import base64
import gzip
import json
import re
import uuid
from typing import Any

import pytest

from helpers import assert_page_well_formed, full_visit, make_child
from homevisit.data import store
from homevisit.domain.dictionary import VISIT_FIELDS
from homevisit.services import offline


@pytest.fixture
def child(db: Any, users: dict[str, Any]) -> dict[str, Any]:
    return make_child(db, users["practitioner"], given_name="Olwen", family_name="Offline", nhs_number="9434765919")


def session_json(b: Any) -> dict[str, Any]:
    response = b.get("/offline/session.json")
    assert response.status_code == 200, response.text
    return dict(response.get_json())


def put(b: Any, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return b.client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                        headers={**headers, "Content-Type": "application/json"})


# --- the API with the signed-in session -------------------------------------------------------------

def test_the_api_takes_the_session_only_with_its_csrf_token_in_a_header(signed_in, child, db):
    b = signed_in("practitioner")
    token = session_json(b)["csrf_token"]
    body = full_visit(child["id"], source="offline")
    assert put(b, body, {}).status_code == 401  # the cookie alone, as another site could send it
    assert put(b, body, {"X-CSRFToken": "not-the-token"}).status_code == 401
    assert store.query(db, "SELECT id FROM visits") == []
    first = put(b, body, {"X-CSRFToken": token})
    assert first.status_code == 201, first.text
    again = put(b, body, {"X-CSRFToken": token})
    assert again.status_code == 200
    rows = store.query(db, "SELECT id, source, visitor_id FROM visits")
    assert rows == [{"id": body["id"], "source": "offline", "visitor_id": first.get_json()["visitor"]["id"]}]
    assert b.client.get(f"/api/v1/visits/{body['id']}", headers={"X-CSRFToken": token}).status_code == 200


def test_one_sessions_csrf_token_does_not_open_another_session(signed_in, child):
    hv, sw = signed_in("practitioner"), signed_in("practitioner2")
    token = session_json(hv)["csrf_token"]
    assert put(sw, full_visit(child["id"]), {"X-CSRFToken": token}).status_code == 401


def test_bearer_tokens_still_work_and_another_team_still_gets_404(app, signed_in, token_for, child, db):
    body = full_visit(child["id"])
    assert put(signed_in("practitioner"), body, token_for("practitioner")).status_code == 201
    other = signed_in("other")
    response = other.client.get(f"/api/v1/visits/{body['id']}", headers={"X-CSRFToken": session_json(other)["csrf_token"]})
    assert response.status_code == 404


def test_an_ended_session_gets_401_problem_json_with_the_header(app, signed_in, child, db):
    b = signed_in("practitioner")
    token = session_json(b)["csrf_token"]
    with store.write(db):
        store.execute(db, "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00+00:00'")
    response = put(b, full_visit(child["id"]), {"X-CSRFToken": token})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


# --- the key --------------------------------------------------------------------------------------------

def test_the_key_goes_only_to_its_users_session_and_every_release_is_audited(signed_in, users, db):
    hv = signed_in("practitioner")
    info = session_json(hv)
    assert hv.client.post("/offline/key").status_code == 400  # no CSRF token
    first = hv.client.post("/offline/key", headers={"X-CSRFToken": info["csrf_token"]})
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    second = hv.client.post("/offline/key", headers={"X-CSRFToken": info["csrf_token"]}).get_json()
    key = first.get_json()
    assert key == second and key["store_id"] == info["store_id"]
    assert len(base64.b64decode(key["key"])) == 32
    sw = signed_in("practitioner2")
    theirs = sw.client.post("/offline/key", headers={"X-CSRFToken": session_json(sw)["csrf_token"]}).get_json()
    assert theirs["key"] != key["key"] and theirs["store_id"] != key["store_id"]
    releases = store.query(db, "SELECT user_id FROM audit_log WHERE action = 'release' AND object_type = 'offline_key'")
    assert [r["user_id"] for r in releases] == [users["practitioner"]["id"]] * 2 + [users["practitioner2"]["id"]]
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM offline_keys")["n"] == 2


def test_the_key_is_refused_without_a_session_and_to_roles_that_do_not_record_visits(app, signed_in):
    anonymous = app.test_client()
    response = anonymous.post("/offline/key", headers={"X-CSRFToken": "x"})
    assert response.status_code in (400, 401)
    admin = signed_in("admin")
    page = admin.get("/children/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert admin.client.post("/offline/key", headers={"X-CSRFToken": token}).status_code == 403
    assert admin.get("/offline/session.json").status_code == 403
    assert anonymous.get("/offline/session.json").status_code == 401


def test_store_ids_say_nothing_about_the_user_and_email_hashes_match_the_browser():
    a, b = offline.store_id("secret", 1), offline.store_id("secret", 2)
    assert re.fullmatch(r"[0-9a-f]{32}", a) and a != b and offline.store_id("other", 1) != a
    assert offline.email_hash(" HV@A.example ") == offline.email_hash("hv@a.example")


# --- what the offline app downloads ---------------------------------------------------------------------

def test_the_caseload_is_the_teams_children_with_minimal_fields_and_is_audited(signed_in, users, child, db):
    make_child(db, users["other"], given_name="Bryn", family_name="Otherteam")
    body = signed_in("practitioner").get("/offline/caseload.json").get_json()
    assert [c["family_name"] for c in body["children"]] == ["Offline"]
    assert set(body["children"][0]) == {"id", "given_name", "family_name", "date_of_birth"}
    entry = store.query_one(db, "SELECT detail FROM audit_log WHERE action = 'view' AND object_type = 'caseload'")
    assert entry is not None and json.loads(entry["detail"]) == {"children": 1, "offline": True}


def test_the_dictionary_has_every_field_with_its_widget_and_messages(signed_in):
    doc = signed_in("practitioner").get("/offline/dictionary.json").get_json()
    assert [f["name"] for f in doc["fields"]] == [f.name for f in VISIT_FIELDS]
    by_name = {f["name"]: f for f in doc["fields"]}
    assert by_name["restraint_observed"]["widget"] == "radios"
    assert [o[0] for o in by_name["restraint_observed"]["options"]] == ["yes", "no", "not_observed"]
    assert by_name["hazards"]["widget"] == "checkboxes"
    assert by_name["weight_kg"]["suffix"] == "kg" and by_name["weight_kg"]["messages"]["range"]
    assert by_name["visited_at"]["messages"]["required"] == "Enter the date and time of the visit"
    assert {f["name"] for f in doc["injury_fields"]} >= {"type", "body_site", "pattern"}
    assert [r["id"] for r in doc["provisional_rules"]] == ["R01", "R05", "R07", "R25"]
    assert {r["severity"] for r in doc["provisional_rules"][:3]} == {"immediate"}


# --- the shell and the service worker -------------------------------------------------------------------

def _without_nonce(html: str) -> str:
    return re.sub(r'nonce="[^"]+"', "", html)


def test_the_shell_is_the_same_for_everyone_and_names_no_one(signed_in, users):
    hv = signed_in("practitioner").get("/offline/")
    sw = signed_in("practitioner2").get("/offline/")
    assert hv.status_code == 200 and _without_nonce(hv.text) == _without_nonce(sw.text)
    for secret in (users["practitioner"]["name"], users["practitioner"]["email"], "csrf_token", "Sign out"):
        assert secret not in hv.text
    assert_page_well_formed(hv.text)
    nonce = re.search(r"'nonce-([^']+)'", hv.headers["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    for tag in re.findall(r"<script\b[^>]*>", hv.text):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    assert " style=" not in hv.text
    assert _without_nonce(signed_in("practitioner").get("/offline/visit?child=x").text).count("offline-app") == 1


def test_the_shell_needs_a_signed_in_practitioner(app, signed_in):
    assert app.test_client().get("/offline/").status_code == 302
    assert signed_in("admin").get("/offline/").status_code == 403


def test_the_service_worker_is_served_from_the_root_and_never_caches_the_api_or_the_key(app, signed_in):
    b = signed_in("practitioner")
    response = b.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] in ("no-cache", "no-store")
    text = response.text
    precache = json.loads(re.search(r"^const PRECACHE = (.*)$", text, re.M).group(1))  # type: ignore[union-attr]
    assert {"/offline/", "/offline/visit", "/offline/dictionary.json", "/static/js/offline/app.js",
            "/static/vendor/signature_pad/signature_pad.umd.min.js"} <= set(precache)
    assert not [u for u in precache if u.startswith("/api/") or u in ("/offline/key", "/offline/caseload.json",
                                                                         "/offline/session.json")]
    for url in precache:  # everything it will fetch when it installs is there
        got = b.get(url)
        got.close()
        assert got.status_code == 200, url
    assert app.test_client().get("/sw.js").status_code == 302


def test_every_page_has_the_status_banner_and_its_script(signed_in, users):
    page = signed_in("practitioner").get("/children/").text
    store_id = offline.store_id("test-secret-key", users["practitioner"]["id"])
    assert f'id="offline-status" aria-live="polite" hidden data-offline-store="{store_id}"' in page
    assert '<script type="module" src="/static/js/offline/status.js"></script>' in page
    assert 'data-offline-store' not in signed_in("admin").get("/children/").text


# --- compression ----------------------------------------------------------------------------------------

def test_text_responses_are_gzipped_for_browsers_that_accept_it(signed_in):
    b = signed_in("practitioner")
    plain = b.get("/offline/dictionary.json")
    zipped = b.get("/offline/dictionary.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 3
    refused = b.get("/offline/dictionary.json", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_a_gzipped_static_file_still_revalidates_with_304(app):
    client = app.test_client()
    first = client.get("/static/vendor/govuk-frontend/govuk-frontend.min.css", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    body = gzip.decompress(first.data)
    first.close()
    again = client.get("/static/vendor/govuk-frontend/govuk-frontend.min.css", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(again.data) == body  # from the compressed copy kept per version
    again.close()
    revalidated = client.get("/static/vendor/govuk-frontend/govuk-frontend.min.css",
                             headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert revalidated.status_code == 304
    revalidated.close()


def test_small_and_binary_responses_are_left_alone(app):
    client = app.test_client()
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    icon = client.get("/static/vendor/govuk-frontend/assets/images/govuk-icon-180.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in icon.headers
    icon.close()


def test_visits_put_by_the_offline_app_are_marked_as_recorded_offline(signed_in, child, db):
    b = signed_in("practitioner")
    token = session_json(b)["csrf_token"]
    body = full_visit(child["id"], id=str(uuid.uuid4()), source="offline")
    assert put(b, body, {"X-CSRFToken": token}).status_code == 201
    page = b.get(f"/children/{child['id']}").text
    assert "Recorded offline" in page


def test_the_dictionary_refresh_is_a_304_when_nothing_changed(signed_in):
    b = signed_in("practitioner")
    first = b.get("/offline/dictionary.json", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    again = b.get("/offline/dictionary.json", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and not again.data


def test_pages_that_reflect_a_query_and_posted_pages_are_not_compressed(signed_in):
    b = signed_in("practitioner")
    plain_page = b.get("/children/", headers={"Accept-Encoding": "gzip"})
    assert plain_page.headers["Content-Encoding"] == "gzip"
    searched = b.get("/children/?q=Olwen", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in searched.headers and "Olwen" in searched.text


def test_compression_can_be_turned_off_for_a_proxy_that_compresses(app, signed_in):
    app.config["COMPRESS_RESPONSES"] = False
    response = signed_in("practitioner").get("/offline/dictionary.json", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers


def test_the_manifest_makes_the_app_installable_with_a_shortcut_to_offline_visits(app):
    response = app.test_client().get("/static/manifest.webmanifest")
    manifest = json.loads(response.data)
    response.close()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/children/" and manifest["scope"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["id"] == "/"
    assert {"src": "/static/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"} in manifest["icons"]
    assert "/offline/" in [s["url"] for s in manifest["shortcuts"]]
