"""The visit journey's pages in order, and the form for each."""

from __future__ import annotations

from forms.base import SectionForm
from forms.food import FoodForm
from forms.growth import WeightForm
from forms.home import HomeForm
from forms.injuries import InjuriesForm
from forms.mobility import MobilityForm
from forms.presentation import PresentationForm
from forms.seen import SeenForm
from forms.sleep import SleepForm
from forms.summary import SummaryForm

SECTION_FORMS: dict[str, type[SectionForm]] = {
    "seen": SeenForm,
    "sleep": SleepForm,
    "food": FoodForm,
    "weight": WeightForm,
    "mobility": MobilityForm,
    "injuries": InjuriesForm,
    "home": HomeForm,
    "presentation": PresentationForm,
    "summary": SummaryForm,
}
