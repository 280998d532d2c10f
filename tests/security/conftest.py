"""Shared by the security tests: the gunicorn harness of tests/reliability, and quick password hashing.

Argon2id at the service's cost takes ~0.15 s a hash on the 2-core machine; these tests create six users
and sign in several times each, so they hash with argon2id at the smallest cost instead. What they prove
(who may see what) does not depend on the cost; tests/integration/test_auth.py checks the real settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    from argon2 import PasswordHasher, Type

    from homevisit.web import auth

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(auth, "_hasher", quick)
    monkeypatch.setattr(auth, "_DUMMY_HASH", quick.hash("not a real password"))
