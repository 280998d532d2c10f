"""Food and nutrition: one page of the visit."""

from forms.base import section_form

FoodForm = section_form("food", "FoodForm")
