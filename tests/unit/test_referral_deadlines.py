"""The hub's deadlines: working days after receipt, across evenings, weekends, bank holidays and clock changes."""

from __future__ import annotations

from datetime import datetime

import pytest

from homevisit.domain.calendar import LONDON
from homevisit.services import referrals

DEFAULT: dict = {}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(("sent", "received", "due"), [
    # a working morning: received at once, due the same time the next working day
    ("2026-12-07T10:00", "2026-12-07T10:00", "2026-12-08T10:00"),
    # Friday afternoon: due Monday afternoon
    ("2026-12-04T16:00", "2026-12-04T16:00", "2026-12-07T16:00"),
    # Friday evening, after hours: received Monday morning, due Tuesday morning
    ("2026-12-04T18:30", "2026-12-07T09:00", "2026-12-08T09:00"),
    # before hours on a working day: received at 09:00 that day
    ("2026-12-07T07:45", "2026-12-07T09:00", "2026-12-08T09:00"),
    # Saturday and Sunday: received Monday morning
    ("2026-12-05T11:00", "2026-12-07T09:00", "2026-12-08T09:00"),
    ("2026-12-06T23:59", "2026-12-07T09:00", "2026-12-08T09:00"),
    # Christmas 2026: Friday 25th, Boxing Day (Saturday) observed on Monday 28th
    ("2026-12-24T15:00", "2026-12-24T15:00", "2026-12-29T15:00"),
    ("2026-12-25T10:00", "2026-12-29T09:00", "2026-12-30T09:00"),
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March
    ("2027-03-25T12:00", "2027-03-25T12:00", "2027-03-30T12:00"),
    # the early May bank holiday 2027 (Monday 3 May)
    ("2027-04-30T09:30", "2027-04-30T09:30", "2027-05-04T09:30"),
])
def test_deadlines_count_working_days_after_receipt(sent, received, due):
    result = referrals.deadlines(at(sent), DEFAULT)
    assert result["received_at"] == at(received)
    assert result["ack_due_at"] == at(due)
    assert result["decision_due_at"] == at(due)


def test_a_deadline_across_the_clocks_going_back_keeps_the_uk_time():
    # Clocks go back on Sunday 25 October 2026: sent Friday 12:00 BST (11:00 UTC), due Monday 12:00 GMT (12:00 UTC)
    result = referrals.deadlines(at("2026-10-23T12:00"), DEFAULT)
    assert result["ack_due_at"] == at("2026-10-26T12:00")
    assert result["ack_due_at"].utcoffset().total_seconds() == 0
    assert at("2026-10-23T12:00").utcoffset().total_seconds() == 3600


def test_the_instance_can_set_its_own_working_days_and_hours():
    config = {"REFERRAL_ACK_WORKING_DAYS": 2, "REFERRAL_DECISION_WORKING_DAYS": 3, "REFERRAL_WORKING_HOURS": (8, 18)}
    result = referrals.deadlines(at("2026-12-04T17:30"), config)  # Friday, within 08:00-18:00
    assert result["received_at"] == at("2026-12-04T17:30")
    assert result["ack_due_at"] == at("2026-12-08T17:30")
    assert result["decision_due_at"] == at("2026-12-09T17:30")


def test_the_defaults_are_marked_and_the_settings_are_checked():
    assert referrals.check_settings({}) == []
    problems = referrals.check_settings({"REFERRAL_ACK_WORKING_DAYS": "one", "REFERRAL_AGENCIES": {},
                                         "REFERRAL_ESCALATION": [{"title": "x", "action": "y", "who": "z",
                                                                  "owner": "manager", "deadline": "1wd"}]})
    assert any("REFERRAL_ACK_WORKING_DAYS" in p for p in problems)
    assert any("REFERRAL_AGENCIES" in p for p in problems)
    assert any("owner must be" in p for p in problems)
    assert "defaults" in referrals.ESCALATION_SOURCE
