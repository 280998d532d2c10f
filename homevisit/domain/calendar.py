"""Working days and deadlines in England and Wales.

A working day is Monday to Friday that is not a bank holiday in England and Wales. Bank holidays come from
the ``holidays`` package (subdivision ENG; England and Wales share the same bank holidays), which computes
them offline, so no network is needed at run time. Substitute days ("Boxing Day (observed)") count as bank
holidays.

Deadlines are written as short specs in the rules file (see ``due_at``). Every moment returned is a
timezone-aware datetime in Europe/London.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
END_OF_DAY = time(23, 59)
CLOSE_OF_BUSINESS = time(17, 0)

_SPEC = re.compile(r"^(?:(now)|(today)|(\d{1,3})d|(\d{1,3})wd)$")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(d: date | datetime) -> bool:
    """Whether the day is a bank holiday in England and Wales (substitute days included)."""
    d = _as_date(d)
    return d in _bank_holidays(d.year)


def is_working_day(d: date | datetime) -> bool:
    """Whether the day is a working day: Monday to Friday and not a bank holiday in England and Wales."""
    d = _as_date(d)
    return d.weekday() < 5 and not is_bank_holiday(d)


def add_working_days(moment: date | datetime, n: int) -> date | datetime:
    """The n-th working day after ``moment``, keeping its time of day if it is a datetime.

    The day of ``moment`` itself is never counted, so one working day after a Friday is the Monday (or the
    Tuesday after a bank-holiday Monday). ``n=0`` gives the day itself if it is a working day, otherwise the
    next working day. Negative ``n`` counts backwards.
    """
    if n == 0:
        day = _as_date(moment)
        while not is_working_day(day):
            day += timedelta(days=1)
        return _with_date(moment, day)
    step = 1 if n > 0 else -1
    remaining = abs(n)
    day = _as_date(moment)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return _with_date(moment, day)


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """How many working days fall after ``a`` up to and including ``b`` (negative if ``b`` is before ``a``).

    This is the inverse of ``add_working_days``: ``working_days_between(a, add_working_days(a, n)) == n``.
    An assessment started on a Monday and still open on the Friday has been open 4 working days.
    """
    start, end = _as_date(a), _as_date(b)
    if end < start:
        return -working_days_between(end, start)
    if end == start:
        return 0
    full_weeks, extra = divmod((end - start).days, 7)
    count = full_weeks * 5
    day = start + timedelta(days=full_weeks * 7)
    for _ in range(extra):
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    for year in range(start.year, end.year + 1):
        count -= sum(1 for h in _bank_holidays(year) if start < h <= end and h.weekday() < 5)
    return count


# The one clock and the one zone. Times are stored in UTC as ISO 8601 with seconds ("2026-12-06T09:30:00+00:00");
# pages, the PDF record and exports say them in UK time through homevisit.domain.presentation.


def utc_now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A moment as it is stored: UTC, ISO 8601, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def utc_now_text() -> str:
    """Now, as it is stored."""
    return iso(utc_now())


def london_today() -> date:
    """Today's date in the UK (not the server's zone, and not UTC, which is still yesterday until 1 am in summer)."""
    return datetime.now(LONDON).date()


def london_moment(value: str | date | datetime) -> datetime:
    """A moment as an aware Europe/London datetime; a naive time is taken to be London time, a date is midnight."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0, 0), tzinfo=LONDON)
    if value.tzinfo is None:
        return value.replace(tzinfo=LONDON)
    return value.astimezone(LONDON)


def is_deadline_spec(spec: str) -> bool:
    """Whether ``spec`` is a deadline this calendar understands ("now", "today", "7d", "15wd", ...)."""
    return isinstance(spec, str) and _SPEC.match(spec.strip()) is not None


def due_at(visit_moment: str | date | datetime, deadline_spec: str) -> datetime:
    """When an action raised at ``visit_moment`` is due, as an aware Europe/London datetime.

    - ``"now"``: at the visit itself (before the visitor leaves the home);
    - ``"today"``: the end of the visit's calendar day, 23:59 London time;
    - ``"Nd"`` (``"3d"``, ``"7d"``, ``"28d"`` ...): N calendar days later, due at 23:59 that day;
    - ``"Nwd"`` (``"1wd"``, ``"15wd"``, ``"45wd"`` ...): N working days later, due at 17:00 that day.
    """
    moment = london_moment(visit_moment)
    match = _SPEC.match(deadline_spec.strip()) if isinstance(deadline_spec, str) else None
    if match is None:
        raise ValueError(f"Unknown deadline {deadline_spec!r}: use now, today, a number of days like 7d, "
                         f"or a number of working days like 15wd")
    now, today, days, working_days = match.groups()
    if now:
        return moment
    if today:
        return datetime.combine(moment.date(), END_OF_DAY, tzinfo=LONDON)
    if days is not None:
        return datetime.combine(moment.date() + timedelta(days=int(days)), END_OF_DAY, tzinfo=LONDON)
    day = add_working_days(moment.date(), int(working_days))
    return datetime.combine(day, CLOSE_OF_BUSINESS, tzinfo=LONDON)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(LONDON) if value.tzinfo else value).date()
    return value


def _with_date(moment: date | datetime, day: date) -> date | datetime:
    if isinstance(moment, datetime):
        local = moment.astimezone(LONDON) if moment.tzinfo else moment
        return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=local.tzinfo)
    return day
