"""The audit log: append-only, every entry chained to the one before it by SHA-256.

Every view of a child and every change goes in here, attributable to a person. Triggers in the
database refuse UPDATE and DELETE; the hash chain shows any raw edit of the file itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from homevisit.data import audit_log as audit_log_data
from homevisit.data import store
from homevisit.domain.calendar import utc_now

GENESIS = "0" * 64
_FIELDS = ("at", "user_id", "user_role", "team_id", "action", "object_type", "object_id", "child_id", "detail")


def _entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    canonical = json.dumps([prev_hash] + [entry.get(k) for k in _FIELDS], separators=(",", ":"),
                           ensure_ascii=False, sort_keys=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(db: Any, *, action: str, object_type: str, object_id: Any = None, user: dict[str, Any] | None = None,
           child_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append one entry (who, what, which object) to the audit log, chained to the last entry.

    Opens its own write transaction unless one is already open, so the entry commits with the change.
    """
    with store.write(db):
        last = audit_log_data.last_hash(db)
        prev_hash = last["hash"] if last else GENESIS
        entry = {
            "at": utc_now().isoformat(timespec="microseconds"),
            "user_id": user["id"] if user else None,
            "user_role": user["role"] if user else None,
            "team_id": user["team_id"] if user else None,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id) if object_id is not None else None,
            "child_id": child_id,
            "detail": json.dumps(detail or {}, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
        }
        entry["prev_hash"] = prev_hash
        entry["hash"] = _entry_hash(prev_hash, entry)
        audit_log_data.insert(db, entry)


def verify_chain(db: Any) -> dict[str, Any]:
    """Walk the whole chain: ``{"ok": True, "entries": n}`` or the first broken entry's id and why."""
    prev_hash = GENESIS
    count = 0
    for entry in audit_log_data.all_in_order(db):
        count += 1
        if entry["prev_hash"] != prev_hash:
            return {"ok": False, "entries": count, "first_broken_id": entry["id"],
                    "reason": "the entry does not follow the one before it (an entry was removed or reordered)"}
        if _entry_hash(prev_hash, entry) != entry["hash"]:
            return {"ok": False, "entries": count, "first_broken_id": entry["id"],
                    "reason": "the entry's contents were changed after it was written"}
        prev_hash = entry["hash"]
    return {"ok": True, "entries": count, "first_broken_id": None, "reason": ""}


def entries_for_child(db: Any, child_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """Who did what with one child's record, newest first, with the person's name."""
    return audit_log_data.for_child(db, child_id, limit)
