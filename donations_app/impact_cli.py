"""`flask rules impact`: what a candidate rule set would change for the offers already stored."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext

from donations_app.guidelines import RuleSet, RuleSetError, load_rules
from donations_app.services.impact import (
    STATUS_CHOICES,
    ImpactSummary,
    OfferChange,
    offer_count,
    preview_impact,
)
from donations_app.services.recheck import OPEN_STATUSES, recheck
from donations_app.services.rules import active_ruleset
from donations_app.services.transaction import ServiceError


def _candidate(source: str) -> RuleSet:
    """The rule set to preview: a rules directory (checked and tested first)."""
    path = Path(source)
    if not path.is_dir():
        raise click.ClickException(f"{source}: not a rules directory")
    try:
        return load_rules(path)
    except RuleSetError as exc:
        for error in exc.errors:
            click.echo(error, err=True)
        raise click.ClickException(
            f"{len(exc.errors)} error(s): fix the rule set before previewing its impact."
        ) from None


def _text_line(change: OfferChange) -> str:
    if change.problem:
        return f"{change.reference} ({change.status}): cannot compare: {change.problem}"
    head = f"{change.reference} ({change.status}): {change.before} -> {change.after}"
    if change.queue_before != change.queue_after:
        head += f", queue {change.queue_before or 'none'} -> {change.queue_after or 'none'}"
    lines = [head]
    for item in change.items:
        added = sorted(set(item.fired_after) - set(item.fired_before))
        removed = sorted(set(item.fired_before) - set(item.fired_after))
        detail = f"    item {item.position + 1} ({item.category}): {item.before} -> {item.after}"
        if added:
            detail += f"; now fires {', '.join(added)}"
        if removed:
            detail += f"; no longer fires {', '.join(removed)}"
        lines.append(detail)
    return "\n".join(lines)


def _json_change(change: OfferChange) -> dict[str, Any]:
    return {
        "reference": change.reference,
        "status": change.status,
        "outcome": {"before": change.before, "after": change.after},
        "queue": {"before": change.queue_before, "after": change.queue_after},
        "items": [
            {
                "index": item.position,
                "category": item.category,
                "outcome": {"before": item.before, "after": item.after},
                "rules": {"before": list(item.fired_before), "after": list(item.fired_after)},
            }
            for item in change.items
        ],
        "problem": change.problem or None,
    }


@click.command("impact")
@with_appcontext
@click.argument("candidate", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES),
    default="all",
    show_default=True,
    help="Which stored offers to re-evaluate: open (not decided), decided, or all.",
)
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Only offers submitted on or after."
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Evaluate every offer as of this date (default: each at its own submission date).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
def impact_command(
    candidate: str,
    status: str,
    since: dt.datetime | None,
    as_of: dt.datetime | None,
    fmt: str,
) -> None:
    """Re-evaluate stored offers under CANDIDATE (a rules directory) and the active rule set,
    and list every offer and item whose outcome, queue or fired rules would change."""
    new, current = _candidate(candidate), active_ruleset()
    summary = ImpactSummary()
    total = offer_count(status, since.date() if since else None)
    out = sys.stdout
    changes = preview_impact(
        new,
        current,
        status=status,
        since=since.date() if since else None,
        as_of=as_of.date() if as_of else None,
        summary=summary,
        progress=_progress_bar(total),
    )
    if fmt == "json":
        out.write('{"changes": [')
        for index, change in enumerate(changes):
            out.write(("," if index else "") + "\n" + json.dumps(_json_change(change)))
        out.write("\n],\n")
        header = {"candidate": new.version, "current": current.version}
        out.write(f'"rulesets": {json.dumps(header)},\n"summary": ')
        out.write(json.dumps(summary.as_dict()) + "}\n")
    elif fmt == "csv":
        _write_csv(out, changes)
    else:
        click.echo(f"Impact of {candidate} (version {new.version}) against {current.version}:")
        for change in changes:
            click.echo(_text_line(change))
        _print_summary(summary)


def _write_csv(out: IO[str], changes: Any) -> None:
    writer = csv.writer(out)
    writer.writerow(
        ["reference", "status", "item", "category", "before", "after", "now_fires", "no_longer"]
    )
    for change in changes:
        if not change.items:
            writer.writerow([change.reference, change.status, "", "", change.before, change.after])
        for item in change.items:
            writer.writerow(
                [
                    change.reference,
                    change.status,
                    item.position + 1,
                    item.category,
                    item.before,
                    item.after,
                    " ".join(sorted(set(item.fired_after) - set(item.fired_before))),
                    " ".join(sorted(set(item.fired_before) - set(item.fired_after))),
                ]
            )


def _print_summary(summary: ImpactSummary) -> None:
    click.echo(
        f"{summary.offers_changed} of {summary.offers} offers would change "
        f"({summary.outcome_changed} outcome, {summary.queue_changed} queue); "
        f"{summary.items_changed} of {summary.items} items."
    )
    if summary.problems:
        click.echo(f"{summary.problems} offers could not be compared (see above).")
    for rule in sorted(summary.rule_items):
        click.echo(
            f"  {rule}: {summary.rule_offers[rule]} offers, {summary.rule_items[rule]} items"
        )


def _progress_bar(total: int) -> Any:
    """Report progress on a terminal (standard error), say nothing otherwise."""
    if not sys.stderr.isatty() or total == 0:
        return None
    seen = 0

    def advance(count: int) -> None:
        nonlocal seen
        seen += count
        width = 30
        done = int(width * seen / total)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {seen}/{total} offers")
        if seen >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return advance


@click.command("recheck")
@with_appcontext
@click.option(
    "--status",
    "statuses",
    default="queued,in_review",
    show_default=True,
    help=f"Comma-separated open statuses to re-check ({', '.join(OPEN_STATUSES)}).",
)
@click.option("--dry-run", is_flag=True, help="List what would change; store nothing.")
def recheck_command(statuses: str, dry_run: bool) -> None:
    """Re-evaluate open offers under the active rule set; store and audit what changed (the
    reviewer's offer page shows it). Decided offers never change."""
    wanted = tuple(part.strip() for part in statuses.split(",") if part.strip())
    try:
        summary = recheck(wanted, dry_run=dry_run)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"Re-checked {summary.checked} offers under rule set {active_ruleset().version}: "
        f"{len(summary.changed)} {verb}."
    )
    for reference in summary.changed:
        click.echo(f"  {reference}")


def add_impact_commands(group: click.Group) -> None:
    """Add `impact` and `recheck` to the `flask rules` group."""
    group.add_command(impact_command)
    group.add_command(recheck_command)
