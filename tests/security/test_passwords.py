"""Plan items 1 and 3, end to end (tests/integration/test_auth.py checks the rules in the domain):
a 64-character password with emoji is accepted and signs in; short and common ones are refused at the
command line; an unknown user and a wrong password cost the same time as well as giving the same page.
"""

from __future__ import annotations

import statistics
import time

import pytest

from helpers import Browser
from homevisit.data import store
from homevisit.web import auth

EMOJI_64 = "🐻‍❄️ polar bears drift on the floe; 🧊🌊 sixty-four characters all"


def test_the_password_is_exactly_64_characters_with_emoji():
    assert len(EMOJI_64) == 64 and any(ord(c) > 0xFFFF for c in EMOJI_64)


def test_a_64_character_emoji_password_is_accepted_and_signs_in(app, db):
    result = app.test_cli_runner().invoke(args=["create-user", "bear@a.example", "--role", "practitioner",
                                                "--team", "Team A", "--password-stdin"], input=EMOJI_64 + "\n")
    assert result.exit_code == 0, result.output
    b = Browser(app)
    assert b.sign_in("bear@a.example", EMOJI_64).status_code == 302
    assert Browser(app).sign_in("bear@a.example", EMOJI_64[:-1]).status_code == 200  # one character short: no


@pytest.mark.parametrize("password, message", [
    ("seven77", "at least 8 characters"),
    ("password1", "common passwords"),
    ("Password1", "common passwords"),
    ("qwertyuiop", "common passwords"),
    ("x" * 257, "256 characters or fewer"),
])
def test_short_long_and_common_passwords_are_refused_with_what_to_do(app, db, password, message):
    result = app.test_cli_runner().invoke(args=["create-user", "weak@a.example", "--role", "practitioner",
                                                "--team", "Team A", "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1 and message in result.output
    assert store.query_one(db, "SELECT id FROM users WHERE email = 'weak@a.example'") is None


def test_an_unknown_user_and_a_wrong_password_take_the_same_time(db, users, monkeypatch):
    """Both verify one argon2id hash at the service's real cost, so timing does not tell who has an account."""
    from argon2 import PasswordHasher

    real = PasswordHasher()
    monkeypatch.setattr(auth, "_hasher", real)
    monkeypatch.setattr(auth, "_DUMMY_HASH", real.hash("not a real password"))
    with store.write(db):
        store.execute(db, "UPDATE users SET password_hash = ? WHERE id = ?",
                      (real.hash("the right one, long enough"), users["admin"]["id"]))

    def timed(email: str) -> float:
        start = time.perf_counter()
        assert auth.authenticate(db, email, "a wrong password") is None
        return time.perf_counter() - start

    known, unknown = [], []
    for _ in range(4):  # fewer than six: no lockout on the way
        known.append(timed(users["admin"]["email"]))
        unknown.append(timed("nobody@nowhere.example"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.6 < ratio < 1.6, (known, unknown)
