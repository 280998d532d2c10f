"""Recording a concern about a child, outside a visit."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from forms.fields import build_form_class
from homevisit.services.concerns import CONCERN_FIELDS

ConcernForm = build_form_class("ConcernForm", CONCERN_FIELDS, base=FlaskForm)


def concern_form_values(form: Any) -> dict[str, Any]:
    return {f.name: form[f.name].data for f in CONCERN_FIELDS}
