"""The people present at a visit: one repeatable row each."""

from __future__ import annotations

from wtforms import Form

from forms.fields import build_form_class
from homevisit.domain.dictionary import CARER_FIELDS

CarerRowForm: type[Form] = build_form_class("CarerRowForm", CARER_FIELDS)
