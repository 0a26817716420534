"""`flask data ...`: contacts' personal data: retention purge, export, erasure, new links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

import click
from flask.cli import AppGroup

from donations_app.services import personal_data
from donations_app.services.offers import rotate_status_link
from donations_app.services.transaction import ServiceError

data = AppGroup("data", help="Personal data of offer contacts: purge, export, erase.")


@data.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="List the offers that would be anonymised; change nothing."
)
def purge_command(dry_run: bool) -> None:
    """Anonymise offers whose final status is older than PERSONAL_DATA_RETENTION_DAYS."""
    references = personal_data.purge(dry_run=dry_run)
    for reference in references:
        click.echo(reference)
    count = len(references)
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"{verb} {count} offer{'' if count == 1 else 's'}")


@data.command("export")
@click.option("--email", default="", help="The contact's e-mail address.")
@click.option("--reference", default="", help="An offer's reference number.")
@click.option(
    "--output", type=click.File("w"), default="-", help="File to write (default: stdout)."
)
@click.option(
    "--files",
    "files_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also copy the offers' evidence files into this folder (REFERENCE/ID-NAME).",
)
def export_command(email: str, reference: str, output: TextIO, files_dir: Path | None) -> None:
    """Write everything stored about one contact as JSON (audited), and their files."""
    if bool(email.strip()) == bool(reference.strip()):
        raise click.UsageError("Give exactly one of --email and --reference.")
    try:
        document = personal_data.export(None, reference=reference, email=email)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    json.dump(document, output, indent=2, ensure_ascii=False)
    output.write("\n")
    if files_dir is not None:
        written = personal_data.export_files(files_dir, reference=reference, email=email)
        click.echo(f"copied {len(written)} files into {files_dir}", err=True)


@data.command("erase")
@click.option("--reference", required=True, help="The offer's reference number.")
def erase_command(reference: str) -> None:
    """Anonymise one offer's contact details at the contact's request (audited)."""
    try:
        counts = personal_data.erase(reference, None)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"erased the contact details of {reference.strip().upper()} "
        f"({counts['messages']} e-mails, {counts['drafts']} drafts, "
        f"{counts['attachments']} files, "
        f"{counts['audit_labels']} audit labels)"
    )


@data.command("new-link")
@click.option("--reference", required=True, help="The offer's reference number.")
def new_link_command(reference: str) -> None:
    """Replace an offer's status link and e-mail the new one to its contact."""
    offers = personal_data.find_offers(reference=reference)
    if not offers:
        raise click.ClickException("No offer has that reference.")
    try:
        rotate_status_link(offers[0], why="operator")
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"e-mailed a new status link for {offers[0].reference}; older links no longer work")
