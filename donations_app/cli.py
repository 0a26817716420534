"""Flask CLI commands: rules, users, outbox and the first-run bootstrap."""

from __future__ import annotations

import click
from flask import Flask, current_app

from donations_app.rules_cli import rules


@click.command("bootstrap")
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


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    app.cli.add_command(rules)
    app.cli.add_command(bootstrap_command)
