"""Stored rule sets: publish, stage, activate (roll back or forward), list and compare versions.

A rule set is stored with every file's text, keyed by its version (the hash of those files), so
publishing the same files twice stores them once. The active version is the newest activation;
every running process switches to it on its next refresh (see services/rules.py).
"""

from __future__ import annotations

import datetime as dt
import difflib
import getpass
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from donations_app.clock import utcnow
from donations_app.extensions import db
from donations_app.guidelines import RuleSet, RuleSetError
from donations_app.guidelines.loader import load_rules_from_files
from donations_app.models import Reviewer, RuleSetActivation, RuleSetFile, StoredRuleSet
from donations_app.services.audit import record_event
from donations_app.services.queues import sync_queues
from donations_app.services.transaction import NotFound, ServiceError, transaction


class RuleSetRefused(ServiceError):
    """A rule set with errors; `.errors` are its `file:line:col: message` lines."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"The rule set has {len(errors)} error(s) and was not stored.")


@dataclass(frozen=True)
class Actor:
    """Who changes the rule sets: a signed-in reviewer, or a named command-line user."""

    reviewer: Reviewer | None = None
    label: str = ""

    @property
    def shown(self) -> str:
        return self.reviewer.email if self.reviewer is not None else self.label


def command_line_actor() -> Actor:
    """The operating-system user running a `flask rules` command."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(label=f"cli:{user}")


APP_ACTOR = Actor(label="app: RULES_DIR")


@dataclass(frozen=True)
class ActivePeriod:
    """A time a version was the active one; `until` is None while it still is."""

    since: dt.datetime
    until: dt.datetime | None
    by: str


@dataclass(frozen=True)
class VersionSummary:
    """A stored version for the history: who stored it, when, why, and when it was active."""

    version: str
    created_at: dt.datetime
    created_by: str
    note: str
    periods: list[ActivePeriod]

    @property
    def active(self) -> bool:
        return any(period.until is None for period in self.periods)


@dataclass(frozen=True)
class FileDiff:
    """The unified diff of one file between two versions (empty lines: unchanged)."""

    name: str
    lines: list[str]


def active_version() -> str | None:
    """The version of the newest activation, or None before any publication."""
    return db.session.scalar(
        sa.select(StoredRuleSet.version)
        .join(RuleSetActivation, RuleSetActivation.rule_set_id == StoredRuleSet.id)
        .order_by(RuleSetActivation.id.desc())
        .limit(1)
    )


def full_version(prefix: str) -> str:
    """The stored version that starts with `prefix` (at least 4 characters, and unambiguous)."""
    if len(prefix) >= 4:
        found = list(
            db.session.scalars(
                sa.select(StoredRuleSet.version)
                .where(StoredRuleSet.version.startswith(prefix, autoescape=True))
                .limit(2)
            )
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NotFound(f"Several stored rule sets start with {prefix}; give more of it.")
    raise NotFound(f"No rule set with version {prefix} is stored.")


def stored_files(version: str) -> dict[str, str]:
    """Name -> text of every file of a stored version; NotFound if it was never stored."""
    stored = _stored(version)
    return {file.name: file.content for file in stored.files}


def build(version: str) -> RuleSet:
    """The RuleSet of a stored version, rebuilt from its files."""
    try:
        return load_rules_from_files(stored_files(version), shown_in=version)
    except RuleSetError as error:
        raise RuleSetRefused(error.errors) from None


def publish(
    ruleset: RuleSet,
    files: dict[str, str],
    actor: Actor,
    note: str = "",
    *,
    activate: bool = True,
    audited: bool = True,
) -> StoredRuleSet:
    """Store a checked rule set (if new) and, with `activate`, make it the active one; audited.

    `ruleset` must have been loaded from exactly `files`; one transaction, so a failure leaves
    the stored versions and the active one as they were. Only the first publication of a
    fresh database goes unaudited (`audited=False`): its stored row already says who and when.
    """
    with transaction():
        stored = _find(ruleset.version)
        created = stored is None
        if stored is None:
            stored = StoredRuleSet(
                version=ruleset.version,
                created_at=utcnow(),
                created_by_id=actor.reviewer.id if actor.reviewer else None,
                created_by=actor.shown,
                note=note,
                files=[
                    RuleSetFile(name=name, content=text) for name, text in sorted(files.items())
                ],
            )
            db.session.add(stored)
            db.session.flush()
        already_active = active_version() == ruleset.version
        if activate and not already_active:
            _activate(stored, ruleset, actor)
        if not audited:
            return stored
        record_event(
            "rules_published" if activate else "rules_staged",
            actor=actor.reviewer,
            actor_type=None if actor.reviewer else "system",
            actor_label=actor.shown,
            reason=note,
            data={"version": ruleset.version, "new": created, "was_active": already_active},
        )
    return stored


def activate(version: str, actor: Actor, ruleset: RuleSet | None = None) -> RuleSet:
    """Make a stored version the active one (roll back or forward); audited."""
    version = full_version(version)
    ruleset = ruleset or build(version)
    with transaction():
        previous = active_version()
        if previous != version:
            _activate(_stored(version), ruleset, actor)
        record_event(
            "rules_activated",
            actor=actor.reviewer,
            actor_type=None if actor.reviewer else "system",
            actor_label=actor.shown,
            data={"version": version, "previous": previous},
        )
    return ruleset


def versions() -> list[VersionSummary]:
    """Every stored version, newest first, with the periods it was active."""
    activations = list(
        db.session.execute(
            sa.select(RuleSetActivation.rule_set_id, RuleSetActivation.activated_at)
            .add_columns(RuleSetActivation.activated_by)
            .order_by(RuleSetActivation.id)
        )
    )
    periods: dict[int, list[ActivePeriod]] = {}
    for index, (rule_set_id, since, by) in enumerate(activations):
        until = activations[index + 1][1] if index + 1 < len(activations) else None
        periods.setdefault(rule_set_id, []).append(ActivePeriod(since, until, by))
    stored = db.session.scalars(sa.select(StoredRuleSet).order_by(StoredRuleSet.id.desc()))
    return [
        VersionSummary(
            s.version, s.created_at, s.created_by, s.note, list(reversed(periods.get(s.id, [])))
        )
        for s in stored
    ]


def diff(old: str, new: str) -> list[FileDiff]:
    """A unified diff per file between two stored versions (or unique prefixes), files in order."""
    old, new = full_version(old), full_version(new)
    before, after = stored_files(old), stored_files(new)
    result = []
    for name in sorted(set(before) | set(after)):
        lines = list(
            difflib.unified_diff(
                before.get(name, "").splitlines(),
                after.get(name, "").splitlines(),
                fromfile=f"{old}/{name}" if name in before else "/dev/null",
                tofile=f"{new}/{name}" if name in after else "/dev/null",
                lineterm="",
            )
        )
        result.append(FileDiff(name, lines))
    return result


def _activate(stored: StoredRuleSet, ruleset: RuleSet, actor: Actor) -> None:
    db.session.add(
        RuleSetActivation(
            rule_set_id=stored.id,
            activated_at=utcnow(),
            activated_by_id=actor.reviewer.id if actor.reviewer else None,
            activated_by=actor.shown,
        )
    )
    sync_queues(ruleset.router.queues)


def _find(version: str) -> StoredRuleSet | None:
    return db.session.scalar(
        sa.select(StoredRuleSet)
        .where(StoredRuleSet.version == version)
        .options(selectinload(StoredRuleSet.files))
    )


def _stored(version: str) -> StoredRuleSet:
    stored = _find(version)
    if stored is None:
        raise NotFound(f"No rule set with version {version} is stored.")
    return stored
