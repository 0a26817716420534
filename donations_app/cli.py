"""Flask CLI commands: rules, users, outbox, jobs, drafts, data and the first-run bootstrap."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from donations_app.impact_cli import add_impact_commands
from donations_app.privacy_cli import data
from donations_app.rules_cli import rules
from donations_app.ruleset_cli import add_ruleset_commands
from donations_app.users_cli import users


@click.command("bootstrap")
@with_appcontext
def bootstrap_command() -> None:
    """Outside production, create an admin on an empty database and print its login once."""
    from donations_app.services.accounts import bootstrap_admin

    if not current_app.config.get("CREATE_ADMIN_ON_EMPTY_DB"):
        return
    created = bootstrap_admin()
    if created:
        email, password = created
        click.echo(
            "\n  Created the first admin account (shown once, change it after signing in):\n"
            f"    e-mail:   {email}\n    password: {password}\n"
        )


outbox = AppGroup("outbox", help="Send the e-mail waiting in the outbox.")


@outbox.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until interrupted (a worker process).")
@click.option(
    "--interval",
    type=float,
    default=None,
    help="Seconds between runs with --loop (default: OUTBOX_POLL_SECONDS).",
)
@click.option("--limit", default=100, show_default=True, help="Messages to send per run.")
def outbox_send(loop: bool, interval: float | None, limit: int) -> None:
    """Send due messages over SMTP; failures are retried later with backoff."""
    if interval is None:
        interval = float(current_app.config["OUTBOX_POLL_SECONDS"])
    import threading

    from donations_app.services.notify import run_sender, send_due_mail

    if not loop:
        sent, failed = send_due_mail(limit)
        click.echo(f"sent {sent}, failed {failed}")
        return
    click.echo(f"sending the outbox every {interval:g} s; stop with Ctrl+C")
    try:
        run_sender(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            interval=interval,
            limit=limit,
            stop=threading.Event(),
        )
    except KeyboardInterrupt:
        click.echo("stopped")


jobs = AppGroup("jobs", help="Run the long work started from reviewer pages.")


@jobs.command("work")
@click.option("--loop", is_flag=True, help="Keep working until interrupted (a worker process).")
@click.option(
    "--interval",
    type=float,
    default=None,
    help="Seconds between looks for work with --loop (default: JOBS_POLL_SECONDS).",
)
def jobs_work(loop: bool, interval: float | None) -> None:
    """Run due jobs and delete expired export files; several workers may run at once, each job
    runs once at a time."""
    import threading

    from donations_app.services import jobs as job_service

    if not loop:
        done, failed = job_service.run_due_jobs()
        deleted = job_service.delete_expired_files()
        click.echo(f"finished {done}, failed {failed}; deleted {deleted} expired files")
        return
    if interval is None:
        interval = float(current_app.config["JOBS_POLL_SECONDS"])
    click.echo(f"running jobs, looking every {interval:g} s; stop with Ctrl+C")
    try:
        job_service.run_worker(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            interval=interval,
            stop=threading.Event(),
        )
    except KeyboardInterrupt:
        click.echo("stopped")


drafts = AppGroup("drafts", help="Saved, unsubmitted offer forms.")


@drafts.command("purge")
def drafts_purge() -> None:
    """Delete drafts older than DRAFT_LIFETIME_DAYS (run daily in production)."""
    from donations_app.services.drafts import purge_expired

    deleted = purge_expired()
    click.echo(f"deleted {deleted} expired draft{'' if deleted == 1 else 's'}")


# `flask rules ...` is also a flask.commands entry point (pyproject.toml), found before the app is
# loaded so that it works when RULES_DIR is broken: the whole group is put together here, once.
add_ruleset_commands(rules)
add_impact_commands(rules)


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    app.cli.add_command(rules)
    app.cli.add_command(bootstrap_command)
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(jobs)
    app.cli.add_command(drafts)
    app.cli.add_command(data)
