"""Signing in and out of the reviewer pages, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from donations_app.auth import start_session
from donations_app.ratelimits import login_limit
from donations_app.review import bp
from donations_app.services import accounts

# Where a reviewer lands after signing in: the first of these pages that this app has.
HOME_ENDPOINTS = ("review.queues", "review.offers", "review.change_password")
SIGN_IN_REFUSED = (
    "The e-mail address or password is not correct, or the account cannot be used right now. "
    f"After {accounts.MAX_FAILED_LOGINS} wrong passwords an account is locked for "
    f"{int(accounts.LOCKOUT_PERIOD.total_seconds() // 60)} minutes."
)


class SignInForm(FlaskForm):
    """E-mail address and password."""

    email = EmailField(
        "E-mail address",
        validators=[
            InputRequired("Enter your e-mail address."),
            Length(max=254, message="Enter an e-mail address of 254 characters or fewer."),
        ],
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters.",
        validators=[
            InputRequired("Enter a new password."),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=accounts.MAX_PASSWORD_LENGTH,
                message=f"The new password must be at least {accounts.MIN_PASSWORD_LENGTH} "
                f"characters long (and at most {accounts.MAX_PASSWORD_LENGTH}).",
            ),
        ],
    )
    confirm_password = PasswordField(
        "Confirm new password", validators=[InputRequired("Enter the new password again.")]
    )


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_url() -> str:
    """The first reviewer page that exists in this app."""
    for endpoint in HOME_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("system.accessibility")


def reviewer_nav_links() -> list[tuple[str, str]]:
    """(endpoint, label) of the header links the signed-in user may open, in order."""
    if not current_user.is_authenticated:
        return []
    links = [
        ("review.queues", "Queues", True),
        ("review.offers", "Offers", True),
        ("review.exports", "Exports", True),
        ("review.reports", "Reports", current_user.is_lead),
        ("review.admin_accounts", "Accounts", current_user.is_admin),
        ("review.admin_audit", "Audit log", current_user.is_admin),
        ("review.change_password", "Change password", True),
    ]
    return [
        (endpoint, label)
        for endpoint, label, allowed in links
        if allowed and endpoint in current_app.view_functions
    ]


@bp.app_context_processor
def _nav_context() -> dict[str, object]:
    return {"reviewer_nav_links": reviewer_nav_links}


@bp.route("/sign-in", methods=["GET", "POST"])
@login_limit
def sign_in() -> Response | tuple[str, int] | str:
    """Show the sign-in form; sign the reviewer in on the right e-mail and password."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_url())
    form = SignInForm()
    refused = False
    if form.validate_on_submit():
        reviewer = accounts.authenticate(form.email.data or "", form.password.data or "")
        if reviewer is not None:
            start_session(reviewer)
            return redirect(next_url or home_url())
        refused = True
        form.email.errors = [SIGN_IN_REFUSED]
    status = 401 if refused else (400 if form.errors else 200)
    return (
        render_template(
            "review/sign_in.html",
            form=form,
            next_url=next_url,
            form_has_errors=bool(form.errors),
        ),
        status,
    )


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out everywhere (a POST with a CSRF token, so no other site can do it)."""
    if current_user.is_authenticated:
        accounts.sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("review.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | tuple[str, int] | str:
    """Change one's own password; every other session of this reviewer ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        reviewer = current_user._get_current_object()
        try:
            accounts.change_password(
                reviewer,
                form.current_password.data or "",
                form.new_password.data or "",
                form.confirm_password.data or "",
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "new_password").errors = [str(error)]
        else:
            # The session token changed: sign this browser in again under the new one.
            start_session(reviewer)
            flash("Your password has been changed. Other sessions have been signed out.", "success")
            return redirect(url_for("review.change_password"))
    status = 400 if form.errors else 200
    return (
        render_template(
            "review/account/change_password.html", form=form, form_has_errors=bool(form.errors)
        ),
        status,
    )
