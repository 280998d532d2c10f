"""Weight and growth: one page of the visit. The weight's plausibility for the child's age is checked
by the domain (homevisit.services.visits.weight_errors) because it needs the child's date of birth and sex."""

from forms.base import section_form

WeightForm = section_form("weight", "WeightForm")
