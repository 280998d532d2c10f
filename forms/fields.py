"""WTForms fields built from the data dictionary, each with its GOV.UK widget.

Every field keeps exactly what was typed (so a page with a mistake shows the practitioner's own
answer back), and is checked by the dictionary's own parser, so the form and the API give the same
message for the same mistake.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import Form, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from forms.validators import DictionaryCheck
from homevisit.domain.dictionary import BOOL, CHOICE, DATE, DATETIME, DECIMAL, INT, MULTI, TEXT, Field
from homevisit.domain.validation import LONDON

NOT_OBSERVED = ("not_observed", "Not observed")
YES_NO = [("yes", "Yes"), ("no", "No"), NOT_OBSERVED]
SELECT_THRESHOLD = 9  # more options than this become a drop-down list instead of radios


class _KeepsTyped:
    """Mixin: never reject at the widget level; the dictionary check gives the message."""

    def pre_validate(self, form: Any) -> None:
        return None


class GovRadioField(_KeepsTyped, RadioField):
    widget = GovRadioInput()


class GovSelectField(_KeepsTyped, SelectField):
    widget = GovSelect()


class GovCheckboxesField(_KeepsTyped, SelectMultipleField):
    widget = GovCheckboxesInput()


class GovStringField(StringField):
    widget = GovTextInput()


class GovTextAreaField(TextAreaField):
    widget = GovTextArea()


def choices_of(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def wtf_field(f: Field) -> Any:
    """The WTForms field for one dictionary field: label is the question, hint is the description."""
    check = [DictionaryCheck(f)]
    kw: dict[str, Any] = {"label": f.question, "description": f.hint, "validators": check}
    if f.kind == BOOL:
        return GovRadioField(choices=choices_of(YES_NO), **kw)
    if f.kind == CHOICE:
        choices = list(f.choices) + ([] if f.required else [NOT_OBSERVED])
        if len(f.choices) > SELECT_THRESHOLD:
            return GovSelectField(choices=choices_of([("", "Select an option")] + list(f.choices)), **kw)
        return GovRadioField(choices=choices_of(choices), **kw)
    if f.kind == MULTI:
        return GovCheckboxesField(choices=choices_of(f.choices), **kw)
    if f.kind == TEXT and f.max_length > 300:
        return GovTextAreaField(**kw)
    return GovStringField(**kw)


def render_params(f: Field) -> dict[str, Any]:
    """Extra GOV.UK macro parameters for a field: widths, units as suffixes, keyboards for numbers."""
    params: dict[str, Any] = {}
    if f.kind == BOOL:
        params["classes"] = "govuk-radios--inline"
        params["fieldset"] = {"legend": {"text": f.question, "classes": "govuk-fieldset__legend--s"}}
    elif f.kind == CHOICE and len(f.choices) <= SELECT_THRESHOLD:
        params["fieldset"] = {"legend": {"text": f.question, "classes": "govuk-fieldset__legend--s"}}
        if len(f.choices) <= 3 and all(len(label) < 14 for _v, label in f.choices):
            params["classes"] = "govuk-radios--inline"
    elif f.kind == MULTI:
        params["fieldset"] = {"legend": {"text": f.question, "classes": "govuk-fieldset__legend--s"}}
        params["classes"] = "govuk-checkboxes--small"
    else:
        params["label"] = {"text": f.question, "classes": "govuk-label--s"}
    if f.kind in (INT, DECIMAL):
        params["inputmode"] = "numeric" if f.kind == INT else "decimal"
        params["spellcheck"] = False
        params["classes"] = "govuk-input--width-5"
        if f.unit:
            params["suffix"] = {"text": f.unit}
    elif f.kind == DATE:
        params["type"] = "date"
        params["classes"] = "govuk-input--width-10"
    elif f.kind == DATETIME:
        params["type"] = "datetime-local"
        params["classes"] = "govuk-input--width-20"
    elif f.kind == TEXT and f.max_length <= 300:
        params["classes"] = "govuk-input--width-20"
    elif f.kind == TEXT:
        params["rows"] = 4
    return params


def to_form_value(f: Field, value: Any) -> Any:
    """A stored value as the form shows it (booleans as yes/no, date-times for the datetime input)."""
    if value is None:
        return [] if f.kind == MULTI else ""
    if f.kind == BOOL:
        return "yes" if value else "no"
    if f.kind == MULTI:
        return json.loads(value) if isinstance(value, str) else list(value)
    if f.kind == DATETIME:
        # The date-time input has no time zone and is read back as UK time, so show the moment in UK time:
        # a visit sent through the API in UTC (or any offset) then keeps its moment when saved from the form.
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is not None:
            moment = moment.astimezone(LONDON)
        return moment.strftime("%Y-%m-%dT%H:%M")
    if f.kind == DECIMAL:
        return f"{value:.{f.places}f}".rstrip("0").rstrip(".") if f.places else f"{value:g}"
    return str(value)


def build_form_class(name: str, fields: list[Field] | tuple[Field, ...], base: type = Form) -> type:
    """A form class with one GOV.UK field per dictionary field."""
    attrs: dict[str, Any] = {f.name: wtf_field(f) for f in fields}
    attrs["dictionary_fields"] = tuple(fields)
    return type(name, (base,), attrs)


TEXT_KINDS = (TEXT, DATE, DATETIME, INT, DECIMAL)
