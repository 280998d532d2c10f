"""The whole visit journey in a real browser, on a tablet and on a phone.

Sign in, open the child from the caseload, record a visit through every section (every kind of
question: radios, checkboxes, drop-down lists, numbers, dates, the date and time, text boxes, people
present and marks added as rows), close the tab half way and carry on from the caseload's draft list,
correct a mistake, check the answers, submit, and see the visit on the child's page. A session that
ends while a page is being filled in keeps what was typed. Every page is screenshotted and checked
with axe-core, for sideways scrolling and for 44px touch targets.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from helpers import PHONE, TABLET, fill_sign_in, make_child
from homevisit.data import store
from homevisit.web import auth

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(TABLET, id="tablet"), pytest.param(PHONE, id="phone")]


# --- answering questions the way a practitioner does -------------------------------------------------

def _exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def group(scope: Any, question: str) -> Any:
    """The fieldset of a radio or checkbox question, found by its legend."""
    return scope.get_by_role("group", name=question, exact=True)


def choose(scope: Any, question: str, answer: str) -> None:
    """Answer a radio question by tapping the words of the answer."""
    fieldset = group(scope, question)
    fieldset.locator("label").filter(has_text=_exactly(answer)).click()
    expect(fieldset.get_by_label(answer, exact=True)).to_be_checked()


def tick(scope: Any, question: str, *answers: str) -> None:
    fieldset = group(scope, question)
    for answer in answers:
        fieldset.locator("label").filter(has_text=_exactly(answer)).click()
        expect(fieldset.get_by_label(answer, exact=True)).to_be_checked()


def fill(scope: Any, question: str, value: str) -> None:
    field = scope.get_by_label(question, exact=True)
    field.fill(value)
    expect(field).to_have_value(value)


def select(scope: Any, question: str, option: str) -> None:
    scope.get_by_label(question, exact=True).select_option(label=option)


def checked(scope: Any, question: str, answer: str) -> None:
    expect(group(scope, question).get_by_label(answer, exact=True)).to_be_checked()


def press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("load")


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(_exactly(text))


def answer_row(page: Page, question: str, within: Any = None) -> Any:
    scope = within if within is not None else page
    return scope.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key").filter(has_text=_exactly(question)))


def answer_is(page: Page, question: str, value: str, within: Any = None) -> None:
    row = answer_row(page, question, within)
    expect(row).to_have_count(1)
    expect(row.locator(".govuk-summary-list__value")).to_have_text(_exactly(value))


def sign_in(page: Page, base: str, email: str, checks: Any, name: str = "sign-in") -> None:
    if not page.url.startswith(base + "/sign-in"):
        page.goto(base + "/sign-in")
    heading(page, "Sign in")
    checks(page, name)
    fill_sign_in(page, email)


def expire_sessions(db: Any) -> None:
    """Make every open session idle for an hour, as if the tablet had been left on the table."""
    an_hour_ago = auth.iso(auth.now_utc() - timedelta(hours=1))
    with store.write(db):
        store.execute(db, "UPDATE sessions SET last_seen_at = ? WHERE ended_at IS NULL", (an_hour_ago,))


def start_visit(page: Page, base: str, email: str, checks: Any) -> None:
    sign_in(page, base, email, checks)
    heading(page, "Your team's caseload")
    checks(page, "caseload")
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():  # a phone: the service navigation is behind a Menu button
        menu.click()
        expect(page.get_by_role("link", name="Your account")).to_be_visible()
        checks(page, "caseload-menu-open")
        menu.click()
        expect(page.get_by_role("link", name="Your account")).to_be_hidden()
    page.get_by_role("link", name="Ava Test", exact=True).click()
    heading(page, "Ava Test")
    checks(page, "child")
    press(page, "Record a visit")
    heading(page, "Child seen and who was present")


# --- the sections ------------------------------------------------------------------------------------

def answer_seen(page: Page, checks: Any) -> None:
    checks(page, "seen")
    started = page.get_by_label("When did the visit start?", exact=True)
    expect(started).to_have_attribute("type", "datetime-local")
    prefilled = started.input_value()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", prefilled), prefilled  # left as it is
    choose(page, "What is your role on this visit?", "Health visitor")
    choose(page, "Did you see the child?", "Yes, awake")
    choose(page, "Did you see the child alone, away from the carers?", "No")
    choose(page, "Was an interpreter used?", "No")
    choose(page, "How did the carers present?", "Engaged")
    fill(page, "Were the carers' accounts consistent?", "Mother's account of the week matched what she said last visit.")
    fill(page, "Which other agencies are involved?", "GP; nursery from January")
    expect(page.get_by_text("No one added yet.")).to_be_visible()
    press(page, "Add a person present")
    heading(page, "Child seen and who was present")
    person = page.get_by_role("group", name="Person 1", exact=True)
    expect(person).to_be_visible()
    checked(page, "Did you see the child?", "Yes, awake")  # what was typed before adding the row is kept
    expect(page.get_by_label("Which other agencies are involved?", exact=True)).to_have_value("GP; nursery from January")
    checks(page, "seen-person-added")
    select(person, "Who is this person to the child?", "Mother")
    fill(person, "Name", "Jo Test")
    choose(person, "Do they have parental responsibility?", "Yes")
    choose(person, "Do they live here?", "Yes")
    choose(person, "Were they present for the whole visit?", "Yes")
    press(page, "Save and continue")


def answer_sleep_with_a_mistake(page: Page, checks: Any) -> None:
    heading(page, "Sleep and cot")
    checks(page, "sleep")
    choose(page, "Where does the child sleep?", "Cot")
    choose(page, "Is the mattress firm and flat, and does it fit without gaps?", "Yes")
    choose(page, "What condition is the mattress in?", "Clean")
    choose(page, "What covers the child when asleep?", "Baby sleep bag")
    tick(page, "What else is in the sleep space?", "Nothing else")
    temperature = "What is the temperature of the room where the child sleeps?"
    fill(page, temperature, "abc")
    choose(page, "Is the room heated?", "Yes")
    choose(page, "Is the child cold to touch, mottled or shivering?", "No")
    choose(page, "Does the child share a bed or sofa with an adult?", "No")
    # "Is the child left in the cot awake for long periods?" is left unanswered: not observed
    press(page, "Save and continue")

    heading(page, "Sleep and cot")
    expect(page).to_have_title(re.compile(r"^Error: Sleep and cot"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter the room temperature as a number")).to_be_visible()
    field = page.get_by_label(temperature, exact=True)
    expect(field).to_have_value("abc")  # the practitioner's own typing, shown back
    expect(page.locator("#room_temp_c-error")).to_contain_text("Enter the room temperature as a number")
    checked(page, "Where does the child sleep?", "Cot")
    checked(page, "What else is in the sleep space?", "Nothing else")
    checks(page, "sleep-error")
    summary.get_by_role("link", name="Enter the room temperature as a number").click()
    expect(field).to_be_focused()
    fill(page, temperature, "18.5")
    press(page, "Save and continue")


def answer_food(page: Page, checks: Any) -> None:
    heading(page, "Food and nutrition")
    checks(page, "food")
    choose(page, "How is the child fed?", "Solids with milk")
    choose(page, "How much food suitable for the child's age is in the home?", "More than 3 days")
    fill(page, "How many days of formula are in the home?", "5")
    choose(page, "Is mouldy or spoiled food within the child's reach?", "No")
    tick(page, "Which of these work in the kitchen?", "Fridge", "Cooker", "Running water")
    choose(page, "Did you observe a feed?", "Yes")
    fill(page, "What did you see during the feed?", "Mother spoon-fed mashed vegetables; Ava fed herself finger foods.")
    choose(page, "Did the child seem hungry, or hoard or gorge food?", "No")
    choose(page, "Did you offer a food bank referral?", "Not observed")
    press(page, "Save and continue")
    heading(page, "Weight and growth")


def check_sleep_and_food_kept(page: Page, checks: Any) -> None:
    """Back through the saved pages: every answer is still there."""
    page.get_by_role("link", name="Back", exact=True).click()
    heading(page, "Food and nutrition")
    checks(page, "food-again")
    checked(page, "How is the child fed?", "Solids with milk")
    checked(page, "Which of these work in the kitchen?", "Running water")
    # a question answered 'Not observed' on a saved page shows 'Not observed' again, not a blank
    checked(page, "Did you offer a food bank referral?", "Not observed")
    expect(page.get_by_label("How many days of formula are in the home?", exact=True)).to_have_value("5")
    page.get_by_role("link", name="Back", exact=True).click()
    heading(page, "Sleep and cot")
    checks(page, "sleep-again")
    checked(page, "Where does the child sleep?", "Cot")
    checked(page, "What covers the child when asleep?", "Baby sleep bag")
    checked(page, "What else is in the sleep space?", "Nothing else")
    expect(page.get_by_label("What is the temperature of the room where the child sleeps?", exact=True)
           ).to_have_value("18.5")
    checked(page, "Is the child left in the cot awake for long periods?", "Not observed")
    press(page, "Save and continue")
    heading(page, "Food and nutrition")
    press(page, "Save and continue")
    heading(page, "Weight and growth")


def answer_weight(page: Page, checks: Any) -> None:
    heading(page, "Weight and growth")
    fill(page, "What does the child weigh?", "8.45")
    choose(page, "What was the child wearing when weighed?", "Naked")
    choose(page, "What type of scale did you use?", "Class III medical scale")
    fill(page, "Scale identifier", "SC-0042")
    calibrated = page.get_by_label("When was the scale last calibrated?", exact=True)
    expect(calibrated).to_have_attribute("type", "date")
    calibrated.fill((date.today() - timedelta(days=90)).isoformat())
    fill(page, "Length or height", "71.5")
    choose(page, "How was length or height measured?", "Length mat")
    fill(page, "Head circumference", "43.5")
    fill(page, "Height of birth mother", "165")
    # the father's height is not known; no need to re-weigh a weight near the median
    checks(page, "weight-filled")
    press(page, "Save and continue")


def answer_mobility(page: Page, checks: Any) -> None:
    heading(page, "Mobility and development")
    checks(page, "mobility")
    for skill in ("Holds head steady", "Rolls over", "Sits without support", "Crawls or bottom-shuffles",
                  "Pulls to stand", "Cruises along furniture"):
        choose(page, skill, "Yes")
    choose(page, "Stands alone", "No")
    choose(page, "Walks alone", "No")
    choose(page, "How do you know about these skills?", "Some seen, some reported")
    choose(page, "Does the child take weight on both legs when held?", "Yes")
    for question in ("Has the child lost a skill they had before?", "Does the child show pain when handled?",
                     "Does the child move one side less than the other?", "Is the child not using an arm or leg?"):
        choose(page, question, "No")
    choose(page, "Are there toys and play suitable for the child's age?", "Enough")
    press(page, "Save and continue")


def answer_injuries(page: Page, checks: Any) -> None:
    heading(page, "Injuries and marks")
    checks(page, "injuries")
    fill(page, "How many fractures is the child known to have had?", "0")
    # "Are the fractures of different ages?" left unanswered
    choose(page, "Has a hidden (occult) fracture been found?", "No")
    expect(page.get_by_text("No marks added.")).to_be_visible()
    press(page, "Add a mark or injury")
    heading(page, "Injuries and marks")
    mark = page.get_by_role("group", name="Mark 1", exact=True)
    expect(mark).to_be_visible()
    expect(page.get_by_label("How many fractures is the child known to have had?", exact=True)).to_have_value("0")
    checks(page, "injuries-mark-added")
    select(mark, "Type of mark", "Bruise")
    select(mark, "Where on the body?", "Left lower leg")
    fill(mark, "Size", "15")
    choose(mark, "Does it have a shape or pattern?", "No pattern")
    fill(mark, "How many marks like this?", "1")
    choose(mark, "Are they clustered together?", "No")
    fill(mark, "Colour", "Blue, yellow at the edges")
    fill(mark, "Explanation given", "Bumped her shin on the coffee table while cruising on Sunday.")
    fill(mark, "Who gave the explanation?", "Mother")
    choose(mark, "Is the explanation suitable?", "Suitable")
    noticed = mark.get_by_label("When did the carer first notice it?", exact=True)
    noticed.fill((date.today() - timedelta(days=2)).isoformat())
    choose(mark, "Has medical help been sought?", "No")
    choose(mark, "Was a photograph taken?", "Yes")
    choose(mark, "Has a clinician confirmed a condition that explains it?", "No")
    checks(page, "injuries-mark-filled")
    press(page, "Save and continue")


def answer_home(page: Page, checks: Any) -> None:
    heading(page, "Home conditions")
    checks(page, "home")
    for question in ("Is there a strong smell (urine, faeces, rot)?", "Are floors dirty or covered in debris?",
                     "Are kitchen surfaces dirty or cluttered with old food?", "Are dishes and bottles left unwashed?",
                     "Is the toilet or bath dirty or unusable?", "Are beds and furniture dirty or broken?",
                     "Are the children's clothes or hair unwashed?", "Is rubbish piled up inside?"):
        choose(page, question, "No")
    tick(page, "Which hazards are within the child's reach?", "None seen")
    choose(page, "Is the home heated?", "Yes")
    choose(page, "Is there hot water?", "Yes")
    choose(page, "Is there damp or mould?", "No")
    choose(page, "Is the home overcrowded?", "No")
    # the GCP2 grades are left blank: not trained
    press(page, "Save and continue")


def answer_presentation(page: Page, checks: Any) -> None:
    heading(page, "The child's presentation and voice")
    checks(page, "presentation")
    choose(page, "How did the child seem?", "Interactive")
    choose(page, "What was the child's hygiene like?", "Clean")
    choose(page, "Is the child's clothing right for the temperature and their size?", "Yes")
    choose(page, "How did the carer interact with the child?", "Warm")
    choose(page, "Were the child's limbs taped, tied or otherwise restrained?", "No")
    fill(page, "What is a day in the child's life like?", "Up at 7, nursery two mornings a week, naps after lunch.")
    fill(page, "What did the child say or do?", "Babbled, pointed at the dog, crawled to her mother when I arrived.")
    press(page, "Save and continue")


def answer_summary(page: Page, checks: Any) -> None:
    heading(page, "Your account and actions taken")
    checks(page, "summary")
    fill(page, "What did you see and hear?", "Ava was awake and playing on the floor. A 15 mm bruise on the left shin.")
    fill(page, "What do you think it means?", "Explanation fits a cruising baby. No concern beyond the usual advice.")
    choose(page, "Did anyone disclose harm to the child?", "No")
    choose(page, "Have you made a referral to children's social care (MASH) about this visit?", "No")
    choose(page, "Has a section 47 enquiry started?", "No")
    fill(page, "How many weighs or clinic appointments has the child missed since the last visit?", "0")
    press(page, "Save and continue")


# --- the tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_visit_recorded_through_every_section(live_server: str, db: Any, users: dict[str, Any], page_at: Any,
                                                check_page: Any, viewport: tuple[int, int]) -> None:
    make_child(db, users["practitioner"])  # Ava Test, a girl of about 10 months, born at term, 3.4 kg
    page = page_at(*viewport)
    start_visit(page, live_server, users["practitioner"]["email"], check_page)
    visited_at = page.get_by_label("When did the visit start?", exact=True).input_value()
    answer_seen(page, check_page)
    answer_sleep_with_a_mistake(page, check_page)
    answer_food(page, check_page)
    check_page(page, "weight")

    # Half way: the tab is closed. A new tab finds the draft on the caseload.
    context = page.context
    page.close()
    page = context.new_page()
    page.goto(live_server + "/children/")
    heading(page, "Your team's caseload")
    drafts = page.locator(".app-panel").filter(has=page.get_by_role("heading", name="Your draft visits"))
    expect(drafts).to_be_visible()
    check_page(page, "caseload-with-draft")
    drafts.get_by_role("link", name="Carry on with the visit to Ava Test").click()
    heading(page, "Weight and growth")
    check_page(page, "weight-resumed")
    check_sleep_and_food_kept(page, check_page)

    answer_weight(page, check_page)
    answer_mobility(page, check_page)
    answer_injuries(page, check_page)
    answer_home(page, check_page)
    answer_presentation(page, check_page)
    answer_summary(page, check_page)

    heading(page, "Check your answers")
    check_page(page, "check-your-answers")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    answer_is(page, "When did the visit start?", datetime.fromisoformat(visited_at).strftime("%-d %B %Y at %H:%M"))
    answer_is(page, "Did you see the child?", "Yes, awake")
    answer_is(page, "Why was the child not seen?", "Not observed")
    answer_is(page, "Who is this person to the child?", "Mother")
    answer_is(page, "What is the temperature of the room where the child sleeps?", "18.5°C")
    answer_is(page, "Is the child left in the cot awake for long periods?", "Not observed")
    expect(answer_row(page, "Is the child left in the cot awake for long periods?")
           .locator(".app-not-observed")).to_have_count(1)
    answer_is(page, "What else is in the sleep space?", "Nothing else")
    answer_is(page, "Which of these work in the kitchen?", "Fridge, Cooker, Running water")
    answer_is(page, "Did you offer a food bank referral?", "Not observed")
    answer_is(page, "What does the child weigh?", "8.45 kg")
    answer_is(page, "Length or height", "71.5 cm")
    answer_is(page, "Height of birth father", "Not observed")
    answer_is(page, "Walks alone", "No")
    answer_is(page, "Are the fractures of different ages?", "Not observed")
    answer_is(page, "Type of mark", "Bruise")
    answer_is(page, "Where on the body?", "Left lower leg")
    answer_is(page, "Size", "15 mm")
    answer_is(page, "Which hazards are within the child's reach?", "None seen")
    answer_is(page, "GCP2 grade: physical care", "Not observed")
    answer_is(page, "How did the child seem?", "Interactive")
    answer_is(page, "Did anyone disclose harm to the child?", "No")

    press(page, "Submit visit")
    expect(page.locator(".govuk-panel")).to_contain_text("Visit submitted")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Visit on")
    check_page(page, "visit-submitted")
    answer_is(page, "What does the child weigh?", "8.45 kg")

    page.get_by_role("link", name="Back to Ava", exact=True).click()
    heading(page, "Ava Test")
    check_page(page, "child-with-visit")
    visits_table = page.locator("table").filter(has=page.get_by_role("columnheader", name="Weight"))
    row = visits_table.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("8.45 kg")
    expect(row).to_contain_text("Submitted")
    expect(page.get_by_text(re.compile(r"Latest weight 8\.45 kg"))).to_be_visible()

    page.get_by_role("link", name="Back to caseload").click()
    heading(page, "Your team's caseload")
    expect(page.get_by_role("heading", name="Your draft visits")).to_have_count(0)
    check_page.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_what_was_typed_is_kept_when_the_session_ends_mid_page(live_server: str, db: Any, users: dict[str, Any],
                                                               page_at: Any, check_page: Any,
                                                               viewport: tuple[int, int]) -> None:
    make_child(db, users["practitioner"])
    page = page_at(*viewport)
    start_visit(page, live_server, users["practitioner"]["email"], check_page)
    check_page(page, "seen")
    choose(page, "Did you see the child?", "Yes, asleep")
    choose(page, "Was an interpreter used?", "Yes")
    fill(page, "Which other agencies are involved?", "Housing; GP")

    expire_sessions(db)  # the tablet sat idle for an hour before "Save and continue"
    press(page, "Save and continue")
    heading(page, "Sign in")
    expect(page.locator(".govuk-inset-text")).to_contain_text("What you typed on the last page has been kept")
    sign_in(page, live_server, users["practitioner"]["email"], check_page, name="sign-in-after-timeout")

    heading(page, "Child seen and who was present")
    assert "/section/seen" in page.url
    expect(page.locator(".app-notice")).to_contain_text("Everything you typed has been kept")
    checked(page, "Did you see the child?", "Yes, asleep")
    checked(page, "Was an interpreter used?", "Yes")
    expect(page.get_by_label("Which other agencies are involved?", exact=True)).to_have_value("Housing; GP")
    check_page(page, "seen-restored")
    press(page, "Save and continue")
    heading(page, "Sleep and cot")
    page.get_by_role("link", name="Back", exact=True).click()
    heading(page, "Child seen and who was present")
    checked(page, "Did you see the child?", "Yes, asleep")
    expect(page.locator(".app-notice")).to_have_count(0)
    check_page.assert_clean()


def test_pressing_enter_in_a_mark_saves_the_page_and_keeps_the_mark(live_server: str, db: Any,
                                                                    users: dict[str, Any], page_at: Any,
                                                                    check_page: Any) -> None:
    """The on-screen keyboard's Enter ('Go') submits the form with its first submit button: that must be
    'Save and continue', never 'Remove mark 1'."""
    make_child(db, users["practitioner"])
    page = page_at(*TABLET)
    start_visit(page, live_server, users["practitioner"]["email"], check_page)
    page.goto(page.url.replace("/section/seen", "/section/injuries"))
    heading(page, "Injuries and marks")
    press(page, "Add a mark or injury")
    mark = page.get_by_role("group", name="Mark 1", exact=True)
    select(mark, "Type of mark", "Bruise")
    select(mark, "Where on the body?", "Left lower leg")
    size = mark.get_by_label("Size", exact=True)
    size.fill("15")
    size.press("Enter")
    page.wait_for_load_state("load")
    check_page(page, "after-enter")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Injuries and marks")  # saved and moved on
    page.goto(page.url.rsplit("/section/", 1)[0] + "/section/injuries")
    mark = page.get_by_role("group", name="Mark 1: Left lower leg", exact=True)  # named by where it is, once saved
    expect(mark).to_be_visible()
    expect(mark.get_by_label("Size", exact=True)).to_have_value("15")
    check_page.assert_clean()
