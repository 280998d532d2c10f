"""Digital signatures on visit records (PAdES, with pyHanko), and checking them.

Each deployment has one signing key and certificate in ``instance/signing/``. A record is signed once when
the practitioner signs the visit; a supervisor's countersignature is a second incremental signature in a
new field, which leaves the first signature and the bytes it covers untouched.

Checking follows pyHanko's own advice (and SECURITY.md): ``valid`` alone says nothing about the document,
so a signature is judged by ``intact`` (the signed bytes hash to what was signed), by how much of the
file it covers, and by what kind of changes were appended after it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asn1crypto import pem as asn1_pem
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext

from homevisit.domain.calendar import utc_now
from homevisit.records.stackroom import with_stack_room

PKCS12_FILE = "signing.p12"
KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"
TRUSTED_DIR = "trusted"
"""Certificates of earlier (rotated) signing keys go in ``<signing dir>/trusted/*.pem``."""

PRIVATE_MODE = 0o600

LOGGER = logging.getLogger(__name__)


def _without_traceback(record: logging.LogRecord) -> bool:
    """pyHanko logs each certificate it cannot trust with the whole exception chain. A check of a record
    from another organisation is an answer, not a crash: keep pyHanko's one-line message, drop the trace."""
    record.exc_info = None
    record.exc_text = None
    return True


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_without_traceback)


def outside_event_loop(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call one of pyHanko's blocking functions, which start their own event loop (asyncio.run).

    Where an event loop is already running in this thread (an async server, a browser-test driver), the
    call runs in a short-lived thread of its own instead of failing.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(with_stack_room(function), *args, **kwargs).result()


class SigningError(Exception):
    """The signing key could not be made or loaded, or a PDF could not be signed."""


@dataclass(frozen=True)
class SigningPaths:
    """Where :func:`init_signing` wrote the deployment's key material."""

    directory: Path
    key: Path
    certificate: Path
    pkcs12: Path


def init_signing(
    directory: Path | str,
    organisation: str,
    *,
    passphrase: str | bytes | None = None,
    valid_days: int = 3650,
    overwrite: bool = False,
) -> SigningPaths:
    """Make a demo signing key (ECDSA P-256) and a self-signed certificate naming the organisation.

    Writes ``signing-key.pem``, ``signing-cert.pem`` and ``signing.p12`` (key and certificate together)
    into ``directory``, each readable by the owner only (mode 0600). The key and the PKCS#12 are
    encrypted when a passphrase is given. Refuses to replace an existing key unless ``overwrite`` is
    true, because records signed with it could then only be checked against the archived certificate.
    A real deployment should use a key and certificate from its organisation's certificate authority.
    """
    directory = Path(directory)
    paths = SigningPaths(directory, directory / KEY_FILE, directory / CERT_FILE, directory / PKCS12_FILE)
    if not overwrite and any(p.exists() for p in (paths.key, paths.certificate, paths.pkcs12)):
        raise SigningError(f"A signing key already exists in {directory}")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = _as_bytes(passphrase)

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} visit records"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        ]
    )
    now = utc_now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    _write_private(
        paths.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    _write_private(paths.certificate, certificate.public_bytes(serialization.Encoding.PEM))
    _write_private(
        paths.pkcs12,
        pkcs12.serialize_key_and_certificates(organisation.encode("utf-8")[:64], key, certificate, None, encryption),
    )
    return paths


def load_signer(directory: Path | str, passphrase: str | bytes | None = None) -> signers.SimpleSigner:
    """Load the deployment's signer from ``signing.p12``, or else from ``signing-key.pem`` + ``signing-cert.pem``.

    Raises :class:`SigningError` if neither is there or the passphrase is wrong.
    """
    directory = Path(directory)
    secret = _as_bytes(passphrase)
    p12 = directory / PKCS12_FILE
    if p12.is_file():
        try:
            return signers.SimpleSigner.load_pkcs12_data(p12.read_bytes(), other_certs=[], passphrase=secret)
        except ValueError as error:
            raise SigningError(f"Could not open {p12}: check the passphrase") from error
    key, cert = directory / KEY_FILE, directory / CERT_FILE
    if key.is_file() and cert.is_file():
        signer = signers.SimpleSigner.load(str(key), str(cert), key_passphrase=secret)
        if signer is None:
            raise SigningError(f"Could not open {key}: check the passphrase")
        return signer
    raise SigningError(f"No signing key in {directory}. Run `flask --app app init-signing` to make a demo key")


def trusted_certificates(directory: Path | str, passphrase: str | bytes | None = None) -> list[asn1_x509.Certificate]:
    """The certificates a record from this deployment may be signed with: today's and any archived ones.

    Reads ``signing-cert.pem`` (or, failing that, the certificate inside ``signing.p12``) and every
    ``trusted/*.pem``, so records signed before a key was replaced still check as trusted.
    """
    directory = Path(directory)
    found: list[asn1_x509.Certificate] = []
    current = directory / CERT_FILE
    if current.is_file():
        found.extend(_certificates_from(current.read_bytes()))
    elif (directory / PKCS12_FILE).is_file():
        try:
            _key, cert, _others = pkcs12.load_key_and_certificates(
                (directory / PKCS12_FILE).read_bytes(), _as_bytes(passphrase)
            )
        except ValueError as error:
            raise SigningError(f"Could not open {directory / PKCS12_FILE}: check the passphrase") from error
        if cert is not None:
            found.extend(_asn1_certificates([cert]))
    for path in sorted((directory / TRUSTED_DIR).glob("*.pem")):
        found.extend(_certificates_from(path.read_bytes()))
    return found


@with_stack_room
def sign_pdf(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    field_name: str,
    name: str,
    reason: str,
    location: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Return ``pdf_bytes`` with a PAdES signature (SHA-256) appended as an incremental update.

    The signature goes in a new invisible field ``field_name``. Calling this again on the result with
    another field name adds a countersignature; the earlier signature still covers exactly the bytes it
    covered before. With a ``timestamper`` (see :class:`HTTPTimestampAuthority`) the signature carries an
    RFC 3161 timestamp token (PAdES B-T), so a third party attests when it was made; if the authority cannot
    be reached, the record is signed without one (logged), because a practitioner must be able to sign.
    """
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=name,
        reason=reason,
        location=location,
    )

    def attempt(stamper: TimeStamper | None) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
        if any(sig.field_name == field_name for sig in writer.prev.embedded_signatures):
            raise SigningError(f"The record already has a signature in the field {field_name!r}")
        space = signature_space(signer, timestamped=stamper is not None)
        try:
            output = outside_event_loop(
                signers.sign_pdf, writer, meta, signer=signer, timestamper=stamper, bytes_reserved=space
            )
        except PyHankoSigningError as error:
            if "larger than expected" not in str(error):
                raise
            # Our allowance was too small for this signer's signature: let pyHanko measure it instead.
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
            output = outside_event_loop(signers.sign_pdf, writer, meta, signer=signer, timestamper=stamper)
        return bytes(output.getvalue())

    try:
        if timestamper is None:
            return attempt(None)
        try:
            return attempt(timestamper)
        except TimestampRequestError as error:
            LOGGER.warning("Signed %s without a trusted timestamp: %s", field_name, error)
            return attempt(None)
    except SigningError:
        raise
    except Exception as error:  # pyHanko raises many types; the caller needs one
        raise SigningError(f"Could not sign the record: {error}") from error


MAX_TIMESTAMP_REPLY_BYTES = 64 * 1024


class HTTPTimestampAuthority(TimeStamper):
    """An RFC 3161 time-stamping authority reached over HTTP(S) with the standard library.

    A deployment names its authority in ``SIGNING_TSA_URL``; each signature then carries the authority's
    signed statement of the time (PAdES B-T). Put the authority's root certificate in the signing folder's
    ``trusted/`` so that checks can say the timestamp is trusted.
    """

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise SigningError(f"The time-stamping authority's address must be an http(s) URL, not {url[:100]!r}")
        super().__init__()
        self.url = url
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return await asyncio.to_thread(self._post, req)

    def _post(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        request = urllib.request.Request(
            self.url,
            data=req.dump(),
            headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                body = response.read(MAX_TIMESTAMP_REPLY_BYTES + 1)
        except (OSError, ValueError) as error:  # refused, timed out, HTTP error status, bad address
            raise TimestampRequestError(f"The time-stamping authority at {self.url} did not answer: {error}") from error
        if kind != "application/timestamp-reply" or len(body) > MAX_TIMESTAMP_REPLY_BYTES:
            raise TimestampRequestError(f"The time-stamping authority at {self.url} did not send a timestamp")
        try:
            return tsp.TimeStampResp.load(body)
        except ValueError as error:
            raise TimestampRequestError(f"The time-stamping authority at {self.url} sent an unreadable answer") from error


SIGNATURE_ALLOWANCE_BYTES = 2560
"""Room in the signature container beyond its certificates: signed attributes (about 300 bytes with the
certificate's issuer and hash), the signature value (72 bytes for P-256, 512 for RSA-4096) and the CMS
wrapping, with a margin."""

TIMESTAMP_ALLOWANCE_BYTES = 8192
"""Room for an RFC 3161 timestamp token: the authority's signed answer and its certificates (commonly 2-6 KB;
a larger one is measured, see :func:`sign_pdf`)."""


def signature_space(signer: signers.Signer, *, timestamped: bool = False) -> int:
    """Hex digits to set aside in the PDF for the signature container (pyHanko's ``bytes_reserved``).

    Left unset, pyHanko builds and signs a throwaway container on every record to measure it: half the
    time it takes to sign. The container holds the signer's certificates plus a bounded remainder, so
    the space is worked out from the certificates instead. Should a deployment's signer still need more,
    :func:`sign_pdf` signs again and lets pyHanko measure.
    """
    certificates = [signer.signing_cert, *(signer.cert_registry or [])]
    der_bytes = sum(len(cert.dump()) for cert in certificates if cert is not None)
    return 2 * (der_bytes + SIGNATURE_ALLOWANCE_BYTES + (TIMESTAMP_ALLOWANCE_BYTES if timestamped else 0))


@with_stack_room
def verify_pdf(pdf_bytes: bytes, trusted_certs: list[Any] | None = None) -> dict[str, Any]:
    """Check every signature in a PDF and say, in plain English, whether the record is as it was signed.

    ``trusted_certs`` are the deployment's certificates (see :func:`trusted_certificates`): asn1crypto or
    cryptography certificates, or PEM/DER bytes. No revocation information is fetched.

    Returns ``{"intact", "signatures": [{"field", "signer", "signed_at", "intact", "valid", "coverage",
    "modification_level", "trusted", "problem", "timestamp"}], "changed_after_signing", "summary"}``, where
    ``timestamp`` is None or ``{"at", "authority", "intact", "trusted"}`` for an RFC 3161 timestamp token.
    ``intact`` is true only if there is at least one signature, every signature's signed bytes (and any
    timestamp in it) are unchanged, and nothing but further signatures was added after the first one.
    Never raises for a bad file.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes))
        embedded = list(reader.embedded_signatures)
        total_revisions = reader.xrefs.total_revisions
    except Exception:  # any parse failure means "not a readable PDF", which is the answer
        return _report(
            False,
            [],
            False,
            "This file could not be read as a PDF. It may be damaged or altered, or it may not be a visit record.",
        )
    if not embedded:
        return _report(
            False,
            [],
            False,
            "This PDF has no digital signature, so it cannot be shown to be the record as it was signed.",
        )
    context = ValidationContext(trust_roots=_asn1_certificates(trusted_certs or []), allow_fetching=False)
    entries = [_check_signature(sig, context) for sig in embedded]

    signed_revisions = {sig.signed_revision for sig in embedded}
    first, last = min(signed_revisions), max(signed_revisions)
    unsigned_later = [rev for rev in range(first + 1, total_revisions) if rev not in signed_revisions]
    latest = entries[[sig.signed_revision for sig in embedded].index(last)]
    changed = bool(unsigned_later) or latest["coverage"] != SignatureCoverageLevel.ENTIRE_FILE.name
    for entry in entries:
        if entry is not latest and (
            entry["coverage"] != SignatureCoverageLevel.ENTIRE_REVISION.name
            or entry["modification_level"] not in _ALLOWED_AFTER_EARLIER_SIGNATURE
        ):
            changed = True
    broken = [e for e in entries if not e["intact"]]
    # A timestamp token sits inside the signature's own container, outside the bytes the signature covers:
    # one that no longer matches means the file was edited after signing, whatever the document shows.
    forged_time = [e for e in entries if e["timestamp"] and not e["timestamp"]["intact"]]
    intact = not broken and not changed and not forged_time

    if broken:
        who = ", ".join(e["signer"] or e["field"] for e in broken)
        summary = (
            f"The record has been altered since it was signed: the signature by {who} no longer "
            "matches the document. Do not rely on this copy; get the record from the system."
        )
    elif forged_time:
        who = ", ".join(e["signer"] or e["field"] for e in forged_time)
        summary = (
            f"This file was altered after it was signed: the timestamp inside the signature by {who} no "
            "longer matches it. Do not rely on this copy; get the record from the system."
        )
    elif changed:
        summary = (
            "The record was changed after it was signed: content was added or altered after the "
            "signature. The signed version is inside this file, but what you see may differ from it. "
            "Get the record from the system."
        )
    else:
        names = " and ".join(f"{e['signer']} ({e['field']})" for e in entries)
        summary = f"The record is exactly as it was signed by {names}; nothing has been changed since."
        untrusted = [e for e in entries if not e["trusted"]]
        if untrusted:
            summary += " The signing certificate is not one this service trusts, so this does not show who signed it."
        summary += _timestamp_words(entries)
    return _report(intact, entries, changed, summary)


_ALLOWED_AFTER_EARLIER_SIGNATURE = {
    level.name for level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
}


def _check_signature(sig: EmbeddedPdfSignature, context: ValidationContext) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "field": sig.field_name,
        "signer": None,
        "signed_at": None,
        "intact": False,
        "valid": False,
        "coverage": None,
        "modification_level": None,
        "trusted": False,
        "problem": None,
        "timestamp": None,
    }
    try:
        entry["signer"] = _common_name(sig.signer_cert)
        if sig.sig_object_type == "/DocTimeStamp":
            status: Any = validate_pdf_timestamp(sig, validation_context=context)
            signed_at = status.timestamp
        else:
            status = outside_event_loop(
                validate_pdf_signature, sig, signer_validation_context=context, ts_validation_context=context
            )
            signed_at = status.signer_reported_dt
            stamp = status.timestamp_validity
            if stamp is not None:
                entry["timestamp"] = {
                    "at": stamp.timestamp.isoformat(),
                    "authority": _common_name(stamp.signing_cert),
                    "intact": bool(stamp.intact and stamp.valid),
                    "trusted": bool(stamp.trusted),
                }
    except Exception as error:  # a signature that cannot be checked is reported, not raised
        entry["problem"] = f"The signature could not be checked: {error}"
        return entry
    level = status.modification_level
    entry.update(
        signed_at=signed_at.isoformat() if signed_at else None,
        # pyHanko's ``valid`` is about the signature bytes alone; ``intact`` is whether the document matches.
        intact=bool(status.intact and status.valid),
        valid=bool(status.valid),
        coverage=status.coverage.name if status.coverage is not None else None,
        modification_level=level.name if level is not None else None,
        trusted=bool(status.trusted),
    )
    if not status.intact:
        entry["problem"] = "The signed part of the file has been changed."
    elif not status.valid:
        entry["problem"] = "The signature itself is not valid."
    elif not status.trusted:
        entry["problem"] = "The signing certificate is not trusted by this service."
    elif entry["timestamp"] and not entry["timestamp"]["intact"]:
        entry["problem"] = "The timestamp in the signature does not match it: do not rely on its time."
    return entry


def _timestamp_words(entries: list[dict[str, Any]]) -> str:
    """What the signatures' timestamps show, for the summary (nothing for signatures without one)."""
    words = ""
    for entry in entries:
        stamp = entry["timestamp"]
        if stamp is None:
            continue
        if not stamp["intact"]:
            words += f" The timestamp in the signature by {entry['signer']} does not match it: do not rely on its time."
        elif stamp["trusted"]:
            at = datetime.fromisoformat(stamp["at"]).astimezone(UTC)
            words += (f" {stamp['authority']}, a time-stamping authority this service trusts, attests that "
                      f"{entry['signer']} signed no later than {at:%-d %B %Y at %H:%M:%S} UTC.")
        else:
            words += (f" The signature by {entry['signer']} carries a timestamp from {stamp['authority']}, which this "
                      "service does not trust, so its time is only that authority's word.")
    return words


def _report(intact: bool, signatures: list[dict[str, Any]], changed: bool, summary: str) -> dict[str, Any]:
    return {"intact": intact, "signatures": signatures, "changed_after_signing": changed, "summary": summary}


def _common_name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)


def _asn1_certificates(items: list[Any]) -> list[asn1_x509.Certificate]:
    certs: list[asn1_x509.Certificate] = []
    for item in items:
        if isinstance(item, asn1_x509.Certificate):
            certs.append(item)
        elif isinstance(item, x509.Certificate):
            certs.append(asn1_x509.Certificate.load(item.public_bytes(serialization.Encoding.DER)))
        elif isinstance(item, (bytes, bytearray)):
            certs.extend(_certificates_from(bytes(item)))
        elif isinstance(item, (str, Path)):
            certs.extend(_certificates_from(Path(item).read_bytes()))
        else:
            raise TypeError(f"Not a certificate: {type(item).__name__}")
    return certs


def _certificates_from(data: bytes) -> list[asn1_x509.Certificate]:
    if asn1_pem.detect(data):
        return [
            asn1_x509.Certificate.load(der)
            for kind, _headers, der in asn1_pem.unarmor(data, multiple=True)
            if kind == "CERTIFICATE"
        ]
    return [asn1_x509.Certificate.load(data)]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, PRIVATE_MODE)  # O_CREAT's mode is ignored if the file already existed


def _as_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None or passphrase == b"" or passphrase == "":
        return None
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
