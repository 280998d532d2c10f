"""Plan item 21: disk full. The submit gets a clear "not saved" error, no partial row, and the form keeps
what was typed; when space comes back, sending the kept form again saves it.

The instance lives on a real, tiny filesystem (a 16 MB tmpfs mounted for the test; the tests run as root)
which is then filled to the last byte, so SQLite's append to its write-ahead log fails with ENOSPC
("database or disk is full"). Where mounting is not allowed, the test falls back to SQLite's
``max_page_count`` (the same SQLITE_FULL error, from a page limit instead of the disk) and says so.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from helpers import Browser, csrf_from, full_visit, make_child, make_user, parse
from homevisit.data import store

TYPED = ("Mother said the baby had been unsettled for three nights. The flat was cold: 14°C in the bedroom. "
         "<script>alert('kept')</script> & “quotes” — every character must come back exactly. ") * 20


class FullDisk:
    """A filesystem that can be filled to the last byte and emptied again."""

    def __init__(self, root: Path):
        self.root = root
        self.mount = root / "disk"
        self.mount.mkdir()
        self.kind = "tmpfs"
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(self.mount)],
                                capture_output=True)
        if result.returncode != 0:
            self.kind = "max_page_count"
        self.filler = self.mount / "filler"
        self.page_limit: int | None = None

    def fill(self, database: Path) -> None:
        conn = store.connect(database)
        conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the log starts empty: the next write must grow it
        pages = conn.conn.execute("PRAGMA page_count").fetchone()[0]
        conn.conn.close()
        if self.kind == "max_page_count":
            self.page_limit = pages
            return
        with open(self.filler, "ab", buffering=0) as fh:
            for size in (1 << 20, 1 << 16, 4096, 512, 1):
                while True:
                    try:
                        fh.write(b"\0" * size)
                    except OSError as error:
                        assert error.errno == errno.ENOSPC
                        break
        assert os.statvfs(self.mount).f_bavail == 0

    def free(self) -> None:
        self.page_limit = None
        if self.filler.exists():
            self.filler.unlink()

    def close(self) -> None:
        if self.kind == "tmpfs":
            subprocess.run(["umount", "-l", str(self.mount)], check=False)


@pytest.fixture
def disk(tmp_path, monkeypatch):
    d = FullDisk(tmp_path)
    if d.kind == "max_page_count":
        real_connect = store.connect

        def limited(path: Any) -> Any:
            db = real_connect(path)
            if d.page_limit is not None:
                db.conn.execute(f"PRAGMA max_page_count = {d.page_limit}")
            return db

        monkeypatch.setattr(store, "connect", limited)
    yield d
    d.close()


@pytest.fixture
def full_app(disk):
    from app import create_app

    instance = disk.mount / "instance"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE": str(instance / "homevisit.db"),
                      "RECORDS_DIR": str(instance / "records"), "SIGNING_DIR": str(instance / "signing"),
                      "SECRET_KEY": "test-secret-key"})
    db = store.connect(app.config["DATABASE"])
    store.migrate(db)
    user = make_user(db, "hv@a.example")
    child = make_child(db, user)
    db.conn.close()
    return app, user, child


def _counts(database: str) -> dict[str, Any]:
    db = store.connect(database)
    try:
        return {"integrity": db.conn.execute("PRAGMA integrity_check").fetchone()[0],
                "visits": store.query(db, "SELECT id, version, observed_verbatim, status FROM visits ORDER BY id"),
                "audit": db.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]}
    finally:
        db.conn.close()


def test_a_form_submitted_to_a_full_disk_says_not_saved_and_keeps_every_character(full_app, disk):
    app, user, child = full_app
    b = Browser(app)
    assert b.sign_in(user["email"]).status_code == 302
    page = b.get(f"/children/{child['id']}")
    started = b.client.post(f"/children/{child['id']}/visits/new", data={"csrf_token": csrf_from(page.text)})
    visit_id = started.headers["Location"].split("/")[2]
    url = f"/visits/{visit_id}/section/summary"
    form = parse(b.get(url).text)
    version = form.find("input", {"name": "version"})["value"]
    before = _counts(app.config["DATABASE"])
    disk.fill(Path(app.config["DATABASE"]))
    response = b.client.post(url, data={"csrf_token": csrf_from(str(form)), "version": version,
                                        "observed_verbatim": TYPED, "disclosure": "none", "referral_made": "no",
                                        "button": "continue"})
    assert response.status_code == 507, (disk.kind, response.status_code, response.text[:500])
    assert response.headers["Retry-After"]
    soup = parse(response.text)
    text = " ".join(soup.get_text().split())
    assert "Not saved: the server's disk is full. What you typed is kept on this page; try again in a few minutes " \
           "or tell your administrator" in text
    kept = {i["name"]: i["value"] for i in soup.select("main form input[type=hidden]")}
    assert kept["observed_verbatim"] == TYPED.replace("\r\n", "\n")  # every character, as typed
    assert kept["disclosure"] == "none" and kept["version"] == version and kept["button"] == "continue"
    assert "<script>alert('kept')</script>" not in response.text  # shown as text, not markup
    after = _counts(app.config["DATABASE"])
    assert after == before, "a failed save must leave no partial row and no audit entry"
    assert after["integrity"] == "ok"
    # space comes back: the kept form, sent again as it is, saves everything
    disk.free()
    again = b.client.post(soup.select_one("main form")["action"], data=kept)
    assert again.status_code == 302, again.text[:500]
    saved = _counts(app.config["DATABASE"])["visits"]
    assert saved[0]["observed_verbatim"] == TYPED.strip() and saved[0]["version"] == int(version) + 1


def test_an_api_submit_to_a_full_disk_gets_507_and_nothing_is_stored(full_app, disk):
    from homevisit.web import auth

    app, user, child = full_app
    db = store.connect(app.config["DATABASE"])
    token = auth.create_token(db, user["id"], "test")
    db.conn.close()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = full_visit(child["id"], observed_verbatim=TYPED)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the service has been running before the disk filled
    before = _counts(app.config["DATABASE"])
    disk.fill(Path(app.config["DATABASE"]))
    response = client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body), headers=headers)
    assert response.status_code == 507 and response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["title"] == "Not saved"
    assert response.headers["Retry-After"]
    assert _counts(app.config["DATABASE"]) == before
    disk.free()
    retried = client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body), headers=headers)
    assert retried.status_code == 201
    assert retried.get_json()["observed_verbatim"] == TYPED.strip()


def test_other_database_errors_are_not_dressed_up_as_not_saved(app, monkeypatch):
    """Only a full disk (507) and a lock that outlasted the busy timeout (503) get the "not saved" page."""
    import sqlite3

    from homevisit.web.views import auth as auth_views

    def broken(*_a: Any, **_k: Any) -> None:
        raise sqlite3.OperationalError("no such table: nowhere")

    monkeypatch.setattr(auth_views.store, "query_one", broken)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        app.test_client().get("/healthz")


def test_a_database_lock_that_outlasts_the_busy_timeout_gets_503_and_a_retry_after(app, monkeypatch):
    import sqlite3

    from homevisit.web.views import auth as auth_views

    def locked(*_a: Any, **_k: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(auth_views.store, "query_one", locked)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "Not saved: the service is busy" in parse(response.text).get_text()


def test_the_disk_full_page_never_echoes_a_password(full_app, disk):
    app, user, _child = full_app
    b = Browser(app)
    page = b.get("/sign-in")
    disk.fill(Path(app.config["DATABASE"]))
    response = b.client.post("/sign-in", data={"email": user["email"], "password": "secret-" + uuid.uuid4().hex,
                                               "csrf_token": csrf_from(page.text)})
    disk.free()
    assert response.status_code == 507
    assert "secret-" not in response.text
    assert parse(response.text).find("input", {"name": "email"})["value"] == user["email"]


def test_viewing_a_record_on_a_full_disk_fails_closed_because_the_view_cannot_be_audited(full_app, disk):
    app, user, child = full_app
    b = Browser(app)
    assert b.sign_in(user["email"]).status_code == 302
    assert b.get(f"/children/{child['id']}").status_code == 200
    before = _counts(app.config["DATABASE"])
    disk.fill(Path(app.config["DATABASE"]))
    response = b.get(f"/children/{child['id']}")
    disk.free()
    assert response.status_code == 507
    text = " ".join(parse(response.text).get_text().split())
    assert "Not shown: the server's disk is full" in text and child["family_name"] not in text
    assert _counts(app.config["DATABASE"]) == before
    assert b.get(f"/children/{child['id']}").status_code == 200
