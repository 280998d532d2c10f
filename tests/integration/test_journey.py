"""The visit journey through the HTML pages: sections saved as drafts, check answers, submit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from helpers import assert_page_well_formed, csrf_from, full_visit, make_child, parse
from homevisit.data import store

SECTION_ANSWERS = {
    "seen": [("visitor_role", "health_visitor"), ("child_seen", "awake"), ("seen_alone", "no"),
             ("interpreter_used", "no"), ("carer_presentation", "engaged")],
    "sleep": [("sleep_space", "cot"), ("mattress_firm_flat_fits", "yes"), ("mattress_condition", "clean"),
              ("covering", "sleep_bag"), ("items_in_cot", "none"), ("room_temp_c", "18.5"), ("room_heated", "yes"),
              ("child_cold", "no")],
    "food": [("feeding_mode", "family_foods"), ("age_appropriate_food", "more_than_3_days"),
             ("spoiled_food_accessible", "no"), ("kitchen_usable", "fridge"), ("kitchen_usable", "cooker")],
    "weight": [("weight_kg", "8.9"), ("weight_clothing", "naked"), ("scale_type", "class_iii")],
    "mobility": [("sits_unsupported", "yes"), ("pulls_to_stand", "yes"), ("stands_alone", "no"),
                 ("walks_independently", "no"), ("weight_bearing", "yes")],
    "injuries": [("known_fractures", "0")],
    "home": [("heating", "yes"), ("damp_mould", "no"), ("hazards", "none")],
    "presentation": [("demeanour", "interactive"), ("hygiene", "clean"), ("clothing_adequate", "yes"),
                     ("carer_interaction", "warm"), ("restraint_observed", "no")],
    "summary": [("observed_verbatim", "Ava was crawling and babbling; mother fed her toast."),
                ("disclosure", "none"), ("referral_made", "no")],
}


@pytest.fixture
def child(db, users):
    return make_child(db, users["practitioner"])


def start_visit(b, child):
    page = b.get(f"/children/{child['id']}")
    response = b.client.post(f"/children/{child['id']}/visits/new", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    match = re.search(r"/visits/([0-9a-f-]{36})/section/seen", response.headers["Location"])
    assert match
    return match.group(1)


def save(b, visit_id, section, answers, button="continue"):
    url = f"/visits/{visit_id}/section/{section}"
    page = b.get(url)
    assert page.status_code == 200
    version = parse(page.text).find("input", {"name": "version"})["value"]
    data = list(answers) + [("version", version), ("button", button)]
    if section == "seen":
        data.append(("visited_at", parse(page.text).find("input", {"name": "visited_at"})["value"]))
    return b.post_form(url, data, page_url=url)


def test_every_section_then_check_answers_then_submit(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    for section, answers in SECTION_ANSWERS.items():
        response = save(b, visit_id, section, answers)
        assert response.status_code == 302, (section, response.text[:3000])
    check = b.get(f"/visits/{visit_id}/check")
    soup = assert_page_well_formed(check.text)
    text = soup.get_text(" ")
    assert "8.90 kg" in text and "Sleep bag" in text.replace("Baby sleep bag", "Sleep bag")
    assert "Not observed" in text  # questions left blank are shown as not observed, not as "No"
    response = b.post_form(f"/visits/{visit_id}/check", {})
    assert response.status_code == 302
    row = store.query_one(db, "SELECT status, weight_kg, kitchen_usable, room_temp_c, child_cold FROM visits")
    assert row["status"] == "submitted" and row["weight_kg"] == 8.9 and row["room_temp_c"] == 18.5
    assert row["kitchen_usable"] == '["fridge","cooker"]' and row["child_cold"] == 0
    child_page = b.get(f"/children/{child['id']}")
    assert_page_well_formed(child_page.text)
    assert "8.90 kg" in child_page.text


def test_a_mistake_keeps_what_was_typed_and_says_what_to_do(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    response = save(b, visit_id, "sleep", [("room_temp_c", "warmish"), ("covering", "sleep_bag")])
    assert response.status_code == 422
    soup = assert_page_well_formed(response.text)
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None
    assert "Enter the room temperature as a number, like" in summary.get_text()
    assert soup.find("input", {"name": "room_temp_c"})["value"] == "warmish"
    assert soup.find("input", {"name": "covering", "value": "sleep_bag"}).has_attr("checked")
    # the typed answers survive closing the tab: they come back on the next visit to the page
    again = b.get(f"/visits/{visit_id}/section/sleep")
    assert parse(again.text).find("input", {"name": "room_temp_c"})["value"] == "warmish"


def test_not_observed_is_stored_as_null_and_no_as_false(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    save(b, visit_id, "sleep", [("room_heated", "not_observed"), ("child_cold", "no")])
    row = store.query_one(db, "SELECT room_heated, child_cold FROM visits WHERE id = ?", (visit_id,))
    assert row["room_heated"] is None and row["child_cold"] == 0


def test_repeatable_rows_add_and_remove_without_losing_typing(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    url = f"/visits/{visit_id}/section/injuries"
    response = b.post_form(url, [("known_fractures", "0"), ("button", "add_injury")], page_url=url)
    soup = parse(response.text)
    assert soup.find("select", {"name": "injuries-0-body_site"}) is not None
    assert soup.find("input", {"name": "known_fractures"})["value"] == "0"
    version = soup.find("input", {"name": "version"})["value"]
    response = b.post_form(url, [("version", version), ("known_fractures", "0"), ("injuries-0-type", "bruise"),
                                 ("injuries-0-body_site", "left_upper_arm"), ("injuries-0-size_mm", "15"),
                                 ("injuries-0-pattern", "grip"), ("button", "continue")], page_url=url)
    assert response.status_code == 302, response.text[:2000]
    rows = store.query(db, "SELECT type, body_site, size_mm, pattern FROM injuries WHERE visit_id = ?", (visit_id,))
    assert rows == [{"type": "bruise", "body_site": "left_upper_arm", "size_mm": 15, "pattern": "grip"}]


def test_a_stale_page_cannot_overwrite_a_newer_save(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    url = f"/visits/{visit_id}/section/sleep"
    stale = parse(b.get(url).text).find("input", {"name": "version"})["value"]
    assert save(b, visit_id, "sleep", [("covering", "sleep_bag")]).status_code == 302
    response = b.post_form(url, [("version", stale), ("covering", "duvet"), ("button", "continue")], page_url=url)
    assert response.status_code == 409
    assert "changed in another tab or device" in response.text
    assert parse(response.text).find("input", {"name": "covering", "value": "duvet"}).has_attr("checked")
    row = store.query_one(db, "SELECT covering FROM visits WHERE id = ?", (visit_id,))
    assert row["covering"] == "sleep_bag"


def test_typing_survives_a_session_timeout(app, signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    url = f"/visits/{visit_id}/section/food"
    page = b.get(url)
    token = csrf_from(page.text)
    version = parse(page.text).find("input", {"name": "version"})["value"]
    idle = (datetime.now(UTC) - timedelta(minutes=16)).isoformat(timespec="seconds")
    with store.write(db):
        store.execute(db, "UPDATE sessions SET last_seen_at = ? WHERE ended_at IS NULL AND user_id IS NOT NULL", (idle,))
    response = b.client.post(url, data={"csrf_token": token, "version": version, "feeding_mode": "formula",
                                        "formula_days": "2", "feed_notes": "Bottle propped on a pillow",
                                        "button": "continue"})
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"] and "expired=kept" in response.headers["Location"]
    signed = b.sign_in("hv@a.example", url=response.headers["Location"])
    assert signed.headers["Location"] == url
    restored = parse(b.get(url).text)
    assert restored.find("textarea", {"name": "feed_notes"}).get_text() == "Bottle propped on a pillow"
    assert restored.find("input", {"name": "formula_days"})["value"] == "2"
    assert restored.find("input", {"name": "feeding_mode", "value": "formula"}).has_attr("checked")


def test_the_weight_section_asks_to_reweigh_a_very_unusual_weight(signed_in, child):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    response = save(b, visit_id, "weight", [("weight_kg", "5.0"), ("weight_clothing", "naked")])
    assert response.status_code == 422
    assert "Re-weigh the child" in response.text
    confirmed = save(b, visit_id, "weight", [("weight_kg", "5.0"), ("weight_clothing", "naked"),
                                             ("remeasured_confirmed", "yes")])
    assert confirmed.status_code == 302


def test_a_child_not_seen_needs_the_reason(signed_in, child):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    response = save(b, visit_id, "seen", [("visitor_role", "health_visitor"), ("child_seen", "not_seen")])
    assert response.status_code == 422
    assert "Enter why the child was not seen" in parse(response.text).select_one(".govuk-error-summary").get_text()


def test_check_answers_links_to_the_page_to_fix(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    response = b.post_form(f"/visits/{visit_id}/check", {})
    assert response.status_code == 422
    summary = parse(response.text).select_one(".govuk-error-summary")
    links = {a.get_text(strip=True): a["href"] for a in summary.find_all("a")}
    assert links["Select whether you saw the child"] == f"/visits/{visit_id}/section/seen#child_seen"
    assert store.query_one(db, "SELECT status FROM visits WHERE id = ?", (visit_id,))["status"] == "draft"


def test_other_teams_cannot_open_a_child_or_a_visit(signed_in, child):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    other = signed_in("other")
    assert other.get(f"/children/{child['id']}").status_code == 404
    assert other.get(f"/visits/{visit_id}/section/seen").status_code == 404
    assert other.get(f"/visits/{visit_id}").status_code == 404


def test_every_view_of_a_child_is_audited(signed_in, child, db, users):
    b = signed_in("practitioner2")
    b.get(f"/children/{child['id']}")
    rows = store.query(db, "SELECT user_id FROM audit_log WHERE action = 'view' AND child_id = ?", (child["id"],))
    assert users["practitioner2"]["id"] in [r["user_id"] for r in rows]


def test_add_a_child_with_messages_for_mistakes(signed_in, db):
    b = signed_in("practitioner")
    response = b.post_form("/children/new", {"given_name": "Noor", "family_name": "Ali", "date_of_birth": "31/02/2026",
                                             "sex": "female", "gestation_weeks": "39", "nhs_number": "123"})
    assert response.status_code == 200
    soup = assert_page_well_formed(response.text)
    text = soup.select_one(".govuk-error-summary").get_text()
    assert "Enter the child's date of birth as a real date" in text
    assert "Enter a valid NHS number: it has 10 digits and this has 3" in text
    response = b.post_form("/children/new", {"given_name": "Noor", "family_name": "Ali", "date_of_birth": "2026-02-11",
                                             "sex": "female", "gestation_weeks": "39", "gestation_days": "2",
                                             "birth_weight_kg": "3.1"})
    assert response.status_code == 302
    assert store.query_one(db, "SELECT given_name FROM children WHERE family_name = 'Ali'")["given_name"] == "Noor"


def test_caseload_search_finds_by_name_and_nhs_number(signed_in, db, users):
    make_child(db, users["practitioner"], given_name="Rosa", family_name="Lindqvist", nhs_number="9434765919")
    make_child(db, users["practitioner"], given_name="Tom", family_name="Baker")
    b = signed_in("practitioner")
    by_name = parse(b.get("/children/?q=lindq").text).get_text()
    assert "Rosa Lindqvist" in by_name and "Tom Baker" not in by_name
    by_number = parse(b.get("/children/?q=943 476").text).get_text()
    assert "Rosa Lindqvist" in by_number and "Tom Baker" not in by_number


def test_the_caseload_says_when_each_child_was_last_seen_awake_and_by_whom(app, signed_in, db, users, token_for):
    seen = make_child(db, users["practitioner"], given_name="Ada", family_name="Seenawake")
    never = make_child(db, users["practitioner"], given_name="Bo", family_name="Neverseen")
    client = app.test_client()
    visits = [  # seen awake by the social worker in October; not seen by the health visitor in November
        ("practitioner2", full_visit(seen["id"], visited_at="2026-10-14T10:00:00+00:00", visitor_role="social_worker")),
        ("practitioner", full_visit(seen["id"], visited_at="2026-11-20T10:00:00+00:00", child_seen="not_seen",
                                    child_not_seen_reason="Mother said he was at his nan's")),
        ("practitioner", full_visit(never["id"], visited_at="2026-11-21T10:00:00+00:00", child_seen="asleep")),
    ]
    for role, body in visits:
        response = client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body),
                              headers={**token_for(role), "Content-Type": "application/json"})
        assert response.status_code == 201, response.get_data(as_text=True)
    rows = {row.find("a").get_text(strip=True): row.find("td", attrs={"data-label": "Last seen awake"}).get_text(" ", strip=True)
            for row in parse(signed_in("practitioner").get("/children/").text).select("tbody tr")}
    sw_name = users["practitioner2"]["name"]
    assert rows["Ada Seenawake"] == f"14 October 2026, by {sw_name}"
    assert rows["Bo Neverseen"] == "Not seen awake"


def test_tapping_the_body_map_or_choosing_from_the_list_adds_a_mark_there_keeping_the_typing(signed_in, child, db):
    """Without JavaScript each region is a submit button: a tap adds a mark at that site and view; the list
    under the diagrams does the same for a keyboard or switch user. What was typed stays (#15)."""
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    url = f"/visits/{visit_id}/section/injuries"
    page = parse(b.get(url).text)
    buttons = page.find_all("button", {"class": "bm-button"})
    assert {btn["value"] for btn in buttons} >= {"add_injury:left_cheek:face", "add_injury:back:back"}
    assert all(btn["form"] == "section-form" for btn in buttons)
    version = page.find("input", {"name": "version"})["value"]
    response = b.post_form(url, [("version", version), ("known_fractures", "2"),
                                 ("button", "add_injury:left_cheek:face")], page_url=url)
    soup = parse(response.text)
    assert soup.find("input", {"name": "known_fractures"})["value"] == "2"
    site = soup.find("select", {"name": "injuries-0-body_site"})
    assert site.find("option", selected=True)["value"] == "left_cheek"
    assert soup.find("input", {"name": "injuries-0-map_view", "checked": True})["value"] == "face"
    legend = soup.find("fieldset", id="mark-1").find("legend")
    assert legend.get_text(strip=True) == "Mark 1: Left cheek" and legend.has_attr("data-app-focus")
    assert len(soup.select(".app-bodymap .bm-mark")) == 1  # numbered on the diagram before it is saved

    version = soup.find("input", {"name": "version"})["value"]
    response = b.post_form(url, [("version", version), ("known_fractures", "2"), ("injuries-0-type", "bruise"),
                                 ("injuries-0-body_site", "left_cheek"), ("injuries-0-map_view", "face"),
                                 ("injuries-0-size_mm", "5"), ("bodymap_site", "right_ear"),
                                 ("button", "add_injury_from_list")], page_url=url)
    soup = parse(response.text)
    assert soup.find("input", {"name": "injuries-0-size_mm"})["value"] == "5"
    assert soup.find("select", {"name": "injuries-1-body_site"}).find("option", selected=True)["value"] == "right_ear"
    assert soup.find("fieldset", id="mark-2").find("legend").get_text(strip=True) == "Mark 2: Right ear"

    version = soup.find("input", {"name": "version"})["value"]
    response = b.post_form(url, [("version", version), ("known_fractures", "2"),
                                 ("injuries-0-type", "bruise"), ("injuries-0-body_site", "left_cheek"),
                                 ("injuries-0-map_view", "face"), ("injuries-0-size_mm", "5"),
                                 ("injuries-1-type", "swelling"), ("injuries-1-body_site", "right_ear"),
                                 ("injuries-1-map_view", "front"), ("button", "continue")], page_url=url)
    assert response.status_code == 302, response.text[:2000]
    rows = store.query(db, "SELECT type, body_site, map_view, size_mm FROM injuries WHERE visit_id = ? "
                           "ORDER BY position", (visit_id,))
    assert rows == [{"type": "bruise", "body_site": "left_cheek", "map_view": "face", "size_mm": 5},
                    {"type": "swelling", "body_site": "right_ear", "map_view": "front", "size_mm": None}]


def test_the_list_button_with_no_region_chosen_says_what_to_do_and_adds_nothing(signed_in, child, db):
    b = signed_in("practitioner")
    visit_id = start_visit(b, child)
    url = f"/visits/{visit_id}/section/injuries"
    version = parse(b.get(url).text).find("input", {"name": "version"})["value"]
    response = b.post_form(url, [("version", version), ("known_fractures", "1"), ("bodymap_site", ""),
                                 ("button", "add_injury_from_list")], page_url=url)
    soup = parse(response.text)
    assert soup.find("fieldset", id="mark-1") is None
    assert soup.find("input", {"name": "known_fractures"})["value"] == "1"
    assert "Choose where the mark is" in soup.get_text()
