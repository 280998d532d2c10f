"""Signing a visit: the drawn signature, the signed PDF record stored once, countersignature, checking.

The record is rendered from the same data as "Check your answers" (homevisit.domain.answers) and signed with the
organisation's key (PAdES). The signed bytes are stored once with their SHA-256 in the database; printing
again serves the stored file, never a re-render. A signed visit cannot be edited: a correction is an
addendum, a new visit that references it and is signed itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from homevisit.data import children as children_data
from homevisit.data import records as records_data
from homevisit.data import referrals as referrals_data
from homevisit.data import store
from homevisit.data import visits as visits_data
from homevisit.domain import answers, growth
from homevisit.domain.calendar import utc_now
from homevisit.domain.dictionary import FIELDS_BY_NAME, VISITOR_ROLES
from homevisit.domain.presentation import age_words, datetime_words, severity_words
from homevisit.records import records, signatures, signing
from homevisit.services import actions as actions_mod
from homevisit.services import audit
from homevisit.services import visits as visits_mod

DECLARATION = ("I declare that this record is a true and accurate account of what I saw and heard on this visit, "
               "made at the time or as soon as possible afterwards.")
MARKING = "OFFICIAL-SENSITIVE"
ROLE_WORDS = dict(VISITOR_ROLES)
STATUS_WORDS = {"open": "To do", "done": "Done", "not_done": "Not done"}
OWNER_WORDS = {"visitor": "The visiting practitioner", "supervisor": "The supervisor"}
COUNTERSIGN_FIELD = "Supervisor"


class SignError(Exception):
    """The visit cannot be signed as asked; ``field`` and ``message`` say what to do."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def build_record(db: Any, visit: dict[str, Any], child: dict[str, Any], *, organisation: str, service_name: str,
                 signer: dict[str, Any], signed_at: datetime, signature_png: bytes) -> dict[str, Any]:
    """The record dict the PDF template renders: the checked answers, growth, actions and the signature."""
    series = growth.stored_series(child, visits_mod.measurements_for(db, child["id"]))
    point = next((p for p in series if p["visit_id"] == visit["id"]), None)
    growth_block = None
    if point is not None:
        growth_block = {"weight_kg": point["weight_kg"], "sds": point["sds"], "centile": point["centile"],
                        "words": point["centile_band_words"],
                        "centile_spaces_fallen_since_birth": point["centile_spaces_fallen_since_birth"],
                        "chart_svg": growth.weight_chart_svg(child, [p for p in series
                                                                     if p["measured_on"] <= point["measured_on"]],
                                                             drawn_title=False)}
    action_rows = []
    for a in actions_mod.actions_for_visit(db, visit["id"]):
        action_rows.append({
            "rule_id": a["rule_id"], "title": a["title"], "action": a["action"], "source": a["source"],
            "severity_words": severity_words(a["severity"], a["deadline"]), "due_words": datetime_words(a["due_at"]),
            "owner_words": OWNER_WORDS.get(a["owner"], a["owner"]), "status_words": STATUS_WORDS.get(a["status"], a["status"]),
        })
    payload = visits_mod.visit_payload(db, visit["id"], signer)
    return {
        "organisation": organisation, "service_name": service_name, "record_id": visit["id"], "marking": MARKING,
        "child": {"given_name": child["given_name"], "family_name": child["family_name"],
                  "date_of_birth": child["date_of_birth"], "sex": child["sex"], "nhs_number": child.get("nhs_number"),
                  "age_words": age_words(child["date_of_birth"], date.fromisoformat(str(visit["visited_at"])[:10]))},
        "visit": {"visited_at_words": datetime_words(visit["visited_at"]), "visitor_name": visit["visitor_name"],
                  "visitor_role_words": ROLE_WORDS.get(visit.get("visitor_role") or "", "Not recorded")},
        "sections": answers.answer_sections(visit),
        "growth": growth_block,
        "actions": action_rows,
        "signature": {"png": signature_png, "name": signer["name"],
                      "role_words": ROLE_WORDS.get(signer.get("visitor_role") or "", signer["role"].capitalize()),
                      "signed_at_words": datetime_words(signed_at), "declaration": DECLARATION},
        "addendum_of": visit.get("addendum_of"),
        "visit_json": json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode("utf-8"),
    }


def _write_once(directory: str, name: str, data: bytes) -> Path:
    os.makedirs(directory, mode=0o700, exist_ok=True)
    target = Path(directory) / name
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


@dataclass
class _Prepared:
    """A visit checked and ready to sign: the record to render, and what storing it needs."""

    visit: dict[str, Any]
    user: dict[str, Any]
    record: dict[str, Any]
    png: bytes
    signed_at: datetime


def sign_visit(db: Any, visit_id: str, user: dict[str, Any], signature_data: Any, declaration_accepted: Any, *,
               config: dict[str, Any], static_dir: str) -> dict[str, Any]:
    """Sign a submitted visit as its visitor: check the drawn signature, render and sign the record, store it once.

    Returns ``{"record_sha256", "signed_at", "replayed"}``. Raises SignError with a message that says what to do.
    """
    prepared = _prepare(db, visit_id, user, signature_data, declaration_accepted, config)
    if not isinstance(prepared, _Prepared):
        return prepared
    pdf = records.render_signed_record(prepared.record, static_dir, load_signer(config), load_timestamper(config))
    return _store_signed(db, prepared, pdf, config)


def sign_visits(db: Any, requests: list[tuple[str, dict[str, Any], bytes]], *, config: dict[str, Any],
                static_dir: str, progress: records.ProgressCallback | None = None) -> dict[str, dict[str, Any]]:
    """Sign several submitted visits, each as its visitor with their drawn signature: ``(visit_id, user, png)``.

    Each visit is checked as :func:`sign_visit` checks it (a SignError names the first that cannot be signed,
    before anything is rendered); the records are rendered and signed in parallel on all cores, and each is
    stored as soon as it is ready. Returns each visit's ``{"record_sha256", "signed_at", "replayed"}`` by id.
    It starts worker processes, so it is for commands (the demo's seeding), not for a web request.
    """
    results: dict[str, dict[str, Any]] = {}
    pending: dict[str, _Prepared] = {}
    for visit_id, user, png in requests:
        prepared = _prepare(db, visit_id, user, png, True, config)
        if isinstance(prepared, _Prepared):
            pending[visit_id] = prepared
        else:
            results[visit_id] = prepared
    if pending:
        batch = records.render_batch([p.record for p in pending.values()], static_dir, load_signer(config),
                                     progress=progress, timestamper=load_timestamper(config))
        for record_id, pdf in batch:
            results[record_id] = _store_signed(db, pending[record_id], pdf, config)
    return results


def _prepare(db: Any, visit_id: str, user: dict[str, Any], signature_data: Any, declaration_accepted: Any,
             config: dict[str, Any]) -> _Prepared | dict[str, Any]:
    """Check that ``user`` may sign the visit now and build its record; a visit they signed already is a replay."""
    try:
        visit = visits_mod.load_visit(db, visit_id, user)
    except visits_mod.NotFound:
        raise SignError("visit", "No visit with this id on your team's caseload", 404) from None
    if visit["status"] == "signed":
        if visit["signed_by"] == user["id"]:
            return {"record_sha256": visit["record_sha256"], "signed_at": visit["signed_at"], "replayed": True}
        raise SignError("visit", "This visit is already signed", 409)
    if visit["visitor_id"] != user["id"]:
        raise SignError("visit", "Only the practitioner who recorded the visit can sign it", 403)
    if visit["status"] != "submitted":
        raise SignError("visit", "Submit the visit before you sign it", 409)
    if declaration_accepted is not True:
        raise SignError("declaration_accepted", "Confirm the declaration to sign the record")
    try:
        png = signatures.clean_signature_png(signature_data)
    except signatures.SignatureImageError as error:
        raise SignError("signature_png", error.message) from None
    child = children_data.by_id(db, visit["child_id"])
    assert child is not None
    signed_at = utc_now()
    record = build_record(db, visit, child, organisation=config["ORGANISATION_NAME"],
                          service_name=config["SERVICE_NAME"], signer=user, signed_at=signed_at, signature_png=png)
    return _Prepared(visit=visit, user=user, record=record, png=png, signed_at=signed_at)


def _store_signed(db: Any, prepared: _Prepared, pdf: bytes, config: dict[str, Any]) -> dict[str, Any]:
    """Store the signed record once and mark the visit signed, unless someone signed it meanwhile."""
    visit, user, signed_at = prepared.visit, prepared.user, prepared.signed_at
    visit_id = visit["id"]
    digest = hashlib.sha256(pdf).hexdigest()
    filename = f"{visit_id}.pdf"
    with store.write(db):
        current = visits_data.sign_state(db, visit_id)
        if current is None or current["status"] == "signed":
            if current is not None and current["signed_by"] == user["id"]:
                return {"record_sha256": current["record_sha256"], "signed_at": None, "replayed": True}
            raise SignError("visit", "This visit is already signed", 409)
        _write_once(config["RECORDS_DIR"], filename, pdf)
        records_data.insert(db, {"visit_id": visit_id, "kind": "signed", "filename": filename, "sha256": digest,
                                 "size_bytes": len(pdf), "signed_by": user["id"],
                                 "created_at": signed_at.isoformat(timespec="seconds")})
        visits_data.update(db, visit_id, {"status": "signed", "signed_at": signed_at.isoformat(timespec="seconds"),
                                          "signed_by": user["id"], "record_sha256": digest,
                                          "updated_at": signed_at.isoformat(timespec="seconds")})
        audit.record(db, action="sign", object_type="visit", object_id=visit_id, child_id=visit["child_id"], user=user,
                     detail={"record_sha256": digest,
                             "signature_png_sha256": hashlib.sha256(prepared.png).hexdigest()})
    return {"record_sha256": digest, "signed_at": signed_at.isoformat(timespec="seconds"), "replayed": False}


def countersign_visit(db: Any, visit_id: str, supervisor: dict[str, Any], *, config: dict[str, Any]) -> dict[str, Any]:
    """A supervisor's countersignature: a second, incremental signature over the stored record."""
    if supervisor["role"] not in ("supervisor", "admin"):
        raise SignError("visit", "Only a supervisor can countersign a visit record", 403)
    row = visits_data.signed_with_record_in_team(db, visit_id, supervisor["team_id"])
    if row is None:
        raise SignError("visit", "Only a signed visit record can be countersigned", 409)
    if row["visitor_id"] == supervisor["id"]:
        raise SignError("visit", "Another supervisor must countersign a record you signed yourself", 409)
    if records_data.countersigned_id(db, visit_id):
        raise SignError("visit", "This record is already countersigned", 409)
    signed = read_record_file(config, row["filename"], row["sha256"])
    now = utc_now()
    pdf = signing.sign_pdf(signed, load_signer(config), field_name=COUNTERSIGN_FIELD, name=supervisor["name"],
                           reason=f"Countersigned by {supervisor['name']}, supervisor", location=config["ORGANISATION_NAME"],
                           timestamper=load_timestamper(config))
    digest = hashlib.sha256(pdf).hexdigest()
    filename = f"{visit_id}-countersigned.pdf"
    with store.write(db):
        _write_once(config["RECORDS_DIR"], filename, pdf)
        records_data.insert(db, {"visit_id": visit_id, "kind": "countersigned", "filename": filename,
                                 "sha256": digest, "size_bytes": len(pdf), "signed_by": supervisor["id"],
                                 "created_at": now.isoformat(timespec="seconds")})
        visits_data.update(db, visit_id, {"reviewed_by": supervisor["id"],
                                          "reviewed_at": now.isoformat(timespec="seconds")})
        audit.record(db, action="countersign", object_type="visit", object_id=visit_id, child_id=row["child_id"],
                     user=supervisor, detail={"record_sha256": digest})
    return {"record_sha256": digest}


def read_record_file(config: dict[str, Any], filename: str, sha256: str) -> bytes:
    """The stored signed bytes, checked against the SHA-256 kept in the database."""
    data = (Path(config["RECORDS_DIR"]) / filename).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SignError("record", "The stored record file does not match its fingerprint: tell your administrator", 500)
    return data


def stored_record(db: Any, visit_id: str, user: dict[str, Any], config: dict[str, Any]) -> tuple[bytes, str] | None:
    """The latest stored record of a visit of the user's team (countersigned if it is), or None."""
    row = records_data.latest_in_team(db, visit_id, user["team_id"])
    if row is None:
        return None
    data = read_record_file(config, row["filename"], row["sha256"])
    audit.record(db, action="download_record", object_type="visit", object_id=visit_id, child_id=row["child_id"],
                 user=user, detail={"sha256": row["sha256"]})
    return data, row["sha256"]


RESTORE_ADVICE = "restore it from a backup and report it as an information security incident"

SIGNATURE_WORDS = {records.SIGNATURE_FIELD: "the visitor's signature", COUNTERSIGN_FIELD: "the supervisor's countersignature",
                   records.REFERRAL_SIGNATURE_FIELD: "the referrer's signature"}
"""A record's signature fields, in words."""


def _trusted_certificates(config: dict[str, Any]) -> list[Any]:
    """The certificates a check of a record trusts: the organisation's, earlier ones and any authority's roots."""
    return signing.trusted_certificates(config["SIGNING_DIR"]) if os.path.isdir(config["SIGNING_DIR"]) else []


def check_stored_records(db: Any, config: dict[str, Any], since: str | None = None) -> Iterator[dict[str, Any]]:
    """Check every stored signed file (those stored on or after ``since``, an ISO date, if given): the visit
    records, oldest first, then the signed referral packs.

    Yields one finding per file: ``where`` (which file, in words), ``visit_id`` or ``referral_id``, ``kind``
    (signed, countersigned or referral pack), ``child``, ``stored_at``, ``problem`` (None, or what is wrong:
    the file is missing, does not match the SHA-256 kept for it, or its signatures are not intact) and
    ``untimed`` (the fields of intact signatures whose time no trusted time-stamping authority attests: their
    time is the signing server's clock). Reads only; changes nothing.
    """
    trusted = _trusted_certificates(config)
    rows = records_data.stored_since_with_child(db, since or "")
    for row in rows:
        child = f"{row['given_name']} {row['family_name']}"
        finding = {"visit_id": row["visit_id"], "kind": row["kind"], "stored_at": row["created_at"], "child": child,
                   "where": f"visit {row['visit_id']} ({row['kind']} record, {child}, stored {row['created_at']})"}
        yield _check_stored_file(config, row["filename"], row["sha256"], trusted, finding)
    packs = referrals_data.signed_packs_since(db, since or "")
    for row in packs:
        child = f"{row['given_name']} {row['family_name']}"
        finding = {"referral_id": row["id"], "kind": "referral pack", "stored_at": row["pack_signed_at"],
                   "child": child,
                   "where": f"referral {row['id']} (signed referral pack, {child}, stored {row['pack_signed_at']})"}
        yield _check_stored_file(config, row["pack_filename"], row["pack_sha256"], trusted, finding)


def _check_stored_file(config: dict[str, Any], filename: str, sha256: str, trusted: list[Any],
                       finding: dict[str, Any]) -> dict[str, Any]:
    finding = dict(finding, problem=None, untimed=[])
    try:
        data = read_record_file(config, filename, sha256)
    except OSError as error:
        finding["problem"] = f"the stored file {filename} cannot be read ({error.strerror or error}): {RESTORE_ADVICE}"
        return finding
    except SignError:
        finding["problem"] = f"the stored file {filename} does not match the SHA-256 kept for it: {RESTORE_ADVICE}"
        return finding
    report = signing.verify_pdf(data, trusted)
    if not report["intact"]:
        finding["problem"] = (f"the stored file {filename} fails its signature check "
                              f"({report['summary'].split(':')[0].rstrip('.')}): {RESTORE_ADVICE}")
    else:
        finding["untimed"] = [s["field"] for s in report["signatures"]
                              if not (s.get("timestamp") and s["timestamp"]["intact"] and s["timestamp"]["trusted"])]
    return finding


BUNDLE_KEY = "/HomeVisitBundle"
"""Set in the document information of a printed bundle (homevisit.services.printing) to the bundle's id, so that a
check of the bundle can say what it is."""


def verify_record(db: Any, pdf: bytes, *, config: dict[str, Any]) -> dict[str, Any]:
    """Is this PDF intact, who signed it and when, does it match a stored copy, anything changed after signing?"""
    report = signing.verify_pdf(pdf, _trusted_certificates(config))
    digest = hashlib.sha256(pdf).hexdigest()
    match = records_data.by_sha256(db, digest)
    if match is None:  # a signed referral pack (homevisit.services.referral_records)
        pack = referrals_data.pack_by_sha256(db, digest)
        if pack is not None:
            match = {"visit_id": None, "referral_id": pack["id"], "kind": "referral_pack",
                     "created_at": pack["pack_signed_at"]}
    report["sha256"] = digest
    report["matches_stored_copy"] = match is not None
    report["stored"] = match
    report["bundle_id"] = None if report["signatures"] else _bundle_id(pdf)
    if report["bundle_id"]:
        report["summary"] = (
            f"This is a printed bundle of visit records (bundle {report['bundle_id']}), not a signed record: its "
            "pages are copies for reading and printing. To show that a record has not changed, check its signed "
            "file: print the records again as a zip of the signed files, or download the record from its visit.")
    return report


def _bundle_id(pdf: bytes) -> str | None:
    """The id in a printed bundle's document information (see printing), or None for any other PDF."""
    from pypdf import PdfReader

    try:
        metadata = PdfReader(io.BytesIO(pdf)).metadata
        value = metadata.get(BUNDLE_KEY) if metadata is not None else None
    except Exception:  # noqa: BLE001 - an unreadable file is simply not a bundle; verify_pdf has said so
        return None
    return str(value)[:100] if value else None


def load_signer(config: dict[str, Any]) -> Any:
    """The organisation's signer from the instance folder (made by ``flask --app app init-signing`` for a demo)."""
    directory = config["SIGNING_DIR"]
    if not os.path.isdir(directory):
        raise SignError("signing", "No signing key is set up: an administrator must run "
                                   "'flask --app app init-signing' or install the organisation's PKCS#12", 503)
    return _cached_signer(directory, config.get("SIGNING_PASSPHRASE"))


_signers: dict[tuple[str, Any, float], Any] = {}
_timestampers: dict[tuple[str, float], signing.HTTPTimestampAuthority] = {}


def load_timestamper(config: dict[str, Any]) -> signing.HTTPTimestampAuthority | None:
    """The deployment's time-stamping authority (``SIGNING_TSA_URL``), or None where none is set up."""
    url = config.get("SIGNING_TSA_URL")
    if not url:
        return None
    key = (str(url), float(config.get("SIGNING_TSA_TIMEOUT") or 5))
    if key not in _timestampers:  # one per address, so pyHanko's cache of the authority's certificates is kept
        _timestampers.clear()
        _timestampers[key] = signing.HTTPTimestampAuthority(*key)
    return _timestampers[key]


def _cached_signer(directory: str, passphrase: Any) -> Any:
    marker = max((p.stat().st_mtime for p in Path(directory).iterdir()), default=0.0)
    key = (directory, passphrase, marker)
    if key not in _signers:
        _signers.clear()
        _signers[key] = signing.load_signer(directory, passphrase)
    return _signers[key]


def start_addendum(db: Any, visit_id: str, user: dict[str, Any]) -> str:
    """A new draft that corrects or adds to a signed visit: it starts from the signed answers and names it."""
    original = visits_mod.load_visit(db, visit_id, user)
    if original["status"] != "signed":
        raise SignError("visit", "Only a signed visit needs an addendum: change the draft instead", 409)
    child = children_data.by_id(db, original["child_id"])
    assert child is not None
    new_id = visits_mod.start_draft(db, child, user)
    copy = {f: original.get(f) for f in FIELDS_BY_NAME}
    copy.update({"visited_at": original["visited_at"], "visitor_role": user.get("visitor_role") or original["visitor_role"]})
    with store.write(db):
        visits_data.update(db, new_id, {**copy, "addendum_of": visit_id})
        for table, insert in (("injuries", visits_data.insert_injury), ("carers_present", visits_data.insert_carer_present)):
            for row in original[table]:
                insert(db, {k: v for k, v in row.items() if k != "id"} | {"visit_id": new_id})
        audit.record(db, action="start_addendum", object_type="visit", object_id=new_id, child_id=original["child_id"],
                     user=user, detail={"addendum_of": visit_id})
    return new_id
