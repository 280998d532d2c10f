"""Sleep and cot: one page of the visit."""

from forms.base import section_form

SleepForm = section_form("sleep", "SleepForm")
