"""RFC 9457 problem documents: how the JSON API says what went wrong (docs/api.md "Ground rules").

Its own module, so the access decorators (auth), the app's error handlers (web) and the API's views all use
one ``problem()`` without importing each other."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str = "", errors: dict[str, list[str]] | None = None) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {"type": f"https://homevisit.invalid/problems/{status}", "title": title,
                            "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
