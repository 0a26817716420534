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
from donations_app.services.recheck import OPEN_STATUSES, recheck, replay
from donations_app.services.rules import active_ruleset, ruleset_for
from donations_app.services.rulesets import full_version
from donations_app.services.transaction import ServiceError


def _ruleset(source: str) -> RuleSet:
    """A rules directory (checked and tested first), or a stored version (or its first 4+
    characters)."""
    path = Path(source)
    try:
        if path.is_dir():
            return load_rules(path)
        return ruleset_for(full_version(source))
    except RuleSetError as exc:
        for error in exc.errors:
            click.echo(error, err=True)
        raise click.ClickException(
            f"{len(exc.errors)} error(s): fix the rule set before previewing its impact."
        ) from None
    except ServiceError as error:
        raise click.ClickException(f"{source}: not a rules directory; {error}") from None


def _text_line(change: OfferChange) -> str:
    if change.problem:
        return f"{change.reference} ({change.status}): cannot compare: {change.problem}"
    head = f"{change.reference} ({change.status}): {change.before} -> {change.after}"
    if change.queue_before != change.queue_after:
        head += f", queue {change.queue_before or 'none'} -> {change.queue_after or 'none'}"
    lines = [head]
    for item in change.items:
        detail = f"    item {item.position + 1} ({item.category}): {item.before} -> {item.after}"
        if item.added:
            detail += f"; now fires {', '.join(item.added)}"
        if item.removed:
            detail += f"; no longer fires {', '.join(item.removed)}"
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
@click.argument("candidate")
@click.option(
    "--against",
    help="The rule set to compare with: a directory or a stored version (default: the active one).",
)
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
    against: str | None,
    status: str,
    since: dt.datetime | None,
    as_of: dt.datetime | None,
    fmt: str,
) -> None:
    """Re-evaluate stored offers under CANDIDATE (a rules directory or a stored version, e.g.
    one put there by `rules stage`) and the active rule set (or --against), and list every
    offer and item whose outcome, queue or fired rules would change."""
    new = _ruleset(candidate)
    current = _ruleset(against) if against else active_ruleset()
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
                    " ".join(item.added),
                    " ".join(item.removed),
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


@click.command("replay")
@click.argument("reference")
@with_appcontext
def replay_command(reference: str) -> None:
    """Re-run an offer's stored evaluation with the rule-set version and date it was made with,
    and show that it matches (exit 1 if it does not)."""
    try:
        result = replay(reference)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{result.reference}: rule set {result.version} as of {result.as_of}: "
        f"{result.outcome}, queue {result.queue or 'none'}"
    )
    if result.differences:
        for line in result.differences:
            click.echo(f"  differs: {line}")
        raise SystemExit(1)
    click.echo("The replay matches the stored evaluation.")


def add_impact_commands(group: click.Group) -> None:
    """Add `impact`, `recheck` and `replay` to the `flask rules` group."""
    group.add_command(impact_command)
    group.add_command(recheck_command)
    group.add_command(replay_command)
