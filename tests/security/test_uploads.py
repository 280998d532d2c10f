"""Plan item 15 through the doors an attacker would use: upload abuse at POST /api/v1/visits/{id}/signature,
the signing page, and the record-check upload (oversize, wrong type renamed, decompression bomb, a path in
the file name). The image checks themselves are unit-tested in tests/unit/test_signatures.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from helpers import drawn_signature_png, full_visit, make_child, parse
from homevisit.data import store
from homevisit.records import signatures


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge image: a 1-pixel IDAT would inflate into gigabytes if decoded blindly."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return signatures.PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 20, 20)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def submitted(signing_app, db, users, token_for):
    child = make_child(db, users["practitioner"])
    body = full_visit(child["id"])
    headers = token_for("practitioner")
    response = signing_app.test_client().put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                                             headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 201
    return signing_app, body["id"], headers


@pytest.mark.parametrize("name, signature, message", [
    ("jpeg renamed as png", "data:image/png;base64," + base64.b64encode(_jpeg()).decode(), signatures.TYPE_MESSAGE),
    ("svg", "data:image/svg+xml;base64," + base64.b64encode(b"<svg onload='alert(1)'/>").decode(),
     signatures.TYPE_MESSAGE),
    ("svg as png", "data:image/png;base64," + base64.b64encode(b"<svg onload='alert(1)'/>").decode(),
     signatures.TYPE_MESSAGE),
    ("html", base64.b64encode(b"<html><script>alert(1)</script></html>").decode(), signatures.TYPE_MESSAGE),
    ("bomb", base64.b64encode(_png_header_only(60_000, 60_000)).decode(), signatures.DIMENSIONS_MESSAGE),
    ("over 512 KB", base64.b64encode(signatures.PNG_MAGIC + os.urandom(600 * 1024)).decode(), signatures.SIZE_MESSAGE),
    ("not base64", "data:image/png;base64,%%%%", signatures.UNREADABLE_MESSAGE),
    ("a path", "../../../../etc/passwd", signatures.UNREADABLE_MESSAGE),
])
def test_signature_upload_abuse_is_refused_with_a_message_and_nothing_signed(submitted, db, name, signature, message):
    app, visit_id, headers = submitted
    started = time.monotonic()
    response = app.test_client().post(f"/api/v1/visits/{visit_id}/signature", headers=headers,
                                      json={"signature_png": signature, "declaration_accepted": True})
    assert time.monotonic() - started < 5, "refused before decoding, not after"
    assert response.status_code == 422, (name, response.status_code)
    assert response.get_json(force=True)["errors"]["signature_png"] == [message]
    assert store.query_one(db, "SELECT status FROM visits WHERE id = ?", (visit_id,))["status"] == "submitted"
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM records")["n"] == 0


def test_a_body_over_the_request_limit_is_refused_before_it_is_read(submitted):
    app, visit_id, headers = submitted
    response = app.test_client().post(f"/api/v1/visits/{visit_id}/signature", data=b"{}",
                                      headers={**headers, "Content-Type": "application/json"},
                                      environ_overrides={"CONTENT_LENGTH": str(app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_the_signing_page_refuses_a_renamed_jpeg_and_keeps_the_declaration(submitted, signed_in):
    app, visit_id, _headers = submitted
    b = signed_in("practitioner")
    response = b.post_form(f"/visits/{visit_id}/sign", {"signature_png": "data:image/png;base64," +
                                                        base64.b64encode(_jpeg()).decode(), "declaration": "yes"})
    assert response.status_code == 422
    assert signatures.TYPE_MESSAGE in parse(response.text).get_text()


def test_a_drawn_signature_is_stored_without_its_metadata(submitted, db):
    """A PNG carrying text chunks (where a phone may put a location) is re-encoded: only pixels survive."""
    from PIL import PngImagePlugin

    app, visit_id, headers = submitted
    image = Image.open(io.BytesIO(drawn_signature_png()))
    info = PngImagePlugin.PngInfo()
    info.add_text("GPSPosition", "51.5007 N, 0.1246 W MARKER-7731")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    assert b"MARKER-7731" in out.getvalue()
    cleaned = signatures.clean_signature_png(out.getvalue())
    assert b"MARKER-7731" not in cleaned and b"tEXt" not in cleaned
    response = app.test_client().post(f"/api/v1/visits/{visit_id}/signature", headers=headers,
                                      json={"signature_png": base64.b64encode(out.getvalue()).decode(),
                                            "declaration_accepted": True})
    assert response.status_code == 201
    pdf = app.test_client().get(f"/api/v1/visits/{visit_id}/record.pdf", headers=headers).data
    assert b"MARKER-7731" not in pdf


@pytest.mark.parametrize("filename", ["../../../../tmp/homevisit-evil.pdf", "/etc/passwd", "..\\..\\evil.pdf",
                                      "record.pdf\x00.exe", "a" * 300 + ".pdf"])
def test_the_record_check_upload_ignores_the_file_name_and_writes_nothing(signing_app, signed_in, filename, tmp_path):
    b = signed_in("supervisor")
    records = Path(signing_app.config["RECORDS_DIR"])
    before = sorted(records.rglob("*")) if records.exists() else []
    for content in (b"%PDF-1.7\n% not really a record\n", b"MZ\x90\x00 not a pdf"):
        page = b.get("/records/check")
        from helpers import csrf_from

        response = b.client.post("/records/check", data={"csrf_token": csrf_from(page.text),
                                                         "record": (io.BytesIO(content), filename)},
                                 content_type="multipart/form-data")
        assert response.status_code in (200, 422), response.status_code
    assert not Path("/tmp/homevisit-evil.pdf").exists()
    assert (sorted(records.rglob("*")) if records.exists() else []) == before


@pytest.mark.parametrize("url", ["/records/check", "/children/new"])
def test_an_upload_declaring_more_than_the_request_limit_is_refused_unread(signing_app, signed_in, url):
    """The record check takes up to 21 MB (a signed PDF), every other form 2 MB; the declared length decides."""
    b = signed_in("supervisor")
    limit = 21 * 1024 * 1024 if url == "/records/check" else signing_app.config["MAX_CONTENT_LENGTH"]
    response = b.client.post(url, data=b"x" * 10, content_type="multipart/form-data; boundary=x",
                             environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413
    assert "What you sent is too large" in response.text
