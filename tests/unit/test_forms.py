"""The forms, tested directly, with the exact messages a practitioner sees."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from forms.child import ChildForm
from forms.visit import SECTION_FORMS
from homevisit.domain.dictionary import VISIT_FIELDS
from homevisit.domain.validation import nhs_number_is_valid, parse_value


@pytest.fixture
def form_context(app):
    with app.test_request_context(method="POST"):
        app.config["WTF_CSRF_ENABLED"] = False
        yield


def submit(form_class, pairs):
    form = form_class(formdata=MultiDict(pairs))
    ok = form.validate()
    return ok, form


@pytest.mark.parametrize("name, raw, message", [
    ("room_temp_c", "warm", "Enter the room temperature as a number, like 18"),
    ("room_temp_c", "4.9", "The room temperature must be between 5°C and 35°C"),
    ("room_temp_c", "35.1", "The room temperature must be between 5°C and 35°C"),
    ("room_temp_c", "18.25", "Enter the room temperature to 1 decimal places or fewer"),
    ("child_cold", "perhaps", "Select whether the child is cold, or select not observed"),
    ("covering", "blanket", "Select what covers the child when asleep from the list"),
    ("items_in_cot", "teddy", "Select what else is in the sleep space from the list"),
])
def test_sleep_page_messages(form_context, name, raw, message):
    ok, form = submit(SECTION_FORMS["sleep"], [(name, raw)])
    assert not ok
    assert form[name].errors == [message]


@pytest.mark.parametrize("raw, expected", [("18", 18.0), ("18.5", 18.5), ("5", 5.0), ("35", 35.0), ("", None),
                                           ("18.5°C", 18.5)])
def test_sleep_page_accepts_plausible_temperatures(form_context, raw, expected):
    ok, form = submit(SECTION_FORMS["sleep"], [("room_temp_c", raw)])
    assert ok, form.errors
    assert form.clean_values()["room_temp_c"] == expected


def test_not_observed_differs_from_no(form_context):
    ok, form = submit(SECTION_FORMS["sleep"], [("child_cold", "no"), ("room_heated", "not_observed")])
    assert ok
    values = form.clean_values()
    assert values["child_cold"] is False and values["room_heated"] is None and values["covering"] is None


def test_nothing_else_cannot_be_ticked_with_items(form_context):
    ok, form = submit(SECTION_FORMS["sleep"], [("items_in_cot", "none"), ("items_in_cot", "pillow")])
    assert form["items_in_cot"].errors == ["Select ‘Nothing else’ on its own, or the items you saw"]


@pytest.mark.parametrize("raw, message", [
    ("0.2", "The child's weight must be between 0.3 kg and 40 kg"),
    ("41", "The child's weight must be between 0.3 kg and 40 kg"),
    ("9450", "9450 kg cannot be a child's weight: it looks like grams. Enter the child's weight in kilograms, like 9.45"),
    ("9.455", "Enter the child's weight to 2 decimal places or fewer"),
    ("nine", "Enter the child's weight as a number, like 9.45"),
])
def test_weight_page_messages(form_context, raw, message):
    ok, form = submit(SECTION_FORMS["weight"], [("weight_kg", raw)])
    assert form["weight_kg"].errors == [message]


def test_weight_in_kilograms_with_unit_typed(form_context):
    ok, form = submit(SECTION_FORMS["weight"], [("weight_kg", "9.45 kg")])
    assert ok and form.clean_values()["weight_kg"] == 9.45


def test_dates_in_the_future_and_impossible_dates(form_context):
    ok, form = submit(SECTION_FORMS["weight"], [("scale_calibration_date", "2999-01-01")])
    assert form["scale_calibration_date"].errors == ["The calibration date must be today or in the past"]
    ok, form = submit(SECTION_FORMS["weight"], [("scale_calibration_date", "2026-02-30")])
    assert form["scale_calibration_date"].errors == ["Enter the calibration date as a real date, like 2026-11-24"]


def test_required_questions_on_the_first_page(form_context):
    ok, form = submit(SECTION_FORMS["seen"], [])
    assert form["visited_at"].errors == ["Enter the date and time of the visit"]
    assert form["visitor_role"].errors == ["Select your role on this visit"]
    assert form["child_seen"].errors == ["Select whether you saw the child"]


def test_long_notes_have_a_limit_that_says_so(form_context):
    ok, form = submit(SECTION_FORMS["summary"], [("observed_verbatim", "x" * 8001)])
    assert form["observed_verbatim"].errors == ["What you saw and heard must be 8000 characters or fewer"]


def test_every_field_has_a_question_and_a_plausible_range_or_list():
    for f in VISIT_FIELDS:
        assert f.question and f.noun, f.name
        if f.kind in ("int", "decimal"):
            assert f.minimum is not None and f.maximum is not None, f.name
        if f.kind in ("choice", "multi"):
            assert len(f.choices) >= 2, f.name


def test_every_section_page_has_a_form_for_each_of_its_fields():
    for section, form_class in SECTION_FORMS.items():
        names = {f.name for f in form_class.dictionary_fields}
        assert names == {f.name for f in VISIT_FIELDS if f.section == section}


def test_child_form_messages(form_context):
    ok, form = submit(ChildForm, [("given_name", ""), ("sex", "x"), ("gestation_weeks", "21"),
                                  ("birth_weight_kg", "3200")])
    assert form["given_name"].errors == ["Enter the child's given name"]
    assert form["sex"].errors == ["Select the child's sex from the list"]
    assert form["gestation_weeks"].errors == ["The weeks of gestation at birth must be between 22 and 44"]
    assert form["birth_weight_kg"].errors == [
        "3200 kg cannot be a child's weight: it looks like grams. Enter the birth weight in kilograms, like 3.20"]


@pytest.mark.parametrize("number, valid", [("9434765919", True), ("943 476 5919", True), ("943-476-5919", True),
                                           ("9434765918", False), ("123", False), ("0000000000", True),
                                           ("1000000010", False)])
def test_nhs_number_modulus_11(number, valid):
    assert nhs_number_is_valid(number) is valid


def test_the_api_and_the_forms_share_one_parser():
    from homevisit.domain.dictionary import FIELDS_BY_NAME

    f = FIELDS_BY_NAME["room_temp_c"]
    assert parse_value(f, "50") == parse_value(f, 50) == (None, "The room temperature must be between 5°C and 35°C")


@pytest.mark.parametrize(("raw", "stored"), [
    ("Mum said\x0bshe was tired", "Mum said\nshe was tired"),  # a manual line break pasted from Word
    ("first\u2028second\u2029third\x0cfourth", "first\nsecond\nthird\nfourth"),
    ("old Mac\rline", "old Mac\nline"),
    ("windows\r\nline", "windows\nline"),
    ("bell\x07 escape\x1b[31m nul\x00 del\x7f c1\x9b end", "bell escape[31m nul del c1 end"),
    ("keeps\ttabs and\nline breaks", "keeps\ttabs and\nline breaks"),
    ("  \x00\x1b  ", None),  # nothing visible is "not observed", like a blank answer
])
def test_free_text_keeps_what_was_typed_and_drops_invisible_control_characters(raw, stored):
    field = next(f for f in VISIT_FIELDS if f.name == "observed_verbatim")
    assert parse_value(field, raw) == (stored, None)


@pytest.mark.parametrize(("stored", "shown"), [
    ("2026-07-01T10:00+00:00", "2026-07-01T11:00"),  # summer: UK time is UTC+1
    ("2026-01-15T10:00+00:00", "2026-01-15T10:00"),  # winter: UK time is UTC
    ("2026-07-01T12:30+02:00", "2026-07-01T11:30"),  # sent from a device in another zone
    ("2026-07-01T11:00+01:00", "2026-07-01T11:00"),
])
def test_a_date_time_is_shown_in_uk_time_and_saved_back_as_the_same_moment(stored, shown):
    from datetime import datetime

    from forms.fields import to_form_value

    field = next(f for f in VISIT_FIELDS if f.name == "visited_at")
    assert to_form_value(field, stored) == shown
    saved, message = parse_value(field, shown)
    assert message is None
    assert datetime.fromisoformat(saved) == datetime.fromisoformat(stored)
