"""The referral's pages: writing it (the multi-agency form), signing, sending, the hub's response, disputes, and
the strategy discussion. The checks and messages are the domain's (homevisit.services.referrals), so the form and the API
say the same thing about the same mistake; the fields keep exactly what was typed."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextArea, GovTextInput
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from forms.fields import GovCheckboxesField, GovRadioField, choices_of
from homevisit.services import referrals


class ReferralForm(FlaskForm):
    """The referral and its multi-agency form. Agencies and rules are the instance's, set by the view."""

    action_id = HiddenField()
    concern_id = HiddenField()
    agency = GovRadioField("Who are you referring to?", choices=[])
    reason = TextAreaField("Why are you referring?", widget=GovTextArea(),
                           description="In your own words: what worries you, and why now")
    supporting_rules = GovCheckboxesField("Which required actions support the referral?", choices=[],
                                          description="Select all that apply. They go into the pack with their guidance")

    def set_choices(self, agencies: dict[str, str], rules: list[tuple[str, str]]) -> None:
        self.agency.choices = choices_of(agencies.items())
        self.supporting_rules.choices = choices_of(rules)

    def values(self) -> dict[str, Any]:
        return {"action_id": self.action_id.data or None, "concern_id": self.concern_id.data or None,
                "agency": self.agency.data or None, "reason": self.reason.data or "",
                "supporting_rules": list(self.supporting_rules.data or []),
                "form": {key: self[f"form_{key}"].data or "" for key in referrals.FORM_KEYS}}


for _key, _question, _hint in referrals.FORM_QUESTIONS:
    setattr(ReferralForm, f"form_{_key}", TextAreaField(_question, widget=GovTextArea(), description=_hint))


def referral_form_data(referral: dict[str, Any]) -> dict[str, Any]:
    """A stored (or pre-filled) referral as the form's data."""
    data = {"action_id": referral.get("action_id") or "", "concern_id": referral.get("concern_id") or "",
            "agency": referral.get("agency") or "", "reason": referral.get("reason") or "",
            "supporting_rules": list(referral.get("supporting_rules") or [])}
    for key in referrals.FORM_KEYS:
        data[f"form_{key}"] = (referral.get("form") or {}).get(key) or ""
    return data


class SentForm(FlaskForm):
    sent_at = StringField("When did you send it?", widget=GovTextInput(),
                          description="Or when you phoned. UK time, for example 2026-12-04 10:15")
    method = GovRadioField("How did you send it?", choices=choices_of(referrals.METHODS))
    reference = StringField("Reference", widget=GovTextInput(),
                            description="The hub's reference, if it gave one. You can add it later in a response")


class SignPackForm(FlaskForm):
    declaration_accepted = BooleanField("I confirm the information in this referral is true to the best of my knowledge",
                                        widget=GovCheckboxInput())


class ResponseForm(FlaskForm):
    kind = GovRadioField("What happened?", choices=choices_of((
        ("acknowledgement", "The hub acknowledged the referral"),
        ("decision", "The hub made a decision"),
        ("information_sent", "I sent the information the hub asked for"))))
    at = StringField("When?", widget=GovTextInput(), description="UK time, for example 2026-12-04 15:30")
    hub_contact = StringField("Who at the hub?", widget=GovTextInput(),
                              description="Name and role of who took the call or sent the message")
    decision = GovRadioField("What did the hub decide?", choices=choices_of(referrals.DECISIONS))
    reasons = TextAreaField("The reasons the hub gave", widget=GovTextArea(),
                            description="As they were given to you: write them down in their words")


class DisputeForm(FlaskForm):
    dispute_reason = TextAreaField("Why do you disagree with the decision?", widget=GovTextArea(),
                                   description="The escalation route opens: its steps become required actions")


class ResolveForm(FlaskForm):
    dispute_resolution = TextAreaField("How was the disagreement resolved?", widget=GovTextArea(),
                                       description="Who agreed what, and when")


class StrategyForm(FlaskForm):
    held_at = StringField("When was it held?", widget=GovTextInput(), description="UK time, for example 2026-12-04 14:00")
    attendees = GovCheckboxesField("Which agencies attended?", choices=choices_of(referrals.STRATEGY_AGENCIES),
                                   description="The minimum is children's social care, police and health")
    decision = GovRadioField("What was decided?", choices=choices_of(referrals.STRATEGY_DECISIONS))
    notes = TextAreaField("Notes of the discussion", widget=GovTextArea(),
                          description="What was shared and why the decision was made")

    def action_rows(self) -> list[dict[str, Any]]:
        return [{"action": self[f"action_{i}"].data or "", "who": self[f"who_{i}"].data or "",
                 "owner": self[f"owner_{i}"].data or "visitor", "due_on": self[f"due_{i}"].data or ""}
                for i in range(1, STRATEGY_ACTION_ROWS + 1)]

    def values(self) -> dict[str, Any]:
        return {"held_at": self.held_at.data or "", "attendees": list(self.attendees.data or []),
                "decision": self.decision.data or None, "notes": self.notes.data or "",
                "actions": self.action_rows()}  # blank rows are skipped by the check, keeping each row's number


STRATEGY_ACTION_ROWS = 4
for _i in range(1, STRATEGY_ACTION_ROWS + 1):
    setattr(StrategyForm, f"action_{_i}", TextAreaField(f"Action {_i}", widget=GovTextArea()))
    setattr(StrategyForm, f"who_{_i}", StringField("Who will do it?", widget=GovTextInput()))
    setattr(StrategyForm, f"owner_{_i}", GovRadioField("Who tracks it here?", choices=choices_of(
        (("visitor", "Me"), ("supervisor", "My supervisor"))), default="visitor"))
    setattr(StrategyForm, f"due_{_i}", StringField("Due by", widget=GovTextInput(), description="For example 2026-12-08"))
