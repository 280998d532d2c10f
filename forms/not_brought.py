"""Recording that a child was not brought to an appointment (#15)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from forms.fields import build_form_class
from homevisit.services.access import NOT_BROUGHT_FIELDS

NotBroughtForm = build_form_class("NotBroughtForm", NOT_BROUGHT_FIELDS, base=FlaskForm)


def not_brought_values(form: Any) -> dict[str, Any]:
    return {f.name: form[f.name].data for f in NOT_BROUGHT_FIELDS}
