"""Words for dates, ages, severities and statuses, shared by the pages and the printed record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from homevisit.domain.calendar import LONDON, utc_now_text
from homevisit.domain.growth import centile_in_words

SEVERITY_WORDS = {
    "immediate": "Immediate: before you leave the home",
    "same_day": "Same day",
    "within_days": "Within days",
    "monitor": "Monitor",
}
SEVERITY_TAGS = {"immediate": "govuk-tag--red", "same_day": "govuk-tag--orange", "within_days": "govuk-tag--yellow",
                 "monitor": "govuk-tag--blue"}
STATUS_WORDS = {"open": "To do", "done": "Done", "not_done": "Not done"}
OWNER_WORDS = {"visitor": "The visiting practitioner", "supervisor": "The supervisor"}
ROLE_WORDS = {"practitioner": "Practitioner", "supervisor": "Supervisor", "admin": "Administrator"}


def to_london(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def date_words(value: Any) -> str:
    """'26 November 2026' for a date, datetime or ISO string; '' for nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return to_london(value).strftime("%-d %B %Y")  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text).strftime("%-d %B %Y")
    return to_london(text).strftime("%-d %B %Y")  # type: ignore[union-attr]


def datetime_words(value: Any) -> str:
    """'26 November 2026 at 14:30' in UK time."""
    moment = to_london(value)
    return moment.strftime("%-d %B %Y at %H:%M") if moment else ""


def short_datetime(value: Any) -> str:
    """'28 Aug 2026, 23:59' in UK time: for tables on a tablet."""
    moment = to_london(value)
    return moment.strftime("%-d %b %Y, %H:%M") if moment else ""


def age_words(date_of_birth: Any, on: date | None = None) -> str:
    """A child's age as a health visitor says it: '5 weeks', '7 months', '1 year 5 months'."""
    dob = date.fromisoformat(str(date_of_birth)) if not isinstance(date_of_birth, date) else date_of_birth
    on = on or date.today()
    days = (on - dob).days
    if days < 0:
        return "not yet born"
    if days < 28:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 91:
        weeks = days // 7
        return f"{weeks} weeks"
    months = (on.year - dob.year) * 12 + on.month - dob.month - (1 if on.day < dob.day else 0)
    if months < 24:
        return f"{months} months"
    years, rest = divmod(months, 12)
    return f"{years} years" + (f" {rest} month{'s' if rest != 1 else ''}" if rest else "")


def severity_words(severity: str, deadline: str = "") -> str:
    if severity == "within_days" and deadline:
        number = "".join(ch for ch in deadline if ch.isdigit())
        unit = "working days" if deadline.endswith("wd") else "days"
        if number:
            return f"Within {number} {unit}"
    return SEVERITY_WORDS.get(severity, severity.replace("_", " ").capitalize())


def centile_words(sds: Any) -> str:
    """Where a weight sits, in the words a health visitor would use ('between the 9th and 25th centiles')."""
    return centile_in_words(sds) or "" if sds is not None else ""


def register_filters(app: Any) -> None:
    app.add_template_filter(date_words, "date_words")
    app.add_template_filter(datetime_words, "datetime_words")
    app.add_template_filter(short_datetime, "short_datetime")
    app.add_template_filter(centile_words, "centile_words")
    app.add_template_global(utc_now_text, "now_iso")
    app.add_template_filter(age_words, "age_words")
    app.add_template_filter(severity_words, "severity_words")
    app.add_template_filter(lambda s: SEVERITY_TAGS.get(s, "govuk-tag--grey"), "severity_tag")
    app.add_template_filter(lambda s: STATUS_WORDS.get(s, s), "status_words")
    app.add_template_filter(lambda s: OWNER_WORDS.get(s, s), "owner_words")
    app.add_template_filter(lambda s: ROLE_WORDS.get(s, s), "role_words")
