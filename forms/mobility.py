"""Mobility and development: one page of the visit."""

from forms.base import section_form

MobilityForm = section_form("mobility", "MobilityForm")
