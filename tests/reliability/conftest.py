"""Shared by the reliability tests: quick password hashing (see tests/security/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    from argon2 import PasswordHasher, Type

    from homevisit.web import auth

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(auth, "_hasher", quick)
    monkeypatch.setattr(auth, "_DUMMY_HASH", quick.hash("not a real password"))
