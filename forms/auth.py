"""Signing in and managing API tokens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


class SignInForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[InputRequired("Enter your email address"),
                                    Length(max=320, message="Enter an email address of 320 characters or fewer")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"),
                                         Length(max=256, message="Enter a password of 256 characters or fewer")])


class TokenForm(FlaskForm):
    label = StringField("What is this token for?", widget=GovTextInput(),
                        description="For example, 'Tablet sync' or 'Reporting script'",
                        validators=[InputRequired("Enter what the token is for"),
                                    Length(max=100, message="Enter 100 characters or fewer")])
