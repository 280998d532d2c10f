"""Plan item 2: lockout after 6 failures for 30 minutes, held across several gunicorn workers; every attempt logged.

Flask-Limiter's memory storage would count per process; the failures are counted in the database, so a
lockout holds whichever worker takes the next attempt. Three gunicorn workers serve the sign-in page;
six wrong passwords arrive at once from six browsers (the access log shows which worker answered each),
then the right password is refused.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import requests
from serving import Server, make_instance

from helpers import PASSWORD
from homevisit.data import store

FAILED = "Enter a correct email address and password"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match
    return match.group(1)


def _attempt(base: str, email: str, password: str, barrier: threading.Barrier | None, out: list) -> None:
    with requests.Session() as browser:
        page = browser.get(f"{base}/sign-in", timeout=30)
        token = _csrf(page.text)
        if barrier is not None:
            barrier.wait(timeout=30)
        response = browser.post(f"{base}/sign-in", data={"email": email, "password": password, "csrf_token": token},
                                allow_redirects=False, timeout=60)
        out.append((response.status_code, FAILED in response.text))


def _wait_for_several_workers(server, seconds: float = 30) -> None:
    """Until every worker has loaded the app, the first one ready serves every connection: send a few
    pages at once until the access log shows more than one worker answering."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pages = [threading.Thread(target=server.get, args=("/sign-in",)) for _ in range(6)]
        for t in pages:
            t.start()
        for t in pages:
            t.join()
        if len(set(re.findall(r'^<?(\d+)>? "GET /sign-in', server.log_text(), re.M))) >= 2:
            return
        time.sleep(0.5)


def test_lockout_holds_across_gunicorn_workers_and_every_attempt_is_logged(tmp_path):
    instance = make_instance(tmp_path / "instance", roles=("practitioner",), children=0, tokens=False)
    email = instance.users["practitioner"]["email"]
    # Sync workers take one connection at a time, so six at once must be spread across the processes
    # (a gthread worker accepts every waiting connection itself, however many threads it has).
    server = Server(instance.path, workers=3, threads=1, log=tmp_path / "gunicorn.log",
                    access_format='%(p)s "%(r)s" %(s)s', args=("--worker-class", "sync"))
    with server:
        _wait_for_several_workers(server)
        results: list = []
        barrier = threading.Barrier(6)
        threads = [threading.Thread(target=_attempt, args=(server.base, email, "not my password", barrier, results))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert results == [(200, True)] * 6
        seventh: list = []
        _attempt(server.base, email, PASSWORD, None, seventh)
        assert seventh == [(200, True)], "the right password must be refused while the account is locked"
    workers = set(re.findall(r'^<?(\d+)>? "POST /sign-in', server.log_text(), re.M))
    assert len(workers) >= 2, f"the attempts were all served by one worker ({workers}): the test proves nothing"
    db = store.connect(instance.database)
    try:
        attempts = store.query(db, "SELECT outcome, succeeded, remote_addr FROM login_attempts WHERE email = ? "
                                   "ORDER BY id", (email,))
        user = store.query_one(db, "SELECT locked_until FROM users WHERE email = ?", (email,))
        lockouts = store.query(db, "SELECT * FROM audit_log WHERE action = 'lockout'")
    finally:
        db.conn.close()
    assert [a["outcome"] for a in attempts] == ["wrong password"] * 6 + ["locked"]
    assert all(a["succeeded"] == 0 and a["remote_addr"] == "127.0.0.1" for a in attempts)
    until = datetime.fromisoformat(user["locked_until"]) - datetime.now(UTC)
    assert timedelta(minutes=29) < until <= timedelta(minutes=30)
    assert len(lockouts) == 1
