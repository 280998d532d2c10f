"""A referral from the visit that shows the need for one to the strategy discussion, in a real browser on a tablet.

A health visitor records a visit to a toddler whose weight has been falling across earlier visits (by her and
a social worker): a bare mattress and no food in the home. The required actions offer the referral; the form
opens filled in, with the growth chart and the repeated concerns in front of her; she signs the pack and
records that she phoned it through three working days ago. The hub never acknowledged it, so her supervisor's
dashboard shows it waiting, not acknowledged in time, with the first escalation step open. The supervisor
records the hub's decision (a strategy discussion) and the strategy discussion itself, with an action.
Every page is checked with axe-core, for sideways scrolling and for 44px touch targets.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from test_visit_journey import choose, heading, press, tick

from helpers import TABLET, fill_sign_in, full_visit, make_child
from homevisit.data import store
from homevisit.domain.calendar import LONDON, add_working_days

pytestmark = pytest.mark.browser


def _earlier_visits(app: Any, child: dict[str, Any], token_for: Any) -> None:
    """Three earlier visits, by the health visitor and a social worker, with the weight falling each time."""
    client = app.test_client()
    for days_ago, kg, role in ((120, 9.9, "practitioner"), (90, 9.3, "practitioner2"), (60, 8.7, "practitioner")):
        day = (date.today() - timedelta(days=days_ago)).isoformat()
        body = full_visit(child["id"], visited_at=f"{day}T10:00:00+00:00", weight_kg=kg,
                          visitor_role="health_visitor" if role == "practitioner" else "social_worker",
                          age_appropriate_food="none" if days_ago == 60 else "more_than_3_days",
                          observed_verbatim=f"Seen on {day}: Leo quiet in his cot.")
        response = client.put(f"/api/v1/visits/{body['id']}", json=body, headers=token_for(role))
        assert response.status_code == 201, response.get_data(as_text=True)


def _sign_in(page: Page, base: str, email: str, check_page: Any, name: str) -> None:
    page.goto(base + "/sign-in")
    check_page(page, name)
    fill_sign_in(page, email)


def _record_the_visit(page: Page, check_page: Any) -> None:
    """The visit, as she records it in the flat: child seen, bare mattress, no food, weighed."""
    page.get_by_role("link", name="Leo Harris", exact=True).click()
    heading(page, "Leo Harris")
    press(page, "Record a visit")
    heading(page, "Child seen and who was present")
    choose(page, "What is your role on this visit?", "Health visitor")
    choose(page, "Did you see the child?", "Yes, awake")
    press(page, "Save and continue")
    heading(page, "Sleep and cot")
    choose(page, "Where does the child sleep?", "Cot")
    choose(page, "What covers the child when asleep?", "Nothing")
    choose(page, "What condition is the mattress in?", "Stained")
    tick(page, "What else is in the sleep space?", "Nothing else")
    choose(page, "Is the room heated?", "No")
    check_page(page, "sleep")
    press(page, "Save and continue")
    heading(page, "Food and nutrition")
    choose(page, "How much food suitable for the child's age is in the home?", "None")
    press(page, "Save and continue")
    heading(page, "Weight and growth")
    page.get_by_label("What does the child weigh?", exact=True).fill("8.10")
    choose(page, "What was the child wearing when weighed?", "Naked")
    choose(page, "What type of scale did you use?", "Class III medical scale")
    press(page, "Save and continue")
    remeasured = page.get_by_role("group", name=re.compile("re-?weigh", re.I))
    if remeasured.count():  # a weight far below the last one asks her to confirm it was re-weighed
        remeasured.locator("label").first.click()
        press(page, "Save and continue")
    while page.get_by_role("heading", level=1).inner_text().strip() != "Check your answers":
        press(page, "Save and continue")
    check_page(page, "check-your-answers")
    press(page, "Submit visit")
    expect(page.locator(".govuk-panel")).to_contain_text("Visit submitted")
    check_page(page, "visit-submitted")


def test_a_referral_from_the_visit_to_the_strategy_discussion(signing_app: Any, db: Any, users: dict[str, Any],
                                                              token_for: Any, live_server: str, page_at: Any,
                                                              check_page: Any) -> None:
    child = make_child(db, users["practitioner"], given_name="Leo", family_name="Harris", sex="male",
                       date_of_birth=(date.today() - timedelta(days=520)).isoformat(), birth_weight_kg=3.4,
                       nhs_number="9434765919")
    _earlier_visits(signing_app, child, token_for)

    page = page_at(*TABLET)
    _sign_in(page, live_server, users["practitioner"]["email"], check_page, "sign-in")
    heading(page, "Your team's caseload")
    _record_the_visit(page, check_page)

    # the required actions offer the referral
    offers = page.locator("a.app-make-referral")
    expect(offers.first).to_be_visible()
    offers.first.click()
    heading(page, "Make a referral")
    check_page(page, "referral-form")
    expect(page.get_by_label("Why are you referring?", exact=True)).not_to_have_value("")
    expect(page.get_by_label("What did you see and hear?", exact=True)).to_contain_text("Leo quiet in his cot")
    evidence = page.locator("#evidence ~ figure.app-chart svg")
    expect(evidence).to_have_count(1)
    expect(page.locator("#repeated-concerns li").first).to_contain_text(re.compile(r": \d+ times"))
    page.get_by_label("Have the parents or carers been told about this referral?", exact=True).fill(
        "Yes, at the visit. Mother said she understood.")
    press(page, "Save the referral")
    heading(page, "Referral to Multi-Agency Safeguarding Hub (MASH): children's social care front door")
    check_page(page, "referral-saved")

    # she signs the pack, and it carries the chart and the repeats
    page.get_by_label("I confirm the information in this referral is true to the best of my knowledge").check()
    press(page, "Sign the referral pack")
    expect(page.locator("#open-pack")).to_be_visible()
    check_page(page, "referral-signed")
    response = page.request.get(live_server + page.locator("#open-pack").get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.body(), capture_output=True,
                                   check=True).stdout.decode("utf-8").split())
    for words in ("Multi-agency referral", "Leo Harris", "943 476 5919", "Growth across every visit",
                  "Concerns recorded more than once", "Yes, at the visit. Mother said she understood."):
        assert words in text, words

    # she phoned it through three working days ago, at ten in the morning; the hub did not acknowledge it
    sent = add_working_days(datetime.now(LONDON).replace(hour=10, minute=0, second=0, microsecond=0), -3)
    page.get_by_label("When did you send it?", exact=True).fill(sent.strftime("%Y-%m-%d %H:%M"))
    choose(page, "How did you send it?", "Phone")
    page.get_by_label("Reference", exact=True).fill("MASH-2026-0412")
    press(page, "Record that it was sent")
    expect(page.get_by_role("heading", name="The hub's response")).to_be_visible()
    check_page(page, "referral-sent")
    referral_url = page.url

    # the supervisor's dashboard, the next working day and after: waiting, not acknowledged, escalated
    supervisor = page_at(*TABLET)
    _sign_in(supervisor, live_server, users["supervisor"]["email"], check_page, "supervisor-sign-in")
    supervisor.get_by_role("link", name="Supervision").click()
    heading(supervisor, "Supervision: your team")
    check_page(supervisor, "dashboard")
    waiting = supervisor.locator("#referrals-waiting + ul li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Leo Harris")
    expect(waiting).to_contain_text("Not acknowledged in time")
    expect(waiting).to_contain_text("Escalation step 1")
    escalations = supervisor.locator("#escalations + table")
    expect(escalations).to_contain_text("ESC1")
    expect(escalations).to_contain_text("Leo Harris")

    # she records the hub's decision, as the hub manager gave it on the phone, and the strategy discussion
    waiting.get_by_role("link").click()
    assert supervisor.url == referral_url
    check_page(supervisor, "referral-supervisor")
    choose(supervisor, "Record the hub's response", "The hub made a decision")
    supervisor.get_by_label("When?", exact=True).fill(datetime.now(LONDON).strftime("%Y-%m-%d %H:%M"))
    supervisor.get_by_label("Who at the hub?", exact=True).fill("Sam Reid, MASH team manager")
    choose(supervisor, "What did the hub decide? (for a decision)", "Strategy discussion")
    supervisor.get_by_label("The reasons the hub gave", exact=True).fill(
        "Faltering growth with neglect; a strategy discussion today with police and health.")
    press(supervisor, "Record the response")
    expect(supervisor.get_by_text("Decision: Strategy discussion, by Sam Reid, MASH team manager")).to_be_visible()
    check_page(supervisor, "referral-decided")

    supervisor.get_by_role("link", name="Record a strategy discussion").click()
    check_page(supervisor, "strategy-form")
    supervisor.get_by_label("When was it held?", exact=True).fill(datetime.now(LONDON).strftime("%Y-%m-%d %H:%M"))
    tick(supervisor, "Which agencies attended?", "Children's social care", "Police",
         "Health (health visitor, GP, paediatrician or named nurse)")
    choose(supervisor, "What was decided?", "Child protection medical")
    supervisor.get_by_label("Notes of the discussion", exact=True).fill(
        "Weight fallen across four visits; no food; bare mattress in a cold room.")
    first = supervisor.get_by_role("group", name="Action 1", exact=True)
    first.get_by_label("What is to be done", exact=True).fill("Child protection medical with the paediatrician today")
    first.get_by_label("Who will do it?", exact=True).fill("Health visitor with the on-call paediatrician")
    first.get_by_label("Due by", exact=True).fill(date.today().isoformat())
    press(supervisor, "Record the strategy discussion")
    check_page(supervisor, "strategy-recorded")
    expect(supervisor.get_by_text("Child protection medical with the paediatrician today").first).to_be_visible()

    stored = store.query_one(db, "SELECT id, status, decision FROM referrals WHERE child_id = ?", (child["id"],))
    assert stored["status"] == "decided" and stored["decision"] == "strategy_discussion"
    strategy = store.query_one(db, "SELECT decision, attendees FROM strategy_discussions WHERE child_id = ?",
                               (child["id"],))
    assert strategy["decision"] == "medical"
    tracked = store.query(db, "SELECT rule_id, status FROM actions WHERE child_id = ? AND strategy_id IS NOT NULL",
                          (child["id"],))
    assert [a["rule_id"] for a in tracked] == ["SD1"] and tracked[0]["status"] == "open"
    check_page.assert_clean()
