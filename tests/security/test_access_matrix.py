"""Plan items 6 and 11: a generated matrix of every route x {anonymous, each role, own team, other team}.

The routes come from ``app.url_map``; what each cell should be comes from the route's own ``@access`` rule
(public, roles, API or page) and the kind of object its URL names:

* anonymous: a page redirects to sign-in, the API answers 401;
* a role the route does not name: 403;
* another team's record: 404, never 403 (whether a record exists is itself confidential);
* a draft, or signing, is its author's alone: anyone else gets 404 (or 403 from the API's signer);
* a break-glass grant is its holder's alone; its alert is for the child's team;
* otherwise the request reaches the view (any answer but 401/403/404, and never a 5xx).

Every response also carries the security headers (nonce CSP with ``object-src 'none'``, ``base-uri
'none'``, ``frame-ancestors 'none'``; ``nosniff``; HSTS) and ``no-store`` when someone is signed in (static
assets apart). And no GET, whatever ids its URL names, changes a table or writes more than a view to the
audit log (plan item 14).
The matrix is written to ``test-artifacts/access-matrix.md``. A route without the access decorator fails
``tests/security/test_routes.py::test_every_route_has_an_access_decision``; a route whose URL names an
object this test does not know is listed as "unclassified" in the artifact and checked for no 5xx only.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from helpers import Browser, csrf_from, full_visit, make_child
from homevisit.data import store
from homevisit.services import breakglass, visits
from homevisit.web import auth

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "access-matrix.md"
PRINCIPALS = ("anonymous", "practitioner", "practitioner2", "supervisor", "admin", "other", "other_supervisor")
OWN_TEAM = {"practitioner", "practitioner2", "supervisor", "admin"}
ROLE = {"practitioner": "practitioner", "practitioner2": "practitioner", "supervisor": "supervisor",
        "admin": "admin", "other": "practitioner", "other_supervisor": "supervisor"}
AUTHOR = "practitioner"  # records the visits and drafts, holds the token
GRANT_HOLDER = "other"  # opened team A's child under break-glass
LABELS = {"anonymous": "anonymous", "practitioner": "practitioner (author)", "practitioner2": "practitioner",
          "supervisor": "supervisor", "admin": "admin", "other": "other team: practitioner",
          "other_supervisor": "other team: supervisor"}
TEAM_OBJECTS = {"child_id", "visit_id", "action_id"}
KNOWN_ARGS = TEAM_OBJECTS | {"grant_id", "token_id", "section", "filename"}
SCOPES = {
    "visits.section": "author", "visits.check": "author", "visits.discard": "author",
    "records.sign": "author", "api.sign_visit": "author",
    "breakglass.record": "grant-holder", "breakglass.visit": "grant-holder",
    "breakglass.acknowledge": "grant-team",
    "auth.revoke_token": "user",
}
REASON = "Child presented at the duty desk overnight; checking history before a placement decision"


def object_args(rule: Any) -> set[str]:
    """The URL's variable parts that name something (a fixed default or a choice of format names nothing)."""
    fixed = set(rule.defaults or {}) | {k for k, c in rule._converters.items() if hasattr(c, "items")}
    return set(rule.arguments) - fixed


def scope_of(rule: Any) -> str:
    args = object_args(rule)
    if args - KNOWN_ARGS:
        return "unclassified"
    if rule.endpoint in SCOPES:
        return SCOPES[rule.endpoint]
    return "team" if args & TEAM_OBJECTS else "none"


def expected(rule: Any, principal: str) -> str:
    if rule.endpoint == "static":
        return "allowed"
    access = rule_access(rule)
    if access["public"]:
        return "public"
    if principal == "anonymous":
        return "sign-in"
    if access["roles"] and ROLE[principal] not in access["roles"]:
        return "403"
    scope = scope_of(rule)
    own = principal in OWN_TEAM
    if scope == "team":
        return "allowed" if own else "404"
    if scope == "author":
        return "allowed" if principal == AUTHOR else ("not the author's" if own else "404")
    if scope == "grant-holder":
        return "allowed" if principal == GRANT_HOLDER else "404"
    if scope == "grant-team":
        return "allowed" if own else "404"
    if scope == "user":
        return "allowed" if principal == AUTHOR else "no-op"
    if scope == "unclassified":
        return "no 5xx"
    return "allowed"


_APP: list[Any] = []


def rule_access(rule: Any) -> dict[str, Any]:
    return _APP[0].view_functions[rule.endpoint].access_rule


def observed_matches(want: str, response: Any, api: bool) -> bool:
    status = response.status_code
    to_sign_in = status == 302 and "/sign-in" in response.headers.get("Location", "")
    if status >= 500:
        return False
    if want == "public":  # reachable by anyone; "/" sends the anonymous on to sign-in by design
        return status not in (401, 403, 404)
    if want == "sign-in":  # a page sends you to sign in; JSON (the API, the offline app's data) says 401
        return status == 401 or (not api and to_sign_in)
    if want in ("403", "404"):
        return status == int(want)
    if want == "not the author's":  # same team, so existence is no secret: refused, or already done (409)
        return status in (403, 404, 409)
    if want == "no-op":
        return status in (302, 404)
    if want == "no 5xx":
        return True
    if response.request.path == "/sign-out":
        return to_sign_in  # signing out ends on the sign-in page
    return status not in (401, 403, 404) and not to_sign_in


def check_headers(response: Any, principal: str, api: bool) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self' 'nonce-"):
        if directive not in csp:
            problems.append(f"CSP lacks {directive}")
    if "unsafe-inline" in csp:
        problems.append("CSP allows unsafe-inline")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not response.headers.get("Strict-Transport-Security", "").startswith("max-age="):
        problems.append("no HSTS")
    static = response.request.path.startswith("/static/")  # the same for everyone: cacheable by design
    if (principal != "anonymous" or api) and not static and response.headers.get("Cache-Control") != "no-store":
        problems.append("signed-in response without Cache-Control: no-store")
    return problems


def _signature_png() -> str:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(60, 140), (180, 60), (300, 140), (420, 60), (540, 120)], fill=(10, 10, 60, 255),
                               width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def world(signing_app, db, users):
    """Team A's child, a signed visit with actions, three drafts, a token; team B's grant on the child."""
    from homevisit.services import visit_records
    from homevisit.web.rulesets import current_rules

    app = signing_app
    _APP[:] = [app]
    author = users[AUTHOR]
    child = make_child(db, author, given_name="Matrix", family_name="Child", nhs_number="9434765919")
    body = full_visit(child["id"], age_appropriate_food="none", room_heated=False, covering="none", child_cold=True)
    with app.app_context():
        visits.put_visit(db, body["id"], body, author, current_rules(),
                         get_child=lambda cid: make_lookup(db, author)(cid))
        visit_records.sign_visit(db, body["id"], author, _signature_png(), True, config=app.config,
                                 static_dir=app.static_folder)
    action = store.query_one(db, "SELECT id FROM actions WHERE visit_id = ? ORDER BY id LIMIT 1", (body["id"],))
    assert action is not None
    drafts = {endpoint: visits.start_draft(db, child, author) for endpoint in ("visits.section", "visits.check",
                                                                               "visits.discard")}
    token_row_label = "matrix: revoke me"
    auth.create_token(db, author["id"], token_row_label)
    token_id = store.query_one(db, "SELECT id FROM api_tokens WHERE label = ?", (token_row_label,))["id"]
    grant = breakglass.request_access(db, users[GRANT_HOLDER], child["nhs_number"], REASON)
    return {"child_id": child["id"], "visit_id": body["id"], "action_id": action["id"], "grant_id": grant["id"],
            "token_id": token_id, "section": "seen", "filename": "css/app.css", "drafts": drafts}


def make_lookup(db: Any, user: dict[str, Any]) -> Any:
    from homevisit.services import children

    return lambda cid: children.get_child(db, cid, user, log_view=False)


def url_for_rule(rule: Any, world: dict[str, Any]) -> str:
    values: dict[str, Any] = {name: world.get(name, "x") for name in object_args(rule)}
    if "visit_id" in values and rule.endpoint in world["drafts"]:
        values["visit_id"] = world["drafts"][rule.endpoint]
    for name, converter in rule._converters.items():
        if hasattr(converter, "items"):  # any(csv, pdf): the first format
            values[name] = sorted(converter.items)[0]
    values.update(rule.defaults or {})
    built = rule.build(values, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def test_generated_access_matrix_of_every_route(app, db, users, world):
    clients: dict[str, Any] = {}
    csrf: dict[str, str] = {}
    tokens: dict[str, dict[str, str]] = {}
    for principal in PRINCIPALS:
        b = Browser(app)
        if principal == "anonymous":
            csrf[principal] = csrf_from(b.get("/sign-in").text)
            tokens[principal] = {}
        else:
            assert b.sign_in(users[principal]["email"]).status_code == 302
            csrf[principal] = csrf_from(b.get("/account").text)
            tokens[principal] = {"Authorization": f"Bearer {auth.create_token(db, users[principal]['id'], 'matrix')}"}
        clients[principal] = b
    # GETs first, then changes; signing out last of all
    cases = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            order = (method != "GET", rule.endpoint == "auth.sign_out", rule.endpoint == "visits.discard", rule.rule)
            cases.append((order, rule, method))
    cases.sort(key=lambda c: c[0])
    rows, failures = [], []
    before_gets, audit_mark = _state(db), _last_audit_id(db)
    gets_done = False
    for _order, rule, method in cases:
        if method != "GET" and not gets_done:  # plan item 14: no GET, with any ids in its URL, changes anything
            gets_done = True
            assert _state(db) == before_gets, "a GET changed a table"
            added = {r["action"] for r in store.query(db, "SELECT DISTINCT action FROM audit_log WHERE id > ?",
                                                      (audit_mark,))}
            assert added <= READ_ACTIONS, f"a GET wrote {added - READ_ACTIONS} to the audit log"
        url = url_for_rule(rule, world)
        api = rule.rule.startswith("/api/")
        cells = []
        for principal in PRINCIPALS:
            client = clients[principal].client
            if api:
                kwargs: dict[str, Any] = {"headers": tokens[principal]}
                if method in ("POST", "PUT"):
                    kwargs["json"] = {}
            else:
                kwargs = {"data": {"csrf_token": csrf[principal]}} if method == "POST" else {}
            response = client.open(url, method=method, **kwargs)
            response.close()
            want = expected(rule, principal)
            ok = observed_matches(want, response, api)
            header_problems = check_headers(response, principal, api)
            if not ok:
                failures.append(f"{method} {rule.rule} as {principal}: expected {want}, got {response.status_code} "
                                f"{response.headers.get('Location', '')}")
            if header_problems:
                failures.append(f"{method} {rule.rule} as {principal}: {', '.join(header_problems)}")
            mark = "✓" if ok and not header_problems else "✗"
            cells.append(f"{response.status_code} {mark}" + ("" if want in ("allowed", "public") else f" ({want})"))
        rows.append((rule.rule, method, scope_of(rule) if rule.endpoint != "static" else "public", cells))
    # a user-scoped route run by someone else must not have changed anything
    revoked = store.query_one(db, "SELECT revoked_at FROM api_tokens WHERE id = ?", (world["token_id"],))
    assert revoked["revoked_at"] is not None, "the token's owner could not revoke it"
    others = store.query(db, "SELECT * FROM audit_log WHERE action = 'revoke' AND object_id = ?", (str(world["token_id"]),))
    assert [r["user_id"] for r in others] == [users[AUTHOR]["id"]]
    write_artifact(rows)
    assert not failures, "\n".join(failures)


READ_ACTIONS = {"view", "view_access_log", "export", "download_record"}  # what reading leaves in the audit log
SESSION_TABLES = {"sessions", "audit_log", "login_attempts", "api_tokens", "offline_keys"}


def _state(db: Any) -> dict[str, Any]:
    """Every row of every table but the session, token and log tables, for spotting a GET that writes."""
    names = [r["name"] for r in store.query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
             if not r["name"].startswith(("sqlite_", "_"))]
    keyed = {r["name"] for r in store.query(db, "PRAGMA table_list") if r["wr"]}  # WITHOUT ROWID: in key order
    state = {n: store.query(db, f'SELECT * FROM "{n}"' + ("" if n in keyed else " ORDER BY rowid"))
             for n in names if n not in SESSION_TABLES}
    assert {"children", "visits", "actions"} <= set(state)
    return state


def _last_audit_id(db: Any) -> int:
    return store.query_one(db, "SELECT COALESCE(MAX(id), 0) AS n FROM audit_log")["n"]


def write_artifact(rows: list[tuple[str, str, str, list[str]]]) -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Access matrix (generated by tests/security/test_access_matrix.py)",
        "",
        "Every route in `app.url_map` x every principal: the status observed, ✓ when it is what the route's "
        "`@access` rule and the object it names require. Team A holds the child, the signed visit, the action "
        "and the drafts (recorded by the author); team B's practitioner holds a break-glass grant on the child. "
        "In brackets: what was required when it was not \"allowed\" (reaches the view: any answer but 401, 403 "
        "or 404, never a 5xx). Every response was also checked for the security headers, and for "
        "`Cache-Control: no-store` when signed in (static assets apart: the same for everyone).",
        "",
        "Scopes: team = the record's team only (other teams 404); author = the author only; grant-holder = the "
        "break-glass grant's holder only; grant-team = the child's team; user = the signed-in user's own "
        "(someone else's id is a no-op); none = no object in the URL.",
        "",
        "| Route | Method | Scope | " + " | ".join(LABELS[p] for p in PRINCIPALS) + " |",
        "|---|---|---|" + "---|" * len(PRINCIPALS),
    ]
    for route, method, scope, cells in rows:
        lines.append(f"| `{route}` | {method} | {scope} | " + " | ".join(cells) + " |")
    ARTIFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_matrix_would_catch_a_route_that_forgets_team_scoping(app, db, users, world):
    """The generator is not vacuous: a route that loads a child without its team gives 200 to team B."""
    from homevisit.web.auth import access

    @access()
    def leaky(child_id: str) -> str:
        row = store.query_one(db, "SELECT given_name FROM children WHERE id = ?", (child_id,))
        return json.dumps(row)

    app.add_url_rule("/leaky/<child_id>", "leaky", leaky)
    _APP[:] = [app]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "leaky")
    b = Browser(app)
    b.sign_in(users["other"]["email"])
    response = b.get(url_for_rule(rule, world))
    assert expected(rule, "other") == "404"
    assert not observed_matches("404", response, api=False)
