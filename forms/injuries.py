"""Injuries and marks: the visit-level questions and one repeatable row per mark."""

from __future__ import annotations

from wtforms import FieldList, Form, FormField

from forms.base import section_form
from forms.fields import build_form_class
from homevisit.domain.dictionary import INJURY_FIELDS

InjuryRowForm: type[Form] = build_form_class("InjuryRowForm", INJURY_FIELDS)


class InjuriesForm(section_form("injuries", "InjuriesBase")):  # type: ignore[misc]
    """Known fractures, then each mark seen."""

    injuries = FieldList(FormField(InjuryRowForm), min_entries=0, max_entries=50)
