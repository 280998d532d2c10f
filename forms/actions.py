"""Closing a required action, and a supervisor's countersignature."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length


class CompleteActionForm(FlaskForm):
    result = RadioField("Was this action done?", widget=GovRadioInput(),
                        choices=[SelectChoice("done", "Yes, it was done"), SelectChoice("not_done", "No, it was not done")],
                        validate_choice=False,
                        validators=[InputRequired("Select whether the action was done"),
                                    AnyOf(["done", "not_done"], message="Select whether the action was done")])
    outcome = TextAreaField("What was done?", widget=GovTextArea(),
                            description="For example, who you spoke to, the referral reference, and when",
                            validators=[Length(max=4000, message="Keep this to 4000 characters or fewer")])
    not_done_reason = TextAreaField("Why was it not done?", widget=GovTextArea(),
                                    description="Your supervisor must countersign this decision",
                                    validators=[Length(max=4000, message="Keep this to 4000 characters or fewer")])


class CountersignForm(FlaskForm):
    note = TextAreaField("Supervisor's note", widget=GovTextArea(),
                         description="Optional. What you agreed, and any follow-up",
                         validators=[Length(max=4000, message="Keep the note to 4000 characters or fewer")])
