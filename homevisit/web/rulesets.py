"""The rules in force for this deployment: the defaults, overridden by the instance's rules.toml."""

from __future__ import annotations

import os
from typing import Any

from flask import current_app

from homevisit.domain import rules

_cache: dict[str, tuple[float, Any]] = {}


def local_rules_path() -> str:
    return current_app.config.get("RULES_FILE") or os.path.join(current_app.instance_path, "rules.toml")


def current_rules() -> Any:
    """The compiled rule set, reloaded when the local rules file changes."""
    path = local_rules_path()
    mtime = os.path.getmtime(path) if os.path.exists(path) else 0.0
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        _cache[path] = (mtime, rules.load_rules(local_path=path if mtime else None))
    return _cache[path][1]
