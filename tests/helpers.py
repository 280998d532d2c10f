"""Helpers shared by the tests: users, children, a signed-in test client, HTML checks, a full visit body."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from homevisit.services import children
from homevisit.web import auth

PASSWORD = "correct horse battery staple"


def make_user(db: Any, email: str, role: str = "practitioner", team: str = "Team A",
              visitor_role: str | None = "health_visitor", name: str | None = None) -> dict[str, Any]:
    user = auth.create_user(db, email=email, name=name or email.split("@")[0].title(), role=role, team=team,
                            password=PASSWORD, visitor_role=visitor_role)
    found = auth.get_user(db, user["id"])
    assert found is not None
    return found


def make_child(db: Any, user: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {"given_name": "Ava", "family_name": "Test", "sex": "female",
            "date_of_birth": (date.today() - timedelta(days=300)).isoformat(), "gestation_weeks": 40,
            "gestation_days": 0, "birth_weight_kg": 3.4}
    data.update(overrides)
    child, errors = children.add_child(db, data, user)
    assert child is not None, errors
    return child


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that signs in through the real sign-in page and carries CSRF tokens."""

    def __init__(self, app: Any):
        self.client = app.test_client()
        self.app = app

    def sign_in(self, email: str, password: str = PASSWORD, url: str = "/sign-in") -> Any:
        page = self.client.get(url)
        return self.client.post(url, data={"email": email, "password": password, "csrf_token": csrf_from(page.text)})

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post_form(self, url: str, data: dict[str, Any] | list[tuple[str, str]], page_url: str | None = None,
                  **kw: Any) -> Any:
        page = self.client.get(page_url or url)
        token = csrf_from(page.text)
        if isinstance(data, dict):
            data = {**data, "csrf_token": token}
        else:
            data = MultiDict(list(data) + [("csrf_token", token)])
        return self.client.post(url, data=data, **kw)


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html5lib")


def assert_page_well_formed(html: str) -> BeautifulSoup:
    """One h1, a title that starts with it, no duplicate ids."""
    soup = parse(html)
    h1s = soup.find_all("h1")
    assert len(h1s) == 1, [h.get_text() for h in h1s]
    title = soup.title.get_text(strip=True) if soup.title else ""
    heading = " ".join(h1s[0].get_text().split())
    assert title.replace("Error: ", "").startswith(heading[:40]), (title, heading)
    ids = [el["id"] for el in soup.find_all(attrs={"id": True})]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, duplicates
    return soup


def full_visit(child_id: str, **overrides: Any) -> dict[str, Any]:
    """A complete, unremarkable visit body for the API (every section answered)."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()), "child_id": child_id, "visited_at": f"{date.today().isoformat()}T10:30:00+00:00",
        "visitor_role": "health_visitor", "child_seen": "awake", "seen_alone": False, "interpreter_used": False,
        "carer_presentation": "engaged", "sleep_space": "cot", "mattress_firm_flat_fits": True,
        "mattress_condition": "clean", "covering": "sleep_bag", "items_in_cot": ["none"], "room_temp_c": 18.5,
        "room_heated": True, "child_cold": False, "co_sleeping": False, "feeding_mode": "family_foods",
        "age_appropriate_food": "more_than_3_days", "spoiled_food_accessible": False, "weight_kg": 8.9,
        "weight_clothing": "naked", "scale_type": "class_iii", "sits_unsupported": True, "pulls_to_stand": True,
        "stands_alone": False, "walks_independently": False, "weight_bearing": True, "skills_lost": False,
        "demeanour": "interactive", "hygiene": "clean", "clothing_adequate": True, "carer_interaction": "warm",
        "restraint_observed": False, "heating": True, "damp_mould": False, "disclosure": "none",
        "referral_made": False, "injuries": [],
        "carers_present": [{"role": "mother", "parental_responsibility": True, "lives_here": True,
                            "present_throughout": True}],
    }
    body.update(overrides)
    return body


TABLET = (768, 1024)
PHONE = (390, 844)


def drawn_signature_png() -> bytes:
    """A signature drawn as a practitioner would: a few strokes of dark ink on a transparent box."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.line([(40, 150), (90, 60), (130, 140), (170, 70), (220, 150), (300, 90), (380, 120), (520, 80)],
             fill=(11, 12, 12, 255), width=4)
    pen.line([(60, 170), (500, 165)], fill=(11, 12, 12, 255), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def submit_and_sign(client: Any, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """PUT a visit through the API and sign it with a drawn signature; returns the signature response's JSON."""
    import base64
    import json

    response = client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                          headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)
    png = "data:image/png;base64," + base64.b64encode(drawn_signature_png()).decode()
    response = client.post(f"/api/v1/visits/{body['id']}/signature", headers=headers,
                           json={"signature_png": png, "declaration_accepted": True})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def fill_sign_in(page: Any, email: str) -> None:
    """In a browser on the sign-in page: type the email address and the test password, and sign in."""
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state("load")


def sign_in_browser(page: Any, base: str, email: str, next_url: str = "") -> None:
    """In a browser: open the sign-in page (to go on to ``next_url``) and sign in."""
    page.goto(f"{base}/sign-in" + (f"?next={next_url}" if next_url else ""))
    fill_sign_in(page, email)


class LocalTimestampAuthority:
    """An RFC 3161 time-stamping authority on 127.0.0.1 for tests: pyHanko's own test authority (RSA key,
    certificate for time-stamping) answering over HTTP, as a deployment's authority would."""

    def __init__(self) -> None:
        import datetime as dt
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from asn1crypto import keys, tsp
        from asn1crypto import x509 as asn1_x509
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        from pyhanko.sign.timestamps import DummyTimeStamper

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Time-Stamping Authority")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
            tsa_key=keys.PrivateKeyInfo.load(key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        )
        self.requests = 0
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                authority.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
