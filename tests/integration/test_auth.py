"""Signing in and out, lockout, session limits, and the API's token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from helpers import PASSWORD, Browser, assert_page_well_formed, make_user
from homevisit.data import store
from homevisit.web import auth


def test_sign_in_page_is_reached_from_the_start(browser):
    response = browser.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-in")
    page = browser.get("/sign-in")
    soup = assert_page_well_formed(page.text)
    assert soup.find("input", {"name": "email"}) is not None


def test_right_password_signs_in_and_lands_on_the_caseload(browser, users):
    response = browser.sign_in(users["practitioner"]["email"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/children/"
    page = browser.get("/children/")
    assert "Your team's caseload" in page.text


def test_unknown_user_and_wrong_password_get_the_same_answer(browser, users):
    wrong = browser.sign_in(users["practitioner"]["email"], "not the password at all")
    unknown = browser.sign_in("nobody@nowhere.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert_page_well_formed(wrong.text)
    def strip(html: str) -> str:  # the CSP nonce and CSRF token differ by design
        return re.sub(r'(nonce|value)="[^"]*"', "", html)

    assert "Enter a correct email address and password" in wrong.text
    assert strip(wrong.text).replace(users["practitioner"]["email"], "X") == \
        strip(unknown.text).replace("nobody@nowhere.example", "X")


def test_seventh_attempt_after_six_failures_is_refused_even_with_the_right_password(browser, users, db):
    email = users["practitioner"]["email"]
    for _ in range(6):
        assert browser.sign_in(email, "wrong password!").status_code == 200
    response = browser.sign_in(email, PASSWORD)
    assert response.status_code == 200, "a locked account must not sign in"
    attempts = store.query(db, "SELECT outcome FROM login_attempts WHERE email = ? ORDER BY id", (email,))
    assert [a["outcome"] for a in attempts] == ["wrong password"] * 6 + ["locked"]
    locked = store.query_one(db, "SELECT locked_until FROM users WHERE email = ?", (email,))
    until = datetime.fromisoformat(locked["locked_until"])
    assert timedelta(minutes=29) < until - datetime.now(UTC) <= timedelta(minutes=30)


def test_lockout_ends_after_thirty_minutes(browser, users, db):
    email = users["practitioner"]["email"]
    for _ in range(6):
        browser.sign_in(email, "wrong password!")
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    with store.write(db):
        store.execute(db, "UPDATE users SET locked_until = ? WHERE email = ?", (past, email))
    assert browser.sign_in(email).status_code == 302


def test_session_id_changes_at_sign_in_and_cookie_is_locked_down(app, users):
    b = Browser(app)
    b.get("/sign-in")
    before = b.client.get_cookie("homevisit_session")
    response = b.sign_in(users["practitioner"]["email"])
    after = b.client.get_cookie("homevisit_session")
    assert before is not None and after is not None
    assert before.value != after.value
    header = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("homevisit_session=")][-1]
    assert "HttpOnly" in header and "Secure" in header and "SameSite=Lax" in header


def test_password_hashes_are_argon2id(db, users):
    row = store.query_one(db, "SELECT password_hash FROM users WHERE id = ?", (users["practitioner"]["id"],))
    assert row["password_hash"].startswith("$argon2id$")


def test_idle_timeout_ends_the_session_on_the_server(app, signed_in, db):
    b = signed_in("practitioner")
    assert b.get("/children/").status_code == 200
    idle = (datetime.now(UTC) - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=5)).isoformat(timespec="seconds")
    with store.write(db):
        store.execute(db, "UPDATE sessions SET last_seen_at = ? WHERE ended_at IS NULL AND user_id IS NOT NULL", (idle,))
    response = b.get("/children/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    ended = store.query(db, "SELECT ended_reason FROM sessions WHERE ended_reason = 'idle timeout'")
    assert len(ended) == 1


def test_absolute_limit_ends_a_busy_session(app, signed_in, db):
    b = signed_in("practitioner")
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    with store.write(db):
        store.execute(db, "UPDATE sessions SET expires_at = ? WHERE ended_at IS NULL AND user_id IS NOT NULL", (past,))
    assert b.get("/children/").status_code == 302


def test_cookie_replayed_after_sign_out_is_refused(app, signed_in):
    b = signed_in("practitioner")
    cookie = b.client.get_cookie("homevisit_session").value
    b.post_form("/sign-out", {}, page_url="/children/")
    replay = app.test_client()
    replay.set_cookie("homevisit_session", cookie)
    response = replay.get("/children/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_disabling_a_user_ends_their_sessions_and_tokens(app, signed_in, db, users, token_for):
    b = signed_in("practitioner")
    headers = token_for("practitioner")
    auth.disable_user(db, users["practitioner"]["id"])
    assert b.get("/children/").status_code == 302
    assert app.test_client().get("/api/v1/actions", headers=headers).status_code == 401


def test_password_policy(db):
    assert auth.password_problem("short1") == "Enter a password of at least 8 characters"
    assert "common passwords" in auth.password_problem("password123")
    assert auth.password_problem("🐻‍❄️ polar bears on the ice floe, sixty-four characters long!!") is None


def test_create_user_cli_and_token_cli(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "new@c.example", "--role", "supervisor", "--team", "Team C",
                                 "--password-stdin"], input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    team = store.query_one(db, "SELECT t.name FROM users u JOIN teams t ON t.id = u.team_id WHERE u.email = ?",
                           ("new@c.example",))
    assert team["name"] == "Team C"
    result = runner.invoke(args=["create-token", "new@c.example"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    client = app.test_client()
    assert client.get("/api/v1/actions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    stored = store.query_one(db, "SELECT token_hash FROM api_tokens")
    assert stored["token_hash"] != token and token not in stored["token_hash"]


def test_every_sign_in_attempt_is_logged(browser, users, db):
    make_user(db, "x@a.example")
    browser.sign_in("x@a.example", "wrong password!")
    browser.sign_in("x@a.example")
    rows = store.query(db, "SELECT succeeded FROM login_attempts WHERE email = 'x@a.example' ORDER BY id")
    assert [r["succeeded"] for r in rows] == [0, 1]
