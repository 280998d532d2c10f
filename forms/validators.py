"""Form validators that defer to the data dictionary, so the forms and the API say the same thing."""

from __future__ import annotations

from typing import Any

from wtforms.validators import StopValidation

from homevisit.domain.dictionary import Field
from homevisit.domain.validation import parse_value


class DictionaryCheck:
    """Parse a field's answer with the dictionary's rules; keep the parsed value on ``field.clean_value``.

    On a mistake the message is the dictionary's GOV.UK-style one ("Enter the room temperature as a
    number, like 18"), and what was typed stays in the field.
    """

    def __init__(self, dictionary_field: Field):
        self.dictionary_field = dictionary_field
        self.field_flags = {"required": True} if dictionary_field.required else {}

    def __call__(self, form: Any, field: Any) -> None:
        raw = field.data
        value, message = parse_value(self.dictionary_field, raw)
        field.clean_value = value
        if message:
            raise StopValidation(message)
