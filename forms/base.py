"""The base of every visit page: CSRF, the draft's version (to refuse stale edits), and parsing."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField

from forms.fields import build_form_class, to_form_value
from homevisit.domain.dictionary import Field, fields_in_section


class SectionForm(FlaskForm):
    """One page of the visit journey."""

    dictionary_fields: tuple[Field, ...] = ()
    version = HiddenField()

    def clean_values(self) -> dict[str, Any]:
        """The parsed answers of this page (after ``validate()``), keyed by dictionary name."""
        return {f.name: getattr(self[f.name], "clean_value", None) for f in self.dictionary_fields}

    @classmethod
    def initial_data(cls, visit: dict[str, Any], *, saved: bool = False) -> dict[str, Any]:
        """The stored visit as this page's form data. On a page already saved, a blank yes/no or choice
        was "not observed", and shows so."""
        data = {f.name: to_form_value(f, visit.get(f.name)) for f in cls.dictionary_fields}
        if saved:
            for f in cls.dictionary_fields:
                if f.kind in ("bool", "choice") and not f.required and visit.get(f.name) is None:
                    data[f.name] = "not_observed"
        return data


def section_form(section: str, name: str) -> type[SectionForm]:
    """The form class for one section of the data dictionary."""
    return build_form_class(name, fields_in_section(section), base=SectionForm)  # type: ignore[return-value]
