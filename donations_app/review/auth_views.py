"""Signing in (password, then a TOTP code where it is on) and out, unlock links, changing one's
own password (first of all when it was a one-time password), and setting up two-step sign-in."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from donations_app.auth import start_session
from donations_app.forms import ConfirmForm
from donations_app.ratelimits import login_limit
from donations_app.review import bp
from donations_app.services import accounts
from donations_app.services import sign_in as sign_in_service

if TYPE_CHECKING:
    from donations_app.models import Reviewer

# Where a reviewer lands after signing in: the first of these pages that this app has.
HOME_ENDPOINTS = ("review.queues", "review.offers", "review.change_password")
SIGN_IN_REFUSED = (
    "The e-mail address or password is not correct, or the account cannot be used right now."
)
CODE_REFUSED = "That code is not right. Enter the 6-digit code your authenticator app shows now."
# What a reviewer who must change a one-time password may still open.
ALLOWED_BEFORE_PASSWORD_CHANGE = frozenset(
    {"review.change_password", "review.sign_out", "review.sign_in", "static"}
)
# A password accepted, its code still due: the session holds who, for this long.
PENDING_SIGN_IN = "pending_sign_in"
PENDING_SIGN_IN_SECONDS = 300
TOTP_SETUP_KEY = "totp_setup_secret"


def _waiting(wait: dt.timedelta) -> str:
    return (
        f"Too many failed attempts: wait {sign_in_service.describe_wait(wait)} and try again, "
        "or ask for an unlock link by e-mail."
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


class CodeForm(FlaskForm):
    """The 6-digit code of an authenticator app."""

    code = StringField(
        "Code from your authenticator app",
        description="The 6 digits the app shows for this service, for example, 123456.",
        validators=[
            InputRequired("Enter the 6-digit code from your authenticator app."),
            Length(max=20, message="Enter the 6-digit code from your authenticator app."),
        ],
    )


class UnlockRequestForm(FlaskForm):
    """The e-mail address of the account to unlock."""

    email = EmailField(
        "E-mail address of your account",
        validators=[
            InputRequired("Enter the e-mail address of your account."),
            Length(max=254, message="Enter an e-mail address of 254 characters or fewer."),
        ],
    )


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters and hard to guess: for "
        "example, four or more unrelated words. Common passwords, and ones made from your name "
        "or e-mail address, are refused.",
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
        ("review.rules_impact", "Rule changes", current_user.is_lead),
        ("review.admin_accounts", "Accounts", current_user.is_admin),
        ("review.admin_audit", "Audit log", current_user.is_admin),
        ("review.admin_rules", "Rule sets", current_user.is_admin),
        ("review.two_step", "Two-step sign-in", current_user.is_lead),
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


def _client_address() -> str:
    return request.remote_addr or ""


def _signed_in(reviewer: Reviewer, next_url: str | None) -> Response:
    start_session(reviewer)
    if reviewer.must_change_password:
        flash("Choose your own password before you carry on.", "info")
        return redirect(url_for("review.change_password"))
    return redirect(next_url or home_url())


@bp.before_request
def _one_time_password_changed_first() -> Response | None:
    """A reviewer holding a one-time password may only change it (or sign out)."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ALLOWED_BEFORE_PASSWORD_CHANGE
    ):
        flash("Choose your own password before you carry on.", "info")
        return redirect(url_for("review.change_password"))
    return None


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
        attempt = sign_in_service.authenticate(
            form.email.data or "", form.password.data or "", _client_address()
        )
        if attempt.reviewer is not None and attempt.code_needed:
            session.clear()
            session[PENDING_SIGN_IN] = {
                "reviewer": attempt.reviewer.id,
                "token": attempt.reviewer.session_token,
                "at": int(time.time()),
                "next": next_url,
            }
            return redirect(url_for("review.sign_in_code"))
        if attempt.reviewer is not None:
            return _signed_in(attempt.reviewer, next_url)
        refused = True
        form.email.errors = [SIGN_IN_REFUSED] + ([_waiting(attempt.wait)] if attempt.wait else [])
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


def _pending_sign_in() -> dict | None:
    pending = session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if time.time() - pending["at"] > PENDING_SIGN_IN_SECONDS:
        return None
    return pending


@bp.route("/sign-in/code", methods=["GET", "POST"])
@login_limit
def sign_in_code() -> Response | tuple[str, int] | str:
    """The second step of signing in: the code from the reviewer's authenticator app."""
    if current_user.is_authenticated:
        return redirect(home_url())
    pending = _pending_sign_in()
    if pending is None:
        session.pop(PENDING_SIGN_IN, None)
        flash("Sign in again: the time to enter the code ran out.", "info")
        return redirect(url_for("review.sign_in"))
    form = CodeForm()
    refused = False
    if form.validate_on_submit():
        attempt = sign_in_service.check_code(
            pending["reviewer"], pending["token"], form.code.data or "", _client_address()
        )
        if attempt.reviewer is not None:
            return _signed_in(attempt.reviewer, safe_next(pending.get("next")))
        refused = True
        form.code.errors = [_waiting(attempt.wait) if attempt.wait else CODE_REFUSED]
    status = 401 if refused else (400 if form.errors else 200)
    return (
        render_template(
            "review/account/sign_in_code.html", form=form, form_has_errors=bool(form.errors)
        ),
        status,
    )


@bp.route("/sign-in/unlock", methods=["GET", "POST"])
@login_limit
def request_unlock() -> tuple[str, int] | str:
    """Ask for an unlock link; the answer is the same whether the address has an account."""
    form = UnlockRequestForm()
    sent = False
    if form.validate_on_submit():
        sign_in_service.send_unlock_link(form.email.data or "")
        sent = True
    status = 400 if form.errors else 200
    return (
        render_template(
            "review/account/unlock_request.html",
            form=form,
            sent=sent,
            minutes=int(sign_in_service.UNLOCK_LINK_LIFETIME.total_seconds() // 60),
            form_has_errors=bool(form.errors),
        ),
        status,
    )


@bp.route("/sign-in/unlock/<token>", methods=["GET", "POST"])
@login_limit
def unlock_account(token: str) -> tuple[str, int] | str:
    """An unlock link: a button (a POST, so that mail scanners opening links unlock nothing)."""
    if request.method == "POST":
        if not ConfirmForm().validate():
            abort(400)
        if sign_in_service.use_unlock_link(token, _client_address()) is not None:
            return render_template("review/account/unlock.html", unlocked=True)
    elif sign_in_service.unlock_link_reviewer(token) is not None:
        return render_template("review/account/unlock.html", token=token)
    return render_template("review/account/unlock.html"), 404


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


def _qr_code_svg(uri: str) -> Markup:
    # Drawn here as SVG markup (no script, no external image), so the strict CSP holds.
    import segno  # only the two-step set-up page draws a QR code

    svg = segno.make(uri, error="m").svg_inline(scale=5, omitsize=False, svgclass="app-qr-code")
    return Markup(svg)  # noqa: S704  # nosec B704  # segno's own markup: only paths, no user text


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step() -> Response | tuple[str, int] | str:
    """Turn on two-step sign-in (leads and admins): scan the QR code, confirm with a code."""
    reviewer = current_user._get_current_object()
    if not reviewer.is_lead:
        abort(403)
    form = CodeForm()
    if reviewer.totp_enabled:
        session.pop(TOTP_SETUP_KEY, None)
        return render_template("review/account/two_step.html", form=None, reviewer=reviewer)
    secret = session.get(TOTP_SETUP_KEY)
    if not isinstance(secret, str) or request.method == "GET":
        secret = accounts.new_totp_secret()
        session[TOTP_SETUP_KEY] = secret
    if form.validate_on_submit():
        try:
            accounts.enable_totp(reviewer, secret, form.code.data or "")
        except accounts.AccountError as error:
            form.code.errors = [str(error)]
        else:
            session.pop(TOTP_SETUP_KEY, None)
            flash("Two-step sign-in is on. From now on, sign-in asks for a code.", "success")
            return redirect(url_for("review.two_step"))
    return (
        render_template(
            "review/account/two_step.html",
            form=form,
            reviewer=reviewer,
            secret=secret,
            qr_code=_qr_code_svg(accounts.totp_uri(reviewer, secret)),
            form_has_errors=bool(form.errors),
        ),
        400 if form.errors else 200,
    )
