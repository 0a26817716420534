"""`flask users ...`: create reviewer accounts and change their role or access from a shell."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from flask.cli import AppGroup

from donations_app.models.vocabulary import ROLES
from donations_app.services import accounts, sign_in

if TYPE_CHECKING:
    from donations_app.models import Reviewer

users = AppGroup("users", help="Manage INL reviewer accounts.")


def _reviewer(email: str) -> Reviewer:
    reviewer = accounts.find_reviewer(email)
    if reviewer is None:
        raise click.ClickException(f"No account for {email.strip().lower()}.")
    return reviewer


def _change_or_fail(change: Callable[..., Any], *args: Any) -> None:
    try:
        change(*args)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The reviewer's full name.")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True)
@click.option("--queue", "queues", multiple=True, help="A queue slug; repeat for several.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
def create_command(
    email: str, name: str, role: str, queues: tuple[str, ...], password_stdin: bool
) -> None:
    """Create an account; without --password-stdin a one-time password is generated and printed."""
    password = (
        sys.stdin.readline().rstrip("\r\n") if password_stdin else accounts.generate_password()
    )
    try:
        reviewer = accounts.create_reviewer(
            email,
            name,
            password,
            role=role,
            queues=accounts.queues_by_slug(queues),
            one_time_password=not password_stdin,
        )
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {reviewer.role} {reviewer.email}.")
    if not password_stdin:
        click.echo(f"One-time password (shown once): {password}")
        click.echo("It must be changed at the first sign-in.")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(email: str, role: str) -> None:
    """Change an account's role."""
    reviewer = _reviewer(email)
    _change_or_fail(accounts.set_role, reviewer, role)
    click.echo(f"{reviewer.email} is now a {reviewer.role}.")


@users.command("set-queues")
@click.argument("email")
@click.argument("queues", nargs=-1)
def set_queues_command(email: str, queues: tuple[str, ...]) -> None:
    """Replace an account's queue membership (no queue slugs: none)."""
    reviewer = _reviewer(email)
    try:
        found = accounts.queues_by_slug(queues)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    _change_or_fail(accounts.set_queues, reviewer, found)
    click.echo(f"{reviewer.email} is in: {', '.join(queues) or 'no queue'}.")


@users.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Deactivate an account and end its sessions."""
    reviewer = _reviewer(email)
    _change_or_fail(accounts.deactivate, reviewer)
    click.echo(f"{reviewer.email} is deactivated.")


@users.command("reactivate")
@click.argument("email")
def reactivate_command(email: str) -> None:
    """Let a deactivated account sign in again."""
    reviewer = _reviewer(email)
    _change_or_fail(accounts.reactivate, reviewer)
    click.echo(f"{reviewer.email} can sign in again.")


@users.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """End a lockout after too many wrong passwords."""
    reviewer = _reviewer(email)
    _change_or_fail(accounts.unlock, reviewer)
    click.echo(f"{reviewer.email} is unlocked.")


@users.command("reset-password")
@click.argument("email")
def reset_password_command(email: str) -> None:
    """Give an account a new one-time password (printed once) and end its sessions."""
    reviewer = _reviewer(email)
    password = accounts.reset_password(reviewer)
    click.echo(f"One-time password for {reviewer.email} (shown once): {password}")
    click.echo("It must be changed at the next sign-in.")


@users.command("list")
def list_command() -> None:
    """List every account: e-mail, role, state and queues."""
    for reviewer in sorted(accounts.all_reviewers(), key=lambda r: r.email):
        state = "active" if reviewer.active else "deactivated"
        if reviewer.active and sign_in.is_locked(reviewer):
            state = "locked"
        queues = ",".join(sorted(q.slug for q in reviewer.queues)) or "-"
        click.echo(f"{reviewer.email}\t{reviewer.role}\t{state}\t{queues}\t{reviewer.name}")
