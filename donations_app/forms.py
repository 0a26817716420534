"""WTForms forms shared by the donor and reviewer pages."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A POST button that carries nothing but the CSRF token (macros/fields.html post_button).

    Sign out, submit offer, unlock, reset password, deactivate, reactivate: the action is the URL.
    """
