"""Child seen and who was present: the first page of the visit."""

from __future__ import annotations

from wtforms import FieldList, FormField

from forms.base import section_form
from forms.carers import CarerRowForm


class SeenForm(section_form("seen", "SeenBase")):  # type: ignore[misc]
    """When, who visited, whether the child was seen, and each person present."""

    carers_present = FieldList(FormField(CarerRowForm), min_entries=0, max_entries=20)
