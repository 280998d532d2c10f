"""Offline recording: the per-user key that encrypts what waits on a tablet, and what the offline app downloads.

A practitioner recording visits with no signal keeps drafts and a queue of finished visits in the
browser's IndexedDB. Everything there is AES-GCM ciphertext under a random 256-bit key that belongs to
one user and lives in the ``offline_keys`` table; the server releases it only to that user's signed-in
session (and writes each release to the audit log). The browser holds it as a non-extractable CryptoKey
in memory; for reopening the app with no signal it keeps a copy wrapped under a key derived from the
practitioner's offline passcode (see docs in ``static/js/offline/vault.js``).

No Flask here: the view module reads the request and calls these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from homevisit.data import children as children_data
from homevisit.data import offline_keys as offline_keys_data
from homevisit.data import store
from homevisit.domain import bodymap
from homevisit.domain.calendar import utc_now_text
from homevisit.domain.dictionary import (
    BOOL,
    CARER_FIELDS,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INJURY_FIELDS,
    INT,
    MULTI,
    NO_ACCESS,
    NO_ACCESS_NOT_SEEN,
    NO_ACCESS_SKIPS,
    SECTIONS,
    TEXT,
    VISIT_FIELDS,
    Field,
)
from homevisit.domain.validation import range_message, required_message
from homevisit.services import audit

KEY_BYTES = 32
ROLES = ("practitioner", "supervisor")
"""Who may record visits offline: the roles that may store visits through the API."""

PROVISIONAL_RULES = ("R01", "R05", "R07", "R25")
"""The rules the offline app evaluates itself, as provisional: the immediate-severity ones whose
triggers are single observations (R01 restraint or ligature; R05 limb injury or pain on handling;
R07 fractures) and R25 (a disclosure: phone the same day). Everything else waits for the server."""


def store_id(secret: str, user_id: int) -> str:
    """The name of a user's offline store on a device: stable, and says nothing about who it is."""
    return hmac.new(secret.encode("utf-8"), f"offline-store:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def email_hash(email: str) -> str:
    """How the offline app finds a user's store from the email typed on the unlock page (no signal).

    The browser computes the same SHA-256 of the same string (``static/js/offline/crypto.js``).
    """
    return hashlib.sha256(("homevisit-offline-email:" + email.strip().lower()).encode("utf-8")).hexdigest()


def release_key(db: Any, user: dict[str, Any]) -> str:
    """The user's offline key (base64), made on first use; every release is written to the audit log."""
    with store.write(db):
        row = offline_keys_data.key_for_user(db, user["id"])
        if row is None:
            key = secrets.token_bytes(KEY_BYTES)
            offline_keys_data.insert(db, {"user_id": user["id"], "key": key, "created_at": utc_now_text()})
            audit.record(db, action="create", object_type="offline_key", object_id=user["id"], user=user)
        else:
            key = bytes(row["key"])
        audit.record(db, action="release", object_type="offline_key", object_id=user["id"], user=user)
    return base64.b64encode(key).decode("ascii")


def caseload(db: Any, user: dict[str, Any]) -> dict[str, Any]:
    """The team's children, with only what is needed to pick a child and record a visit offline.

    Downloading a whole caseload is a view of every child in it: one audit entry says so.
    """
    rows = children_data.offline_caseload(db, user["team_id"])
    audit.record(db, action="view", object_type="caseload", object_id=user["team_id"], user=user,
                 detail={"offline": True, "children": len(rows)})
    return {"generated_at": utc_now_text(), "children": rows}


# --- the data dictionary, as the offline form needs it ---------------------------------------------

def _example(f: Field) -> str:
    return f.example or f"{(f.minimum if f.minimum and f.minimum > 0 else (f.maximum or 10) / 4):g}"


def _messages(f: Field) -> dict[str, str]:
    """The server's messages for this field (homevisit.domain.validation), so the offline form says the same."""
    noun = f.noun
    capital = noun[:1].upper() + noun[1:]
    out = {"required": required_message(f)}
    if f.kind == BOOL:
        out["invalid"] = f"Select {noun}, or select not observed"
    elif f.kind in (CHOICE, MULTI):
        out["invalid"] = f"Select {noun} from the list"
    elif f.kind in (INT, DECIMAL):
        example = _example(f)
        out["invalid"] = f"Enter {noun} as {'a whole number' if f.kind == INT else 'a number'}, like {example}"
        out["range"] = range_message(f)
        out["places"] = f"Enter {noun} to {f.places} decimal places or fewer"
    elif f.kind == TEXT:
        out["too_long"] = f"{capital} must be {f.max_length} characters or fewer"
    elif f.kind == DATE:
        out["invalid"] = f"Enter {noun} as a real date, like 2026-11-24"
        out["future"] = f"{capital} must be today or in the past"
    elif f.kind == DATETIME:
        out["invalid"] = f"Enter {noun} as a date and time, like 2026-11-26 14:30"
        out["future"] = f"{capital} must be today or in the past"
    return out


def _field(f: Field, widget: dict[str, Any]) -> dict[str, Any]:
    return {"name": f.name, "section": f.section, "question": f.question, "kind": f.kind, "noun": f.noun, "hint": f.hint,
            "unit": f.unit, "choices": [list(c) for c in f.choices], "min": f.minimum, "max": f.maximum,
            "places": f.places, "max_length": f.max_length, "required": f.required, "messages": _messages(f),
            **widget}


def dictionary_document(widget_for: Any, rules: Any) -> dict[str, Any]:
    """Every section and field of a visit with its question, allowed values, widget and messages.

    ``widget_for(field)`` gives the widget the HTML forms use (``forms.fields``), so the offline pages
    ask each question the same way. ``rules`` is the rule set in force: the provisional rules' titles
    and actions come from it, so a partnership's own wording is what the practitioner sees offline.
    """
    by_id = rules.by_id if rules is not None else {}
    provisional = []
    for rule_id in PROVISIONAL_RULES:
        rule = by_id.get(rule_id)
        if rule is not None and rule.enabled:
            provisional.append({"id": rule.id, "title": rule.title, "action": rule.action, "severity": rule.severity})
    return {
        "version": 1,
        "sections": [{"key": s.key, "title": s.title, "description": s.description} for s in SECTIONS],
        "fields": [_field(f, widget_for(f)) for f in VISIT_FIELDS],
        "injury_fields": [_field(f, widget_for(f)) for f in INJURY_FIELDS],
        "carer_fields": [_field(f, widget_for(f)) for f in CARER_FIELDS],
        "provisional_rules": provisional,
        "body_map": bodymap.offline_map(),
        # a visit with no access skips these pages (homevisit.web.views.visits._next); the checks that need it
        "no_access": {"outcomes": sorted(NO_ACCESS), "not_seen": sorted(NO_ACCESS_NOT_SEEN), "skips": list(NO_ACCESS_SKIPS)},
    }
