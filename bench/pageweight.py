"""Benchmark: bytes over the wire for the offline app and the visit form pages, in chromium.

Targets (issue: offline recording): the offline shell's first load, everything included (the page, its CSS,
JavaScript, the data dictionary, the caseload, and every file the service worker fetches to keep for use with
no signal), <= 250 KB compressed; after that, each form page <= 30 KB.

What is counted: for every request the browser makes (the page's and the service worker's), the response
body as it came over the wire (compressed: Playwright's ``sizes()['responseBodySize']``, Chrome's
encodedDataLength) plus its headers. A response served by the service worker from its cache counts 0.
The app is served in-process by werkzeug (as the browser tests do), with the app's own gzip.

Run: .venv/bin/python bench/pageweight.py
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import threading
from datetime import date, timedelta
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from helpers import PASSWORD, make_child, make_user  # noqa: E402
from homevisit.data import store  # noqa: E402
from homevisit.domain.dictionary import SECTIONS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FIRST_LOAD_TARGET = 250 * 1024
PAGE_TARGET = 30 * 1024


class Meter:
    """Bytes received per request, for the page and its service worker."""

    def __init__(self, context: Any) -> None:
        self.rows: list[tuple[str, int, int, bool]] = []
        context.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        try:
            response = request.response()
            if response is not None and response.from_service_worker:
                return  # answered by the service worker from its cache: nothing came over the network
            sizes = request.sizes()
        except Exception:  # the request's target has gone
            return
        body = max(0, int(sizes.get("responseBodySize", 0)))
        headers = max(0, int(sizes.get("responseHeadersSize", 0)))
        self.rows.append((request.url, body, headers, request.service_worker is not None))

    def take(self) -> list[tuple[str, int, int, bool]]:
        rows, self.rows = self.rows, []
        return rows


def total(rows: list[tuple[str, int, int, bool]]) -> int:
    return sum(body + headers for _url, body, headers, _sw in rows)


def kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is not installed")
        return 1
    from playwright.sync_api import expect, sync_playwright

    tmp = tempfile.mkdtemp(prefix="hv-pageweight-")
    app = create_app({"INSTANCE_PATH": tmp, "DATABASE": os.path.join(tmp, "homevisit.db"), "SECRET_KEY": "bench",
                      "RECORDS_DIR": os.path.join(tmp, "records"), "SIGNING_DIR": os.path.join(tmp, "signing")})
    with app.app_context():
        db = app.extensions["homevisit_db"]()
        store.migrate(db)
        user = make_user(db, "bench@a.example")
        for i in range(40):  # a realistic caseload for the download
            make_child(db, user, given_name=f"Child{i:02d}", family_name=f"Family{i:02d}",
                       date_of_birth=(date.today() - timedelta(days=60 + 9 * i)).isoformat())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    failed = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"])
        try:
            # sign in in one context, then load the shell in a fresh one (empty HTTP cache) with that session
            signer = browser.new_context()
            page = signer.new_page()
            page.goto(base + "/sign-in")
            page.get_by_label("Email address", exact=True).fill("bench@a.example")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url(base + "/children/")
            cookies = signer.cookies()
            signer.close()

            context = browser.new_context(viewport={"width": 768, "height": 1024})
            context.add_cookies(cookies)
            meter = Meter(context)
            page = context.new_page()
            page.goto(base + "/offline/")
            page.get_by_label("Offline passcode", exact=True).fill("bench-passcode")
            page.get_by_label("Type the offline passcode again", exact=True).fill("bench-passcode")
            page.get_by_role("button", name="Save the passcode").click()
            expect(page.get_by_text("Ready to record visits without signal.")).to_be_visible(timeout=30_000)
            page.wait_for_timeout(500)
            first = meter.take()
            print("Offline shell, first load (the page, its files, the dictionary, the caseload and the worker's copies):")
            for url, body, headers, sw in sorted(first, key=lambda r: -r[1]):
                print(f"  {kb(body + headers)}  {'[worker] ' if sw else ''}{url.replace(base, '')}")
            first_total = total(first)
            ok = first_total <= FIRST_LOAD_TARGET
            failed |= not ok
            print(f"  total {kb(first_total)} (target <= {kb(FIRST_LOAD_TARGET).strip()}) {'OK' if ok else 'OVER'}")

            print("\nOffline form pages after that (drawn in the browser from the kept copies):")
            page.get_by_role("list", name="Record a visit").get_by_role("link").first.click()
            page.get_by_role("group", name="Did you see the child?", exact=True).get_by_label("Yes, awake").check()
            for section in SECTIONS:
                expect(page.get_by_role("heading", level=1)).to_have_text(section.title)
                page.wait_for_timeout(100)
                rows = meter.take()
                used = total(rows)
                ok = used <= PAGE_TARGET
                failed |= not ok
                detail = ", ".join(f"{u.replace(base, '').split('?')[0]} {kb(b + h).strip()}" for u, b, h, _s in rows)
                print(f"  {kb(used)}  {section.title} {'OK' if ok else 'OVER'}{'  [' + detail + ']' if rows else ''}")
                page.get_by_role("button", name="Save and continue").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers and sign")
            meter.take()
            page.reload()  # a reload with signal: the shell comes from the worker, the session and key do not
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers and sign")
            page.wait_for_timeout(300)
            reload_rows = meter.take()
            print(f"  {kb(total(reload_rows))}  reload of the check page with signal "
                  f"({', '.join(sorted({u.replace(base, '').split('?')[0] for u, _b, _h, _s in reload_rows}))})")

            print("\nServer-rendered visit pages with signal (HTML only: their files come from the worker):")
            page.goto(base + "/children/")
            meter.take()
            page.get_by_role("link", name="Child00 Family00").click()
            page.get_by_role("button", name="Record a visit").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(SECTIONS[0].title)
            page.wait_for_timeout(200)
            for n, section in enumerate(SECTIONS):
                rows = meter.take()
                used = total(rows)
                ok = used <= PAGE_TARGET
                failed |= not ok
                detail = ", ".join(f"{u.replace(base, '').split('?')[0]} {kb(b + h).strip()}" for u, b, h, _s in rows)
                print(f"  {kb(used)}  {section.title} {'OK' if ok else 'OVER'}  [{detail}]")
                if n == 0:
                    page.get_by_role("group", name="Did you see the child?", exact=True).get_by_label("Yes, awake").check()
                page.get_by_role("button", name="Save and continue", exact=True).first.click()
                page.wait_for_load_state("load")
                page.wait_for_timeout(200)
            context.close()
        finally:
            browser.close()
            server.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
