"""Home conditions: one page of the visit."""

from forms.base import section_form

HomeForm = section_form("home", "HomeForm")
