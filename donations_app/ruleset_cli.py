"""`flask rules publish|stage|activate|versions|diff`: the rule sets stored in the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .guidelines import RuleSetError
from .services import rulesets
from .services.rules import activate_version, publish_directory
from .services.transaction import ServiceError


def _refuse(errors: list[str], what: str) -> None:
    for error in errors:
        click.echo(error, err=True)
    click.echo(f"{len(errors)} error(s): {what}", err=True)
    raise SystemExit(1)


def _store(directory: str | None, note: str, *, activate: bool) -> None:
    folder = Path(directory or current_app.config["RULES_DIR"])
    try:
        ruleset = publish_directory(
            folder, rulesets.command_line_actor(), note.strip(), activate=activate
        )
    except RuleSetError as error:
        _refuse(error.errors, "nothing was stored and the active rule set is unchanged.")
        return
    if activate:
        click.echo(f"Published {folder}: version {ruleset.version} is active.")
    else:
        click.echo(
            f"Staged {folder} as version {ruleset.version} (not active; "
            f"`flask rules activate {ruleset.version}` makes it so)."
        )


@click.command("publish")
@with_appcontext
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--note", default="", help="Why this version, for the history.")
def publish_command(directory: str | None, note: str) -> None:
    """Check and test DIRECTORY (default RULES_DIR), store it and make it the active rule set."""
    _store(directory, note, activate=True)


@click.command("stage")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--note", default="", help="Why this version, for the history.")
def stage_command(directory: str, note: str) -> None:
    """Check and store DIRECTORY without making it active (to preview, then activate)."""
    _store(directory, note, activate=False)


@click.command("activate")
@with_appcontext
@click.argument("version")
def activate_command(version: str) -> None:
    """Make a stored VERSION (or a unique start of it) the active rule set: roll back or forward."""
    try:
        ruleset = activate_version(version, rulesets.command_line_actor())
    except rulesets.RuleSetRefused as error:
        _refuse(error.errors, "this version no longer loads; the active one is unchanged.")
        return
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Version {ruleset.version} is active.")


@click.command("versions")
@with_appcontext
def versions_command() -> None:
    """List the stored rule sets, newest first, with who stored them and when each was active."""
    listed = rulesets.versions()
    if not listed:
        click.echo("No rule set is stored yet.")
    for summary in listed:
        marker = "* " if summary.active else "  "
        click.echo(
            f"{marker}{summary.version}  stored {summary.created_at:%Y-%m-%d %H:%M} UTC"
            f" by {summary.created_by}" + (f": {summary.note}" if summary.note else "")
        )
        for period in summary.periods:
            until = f"{period.until:%Y-%m-%d %H:%M:%S}" if period.until else "now"
            click.echo(f"      active {period.since:%Y-%m-%d %H:%M:%S} - {until} (by {period.by})")
        if not summary.periods:
            click.echo("      never active")


@click.command("diff")
@with_appcontext
@click.argument("old")
@click.argument("new")
def diff_command(old: str, new: str) -> None:
    """Show what changed from stored version OLD to NEW, as a unified diff per file."""
    try:
        files = rulesets.diff(old, new)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    changed = [file for file in files if file.lines]
    for file in changed:
        for line in file.lines:
            click.echo(line)
    click.echo(f"{len(changed)} file(s) changed, {len(files) - len(changed)} unchanged.")


def add_ruleset_commands(group: click.Group) -> None:
    """Add the stored-rule-set commands to the `flask rules` group."""
    for command in (
        publish_command,
        stage_command,
        activate_command,
        versions_command,
        diff_command,
    ):
        group.add_command(command)
