"""Adding a child to the caseload."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from forms.fields import build_form_class
from homevisit.domain.dictionary import CHILD_FIELDS

ChildForm = build_form_class("ChildForm", CHILD_FIELDS, base=FlaskForm)


def child_form_values(form: Any) -> dict[str, Any]:
    """The raw answers to pass to the domain's check (which gives the messages)."""
    return {f.name: form[f.name].data for f in CHILD_FIELDS}
