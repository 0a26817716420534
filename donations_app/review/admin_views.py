"""Administration for admins: reviewer accounts (roles, queues, access) and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # 3.2 stubs lack it
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from donations_app.forms import ConfirmForm
from donations_app.labels import role_label
from donations_app.models.vocabulary import ROLE_DUTIES, ROLES
from donations_app.review import bp
from donations_app.review.access import admin_required
from donations_app.services import accounts, audit, sign_in
from donations_app.services.queues import all_queues, queue_names
from donations_app.services.search import EARLIEST_DAY, LATEST_DAY, page_number
from donations_app.services.transaction import NotFound

if TYPE_CHECKING:
    from donations_app.models import AuditEvent, Reviewer

AUDIT_PAGE_SIZE = 50
# Reviewer ids are PostgreSQL integers: a larger number in the URL is no account (404), not an
# overflow in the database driver.
ACCOUNT_URL = "/admin/accounts/<int(max=2147483647):reviewer_id>"
DATE_RANGE_MESSAGE = (
    f"Enter a date from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}, "
    "for example, 2026-01-31."
)
ROLE_CHOICES = [
    SelectChoice(role, f"{role_label(role).capitalize()}: {ROLE_DUTIES[role]}") for role in ROLES
]


class QueueCheckboxes(SelectMultipleField):
    """A list of checkboxes, one per queue."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _queue_choices() -> list[SelectChoice]:
    return [SelectChoice(q.slug, q.name) for q in all_queues()]


class NewAccountForm(FlaskForm):
    """A new reviewer account; the password is generated and shown once."""

    name = StringField(
        "Full name",
        validators=[
            InputRequired("Enter the reviewer's full name."),
            Length(max=120, message="Enter a name of 120 characters or fewer."),
        ],
    )
    email = EmailField(
        "E-mail address",
        validators=[
            InputRequired("Enter an e-mail address, like name@state.gov."),
            Length(max=254, message="Enter an e-mail address of 254 characters or fewer."),
            Email("Enter an e-mail address in the right format, like name@state.gov."),
        ],
    )
    role = RadioField(
        "Role", choices=ROLE_CHOICES, default="reviewer", validators=[InputRequired("Pick a role.")]
    )
    queues = QueueCheckboxes("Queues", validators=[Optional()])


class RoleForm(FlaskForm):
    """A reviewer's role."""

    role = RadioField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Pick a role.")])


class QueuesForm(FlaskForm):
    """A reviewer's queue membership."""

    queues = QueueCheckboxes("Queues", validators=[Optional()])


class AuditFilterForm(FlaskForm):
    """Filters of the audit log, read from the query string."""

    class Meta:
        csrf = False

    reference = StringField("Offer reference", validators=[Optional(), Length(max=20)])
    action = StringField("Action", validators=[Optional(), Length(max=50)])
    actor = StringField("Actor e-mail", validators=[Optional(), Length(max=254)])
    date_from = DateField(
        "From date",
        validators=[Optional()],
        format="%Y-%m-%d",
        description="For example, 2026-01-31",
    )
    date_to = DateField(
        "To date", validators=[Optional()], format="%Y-%m-%d", description="For example, 2026-01-31"
    )

    def validate_date_from(self, field: DateField) -> None:
        """The date must lie in the range the log can hold."""
        _check_range(field)

    def validate_date_to(self, field: DateField) -> None:
        """The date must lie in range, and the range must not end before it starts."""
        _check_range(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The to date must be the same as or after the from date.")


def _check_range(field: DateField) -> None:
    if field.data and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError(DATE_RANGE_MESSAGE)


def _reviewer_or_404(reviewer_id: int) -> Reviewer:
    try:
        return accounts.get_reviewer(reviewer_id)
    except NotFound:
        abort(404)


def _actor() -> Reviewer:
    return current_user._get_current_object()


@bp.get("/admin/accounts")
@admin_required
def admin_accounts() -> str:
    """Every reviewer account with its role, queues and state."""
    return render_template(
        "review/admin/accounts.html",
        reviewers=accounts.all_reviewers(),
        now=accounts.utcnow(),
        is_locked=sign_in.is_locked,
    )


@bp.route("/admin/accounts/new", methods=["GET", "POST"])
@admin_required
def admin_account_new() -> tuple[str, int] | str:
    """Create an account; the generated one-time password is shown once, on this response."""
    form = NewAccountForm()
    form.queues.choices = _queue_choices()
    if form.validate_on_submit():
        password = accounts.generate_password()
        try:
            reviewer = accounts.create_reviewer(
                form.email.data or "",
                form.name.data or "",
                password,
                role=form.role.data,
                actor=_actor(),
                queues=accounts.queues_by_slug(form.queues.data or []),
                one_time_password=True,
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors = [str(error)]
        else:
            return render_template(
                "review/admin/password_shown.html",
                reviewer=reviewer,
                password=password,
                heading="Account created",
            )
    status = 400 if form.errors else 200
    return (
        render_template(
            "review/admin/account_new.html", form=form, form_has_errors=bool(form.errors)
        ),
        status,
    )


def _render_account(
    reviewer: Reviewer,
    role_form: RoleForm | None = None,
    queues_form: QueuesForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if role_form is None:
        role_form = RoleForm(formdata=None, role=reviewer.role)
    if queues_form is None:
        queues_form = QueuesForm(formdata=None, queues=[q.slug for q in reviewer.queues])
        queues_form.queues.choices = _queue_choices()
    errors = bool(role_form.errors or queues_form.errors)
    return (
        render_template(
            "review/admin/account.html",
            reviewer=reviewer,
            role_form=role_form,
            queues_form=queues_form,
            locked=sign_in.is_locked(reviewer),
            is_self=reviewer.id == current_user.id,
            form_has_errors=errors,
        ),
        status,
    )


@bp.get(ACCOUNT_URL)
@admin_required
def admin_account(reviewer_id: int) -> tuple[str, int]:
    """One account: its role, queues and the actions an admin can take."""
    return _render_account(_reviewer_or_404(reviewer_id))


@bp.post(ACCOUNT_URL + "/role")
@admin_required
def admin_account_role(reviewer_id: int) -> Response | tuple[str, int]:
    """Change an account's role."""
    reviewer = _reviewer_or_404(reviewer_id)
    form = RoleForm()
    if form.validate():
        try:
            accounts.set_role(reviewer, form.role.data, actor=_actor())
        except accounts.AccountError as error:
            form.role.errors = [str(error)]
        else:
            flash(f"{reviewer.email} is now a {role_label(reviewer.role)}.", "success")
            return redirect(url_for("review.admin_account", reviewer_id=reviewer.id))
    return _render_account(reviewer, role_form=form, status=400)


@bp.post(ACCOUNT_URL + "/queues")
@admin_required
def admin_account_queues(reviewer_id: int) -> Response | tuple[str, int]:
    """Replace an account's queue membership."""
    reviewer = _reviewer_or_404(reviewer_id)
    form = QueuesForm()
    form.queues.choices = _queue_choices()
    if form.validate():
        accounts.set_queues(reviewer, accounts.queues_by_slug(form.queues.data or []), _actor())
        flash(f"Queue membership of {reviewer.email} saved.", "success")
        return redirect(url_for("review.admin_account", reviewer_id=reviewer.id))
    return _render_account(reviewer, queues_form=form, status=400)


def _account_action(reviewer_id: int, action: Any, done: str) -> Response:
    reviewer = _reviewer_or_404(reviewer_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        action(reviewer, actor=_actor())
    except accounts.AccountError as error:
        flash(str(error), "error")
    else:
        flash(done.format(email=reviewer.email), "success")
    return redirect(url_for("review.admin_account", reviewer_id=reviewer.id))


@bp.post(ACCOUNT_URL + "/deactivate")
@admin_required
def admin_account_deactivate(reviewer_id: int) -> Response:
    """Deactivate an account: its sessions end and it can no longer sign in."""
    return _account_action(reviewer_id, accounts.deactivate, "{email} is deactivated.")


@bp.post(ACCOUNT_URL + "/reactivate")
@admin_required
def admin_account_reactivate(reviewer_id: int) -> Response:
    """Let a deactivated account sign in again."""
    return _account_action(reviewer_id, accounts.reactivate, "{email} can sign in again.")


@bp.post(ACCOUNT_URL + "/unlock")
@admin_required
def admin_account_unlock(reviewer_id: int) -> Response:
    """End a lockout after too many wrong passwords."""
    return _account_action(reviewer_id, accounts.unlock, "{email} is unlocked.")


@bp.post(ACCOUNT_URL + "/two-step-reset")
@admin_required
def admin_account_totp_reset(reviewer_id: int) -> Response:
    """Turn off an account's two-step sign-in (a lost phone); its sessions end."""
    return _account_action(reviewer_id, accounts.reset_totp, "Two-step sign-in of {email} is off.")


@bp.post(ACCOUNT_URL + "/password")
@admin_required
def admin_account_password(reviewer_id: int) -> str:
    """Give the account a new one-time password, shown once, and end its sessions."""
    reviewer = _reviewer_or_404(reviewer_id)
    if not ConfirmForm().validate():
        abort(400)
    password = accounts.reset_password(reviewer, actor=_actor())
    return render_template(
        "review/admin/password_shown.html",
        reviewer=reviewer,
        password=password,
        heading="New password set",
    )


@bp.get("/admin/audit")
@admin_required
def admin_audit() -> tuple[str, int]:
    """The audit log, newest first, filtered by offer, action, actor and dates (read-only)."""
    form = AuditFilterForm(request.args)
    page = page_number(request.args.get("page", "1")) or 1
    events: list[AuditEvent] = []
    has_next = False
    if form.validate():
        wanted = audit.AuditFilters(
            reference=form.reference.data or "",
            action=form.action.data or "",
            actor=form.actor.data or "",
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
        events, has_next = audit.search_events(wanted, page, AUDIT_PAGE_SIZE)
    # Only the form's own fields go back into the page links: any other query argument (such
    # as `endpoint=`) would reach url_for.
    filters = {
        field.name: request.args[field.name] for field in form if request.args.get(field.name)
    }
    return (
        render_template(
            "review/admin/audit.html",
            form=form,
            events=events,
            actions=audit.event_actions(),
            queue_names=queue_names(),
            page=page,
            has_next=has_next,
            filters=filters,
            form_has_errors=bool(form.errors),
        ),
        400 if form.errors else 200,
    )
