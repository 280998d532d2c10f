"""Your account and actions taken: one page of the visit."""

from forms.base import section_form

SummaryForm = section_form("summary", "SummaryForm")
