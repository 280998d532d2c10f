"""Working days in England and Wales, and when actions fall due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from homevisit.domain.calendar import (
    LONDON,
    add_working_days,
    due_at,
    is_bank_holiday,
    is_deadline_spec,
    is_working_day,
    working_days_between,
)


@pytest.mark.parametrize("day", [
    date(2026, 12, 25),  # Christmas Day, a Friday
    date(2026, 12, 28),  # Boxing Day falls on a Saturday: the substitute day is Monday 28th
    date(2027, 3, 26),   # Good Friday 2027
    date(2027, 3, 29),   # Easter Monday 2027
    date(2026, 5, 4),    # Early May bank holiday
    date(2026, 8, 31),   # Summer bank holiday (England and Wales, not Scotland)
    date(2027, 12, 27),  # Christmas Day 2027 is a Saturday: substitute Monday
    date(2027, 12, 28),  # and Boxing Day's substitute on the Tuesday
])
def test_bank_holidays_are_not_working_days(day: date) -> None:
    assert is_bank_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 28), date(2026, 11, 29), date(2027, 3, 27), date(2027, 3, 28)])
def test_weekends_are_not_working_days(day: date) -> None:
    assert not is_bank_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 26), date(2026, 12, 24), date(2026, 12, 29), date(2027, 3, 30),
                                 date(2026, 8, 3)])  # 3 August is a holiday in Scotland only
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert is_working_day(day)


def test_a_datetime_is_judged_on_its_london_day() -> None:
    # 23:30 UTC on 24 December 2026 is still the 24th in London (GMT)
    assert is_working_day(datetime(2026, 12, 24, 23, 30, tzinfo=LONDON))
    # 23:30 UTC on Friday 29 May is 00:30 on Saturday 30 May in London (BST)
    assert not is_working_day(datetime.fromisoformat("2026-05-29T23:30:00+00:00"))


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2026, 11, 26), 1, date(2026, 11, 27)),   # Thursday -> Friday
    (date(2026, 11, 27), 1, date(2026, 11, 30)),   # Friday -> Monday
    (date(2026, 12, 24), 1, date(2026, 12, 29)),   # over Christmas and the substitute Boxing Day
    (date(2027, 3, 25), 1, date(2027, 3, 30)),     # over Easter 2027
    (date(2026, 11, 26), 15, date(2026, 12, 17)),  # 15 working days: three weeks
    (date(2026, 12, 14), 15, date(2027, 1, 7)),    # 15 working days over Christmas and New Year
    (date(2026, 11, 26), 5, date(2026, 12, 3)),
    (date(2026, 11, 28), 0, date(2026, 11, 30)),   # a Saturday: the next working day
    (date(2026, 11, 26), 0, date(2026, 11, 26)),
    (date(2026, 12, 29), -1, date(2026, 12, 24)),
])
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


def test_add_working_days_keeps_the_time_and_zone() -> None:
    moment = datetime(2026, 12, 24, 16, 0, tzinfo=LONDON)
    assert add_working_days(moment, 1) == datetime(2026, 12, 29, 16, 0, tzinfo=LONDON)


def test_working_days_between_is_the_inverse_of_add_working_days() -> None:
    start = date(2026, 11, 1)
    for offset in range(0, 500, 7):
        for n in (1, 5, 15, 45):
            a = start + timedelta(days=offset)
            assert working_days_between(a, add_working_days(a, n)) == n


def test_working_days_between_counts_each_day_after_the_first() -> None:
    start = date(2026, 9, 1)
    for days in range(0, 400, 3):
        end = start + timedelta(days=days)
        brute = sum(1 for k in range(1, days + 1) if is_working_day(start + timedelta(days=k)))
        assert working_days_between(start, end) == brute
        assert working_days_between(end, start) == -brute


def test_an_assessment_open_45_working_days() -> None:
    assert working_days_between(date(2026, 9, 24), date(2026, 11, 26)) == 45
    assert working_days_between(date(2026, 12, 1), date(2027, 2, 5)) == 45  # over Christmas


VISIT = datetime(2026, 11, 26, 14, 30, tzinfo=LONDON)


@pytest.mark.parametrize(("spec", "expected"), [
    ("now", "2026-11-26T14:30:00+00:00"),
    ("today", "2026-11-26T23:59:00+00:00"),
    ("3d", "2026-11-29T23:59:00+00:00"),
    ("7d", "2026-12-03T23:59:00+00:00"),
    ("14d", "2026-12-10T23:59:00+00:00"),
    ("28d", "2026-12-24T23:59:00+00:00"),
    ("30d", "2026-12-26T23:59:00+00:00"),
    ("1wd", "2026-11-27T17:00:00+00:00"),
    ("5wd", "2026-12-03T17:00:00+00:00"),
    ("15wd", "2026-12-17T17:00:00+00:00"),
    ("45wd", "2027-02-02T17:00:00+00:00"),
])
def test_due_at(spec: str, expected: str) -> None:
    result = due_at(VISIT, spec)
    assert result.tzinfo is not None
    assert result.isoformat() == expected


def test_due_at_follows_british_summer_time() -> None:
    saturday_before_clocks_change = datetime(2026, 3, 28, 10, 0, tzinfo=LONDON)
    assert due_at(saturday_before_clocks_change, "1d").isoformat() == "2026-03-29T23:59:00+01:00"
    assert due_at(saturday_before_clocks_change, "1wd").isoformat() == "2026-03-30T17:00:00+01:00"


def test_due_at_accepts_iso_text_and_naive_london_times() -> None:
    assert due_at("2026-06-10T09:00:00+00:00", "today").isoformat() == "2026-06-10T23:59:00+01:00"
    assert due_at("2026-06-10T23:30:00+00:00", "today").isoformat() == "2026-06-11T23:59:00+01:00"
    assert due_at(datetime(2026, 6, 10, 9, 0), "now").isoformat() == "2026-06-10T09:00:00+01:00"


@pytest.mark.parametrize("spec", ["", "soon", "7", "7 days", "wd", "-1d", "1w", "same day"])
def test_unknown_deadlines_are_refused(spec: str) -> None:
    assert not is_deadline_spec(spec)
    with pytest.raises(ValueError, match="Unknown deadline"):
        due_at(VISIT, spec)
