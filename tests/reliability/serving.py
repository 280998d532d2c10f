"""A real instance served by gunicorn on loopback, for the fault, lockout and load tests.

``make_instance`` builds an instance folder (migrated database, users, API tokens, children) through the
domain functions; ``Server`` runs gunicorn with the project's gunicorn.conf.py against it, in its own
process group so that a test can SIGKILL the master and every worker at once.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from helpers import full_visit, make_child, make_user  # noqa: E402

ROLE_EMAILS = {"practitioner": "hv@a.example", "practitioner2": "sw@a.example", "supervisor": "sup@a.example",
               "other": "hv@b.example"}
ROLE_SPEC = {"practitioner": ("practitioner", "Team A", "health_visitor"),
             "practitioner2": ("practitioner", "Team A", "social_worker"),
             "supervisor": ("supervisor", "Team A", "health_visitor"),
             "other": ("practitioner", "Team B", "health_visitor")}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    path: Path
    database: Path
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)


def app_for(path: Path) -> Any:
    """The Flask app of an instance folder, configured as the server would see it (its own secret key)."""
    from app import create_app

    return create_app({"INSTANCE_PATH": str(path), "DATABASE": str(path / "homevisit.db"),
                       "RECORDS_DIR": str(path / "records"), "SIGNING_DIR": str(path / "signing"),
                       "SESSION_COOKIE_SECURE": False})


def make_instance(path: Path, *, roles: tuple[str, ...] = ("practitioner",), children: int = 10,
                  tokens: bool = True) -> Instance:
    from homevisit.data import store
    from homevisit.web import auth

    path.mkdir(parents=True, exist_ok=True)
    app = app_for(path)  # writes the instance's secret_key once, before any worker races to
    inst = Instance(path=path, database=path / "homevisit.db")
    with app.app_context():
        db = store.connect(inst.database)
        try:
            store.migrate(db)
            for role in roles:
                kind, team, visitor_role = ROLE_SPEC[role]
                inst.users[role] = make_user(db, ROLE_EMAILS[role], kind, team, visitor_role)
                if tokens:
                    inst.tokens[role] = auth.create_token(db, inst.users[role]["id"], "test")
            owner = inst.users[roles[0]]
            for i in range(children):
                dob = (date.today() - timedelta(days=290 + (i % 20))).isoformat()
                inst.children.append(make_child(db, owner, given_name=f"Child{i}", date_of_birth=dob)["id"])
        finally:
            db.conn.close()
    return inst


class Server:
    """gunicorn serving one instance on 127.0.0.1 with the project's gunicorn.conf.py."""

    def __init__(self, instance: Path, *, workers: int = 2, threads: int = 4, log: Path | None = None,
                 env: dict[str, str] | None = None, access_format: str | None = None, port: int | None = None, args: tuple[str, ...] = ()):
        self.instance = instance
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.log = log or instance / f"gunicorn-{self.port}.log"
        self.env = env or {}
        self.access_format = access_format
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        env = {**os.environ, "HOMEVISIT_INSTANCE_PATH": str(self.instance),
               "HOMEVISIT_BIND": f"127.0.0.1:{self.port}", "HOMEVISIT_WORKERS": str(self.workers),
               "HOMEVISIT_THREADS": str(self.threads), "HOMEVISIT_SESSION_COOKIE_SECURE": "false", **self.env}
        args = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")]
        if self.access_format:
            args += ["--access-logformat", self.access_format]
        args += list(self.args)
        args.append("app:create_app()")
        logfile = open(self.log, "ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        logfile.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            if self.get("/healthz")[0] == 200:
                return self
            time.sleep(0.1)
        self.kill9()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_text()[-3000:]}")

    def get(self, path: str, timeout: float = 5) -> tuple[int, bytes]:
        """(status, body) of a GET, or (0, b"") when nothing answered."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            return 0, b""
        finally:
            conn.close()

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once, as a crash or an OOM kill would."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill9()
        self.proc = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class Writers:
    """``n`` threads PUTting whole visits with an API token, each remembering which ids got a 2xx."""

    def __init__(self, server: Server, token: str, children: list[str], n: int = 20):
        self.server = server
        self.token = token
        self.children = children
        self.n = n
        self.acked: list[str] = []
        self.statuses: dict[int, int] = {}
        self.failures = 0
        self.sent = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _run(self, index: int) -> None:
        conn: http.client.HTTPConnection | None = None
        n = 0
        while not self._stop.is_set():
            visit_id = str(uuid.uuid4())
            body = full_visit(self.children[(index + n) % len(self.children)], id=visit_id)
            n += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                conn.request("PUT", f"/api/v1/visits/{visit_id}", body=json.dumps(body),
                             headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                with self._lock:
                    self.sent += 1
                    self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
                    if 200 <= response.status < 300:
                        self.acked.append(visit_id)
            except (OSError, http.client.HTTPException):
                with self._lock:
                    self.failures += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)
        if conn is not None:
            conn.close()

    def start(self) -> Writers:
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.n)]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)
