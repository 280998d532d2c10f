"""Who is signed in, what they may see, and the one access decorator every route carries.

Passwords are hashed with argon2id. Sessions live on the server (the ``sessions`` table) so that sign
out, disabling a user and the idle timeout really end them; the cookie holds only a random id. Failed
sign-ins are counted in the database so a lockout holds across every worker process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from homevisit.data import api_tokens as api_tokens_data
from homevisit.data import login_attempts as login_attempts_data
from homevisit.data import sessions as sessions_data
from homevisit.data import store
from homevisit.data import teams as teams_data
from homevisit.data import users as users_data
from homevisit.domain.calendar import iso
from homevisit.domain.calendar import utc_now as now_utc
from homevisit.services import audit
from homevisit.web.problems import problem

ROLES = ("practitioner", "supervisor", "admin")
LOCKOUT_FAILURES = 6
LOCKOUT_MINUTES = 30
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
_DUMMY_HASH = _hasher.hash("not a real password: evens out the time taken for unknown users")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- passwords ------------------------------------------------------------------------------------

@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("homevisit.web").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable, in words that say what to do; None when it is."""
    if len(password) < 8:
        return "Enter a password of at least 8 characters"
    if len(password) > 256:
        return "Enter a password of 256 characters or fewer"
    if password.lower() in _common_passwords() or password.lower() == email.lower().split("@")[0]:
        return "Choose a password that is harder to guess: this one is on a list of common passwords"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# --- users ----------------------------------------------------------------------------------------

def create_user(db: Any, *, email: str, name: str, role: str, team: str, password: str,
                visitor_role: str | None = None, organisation: str = "") -> dict[str, Any]:
    """Create a user in a team (creating the team if it is new); returns the user row."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    problem = password_problem(password, email)
    if problem:
        raise ValueError(problem)
    with store.write(db):
        team_row = teams_data.by_name(db, team)
        if team_row is None:
            teams_data.insert(db, {"name": team, "organisation": organisation, "created_at": iso(now_utc())})
            team_row = teams_data.by_name(db, team)
        assert team_row is not None
        if users_data.id_by_email(db, email):
            raise ValueError(f"A user with the email {email} already exists")
        users_data.insert(db, {
            "email": email, "name": name, "role": role, "visitor_role": visitor_role, "team_id": team_row["id"],
            "password_hash": hash_password(password), "active": 1, "created_at": iso(now_utc())})
        user = users_data.by_email(db, email)
        assert user is not None
        audit.record(db, action="create", object_type="user", object_id=user["id"],
                     detail={"email": email, "role": role, "team": team})
    return user


def get_user(db: Any, user_id: int) -> dict[str, Any] | None:
    return users_data.with_team(db, user_id)


def authenticate(db: Any, email: str, password: str, remote_addr: str | None = None) -> dict[str, Any] | None:
    """The user if the email and password match and the account is open; otherwise None.

    Unknown emails and wrong passwords take the same time and give the same answer. After six
    failures in a row the account is locked for 30 minutes, even for the right password.
    """
    email = (email or "").strip()
    now = now_utc()
    user = users_data.by_email(db, email)
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "x")
        except VerificationError:
            pass
        _attempt(db, email, None, False, "unknown email", remote_addr)
        return None
    locked_until = user["locked_until"]
    if locked_until and locked_until > iso(now):
        _attempt(db, email, user["id"], False, "locked", remote_addr)
        return None
    ok: bool
    try:
        ok = _hasher.verify(user["password_hash"], password or "")
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        ok = False
    if not ok or not user["active"]:
        with store.write(db):
            row = users_data.failed_logins(db, user["id"])
            failures = (row["failed_logins"] if row else 0) + 1
            changes: dict[str, Any] = {"failed_logins": failures}
            if failures >= LOCKOUT_FAILURES:
                changes["locked_until"] = iso(now + timedelta(minutes=LOCKOUT_MINUTES))
                changes["failed_logins"] = 0
            users_data.set_fields(db, user["id"], changes)
            _attempt(db, email, user["id"], False, "disabled" if ok else "wrong password", remote_addr)
            if "locked_until" in changes:
                audit.record(db, action="lockout", object_type="user", object_id=user["id"],
                             detail={"minutes": LOCKOUT_MINUTES})
        return None
    with store.write(db):
        users_data.set_fields(db, user["id"], {"failed_logins": 0, "locked_until": None})
        _attempt(db, email, user["id"], True, "signed in", remote_addr)
        if _hasher.check_needs_rehash(user["password_hash"]):
            users_data.set_fields(db, user["id"], {"password_hash": hash_password(password)})
    return get_user(db, user["id"])


def _attempt(db: Any, email: str, user_id: int | None, ok: bool, outcome: str, remote_addr: str | None) -> None:
    with store.write(db):
        login_attempts_data.insert(db, {"email": email[:320], "user_id": user_id, "at": iso(now_utc()),
                                        "succeeded": int(ok), "outcome": outcome, "remote_addr": remote_addr})


def disable_user(db: Any, user_id: int, by: dict[str, Any] | None = None) -> None:
    """Disable an account and end every session and token it holds."""
    with store.write(db):
        users_data.set_fields(db, user_id, {"active": 0})
        sessions_data.end_all_for_disabled_user(db, user_id, iso(now_utc()))
        api_tokens_data.revoke_all_for_user(db, user_id, iso(now_utc()))
        audit.record(db, action="disable", object_type="user", object_id=user_id, user=by)


# --- API tokens -----------------------------------------------------------------------------------

def create_token(db: Any, user_id: int, label: str = "") -> str:
    """A new API token for a user: returned once; only its hash is kept."""
    token = "hv_" + secrets.token_urlsafe(32)
    with store.write(db):
        api_tokens_data.insert(db, {"user_id": user_id, "token_hash": token_hash(token), "label": label,
                                     "created_at": iso(now_utc())})
        audit.record(db, action="create", object_type="api_token", object_id=user_id, detail={"label": label})
    return token


def user_for_token(db: Any, token: str) -> dict[str, Any] | None:
    row = api_tokens_data.live_for_hash(db, token_hash(token))
    return get_user(db, row["user_id"]) if row else None


# --- server-side sessions -------------------------------------------------------------------------

class ServerSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """Session data kept in the database; the cookie carries only a random id."""

    def __init__(self, initial: dict[str, Any] | None = None, sid: str | None = None, new: bool = True):
        def on_update(self: ServerSession) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.new = new
        self.modified = False
        self.rotate = False
        self.end_reason: str | None = None


class DatabaseSessionInterface(SessionInterface):
    """Flask sessions stored in the sessions table with an idle and an absolute limit."""

    def open_session(self, app: Any, request: Any) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 100:
            return ServerSession()
        db = app.extensions["homevisit_db"]()
        row = sessions_data.by_id_hash(db, token_hash(sid))
        if row is None or row["ended_at"]:
            return ServerSession()
        now = now_utc()
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        last_seen = datetime.fromisoformat(row["last_seen_at"])
        if now > datetime.fromisoformat(row["expires_at"]) or now - last_seen > idle:
            reason = "absolute limit" if now > datetime.fromisoformat(row["expires_at"]) else "idle timeout"
            with store.write(db):
                sessions_data.end(db, row["id_hash"], iso(now), reason)
            request.environ["homevisit.expired_session"] = {"user_id": row["user_id"],
                                                            "data": json.loads(row["data"]), "reason": reason}
            return ServerSession()
        s = ServerSession(json.loads(row["data"]), sid=sid, new=False)
        request.environ["homevisit.session_row"] = row
        return s

    def save_session(self, app: Any, session: ServerSession, response: Any) -> None:  # type: ignore[override]
        db = app.extensions["homevisit_db"]()
        name = self.get_cookie_name(app)
        now = now_utc()
        if session.end_reason and session.sid:
            with store.write(db):
                sessions_data.end(db, token_hash(session.sid), iso(now), session.end_reason)
            response.delete_cookie(name, path=self.get_cookie_path(app), domain=self.get_cookie_domain(app))
            return
        if not session and session.new:
            return  # nothing to keep: no cookie, no row
        row = request_session_row()
        if session.rotate and session.sid:
            with store.write(db):
                sessions_data.end_rotated(db, token_hash(session.sid), iso(now))
            session.sid = None
            row = None
        data = json.dumps(dict(session), separators=(",", ":"))
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            absolute = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
            with store.write(db):
                sessions_data.insert(db, {"id_hash": token_hash(session.sid), "user_id": session.get("user_id"),
                                          "data": data, "created_at": iso(now), "last_seen_at": iso(now),
                                          "expires_at": iso(now + absolute)})
        elif session.modified or row is None or row["data"] != data or _stale(row, now):
            with store.write(db):
                sessions_data.save_data(db, token_hash(session.sid), data, session.get("user_id"), iso(now))
        response.set_cookie(name, session.sid, httponly=True, secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app), path=self.get_cookie_path(app),
                            domain=self.get_cookie_domain(app))


def _stale(row: dict[str, Any], now: datetime) -> bool:
    # Refresh last_seen at most every 30 seconds: the idle limit is in minutes, and a write per
    # request would only add contention.
    return (now - datetime.fromisoformat(row["last_seen_at"])).total_seconds() > 30


def request_session_row() -> dict[str, Any] | None:
    return request.environ.get("homevisit.session_row")


def start_session(user: dict[str, Any]) -> None:
    """Sign a user in: a new session id (never the one used before sign-in)."""
    keep = {k: v for k, v in session.items() if k in ("resume_after_login",)}
    session.clear()
    session.rotate = True  # type: ignore[attr-defined]
    session.update(keep)
    session["user_id"] = user["id"]
    session["signed_in_at"] = iso(now_utc())


def end_session(reason: str = "signed out") -> None:
    session.clear()
    session.end_reason = reason  # type: ignore[attr-defined]


def load_current_user() -> None:
    """Put the signed-in user on ``g.user``: from the session; for the API, from a Bearer token, or from the
    session when the request carries its CSRF token in an ``X-CSRFToken`` header (the offline app)."""
    g.user = None
    g.via_token = False
    db = current_app.extensions["homevisit_db"]()
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/"):
        if header.startswith("Bearer "):
            g.user = user_for_token(db, header[7:].strip())
            g.via_token = g.user is not None
        elif session.get("user_id") and _csrf_header_valid():
            # The offline app's same-origin fetches ride on the signed-in session, but only with the
            # session's CSRF token in a header: another site can make the browser send the cookie,
            # never the header.
            user = get_user(db, session["user_id"])
            if user and user["active"]:
                g.user = user
        return
    user_id = session.get("user_id")
    if user_id:
        user = get_user(db, user_id)
        if user and user["active"]:
            g.user = user
        else:
            end_session("user disabled")


def _csrf_header_valid() -> bool:
    """True when the request carries this session's CSRF token in an X-CSRFToken header."""
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    token = request.headers.get("X-CSRFToken", "")
    if not token:
        return False
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


# --- the access decorator -------------------------------------------------------------------------

def access(*roles: str, public: bool = False, api: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Every route carries this. ``public`` routes need nobody signed in; otherwise a signed-in user
    with one of ``roles`` (any role when none are named). Team scoping happens in the queries: a
    record of another team is "not found" (404), never "forbidden".
    """
    for role in roles:
        if role not in ROLES:
            raise ValueError(role)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not public:
                if g.get("user") is None:
                    if api:
                        return problem(401, "Sign-in required", "Send a valid API token as 'Authorization: Bearer <token>'.")
                    return redirect(url_for("auth.sign_in", next=request.full_path if request.query_string
                                            else request.path))
                if roles and g.user["role"] not in roles:
                    if api:
                        return problem(403, "Not allowed for your role", "Your role cannot do this.")
                    abort(403)
            return view(*args, **kwargs)

        wrapped.access_rule = {"roles": roles, "public": public}  # type: ignore[attr-defined]
        return wrapped

    return decorate
