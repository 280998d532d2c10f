"""Recording visits with no signal (SECURITY.md items 23-24), in a real browser with its service worker.

Three visits recorded with the network cut, the tab closed and opened again with no signal, then the
network back: each visit arrives exactly once, signed with the image drawn (the same bytes, by SHA-256),
and the outbox empties. Replies lost after the server committed (30 % of them) store nothing twice. A
session that ends halfway through sending loses nothing and finishes after signing in again. A second
practitioner on the same browser profile finds only ciphertext in IndexedDB, cannot open the first one's
visits, and cannot lose them. A conflict (409) is shown with both versions. Every page is checked with
axe-core and the layout checks.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from helpers import PHONE, TABLET, fill_sign_in, full_visit, make_child, make_user, sign_in_browser
from homevisit.data import store
from homevisit.records import signatures
from homevisit.records.signing import init_signing
from homevisit.web import auth

pytestmark = pytest.mark.browser

PASSCODE = "tablet-passcode-7"
WAIT = 20_000


# --- set-up -------------------------------------------------------------------------------------------

@pytest.fixture
def signing(app: Any) -> None:
    init_signing(app.config["SIGNING_DIR"], "Test Trust")


@pytest.fixture
def people(db: Any, signing: None) -> dict[str, Any]:
    a = make_user(db, "hv@a.example", "practitioner", "Team A", "health_visitor", name="Hana Visitor")
    b = make_user(db, "sw@a.example", "practitioner", "Team A", "social_worker", name="Sam Worker")
    ava = make_child(db, a, given_name="Ava", family_name="Zephyrine")
    return {"a": a, "b": b, "ava": ava}


def _exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(_exactly(text), timeout=WAIT)


def banner(page: Page) -> Any:
    return page.locator("#offline-status .govuk-notification-banner__heading")


def get_ready(page: Page, base: str, email: str, checks: Any) -> None:
    """Sign in with signal, choose the offline passcode, and wait for the service worker to take over."""
    sign_in_browser(page, base, email, "/offline/")
    heading(page, "Get this tablet ready for visits without signal")
    checks(page, "offline-setup")
    page.get_by_label("Offline passcode", exact=True).fill(PASSCODE)
    page.get_by_label("Type the offline passcode again", exact=True).fill(PASSCODE)
    page.get_by_role("button", name="Save the passcode").click()
    heading(page, "Visits without signal")
    # shown once the service worker has kept everything and controls the page
    expect(page.get_by_text("Ready to record visits without signal.")).to_be_visible(timeout=WAIT)
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")


def choose(page: Page, question: str, answer: str) -> None:
    fieldset = page.get_by_role("group", name=question, exact=True)
    fieldset.locator("label").filter(has_text=_exactly(answer)).click()
    expect(fieldset.get_by_label(answer, exact=True)).to_be_checked()


def draw_signature(page: Page) -> str:
    """Draw on the signature box like a finger would; returns the PNG the box holds (a data: URL)."""
    box = page.locator("#signature-pad").bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 120)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + 30 + i * 12, y + 120 - (40 if i % 2 else -20), steps=2)
    page.mouse.up()
    return str(page.evaluate("() => document.getElementById('signature-pad').toDataURL('image/png')"))


def record_visit(page: Page, child: str, note: str, checks: Any | None = None, restrained: bool = False,
                 marks: tuple[tuple[str, str], ...] = ()) -> str:
    """Record a whole visit in the offline app, sign it and put it in the outbox; returns the signature PNG.

    ``marks`` are (region button, type of mark): each is added by tapping the body map, then described."""
    page.get_by_role("list", name="Record a visit").get_by_role("link", name=child, exact=True).click()
    heading(page, "Child seen and who was present")
    choose(page, "Did you see the child?", "Yes, awake")
    page.get_by_role("button", name="Add a person present").click()
    page.get_by_label("Who is this person to the child?", exact=True).select_option(label="Mother")
    if checks:
        checks(page, "offline-section-seen")
    page.get_by_role("button", name="Save and continue").click()
    heading(page, "Sleep and cot")
    choose(page, "Where does the child sleep?", "Cot")
    for title in ("Sleep and cot", "Food and nutrition", "Weight and growth", "Mobility and development",
                  "Injuries and marks", "Home conditions"):
        heading(page, title)
        if title == "Injuries and marks":
            for n, (region, kind) in enumerate(marks, start=1):
                page.get_by_role("button", name=region, exact=True).tap()
                expect(page.locator("#body-map .bm-mark")).to_have_count(n)  # numbered on the diagram
                assert page.evaluate("() => document.activeElement.id") == f"injuries-row-{n}"
                page.locator(f"#injuries-{n}").get_by_label("Type of mark", exact=True).select_option(label=kind)
        page.get_by_role("button", name="Save and continue").click()
    heading(page, "The child's presentation and voice")
    if restrained:
        choose(page, "Were the child's limbs taped, tied or otherwise restrained?", "Yes")
    page.get_by_role("button", name="Save and continue").click()
    heading(page, "Your account and actions taken")
    page.get_by_label("What did you see and hear?", exact=True).fill(note)
    page.get_by_role("button", name="Save and continue").click()
    heading(page, "Check your answers and sign")
    if restrained:
        expect(page.get_by_text("Phone now. Do not wait for this visit to be sent")).to_be_visible()
        expect(page.get_by_text("R01: Child restrained, or ligature marks")).to_be_visible()
    if checks:
        checks(page, "offline-check")
    page.get_by_label("I confirm this is an accurate record of the visit, made by me").check()
    png = draw_signature(page)
    page.get_by_role("button", name="Put the visit in the outbox").click()
    heading(page, "Visits without signal")
    expect(page.get_by_text("Visit put in the outbox")).to_be_visible()
    return png


def unlock(page: Page, email: str, passcode: str = PASSCODE) -> None:
    heading(page, "Open your visits without signal")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Offline passcode", exact=True).fill(passcode)
    page.get_by_role("button", name="Open my offline visits").click()


RAW_INDEXEDDB = """async () => {
  const text = v => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v instanceof ArrayBuffer ? v : v.buffer);
      let s = ''; for (const b of bytes) s += String.fromCharCode(b); return s;
    }
    if (Array.isArray(v)) return v.map(text);
    if (v && typeof v === 'object') { const o = {}; for (const k in v) o[k] = text(v[k]); return o; }
    return v;
  };
  const out = {};
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
    out[info.name] = {};
    for (const name of db.objectStoreNames) {
      out[info.name][name] = await new Promise((ok, no) => {
        const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(text(r.result)); r.onerror = () => no(r.error);
      });
    }
    db.close();
  }
  return out;
}"""


def png_bytes(data_url: str) -> bytes:
    return base64.b64decode(data_url.split(",", 1)[1])


def visits_in_db(db: Any) -> list[dict[str, Any]]:
    return store.query(db, "SELECT id, status, source, observed_verbatim FROM visits ORDER BY observed_verbatim")


def audit_count(db: Any, action: str, visit_id: str) -> int:
    row = store.query_one(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = ? AND object_type = 'visit' "
                              "AND object_id = ?", (action, visit_id))
    return int(row["n"]) if row else 0


def signature_sha(db: Any, visit_id: str) -> str:
    row = store.query_one(db, "SELECT detail FROM audit_log WHERE action = 'sign' AND object_id = ?", (visit_id,))
    assert row is not None, f"visit {visit_id} was not signed"
    return str(json.loads(row["detail"])["signature_png_sha256"])


def wait_all_sent(page: Page, timeout: int = 60_000) -> None:
    expect(banner(page)).to_have_text(_exactly("All visits sent"), timeout=timeout)


# --- the tests ----------------------------------------------------------------------------------------

def test_three_visits_recorded_offline_arrive_once_with_their_signatures(
        live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any) -> None:
    page = page_at(*TABLET)
    context = page.context
    get_ready(page, live_server, "hv@a.example", check_page)
    check_page(page, "offline-home-ready")

    context.set_offline(True)
    page.goto(live_server + "/children/")  # any page with no signal opens the offline app
    unlock(page, "hv@a.example")  # a new page with no signal: the key is opened with the passcode
    heading(page, "Visits without signal")
    expect(page.get_by_text("There is no signal, so the page you asked for cannot open")).to_be_visible()
    notes = [f"Offline visit {n} {uuid.uuid4().hex}" for n in range(3)]
    drawn = [record_visit(page, "Ava Zephyrine", notes[0], check_page, restrained=True)]
    check_page(page, "offline-queued")
    drawn += [record_visit(page, "Ava Zephyrine", note) for note in notes[1:]]
    expect(banner(page)).to_have_text(_exactly("Offline: 3 visits waiting to send"))
    assert visits_in_db(db) == []

    page.close()  # the tab is closed (or the battery runs out)
    page = context.new_page()
    page.goto(live_server + "/offline/")
    unlock(page, "hv@a.example")
    heading(page, "Visits without signal")
    expect(banner(page)).to_have_text(_exactly("Offline: 3 visits waiting to send"))
    expect(page.locator("table tbody tr")).to_have_count(3)
    check_page(page, "offline-reopened")
    raw = json.dumps(page.evaluate(RAW_INDEXEDDB))
    for note in notes:
        assert note not in raw
    assert "Zephyrine" not in raw

    sent_signatures: dict[str, str] = {}

    def remember(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/signature"):
            visit_id = request.url.split("/")[-2]
            sent_signatures[visit_id] = hashlib.sha256(png_bytes(request.post_data_json["signature_png"])).hexdigest()

    page.on("request", remember)
    context.set_offline(False)
    wait_all_sent(page)
    expect(page.get_by_text("Nothing is waiting to send.")).to_be_visible()

    stored = visits_in_db(db)
    assert [v["observed_verbatim"] for v in stored] == sorted(notes)
    assert {v["source"] for v in stored} == {"offline"} and {v["status"] for v in stored} == {"signed"}
    by_note = {v["observed_verbatim"]: v["id"] for v in stored}
    for note, png in zip(notes, drawn, strict=True):
        visit_id = by_note[note]
        assert audit_count(db, "submit", visit_id) == 1 and audit_count(db, "sign", visit_id) == 1
        # the bytes drawn arrived as they were, and the stored image is the server's clean copy of them
        assert sent_signatures[visit_id] == hashlib.sha256(png_bytes(png)).hexdigest()
        assert signature_sha(db, visit_id) == hashlib.sha256(signatures.clean_signature_png(png_bytes(png))).hexdigest()
    raw = page.evaluate(RAW_INDEXEDDB)
    assert all(not stores["outbox"] for name, stores in raw.items() if "outbox" in stores)

    restrained = by_note[notes[0]]
    actions = store.query(db, "SELECT rule_id FROM actions WHERE visit_id = ?", (restrained,))
    assert "R01" in {a["rule_id"] for a in actions}  # the provisional action, confirmed by the server
    page.goto(f"{live_server}/children/{people['ava']['id']}")
    expect(page.get_by_text("Recorded offline")).to_have_count(3)
    check_page(page, "child-after-sync")
    check_page.assert_clean()


def test_replies_lost_after_the_server_committed_store_nothing_twice(
        live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any) -> None:
    page = page_at(*TABLET)
    get_ready(page, live_server, "hv@a.example", check_page)
    page.context.set_offline(True)
    notes = [f"Lossy {n} {uuid.uuid4().hex}" for n in range(3)]
    marks = (("Add a mark: left cheek (face, close up)", "Bruise"), ("Add a mark: back (back of the body)", "Burn or scald"))
    for note in notes:
        record_visit(page, "Ava Zephyrine", note, marks=marks)
    rng = random.Random(30)
    seen = {"sent": 0, "dropped": 0}

    def drop_some(route: Any) -> None:
        response = route.fetch()  # the server has the request and has committed it
        seen["sent"] += 1
        if seen["sent"] == 1 or rng.random() < 0.3:
            seen["dropped"] += 1
            route.abort("connectionreset")  # ... but the reply never reaches the tablet
        else:
            route.fulfill(response=response)

    page.route(re.compile(r".*/api/v1/visits/[0-9a-f-]+(/signature)?$"), drop_some)
    page.context.set_offline(False)
    for _ in range(60):  # the practitioner presses "Send now" rather than wait for the backoff
        if banner(page).inner_text().strip() == "All visits sent":
            break
        send = page.get_by_role("button", name="Send now")
        if send.is_visible():
            with contextlib.suppress(PlaywrightTimeoutError):  # it goes when the last visit is sent
                send.click(timeout=2000)
        page.wait_for_timeout(250)
    wait_all_sent(page)
    assert seen["dropped"] >= 1
    # without "Send now" the tablet waits: exponential backoff with jitter, capped at 5 minutes
    delays = page.evaluate("""async () => {
      const m = await import('/static/js/offline/sync.js');
      return [1, 2, 3, 6, 7, 20, 100].map(n => m.backoffDelay(n));
    }""")
    assert 2_500 <= delays[0] <= 5_000 and 5_000 <= delays[1] <= 10_000 and 10_000 <= delays[2] <= 20_000
    assert 80_000 <= delays[3] <= 160_000 and all(150_000 <= d <= 300_000 for d in delays[4:])
    stored = visits_in_db(db)
    assert [v["observed_verbatim"] for v in stored] == sorted(notes)
    for v in stored:  # each visit's marks arrived once, where they were tapped
        injuries = store.query(db, "SELECT type, body_site, map_view FROM injuries WHERE visit_id = ? ORDER BY position",
                               (v["id"],))
        assert injuries == [{"type": "bruise", "body_site": "left_cheek", "map_view": "face"},
                            {"type": "burn", "body_site": "back", "map_view": "back"}]
    for v in stored:
        assert v["status"] == "signed"
        assert audit_count(db, "submit", v["id"]) == 1 and audit_count(db, "sign", v["id"]) == 1
        assert store.query_one(db, "SELECT COUNT(*) AS n FROM carers_present WHERE visit_id = ?", (v["id"],))["n"] == 1
    check_page.assert_clean()


def test_a_session_that_ends_while_sending_loses_nothing(
        live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any) -> None:
    page = page_at(*TABLET)
    get_ready(page, live_server, "hv@a.example", check_page)
    page.context.set_offline(True)
    notes = [f"Expiring {n} {uuid.uuid4().hex}" for n in range(3)]
    for note in notes:
        record_visit(page, "Ava Zephyrine", note)
    puts = {"n": 0}

    def expire_after_the_first(route: Any) -> None:
        route.continue_()
        if route.request.method == "PUT":
            puts["n"] += 1
            if puts["n"] == 1:  # the tablet was left on the table: the session idles out mid-sync
                an_hour_ago = auth.iso(auth.now_utc() - timedelta(hours=1))
                with store.write(db):
                    store.execute(db, "UPDATE sessions SET last_seen_at = ? WHERE ended_at IS NULL", (an_hour_ago,))

    page.route(re.compile(r".*/api/v1/visits/[0-9a-f-]+$"), expire_after_the_first)
    page.context.set_offline(False)
    expect(page.get_by_text("Your session has ended, so they cannot be sent")).to_be_visible(timeout=WAIT)
    check_page(page, "offline-sign-in-again")
    assert len(visits_in_db(db)) <= 1
    assert re.fullmatch(r"Offline: [23] visits waiting to send", banner(page).inner_text().strip())

    page.unroute_all()
    page.get_by_role("link", name="sign in again to send them").click()
    fill_sign_in(page, "hv@a.example")
    heading(page, "Visits without signal")
    wait_all_sent(page)
    stored = visits_in_db(db)
    assert [v["observed_verbatim"] for v in stored] == sorted(notes)
    assert all(audit_count(db, "submit", v["id"]) == 1 and v["status"] == "signed" for v in stored)
    check_page.assert_clean()


def test_another_practitioner_on_the_same_tablet_cannot_read_or_lose_the_queue(
        live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any) -> None:
    page = page_at(*TABLET)
    context = page.context
    get_ready(page, live_server, "hv@a.example", check_page)
    context.set_offline(True)
    sentinel = f"SENTINEL-{uuid.uuid4().hex}"
    record_visit(page, "Ava Zephyrine", sentinel)
    page.close()
    context.clear_cookies()  # Hana's session is gone (as after sign-out or the idle timeout)
    context.set_offline(False)

    page = context.new_page()
    get_ready(page, live_server, "sw@a.example", check_page)  # Sam signs in on the same browser profile
    expect(page.get_by_text("Nothing is waiting to send.")).to_be_visible()
    expect(page.get_by_text("1 visit recorded by someone else is waiting on this tablet")).to_be_visible()
    check_page(page, "offline-home-someone-else-waiting")
    raw = page.evaluate(RAW_INDEXEDDB)
    dumped = json.dumps(raw)
    assert sentinel not in dumped and "Zephyrine" not in dumped and "Hana" not in dumped
    outboxes = {name: stores["outbox"] for name, stores in raw.items() if "outbox" in stores}
    assert len(outboxes) == 2
    hanas = [rows for rows in outboxes.values() if rows]
    assert len(hanas) == 1 and len(hanas[0]) == 1
    assert set(hanas[0][0]) >= {"id", "iv", "ct", "state"} and hanas[0][0]["state"] == "queued"
    assert visits_in_db(db) == []

    # Sam cannot open Hana's store with his own passcode, nor Hana's email with the wrong passcode
    context.clear_cookies()
    context.set_offline(True)
    page.goto(live_server + "/offline/")
    unlock(page, "hv@a.example", PASSCODE + "-not")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the correct email address and offline passcode")
    check_page(page, "offline-unlock-refused")
    context.set_offline(False)

    # Hana signs in again: her visit is still there and is sent
    sign_in_browser(page, live_server, "hv@a.example", "/offline/")
    heading(page, "Visits without signal")
    wait_all_sent(page)
    assert [v["observed_verbatim"] for v in visits_in_db(db)] == [sentinel]
    check_page.assert_clean()


def test_a_conflict_is_shown_with_both_versions_and_never_overwritten(
        app: Any, live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any) -> None:
    page = page_at(*TABLET)
    get_ready(page, live_server, "hv@a.example", check_page)
    page.context.set_offline(True)
    record_visit(page, "Ava Zephyrine", "Recorded on the tablet")
    href = page.locator("table tbody tr a").first.get_attribute("href") or ""
    visit_id = re.search(r"id=([0-9a-f-]{36})", href).group(1)  # type: ignore[union-attr]
    # the same id arrives first from somewhere else, with a different body
    token = auth.create_token(db, people["a"]["id"], "other device")
    other = full_visit(people["ava"]["id"], id=visit_id, observed_verbatim="Recorded elsewhere")
    response = app.test_client().put(f"/api/v1/visits/{visit_id}", json=other, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    page.context.set_offline(False)
    expect(page.get_by_text("needs your attention before it can be sent")).to_be_visible(timeout=WAIT)
    page.get_by_role("table").get_by_role("link", name="Ava Zephyrine").click()
    heading(page, "This visit conflicts with one on the server")
    expect(page.get_by_text("On this tablet: Recorded on the tablet")).to_be_visible()
    expect(page.get_by_text("On the server: Recorded elsewhere")).to_be_visible()
    check_page(page, "offline-conflict")
    assert [v["observed_verbatim"] for v in visits_in_db(db)] == ["Recorded elsewhere"]
    # the child's page lists what this tablet has not sent yet
    page.goto(f"{live_server}/children/{people['ava']['id']}")
    expect(banner(page)).to_have_text(_exactly("Offline: 1 visit waiting to send"))
    expect(page.locator("#offline-status li")).to_contain_text(["Recorded offline Needs your attention"])
    check_page(page, "child-with-visit-not-sent")
    page.get_by_role("link", name="See the visits waiting to send").click()
    heading(page, "Visits without signal")
    page.get_by_role("table").get_by_role("link", name="Ava Zephyrine").click()
    heading(page, "This visit conflicts with one on the server")
    page.get_by_role("button", name="Send my version as a separate visit").click()
    heading(page, "Visits without signal")
    wait_all_sent(page)
    assert sorted(v["observed_verbatim"] for v in visits_in_db(db)) == ["Recorded elsewhere", "Recorded on the tablet"]
    check_page.assert_clean()


@pytest.mark.parametrize("viewport", [pytest.param(TABLET, id="tablet"), pytest.param(PHONE, id="phone")])
def test_what_was_typed_survives_a_closed_tab_and_mistakes_are_shown_as_on_every_page(
        live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any,
        viewport: tuple[int, int]) -> None:
    page = page_at(*viewport)
    context = page.context
    get_ready(page, live_server, "hv@a.example", check_page)
    context.set_offline(True)
    page.get_by_role("list", name="Record a visit").get_by_role("link", name="Ava Zephyrine", exact=True).click()
    heading(page, "Child seen and who was present")
    choose(page, "Did you see the child?", "No, not seen")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter why the child was not seen")
    expect(page).to_have_title(re.compile(r"^Error: Child seen and who was present"))
    check_page(page, "offline-section-error")
    summary.get_by_role("link", name="Enter why the child was not seen").click()
    reason = page.get_by_label("Why was the child not seen?", exact=True)
    expect(reason).to_be_focused()
    reason.fill("Mother said he was at his grandmother's; I will visit again tomorrow")
    page.close()  # straight away: the battery died

    page = context.new_page()
    page.goto(live_server + "/offline/")
    unlock(page, "hv@a.example")
    heading(page, "Visits without signal")
    check_page(page, "offline-home-with-draft")
    page.get_by_role("link", name="Carry on with the visit to Ava Zephyrine").click()
    heading(page, "Child seen and who was present")
    expect(page.get_by_label("Why was the child not seen?", exact=True)).to_have_value(
        "Mother said he was at his grandmother's; I will visit again tomorrow")
    expect(page.get_by_role("group", name="Did you see the child?", exact=True).get_by_label("No, not seen")).to_be_checked()
    raw = json.dumps(page.evaluate(RAW_INDEXEDDB))
    assert "grandmother" not in raw
    check_page.assert_clean()


def test_a_visit_with_no_access_recorded_offline_skips_the_pages_nobody_could_see_and_arrives_once(
        live_server: str, db: Any, people: dict[str, Any], page_at: Any, check_page: Any) -> None:
    """#15: with no signal at the door, the practitioner says nobody answered and what they tried; the pages
    about the home and the child are skipped, as on the page with signal, and the visit arrives once."""
    page = page_at(*TABLET)
    get_ready(page, live_server, "hv@a.example", check_page)
    page.context.set_offline(True)
    note = f"No answer {uuid.uuid4().hex}"
    page.get_by_role("list", name="Record a visit").get_by_role("link", name="Ava Zephyrine", exact=True).click()
    heading(page, "Child seen and who was present")
    choose(page, "Did you see the child?", "No, not seen")
    choose(page, "Did you get into the home and see the child?", "No access: nobody answered")
    page.get_by_role("button", name="Save and continue").click()
    # what was tried is needed, said as on every page
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select what you tried, so the next person knows what has been done")
    heading(page, "Child seen and who was present")
    check_page(page, "offline-no-access-needs-what-was-tried")
    tried = page.get_by_role("group", name="What did you try?", exact=True)
    tried.get_by_label("Knocked or rang, and waited", exact=True).check()
    tried.get_by_label("Left a card or letter saying I had called", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    heading(page, "Your account and actions taken")  # sleep, food ... presentation skipped
    page.get_by_label("What did you see and hear?", exact=True).fill(note)
    page.get_by_role("button", name="Save and continue").click()
    heading(page, "Check your answers and sign")
    expect(page.locator(".app-skipped")).to_have_count(7)
    expect(page.locator(".app-skipped").first).to_have_text("Skipped: No access: nobody answered.")
    check_page(page, "offline-no-access-check")
    page.get_by_label("I confirm this is an accurate record of the visit, made by me").check()
    draw_signature(page)
    page.get_by_role("button", name="Put the visit in the outbox").click()
    heading(page, "Visits without signal")
    page.context.set_offline(False)
    wait_all_sent(page)
    stored = store.query(db, "SELECT id, status, access_outcome, access_attempts, child_seen, sleep_space "
                             "FROM visits WHERE observed_verbatim = ?", (note,))
    assert len(stored) == 1
    assert stored[0]["status"] == "signed" and stored[0]["access_outcome"] == "no_answer"
    assert stored[0]["access_attempts"] == '["knocked","card_left"]' and stored[0]["child_seen"] == "not_seen"
    assert stored[0]["sleep_space"] is None
    assert audit_count(db, "submit", stored[0]["id"]) == 1
    check_page.assert_clean()
