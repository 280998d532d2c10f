"""The child's presentation and voice: one page of the visit."""

from forms.base import section_form

PresentationForm = section_form("presentation", "PresentationForm")
