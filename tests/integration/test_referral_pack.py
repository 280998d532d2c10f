"""The referral pack: made from a required action, pre-filled from the record, signed with the same renderer and
signer as visit records, and checked with `flask --app app verify-record`. Real WeasyPrint, pyHanko, SQLite."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest

from helpers import assert_page_well_formed, full_visit, make_child, parse
from homevisit.data import store
from homevisit.domain.calendar import LONDON
from homevisit.records import records, signing
from homevisit.services import referrals


@pytest.fixture
def leo(signing_app, db, users, token_for):
    """A toddler whose weight fell across four visits by two professionals, the last with no food and a bare,
    cold room; a bruise on the cheek seen on two visits."""
    child = make_child(db, users["practitioner"], given_name="Leo", family_name="Harris", sex="male",
                       date_of_birth=(date.today() - timedelta(days=520)).isoformat(), birth_weight_kg=3.4,
                       nhs_number="9434765919")
    client = signing_app.test_client()
    for days_ago, kg, role, extra in ((120, 9.9, "practitioner", {}), (90, 9.3, "practitioner2", {}),
                                      (60, 8.7, "practitioner", {"age_appropriate_food": "none"}),
                                      (30, 8.1, "practitioner2", {"age_appropriate_food": "none", "covering": "none",
                                                                  "room_heated": False, "room_temp_c": 14.0})):
        day = (date.today() - timedelta(days=days_ago)).isoformat()
        body = full_visit(child["id"], visited_at=f"{day}T10:00:00+00:00", weight_kg=kg,
                          visitor_role="health_visitor" if role == "practitioner" else "social_worker",
                          observed_verbatim=f"Seen on {day}: Leo quiet in his cot.",
                          injuries=[{"type": "bruise", "body_site": "left_upper_arm", "size_mm": 20, "count": 1,
                                     "explanation": "Fell against the sofa", "explanation_assessment": "suitable"}]
                          if days_ago in (60, 30) else [], **extra)
        response = client.put(f"/api/v1/visits/{body['id']}", json=body, headers=token_for(role))
        assert response.status_code == 201, response.get_data(as_text=True)
    return child


def test_from_the_required_action_to_a_signed_pack_that_verifies(signing_app, db, users, leo, signed_in, tmp_path):
    b = signed_in("practitioner")
    child_page = parse(b.get(f"/children/{leo['id']}").text)
    offer = child_page.select_one("a.app-make-referral")
    assert offer is not None and offer.get_text(" ", strip=True).startswith("Make the referral")
    form_page = b.get(offer["href"])
    assert form_page.status_code == 200
    soup = assert_page_well_formed(form_page.text)
    # pre-filled from the record: the reason, the rules, the household, what was seen, who visited
    reason = soup.select_one("textarea[name=reason]").get_text()
    offered = store.query_one(db, "SELECT rule_id, title FROM actions WHERE id = ?",
                              (soup.select_one("input[name=action_id]")["value"],))
    assert reason.startswith(offered["title"] + ":")
    ticked = {i["value"] for i in soup.select("input[name=supporting_rules][checked]")}
    open_referral_rules = {r["rule_id"] for r in store.query(
        db, "SELECT rule_id FROM actions WHERE child_id = ? AND status = 'open' AND requires_referral = 1", (leo["id"],))}
    assert offered["rule_id"] in ticked and ticked == open_referral_rules
    assert "Mother" in soup.select_one("textarea[name=form_household]").get_text()
    assert "Leo quiet in his cot" in soup.select_one("textarea[name=form_seen_and_heard]").get_text()
    assert "Seen on visits by" in soup.select_one("textarea[name=form_other_agencies]").get_text()
    assert soup.select_one("input[name=agency][value=mash][checked]") is not None
    # and the evidence the pack will carry is in front of her while she writes: the chart, the repeats
    assert soup.select_one("figure.app-chart svg") is not None
    repeats = soup.select("#repeated-concerns li")
    assert repeats and all(re.search(r": \d+ times", li.get_text(" ", strip=True)) for li in repeats)
    assert "Fell against the sofa" in soup.get_text()

    data = [(el["name"], el.get_text()) for el in soup.select("textarea")]
    data += [("agency", "mash"), ("action_id", soup.select_one("input[name=action_id]")["value"])]
    data += [("supporting_rules", r) for r in sorted(ticked)]
    data = [(k, v) if k != "form_parents_told" else (k, "Yes, at the visit; mother said she understood")
            for k, v in data]
    saved = b.post_form(f"/children/{leo['id']}/referrals/new", data, page_url=offer["href"])
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    referral_url = saved.headers["Location"]
    rid = referral_url.rsplit("/", 1)[1]

    signed = b.post_form(f"/referrals/{rid}/sign", {"sign-declaration_accepted": "y"}, page_url=referral_url)
    assert signed.status_code == 302, signed.get_data(as_text=True)[:2000]
    page = parse(b.get(referral_url).text)
    assert page.select_one("#open-pack") is not None
    pdf = b.get(f"/referrals/{rid}/pack.pdf").data
    assert pdf.startswith(b"%PDF")

    # PDF/A identification survives signing; the referral's JSON is inside
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp)
    attached = reader.attachments
    assert list(attached) == [f"referral-{rid}.json"]
    assert json.loads(attached[f"referral-{rid}.json"][0])["id"] == rid

    # the evidence is in the document
    text = " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                                   check=True).stdout.decode("utf-8").split())
    for words in ("Multi-agency referral", "Leo Harris", "943 476 5919", "R16", "Growth across every visit",
                  "Concerns recorded more than once", "Bruise", "Fell against the sofa", "Chronology",
                  "Yes, at the visit; mother said she understood", "Not yet sent when the pack was signed"):
        assert words in text, words
    # a concern seen on visits by both professionals is listed with each date and who saw it
    repeated = re.search(r"(R\d+) [^:]+: (\d+) times (.+?) Source:", text)
    assert repeated and int(repeated.group(2)) >= 2, text
    assert f"by {users['practitioner']['name']}, Health visitor" in repeated.group(3)
    assert f"by {users['practitioner2']['name']}, Social worker" in repeated.group(3)
    assert len(reader.pages) >= 2

    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    result = signing_app.test_cli_runner().invoke(args=["verify-record", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("INTACT")
    assert f"matches our stored copy: yes, referral pack {rid}" in result.output
    assert "(Referrer)" in result.output
    tampered = bytearray(pdf)
    tampered[pdf.index(b"stream") + 40] ^= 0x01
    path.write_bytes(bytes(tampered))
    result = signing_app.test_cli_runner().invoke(args=["verify-record", str(path)])
    assert result.exit_code == 1 and "NOT INTACT" in result.output

    # signed: the form can no longer change; then it is sent, and the action it came from is done
    assert b.get(f"/referrals/{rid}/change").status_code == 302
    sent_at = (datetime.now(LONDON) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    sent = b.post_form(f"/referrals/{rid}/sent", {"sent-sent_at": sent_at, "sent-method": "phone",
                                                  "sent-reference": "MASH-777"}, page_url=referral_url)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    stored = store.query_one(db, "SELECT status, reference, action_id FROM referrals WHERE id = ?", (rid,))
    assert stored["status"] == "sent" and stored["reference"] == "MASH-777"
    action = store.query_one(db, "SELECT status, outcome FROM actions WHERE id = ?", (stored["action_id"],))
    assert action["status"] == "done" and rid in action["outcome"]


def test_a_future_send_time_is_refused_on_the_page_and_what_was_typed_is_kept(signing_app, db, users, leo,
                                                                                signed_in):
    referral = referrals.create(db, leo, users["practitioner"], {"agency": "mash", "reason": "No food"},
                                config=signing_app.config, rule_ids={"R16"})
    b = signed_in("practitioner")
    url = f"/referrals/{referral['id']}"
    future = (datetime.now(LONDON) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    response = b.post_form(f"{url}/sent", {"sent-sent_at": future, "sent-method": "secure_email",
                                           "sent-reference": "REF-1"}, page_url=url)
    assert response.status_code == 422
    soup = parse(response.text)
    assert "cannot be in the future" in soup.select_one(".govuk-error-summary").get_text()
    assert soup.select_one("input[name=sent-sent_at]")["value"] == future
    assert soup.select_one("input[name=sent-reference]")["value"] == "REF-1"
    assert soup.select_one("input[name=sent-method][value=secure_email]").has_attr("checked")
    assert store.query_one(db, "SELECT status FROM referrals WHERE id = ?", (referral["id"],))["status"] == "draft"


def test_only_the_referrer_signs_the_pack_and_a_second_signing_is_a_replay(signing_app, db, users, leo, token_for):
    referral = referrals.create(db, leo, users["practitioner"], {"agency": "mash", "reason": "No food"},
                                config=signing_app.config, rule_ids={"R16"})
    client = signing_app.test_client()
    url = f"/api/v1/referrals/{referral['id']}/pack"
    assert client.post(url, json={"declaration_accepted": False}, headers=token_for()).status_code == 422
    assert client.post(url, json={"declaration_accepted": True}, headers=token_for("practitioner2")).status_code == 403
    first = client.post(url, json={"declaration_accepted": True}, headers=token_for())
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post(url, json={"declaration_accepted": True}, headers=token_for())
    assert again.status_code == 200 and again.get_json()["pack_sha256"] == first.get_json()["pack_sha256"]
    pdf = client.get(f"{url}.pdf", headers=token_for("supervisor")).data  # a supervisor can open it
    report = signing.verify_pdf(pdf, signing.trusted_certificates(signing_app.config["SIGNING_DIR"]))
    assert report["intact"] and report["signatures"][0]["field"] == records.REFERRAL_SIGNATURE_FIELD
    assert client.get(f"{url}.pdf", headers=token_for("other")).status_code == 404

    # the weekly sweep of stored files checks signed packs too, and names one that was altered
    runner = signing_app.test_cli_runner()
    result = runner.invoke(args=["check-records"])
    assert result.exit_code == 0, result.output
    assert "Checked 1 stored record: 1 intact" in result.output
    assert f"referral {referral['id']} (signed referral pack, Leo Harris" in result.output  # untimed: no authority
    assert "the referrer's signature" in result.output
    stored = store.query_one(db, "SELECT pack_filename FROM referrals WHERE id = ?", (referral["id"],))
    path = Path(signing_app.config["RECORDS_DIR"]) / stored["pack_filename"]
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))
    result = runner.invoke(args=["check-records"])
    assert result.exit_code == 1
    assert f"FAILED referral {referral['id']} (signed referral pack" in result.output
    assert "does not match the SHA-256 kept for it" in result.output


def test_a_pack_escapes_what_was_typed_and_says_when_there_is_nothing_to_show(signing_app, db, users):
    child = make_child(db, users["practitioner"], given_name="Noor", family_name="<b>Ali</b>")
    referral = referrals.create(db, child, users["practitioner"],
                                {"agency": "mash", "reason": "<script>alert(1)</script> worried"},
                                config=signing_app.config, rule_ids=set())
    from homevisit.services import referral_records
    from homevisit.web.rulesets import current_rules

    with signing_app.app_context():
        pack = referral_records.build_pack(db, referrals.get_referral(db, referral["id"], users["practitioner"]),
                                           child, config=signing_app.config, rules=current_rules(),
                                           signer=users["practitioner"], signed_at=datetime.now(LONDON))
    html = records.render_referral_html(pack)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; worried" in html
    assert "&lt;b&gt;Ali&lt;/b&gt;" in html
    assert "No weights were recorded." in html and html.count("None recorded.") == 2
    assert pack["growth"]["chart_svg"] is None
