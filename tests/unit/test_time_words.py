"""A visit's time reads the same on "Check your answers", in the signed record's answers and in its header:
in UK time, summer and winter (the answers once printed the stored UTC time: 09:00 for a 10:00 June visit)."""

from __future__ import annotations

import pytest

from homevisit.domain.answers import display_value
from homevisit.domain.dictionary import FIELDS_BY_NAME
from homevisit.domain.presentation import date_words, datetime_words


@pytest.mark.parametrize(("stored", "words"), [
    ("2026-06-15T09:00:00+00:00", "15 June 2026 at 10:00"),        # British Summer Time: UTC+1
    ("2026-12-15T09:00:00+00:00", "15 December 2026 at 09:00"),    # Greenwich Mean Time
    ("2026-06-15T10:00:00+01:00", "15 June 2026 at 10:00"),        # sent with the offset
    ("2026-03-29T00:30:00+00:00", "29 March 2026 at 00:30"),       # the night the clocks go forward
    ("2026-03-29T01:30:00+00:00", "29 March 2026 at 02:30"),
    ("2026-10-24T23:30:00+00:00", "25 October 2026 at 00:30"),     # late on the 24th in UTC is the 25th here
])
def test_a_visit_time_reads_the_same_in_the_answers_and_everywhere_else(stored: str, words: str) -> None:
    visited_at = FIELDS_BY_NAME["visited_at"]
    assert display_value(visited_at, stored) == words
    assert datetime_words(stored) == words


def test_a_date_answer_is_the_day_as_written() -> None:
    dated = next(f for f in FIELDS_BY_NAME.values() if f.kind == "date")
    assert display_value(dated, "2026-06-15") == date_words("2026-06-15") == "15 June 2026"
