"""Shared fixtures: a fresh instance (real SQLite file, migrations applied) per test, clients per role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app import create_app
from helpers import PASSWORD, Browser, LocalTimestampAuthority, make_user  # noqa: F401 - fixtures below use them
from homevisit.data import store
from homevisit.web import auth


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--run-long", action="store_true", default=False, help="run the long fault and load tests")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if config.getoption("--run-long"):
        return
    deselected = [item for item in items if "long" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if "long" not in item.keywords]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """A skipped test is a failing one: a missing tool is installed by `make test`, and a test that would skip
    itself when a route or a module is renamed must fail instead, so nothing goes untested quietly."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped, which counts as a failure here: {reason}"
    return report


@pytest.fixture
def app(tmp_path: Any) -> Any:
    instance = tmp_path / "instance"
    application = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE": str(instance / "homevisit.db"),
        "RECORDS_DIR": str(instance / "records"),
        "SIGNING_DIR": str(instance / "signing"),
        "SECRET_KEY": "test-secret-key",
    })
    with application.app_context():
        store.migrate(application.extensions["homevisit_db"]())
    return application


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: Any) -> Any:
    """A demo signing key and certificate, made once for the whole run (as `flask init-signing` does)."""
    from homevisit.records import signing

    directory = tmp_path_factory.mktemp("signing")
    signing.init_signing(directory, "Test Safeguarding Partnership", overwrite=True)
    return directory


@pytest.fixture(scope="session")
def tsa() -> Iterator[LocalTimestampAuthority]:
    """A time-stamping authority answering on 127.0.0.1 (pyHanko's test authority over HTTP)."""
    authority = LocalTimestampAuthority()
    yield authority
    authority.close()


@pytest.fixture
def signing_app(app: Any, signing_keys: Any) -> Any:
    """The app with the organisation's signing key installed in its instance folder."""
    import shutil

    shutil.copytree(signing_keys, app.config["SIGNING_DIR"], dirs_exist_ok=True)
    return app


@pytest.fixture
def db(app: Any) -> Iterator[Any]:
    conn = store.connect(app.config["DATABASE"])
    yield conn
    conn.close()


@pytest.fixture
def users(db: Any) -> dict[str, dict[str, Any]]:
    return {
        "practitioner": make_user(db, "hv@a.example", "practitioner", "Team A", "health_visitor"),
        "practitioner2": make_user(db, "sw@a.example", "practitioner", "Team A", "social_worker"),
        "supervisor": make_user(db, "sup@a.example", "supervisor", "Team A", "health_visitor"),
        "admin": make_user(db, "admin@a.example", "admin", "Team A", None),
        "other": make_user(db, "hv@b.example", "practitioner", "Team B", "health_visitor"),
        "other_supervisor": make_user(db, "sup@b.example", "supervisor", "Team B", "health_visitor"),
    }


@pytest.fixture
def browser(app: Any) -> Browser:
    return Browser(app)


@pytest.fixture
def signed_in(app: Any, users: dict[str, Any]) -> Any:
    """signed_in("supervisor") -> a Browser signed in as that role's user."""

    def make(role: str = "practitioner") -> Browser:
        b = Browser(app)
        response = b.sign_in(users[role]["email"])
        assert response.status_code == 302, response.text
        return b

    return make


@pytest.fixture
def token_for(db: Any, users: dict[str, Any]) -> Any:
    def make(role: str = "practitioner") -> dict[str, str]:
        return {"Authorization": f"Bearer {auth.create_token(db, users[role]['id'], 'test')}"}

    return make


