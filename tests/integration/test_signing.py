"""Signing a visit: the drawn signature, the stored signed record, countersignature, verification, addenda."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from helpers import csrf_from, drawn_signature_png, full_visit, make_child, parse, submit_and_sign
from homevisit.data import store
from homevisit.records import signing
from homevisit.services import visit_records


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"], given_name="Isla", family_name="Marsh")


def put(client, headers, body):
    return client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                      headers={**headers, "Content-Type": "application/json"})


def signed_visit(app, token_for, child, **overrides):
    headers = token_for()
    body = full_visit(child["id"], observed_verbatim="Isla was in a clean cot; mother warm and attentive.", **overrides)
    return body, submit_and_sign(app.test_client(), headers, body), headers


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_sign_through_the_api_stores_the_record_once(signing_app, db, child, token_for):
    app = signing_app
    body, signed, headers = signed_visit(app, token_for, child, restraint_observed=True)
    row = store.query_one(db, "SELECT status, record_sha256, signed_by FROM visits WHERE id = ?", (body["id"],))
    assert row["status"] == "signed" and row["record_sha256"] == signed["record_sha256"]
    client = app.test_client()
    pdf = client.get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == signed["record_sha256"]
    again = client.get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers)
    assert again.data == pdf.data  # served from the store, never re-rendered
    text = pdftotext(pdf.data)
    assert "Isla Marsh" in text and "mother warm and attentive" in text and "OFFICIAL-SENSITIVE" in text
    for action in store.query(db, "SELECT DISTINCT a.title FROM rule_hits h JOIN actions a ON a.id = h.action_id "
                                  "WHERE h.visit_id = ?", (body["id"],)):
        assert " ".join(action["title"].split()[:3]) in " ".join(text.split())
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM records")["n"] == 1


def test_a_replayed_signature_is_harmless_and_a_signed_visit_refuses_change(signing_app, db, child, token_for):
    app = signing_app
    body, signed, headers = signed_visit(app, token_for, child)
    client = app.test_client()
    png = base64.b64encode(drawn_signature_png()).decode()
    replay = client.post(f"/api/v1/visits/{body['id']}/signature", headers=headers,
                         json={"signature_png": png, "declaration_accepted": True})
    assert replay.status_code == 200 and replay.get_json()["record_sha256"] == signed["record_sha256"]
    assert put(client, headers, body).status_code == 200  # identical replay of a signed visit
    changed = put(client, headers, {**body, "weight_kg": 8.5})
    assert changed.status_code == 409 and "signed" in changed.get_json(force=True)["detail"]
    assert store.query_one(db, "SELECT weight_kg FROM visits WHERE id = ?", (body["id"],))["weight_kg"] == 8.9


def test_the_signed_visit_refuses_edits_in_the_forms(signing_app, db, child, token_for, signed_in):
    body, _signed, _headers = signed_visit(signing_app, token_for, child)
    b = signed_in("practitioner")
    response = b.get(f"/visits/{body['id']}/section/sleep")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/visits/{body['id']}")


@pytest.mark.parametrize("signature, declaration, field, message", [
    ("", True, "signature_png", "Draw your signature"),
    ("data:image/png;base64,PHN2Zz48L3N2Zz4=", True, "signature_png", "PNG"),
    (None, False, "declaration_accepted", "Confirm the declaration to sign the record"),
])
def test_signing_needs_a_drawn_signature_and_the_declaration(signing_app, child, token_for, signature, declaration,
                                                              field, message):
    headers = token_for()
    client = signing_app.test_client()
    body = full_visit(child["id"])
    put(client, headers, body)
    if signature is None:
        signature = base64.b64encode(drawn_signature_png()).decode()
    response = client.post(f"/api/v1/visits/{body['id']}/signature", headers=headers,
                           json={"signature_png": signature, "declaration_accepted": declaration})
    assert response.status_code == 422
    assert message in response.get_json(force=True)["errors"][field][0]


def test_only_the_visitor_signs_and_other_teams_get_404(signing_app, child, token_for):
    headers = token_for()
    client = signing_app.test_client()
    body = full_visit(child["id"])
    put(client, headers, body)
    png = base64.b64encode(drawn_signature_png()).decode()
    for role in ("practitioner2", "other"):
        response = client.post(f"/api/v1/visits/{body['id']}/signature", headers=token_for(role),
                               json={"signature_png": png, "declaration_accepted": True})
        assert response.status_code == 404
    assert client.get(f"/api/v1/visits/{body['id']}/record.pdf", headers=token_for("other")).status_code == 404


def test_several_visits_are_signed_in_parallel_each_as_its_visitor(signing_app, db, users, child, token_for):
    # What seeds the demo's signed records: visits of two practitioners signed in one batch, each record
    # rendered in a worker process, stored once and signed as its own visitor.
    client = signing_app.test_client()
    visits = []
    for role, day in (("practitioner", "2026-09-01"), ("practitioner2", "2026-10-01"), ("practitioner", "2026-11-01")):
        body = full_visit(child["id"], visited_at=f"{day}T10:00:00+00:00", observed_verbatim=f"Seen on {day}.")
        assert put(client, token_for(role), body).status_code in (200, 201)
        visits.append((body["id"], users[role], day))
    progress = []
    results = visit_records.sign_visits(
        db, [(visit_id, user, drawn_signature_png()) for visit_id, user, _ in visits], config=signing_app.config,
        static_dir=signing_app.static_folder, progress=lambda done, total, _id: progress.append((done, total)))
    assert progress == [(1, 3), (2, 3), (3, 3)]
    trusted = signing.trusted_certificates(signing_app.config["SIGNING_DIR"])
    for visit_id, user, day in visits:
        row = store.query_one(db, "SELECT status, signed_by, record_sha256 FROM visits WHERE id = ?", (visit_id,))
        assert row["status"] == "signed" and row["signed_by"] == user["id"]
        assert row["record_sha256"] == results[visit_id]["record_sha256"] and not results[visit_id]["replayed"]
        stored = store.query_one(db, "SELECT filename, sha256 FROM records WHERE visit_id = ?", (visit_id,))
        pdf = visit_records.read_record_file(signing_app.config, stored["filename"], stored["sha256"])
        assert signing.verify_pdf(pdf, trusted)["intact"]
        text = " ".join(pdftotext(pdf).split())
        assert f"Seen on {day}." in text and user["name"] in text
    again = visit_records.sign_visits(db, [(visit_id, user, drawn_signature_png()) for visit_id, user, _ in visits],
                                      config=signing_app.config, static_dir=signing_app.static_folder)
    assert all(result["replayed"] for result in again.values())
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM records")["n"] == 3


def test_a_batch_with_a_visit_its_signer_may_not_sign_signs_none(signing_app, db, users, child, token_for):
    client = signing_app.test_client()
    mine, theirs = full_visit(child["id"]), full_visit(child["id"], visited_at="2026-10-01T10:00:00+00:00")
    put(client, token_for("practitioner"), mine)
    put(client, token_for("practitioner2"), theirs)
    me = users["practitioner"]
    with pytest.raises(visit_records.SignError) as refused:
        visit_records.sign_visits(db, [(mine["id"], me, drawn_signature_png()), (theirs["id"], me, drawn_signature_png())],
                                  config=signing_app.config, static_dir=signing_app.static_folder)
    assert refused.value.status == 403 and "Only the practitioner who recorded the visit" in refused.value.message
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM records")["n"] == 0
    assert store.query_one(db, "SELECT COUNT(*) AS n FROM visits WHERE status = 'signed'")["n"] == 0


def test_sign_in_the_browser_form(signing_app, db, child, token_for, signed_in):
    headers = token_for()
    body = full_visit(child["id"])
    put(signing_app.test_client(), headers, body)
    b = signed_in("practitioner")
    page = b.get(f"/visits/{body['id']}/sign")
    assert page.status_code == 200
    missing = b.client.post(f"/visits/{body['id']}/sign", data={"csrf_token": csrf_from(page.text), "signature_png": ""})
    assert missing.status_code == 422
    summary = parse(missing.text).select_one(".govuk-error-summary").get_text()
    assert "Draw your signature" in summary or "Confirm the declaration" in summary
    png = "data:image/png;base64," + base64.b64encode(drawn_signature_png()).decode()
    done = b.client.post(f"/visits/{body['id']}/sign", data={"csrf_token": csrf_from(page.text), "signature_png": png,
                                                             "declaration": "yes"})
    assert done.status_code == 302
    visit_page = parse(b.get(f"/visits/{body['id']}").text)
    assert visit_page.find("a", string="Download the signed record (PDF)") is not None


def test_verify_record_reports_intact_then_altered(signing_app, db, child, token_for, tmp_path):
    app = signing_app
    body, signed, headers = signed_visit(app, token_for, child)
    pdf = app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    good = tmp_path / "record.pdf"
    good.write_bytes(pdf)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-record", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("INTACT") and "matches our stored copy: yes" in result.output
    # one byte flipped inside the signed range (the page content, well before the signature)
    tampered = bytearray(pdf)
    index = pdf.index(b"stream") + 40
    tampered[index] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    result = runner.invoke(args=["verify-record", str(bad)])
    assert result.exit_code == 1 and "NOT INTACT" in result.output
    assert "matches our stored copy: no" in result.output


def test_with_a_time_stamping_authority_set_up_signatures_carry_its_trusted_time(
        signing_app, db, users, child, token_for, signed_in, tmp_path, tsa):
    app = signing_app
    app.config["SIGNING_TSA_URL"] = tsa.url
    trusted_dir = Path(app.config["SIGNING_DIR"]) / "trusted"  # where the authority's root certificate goes
    trusted_dir.mkdir(exist_ok=True)
    (trusted_dir / "tsa.pem").write_bytes(tsa.certificate_pem)
    body, _signed, headers = signed_visit(app, token_for, child)
    sup = signed_in("supervisor")
    countersigned = sup.post_form(f"/visits/{body['id']}/countersign", {}, page_url=f"/visits/{body['id']}")
    assert countersigned.status_code in (302, 303), countersigned.text[:300]
    pdf = app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["verify-record", str(path)])
    assert result.exit_code == 0, result.output
    stamps = re.findall(r"timestamp: Test Time-Stamping Authority, (\S+), intact, trusted", result.output)
    assert len(stamps) == 2, result.output  # the visitor's signature and the supervisor's countersignature
    assert "a time-stamping authority this service trusts, attests" in result.output
    checked = sup.post_form("/records/check", {"record": (io.BytesIO(pdf), "record.pdf")},
                            content_type="multipart/form-data")
    html = " ".join(parse(checked.text).get_text().split())
    assert html.count("Timestamp from Test Time-Stamping Authority") == 2 and "a trusted authority" in html


def test_without_a_time_stamping_authority_the_check_says_the_time_is_the_servers_clock(
        signing_app, child, token_for, tmp_path):
    body, _signed, headers = signed_visit(signing_app, token_for, child)
    path = tmp_path / "record.pdf"
    path.write_bytes(signing_app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data)
    result = signing_app.test_cli_runner().invoke(args=["verify-record", str(path)])
    assert result.exit_code == 0 and "timestamp: none (the time is the signing server's clock)" in result.output


def test_a_signature_by_a_key_this_service_does_not_trust_is_an_answer_not_a_crash(
        signing_app, child, token_for, tmp_path):
    body, _signed, headers = signed_visit(signing_app, token_for, child)
    pdf = signing_app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    signing.init_signing(tmp_path / "other", "Another Organisation")
    other = signing.sign_pdf(pdf, signing.load_signer(tmp_path / "other"), field_name="Other", name="Someone",
                             reason="Signed elsewhere")
    path = tmp_path / "record.pdf"
    path.write_bytes(other)
    # The command as an administrator runs it, in a process of its own, with this instance's folder.
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "HOMEVISIT_INSTANCE_PATH": str(Path(signing_app.config["SIGNING_DIR"]).parent)}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "verify-record", str(path)],
                            cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Another Organisation visit records, signed" in result.stdout and "untrusted" in result.stdout
    assert "not one this service trusts" in result.stdout
    assert "Validation error" in result.stderr  # pyHanko's one-line warning is kept...
    assert "Traceback" not in result.stderr  # ...its exception chain is not


def test_an_incremental_update_after_signing_is_reported(signing_app, db, child, token_for, tmp_path):
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    app = signing_app
    body, _signed, headers = signed_visit(app, token_for, child)
    pdf = app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    info = writer.root
    info[NameObject("/Lang")] = TextStringObject("fr-FR")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    path = tmp_path / "updated.pdf"
    path.write_bytes(out.getvalue())
    result = app.test_cli_runner().invoke(args=["verify-record", str(path)])
    assert result.exit_code == 1
    assert "changed after signing: yes" in result.output


def test_countersignature_is_a_second_incremental_signature(signing_app, db, child, token_for, signed_in, tmp_path):
    app = signing_app
    body, signed, headers = signed_visit(app, token_for, child)
    sup = signed_in("supervisor")
    response = sup.post_form(f"/visits/{body['id']}/countersign", {}, page_url=f"/visits/{body['id']}")
    assert response.status_code == 302
    pdf = app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    assert pdf.startswith(app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data[:100])
    path = tmp_path / "countersigned.pdf"
    path.write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["verify-record", str(path)])
    assert result.exit_code == 0, result.output
    assert "signature 1 (Visitor)" in result.output and "signature 2 (Supervisor)" in result.output
    kinds = [r["kind"] for r in store.query(db, "SELECT kind FROM records WHERE visit_id = ? ORDER BY id", (body["id"],))]
    assert kinds == ["signed", "countersigned"]


def test_the_check_page_reports_on_an_uploaded_record(signing_app, db, child, token_for, signed_in):
    app = signing_app
    body, signed, headers = signed_visit(app, token_for, child)
    pdf = app.test_client().get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    b = signed_in("supervisor")
    page = b.get("/records/check")
    response = b.client.post("/records/check", data={"csrf_token": csrf_from(page.text),
                                                     "record": (io.BytesIO(pdf), "record.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 200
    text = parse(response.text).get_text(" ")
    assert "Intact" in text and "Matches our stored copy" in text and body["id"] in text
    response = b.client.post("/records/check", data={"csrf_token": csrf_from(page.text),
                                                     "record": (io.BytesIO(b"not a pdf"), "x.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 422 and "must be a PDF" in response.text


def test_an_addendum_references_the_signed_visit(signing_app, db, child, token_for, signed_in):
    body, _signed, _headers = signed_visit(signing_app, token_for, child)
    b = signed_in("practitioner")
    response = b.post_form(f"/visits/{body['id']}/addendum", {}, page_url=f"/visits/{body['id']}")
    assert response.status_code == 302 and "/section/seen" in response.headers["Location"]
    row = store.query_one(db, "SELECT addendum_of, status, weight_kg FROM visits WHERE addendum_of IS NOT NULL")
    assert row == {"addendum_of": body["id"], "status": "draft", "weight_kg": 8.9}
    assert store.query_one(db, "SELECT status FROM visits WHERE id = ?", (body["id"],))["status"] == "signed"


def test_a_supervisor_prints_a_batch_of_stored_signed_records(signing_app, db, users, token_for, signed_in):
    import zipfile

    app = signing_app
    kids = [make_child(db, users["practitioner"], given_name=f"Kid{i}") for i in range(3)]
    digests = {}
    for kid in kids:
        body, signed, _headers = signed_visit(app, token_for, kid)
        digests[body["id"]] = signed["record_sha256"]
    sup = signed_in("supervisor")
    page = sup.get("/records/print")
    assert "3 signed records" in parse(page.text).get_text(" ")
    data, job_url = print_and_download(sup, "zip", page.text, "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(data))
    for visit_id, digest in digests.items():
        assert hashlib.sha256(archive.read(f"visit-record-{visit_id}.pdf")).hexdigest() == digest
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8"))))
    assert {row["visit_id"]: row["sha256"] for row in index} == digests
    assert all(hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"] for row in index)
    assert sorted(row["child"] for row in index) == ["Kid0 Test", "Kid1 Test", "Kid2 Test"]
    assert {row["signatures"] for row in index} == {"Signed by the visitor"}
    other = signed_in("other_supervisor")
    assert other.get(job_url).status_code == 404


def print_and_download(sup, kind, page_html, mimetype, **filters):
    import time

    response = sup.client.post("/records/print", data={"csrf_token": csrf_from(page_html), "kind": kind, **filters})
    assert response.status_code == 302, response.get_data(as_text=True)
    job_url = response.headers["Location"]
    for _ in range(200):
        if "are ready" in sup.get(job_url).text:
            break
        time.sleep(0.1)
    download = sup.get(job_url + "/download")
    data = download.data
    download.close()
    assert download.status_code == 200 and download.mimetype == mimetype
    return data, job_url


def test_a_printed_bundle_opens_with_an_index_of_its_records_and_their_fingerprints(
        signing_app, db, users, token_for, signed_in):
    kids = [make_child(db, users["practitioner"], given_name=f"Index{i}", family_name="Marsh") for i in range(2)]
    signed = {}
    for kid in kids:
        body, result, _headers = signed_visit(signing_app, token_for, kid)
        signed[body["id"]] = (kid, result["record_sha256"])
    sup = signed_in("supervisor")
    page = sup.get("/records/print")
    data, _job_url = print_and_download(sup, "pdf", page.text, "application/pdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    index_text = " ".join(reader.pages[0].extract_text().split())
    assert "Visit records printed together" in index_text and "OFFICIAL-SENSITIVE" in index_text
    assert "Printed by" in index_text and "Every signed visit record of the team" in index_text
    record_pages = []
    for visit_id, (kid, digest) in signed.items():
        stored = store.query_one(db, "SELECT filename FROM records WHERE visit_id = ?", (visit_id,))
        record_pages.append(len(pypdf.PdfReader(signing_app.config["RECORDS_DIR"] + "/" + stored["filename"]).pages))
        assert f"SHA-256 {digest}" in index_text
        start = int(re.search(rf"{kid['given_name']} Marsh, visit .*? page (\d+)", index_text).group(1))
        # The page the index names is where that record starts: its own header names the child.
        assert f"{kid['given_name']} Marsh" in reader.pages[start - 1].extract_text()
        assert "Home visit record" in reader.pages[start - 1].extract_text()
    assert len(reader.pages) == 1 + sum(record_pages)
    outline = reader.outline
    assert outline[0].title == "Index of the records in this bundle"
    # Checked on the "Check a visit record" page, the bundle says what it is rather than "altered": the copied
    # signature fields are gone (a signature can only check as broken once its pages are joined elsewhere).
    check_page = sup.get("/records/check")
    checked = sup.client.post("/records/check", data={"csrf_token": csrf_from(check_page.text),
                                                      "record": (io.BytesIO(data), "bundle.pdf")},
                              content_type="multipart/form-data")
    checked_text = " ".join(parse(checked.text).get_text(" ").split())
    assert checked.status_code == 200
    assert "printed bundle of copies, not a signed record" in checked_text and "altered" not in checked_text
    assert reader.metadata["/HomeVisitBundle"] in checked_text
    assert "/AcroForm" not in reader.trailer["/Root"]
    in_index = re.findall(r"(\d+\. Index\d Marsh), visit", index_text)  # the index's order: by visit time
    assert sorted(name.split(". ")[1] for name in in_index) == ["Index0 Marsh", "Index1 Marsh"]
    assert [item.title.split(",")[0] for item in outline[1:] if not isinstance(item, list)] == in_index
    assert f"Pages {len(reader.pages)}, this index included" in index_text


def test_a_print_batch_that_lost_its_worker_is_reported_as_failed_not_left_running(app, db, users, signed_in):
    from datetime import UTC, datetime, timedelta

    from homevisit.services import printing

    supervisor = users["supervisor"]
    now = datetime.now(UTC)
    with store.write(db):
        for job_id, age in (("stalled-job", 11), ("recent-job", 1)):
            store.insert(db, "print_jobs", {"id": job_id, "team_id": supervisor["team_id"], "user_id": supervisor["id"],
                                            "kind": "pdf", "status": "running", "total": 40, "done": 5,
                                            "created_at": (now - timedelta(minutes=age)).isoformat(timespec="seconds")})
    sup = signed_in("supervisor")
    stalled = sup.get("/records/print/stalled-job")
    assert stalled.status_code == 200
    text = parse(stalled.text).get_text(" ")
    assert "could not be prepared" in text and "service restarted" in text and "Print them again" in text
    assert 'http-equiv="refresh"' not in stalled.text
    assert store.query_one(db, "SELECT status FROM print_jobs WHERE id = 'stalled-job'")["status"] == "running"  # a GET changes nothing
    recent = sup.get("/records/print/recent-job")
    assert "5 of 40 records ready" in parse(recent.text).get_text(" ")
    assert store.query_one(db, "SELECT status FROM print_jobs WHERE id = 'recent-job'")["status"] == "running"
    assert printing.get_job(db, "recent-job", supervisor, now=now + timedelta(minutes=10))["status"] == "failed"


def test_the_zip_index_makes_names_that_look_like_formulas_inert():
    from homevisit.services.printing import _index_csv

    row = {"visit_id": "v1", "given_name": "=HYPERLINK(\"http://x\")", "family_name": "Test", "visited_at": "2026-11-26",
           "visitor_name": "+Priya", "record_kind": "signed", "sha256": "ab" * 32}
    [parsed] = list(csv.DictReader(io.StringIO(_index_csv([row]).decode("utf-8"))))
    assert parsed["child"].startswith("'=") and parsed["visitor"] == "'+Priya"


def test_check_records_sweeps_every_stored_record_and_names_any_that_fail(
        signing_app, db, users, child, token_for, signed_in, tsa):
    app = signing_app
    runner = app.test_cli_runner()
    first, _, _ = signed_visit(app, token_for, child)
    second, _, _ = signed_visit(app, token_for, child)
    sup = signed_in("supervisor")
    assert sup.post_form(f"/visits/{second['id']}/countersign", {},
                         page_url=f"/visits/{second['id']}").status_code in (302, 303)
    # a third signed once a time-stamping authority is set up (its root trusted): its time is attested
    app.config["SIGNING_TSA_URL"] = tsa.url
    (Path(app.config["SIGNING_DIR"]) / "trusted").mkdir(exist_ok=True)
    (Path(app.config["SIGNING_DIR"]) / "trusted" / "tsa.pem").write_bytes(tsa.certificate_pem)
    third, _, _ = signed_visit(app, token_for, child)

    result = runner.invoke(args=["check-records"])
    assert result.exit_code == 0, result.output
    assert "Checked 4 stored records: 4 intact and matching their SHA-256, 0 failed." in result.output
    untimed = [line for line in result.output.splitlines() if line.startswith("  visit ")]
    assert len(untimed) == 3 and "3 carry signatures without a trusted timestamp" in result.output
    assert not any(third["id"] in line for line in untimed)
    assert any(second["id"] in line and "countersigned record" in line
               and line.endswith("the visitor's signature, the supervisor's countersignature") for line in untimed)
    assert any(first["id"] in line and line.endswith(": the visitor's signature") for line in untimed)
    assert all("Isla Marsh" in line for line in untimed)

    files = {r["visit_id"] + r["kind"]: Path(app.config["RECORDS_DIR"]) / r["filename"]
             for r in store.query(db, "SELECT visit_id, kind, filename FROM records")}
    stored = files[first["id"] + "signed"]
    data = bytearray(stored.read_bytes())
    data[len(data) // 3] ^= 0x01
    stored.write_bytes(bytes(data))
    files[second["id"] + "countersigned"].unlink()
    result = runner.invoke(args=["check-records"])
    assert result.exit_code == 1
    assert f"FAILED visit {first['id']} (signed record, Isla Marsh" in result.output
    assert "does not match the SHA-256 kept for it: restore it from a backup" in result.output
    assert f"FAILED visit {second['id']} (countersigned record" in result.output and "cannot be read" in result.output
    assert "Checked 4 stored records: 2 intact and matching their SHA-256, 2 failed." in result.output

    later = runner.invoke(args=["check-records", "--since", "2999-01-01"])
    assert later.exit_code == 0 and "Checked 0 stored records stored since 2999-01-01" in later.output
    wrong = runner.invoke(args=["check-records", "--since", "last week"])
    assert wrong.exit_code == 2 and "Give the date as YYYY-MM-DD" in wrong.output


def test_check_records_catches_a_record_altered_with_its_fingerprint_updated_to_match(
        signing_app, db, child, token_for):
    app = signing_app
    body, _, _ = signed_visit(app, token_for, child)
    row = store.query_one(db, "SELECT id, filename FROM records WHERE visit_id = ?", (body["id"],))
    path = Path(app.config["RECORDS_DIR"]) / row["filename"]
    data = bytearray(path.read_bytes())
    data[data.index(b"stream") + 40] ^= 0x01  # inside the signed range
    path.write_bytes(bytes(data))
    with store.write(db):  # someone with access to both the files and the database
        store.execute(db, "UPDATE records SET sha256 = ? WHERE id = ?", (hashlib.sha256(bytes(data)).hexdigest(), row["id"]))
    result = app.test_cli_runner().invoke(args=["check-records"])
    assert result.exit_code == 1
    assert f"FAILED visit {body['id']} (signed record, Isla Marsh" in result.output
    assert "fails its signature check (The record has been altered since it was signed)" in result.output
    assert "restore it from a backup" in result.output


def test_the_signed_record_and_the_child_show_the_growth_stored_at_submit(signing_app, db, child, token_for):
    """#17: the record prints what the rules acted on, the growth worked out when the visit was submitted, and
    does not work it out again. The stored figures are changed here, as if the growth library had since moved
    its chart; the record, the child's API and the child's page must show the stored ones."""
    headers = token_for()
    body = full_visit(child["id"])
    client = signing_app.test_client()
    assert put(client, headers, body).status_code == 201
    stored = store.query_one(db, "SELECT weight_sds, weight_centile FROM visits WHERE id = ?", (body["id"],))
    assert stored["weight_sds"] is not None and stored["weight_sds"] != -1.23
    with store.write(db):
        store.execute(db, "UPDATE visits SET weight_sds = -1.23, weight_centile = 10.9, "
                          "centile_spaces_fallen_since_birth = 0.4 WHERE id = ?", (body["id"],))
    png = "data:image/png;base64," + base64.b64encode(drawn_signature_png()).decode()
    signed = client.post(f"/api/v1/visits/{body['id']}/signature", headers=headers,
                         json={"signature_png": png, "declaration_accepted": True})
    assert signed.status_code == 201, signed.get_data(as_text=True)
    pdf = client.get(f"/api/v1/visits/{body['id']}/record.pdf", headers=headers).data
    text = " ".join(pdftotext(pdf).split())
    assert "Standard deviation score −1.23" in text.replace("-1.23", "−1.23")
    assert "(centile 10.9)" in text and "Centile spaces fallen since birth 0.4" in text
    growth_api = client.get(f"/api/v1/children/{child['id']}", headers=headers).get_json()["growth"]
    assert [(p["visit_id"], p["sds"], p["centile"]) for p in growth_api] == [(body["id"], -1.23, 10.9)]
