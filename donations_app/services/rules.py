"""The active guideline rule set: the newest activation in the database, refreshed on a timer.

Every process checks the active version at most every RULES_REFRESH_SECONDS and switches to it
without a restart; a request keeps the RuleSet it started with, so one offer is never judged
by two versions. RuleSets are immutable and content-addressed, so they are cached by version.
On a database where nothing was published yet, the first refresh publishes RULES_DIR; with
RULES_WATCH (development) every saved edit of RULES_DIR is published, and a broken edit is
kept as `pending_errors` while the last good set keeps serving. A process that has no good rule
set to serve at all (nothing published, and RULES_DIR broken) refuses to start.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from donations_app.extensions import db
from donations_app.guidelines import RuleSet, RuleSetError, load_rules
from donations_app.guidelines.loader import read_rule_files, version_of_files
from donations_app.services import rulesets

log = logging.getLogger(__name__)

# The exit status of a process whose rules do not load. Gunicorn stops, instead of starting
# the worker again and again, when a worker exits with 4 ("App failed to load").
EXIT_RULES_DO_NOT_LOAD = 4
_CACHE_SIZE = 16
_built: OrderedDict[str, RuleSet] = OrderedDict()
_built_lock = threading.Lock()


def remember(ruleset: RuleSet) -> RuleSet:
    """Keep a RuleSet for its version, so no process builds the same version twice."""
    with _built_lock:
        _built[ruleset.version] = ruleset
        _built.move_to_end(ruleset.version)
        while len(_built) > _CACHE_SIZE:
            _built.popitem(last=False)
    return ruleset


def ruleset_for(version: str) -> RuleSet:
    """The RuleSet of a stored version, from the cache or rebuilt from its stored files."""
    with _built_lock:
        cached = _built.get(version)
    return cached if cached is not None else remember(rulesets.build(version))


def load_directory(path: str | Path) -> tuple[RuleSet, dict[str, str]]:
    """Check a rules directory (examples included) and read its files; RuleSetError if broken.

    A version this process has already checked (the start-up check, then the first publication
    of RULES_DIR) is not loaded again.
    """
    files = read_rule_files(path)
    version = version_of_files(files)
    with _built_lock:
        cached = _built.get(version)
    if cached is not None:
        return cached, files
    ruleset = load_rules(path)
    if ruleset.version != version:
        raise RuleSetError([f"{path}:1:1: the files changed while they were read; try again"])
    return remember(ruleset), files


class RuleBook:
    """Holds the RuleSet the app evaluates offers with and keeps it in step with the database."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.rules_dir = Path(app.config["RULES_DIR"])
        self.refresh_seconds = float(app.config["RULES_REFRESH_SECONDS"])
        self.watch = bool(app.config["RULES_WATCH"])
        self.pending_errors: list[str] = []
        self._current: RuleSet | None = None
        self._checked_at = -math.inf
        self._stamps: tuple | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> RuleSet:
        """The active RuleSet now (refreshing it first when the interval has passed)."""
        if has_app_context():
            return self.current()
        with self.app.app_context():
            return self.current()

    def current(self) -> RuleSet:
        """The active RuleSet, refreshed when RULES_REFRESH_SECONDS have passed."""
        if self._current is None or time.monotonic() - self._checked_at >= self.refresh_seconds:
            self.refresh()
        assert self._current is not None
        return self._current

    def expire(self) -> None:
        """Check the database on the next use (this process just changed the active version)."""
        self._checked_at = -math.inf

    def refresh(self) -> None:
        """Switch to the database's active version; the first caller waits, later ones do not."""
        if not self._lock.acquire(blocking=self._current is None):
            return
        try:
            self._refresh()
            self._checked_at = time.monotonic()
        finally:
            self._lock.release()

    def _refresh(self) -> None:
        try:
            if self.watch:
                self._publish_edits()
            version = rulesets.active_version()
            if version is None:
                version = self._publish_rules_dir()
            if self._current is None or self._current.version != version:
                self._current = ruleset_for(version)
        except rulesets.RuleSetRefused as error:
            # Another process activated a version this code cannot load: keep serving ours.
            log.error("the active rule set does not load here: %s", "; ".join(error.errors))
            if self._current is None:
                raise RuleSetError(error.errors) from None
        except SQLAlchemyError as error:
            # Database down, or not migrated yet: serve what we have, or the rules directory.
            db.session.rollback()
            log.warning("could not read the active rule set: %s", error)
            if self._current is None:
                self._current, _files = load_directory(self.rules_dir)

    def _publish_rules_dir(self) -> str:
        ruleset, files = load_directory(self.rules_dir)
        try:
            rulesets.publish(
                ruleset,
                files,
                rulesets.APP_ACTOR,
                "published at start-up from RULES_DIR",
                audited=False,
            )
        except IntegrityError:
            # Another worker of a fresh database published the same directory at the same
            # moment (its transaction committed first): the version is stored and active.
            db.session.rollback()
            if rulesets.active_version() != ruleset.version:
                raise
        return ruleset.version

    def _publish_edits(self) -> None:
        stamps = tuple(
            (file.name, file.stat().st_mtime_ns, file.stat().st_size)
            for file in sorted(self.rules_dir.glob("*.y*ml"))
        )
        if stamps == self._stamps:
            return
        self._stamps = stamps
        try:
            ruleset, files = load_directory(self.rules_dir)
        except RuleSetError as error:
            self.pending_errors = error.errors
            return
        self.pending_errors = []
        if rulesets.active_version() not in (None, ruleset.version):
            rulesets.publish(ruleset, files, rulesets.APP_ACTOR, "saved in RULES_DIR")


def install_rulebook(app: Flask) -> RuleBook:
    """Give the app its RuleBook; each request fixes its RuleSet before the view runs."""
    refuse_to_start_without_rules(app)
    book = RuleBook(app)
    app.extensions["rulebook"] = book

    @app.before_request
    def _fix_the_requests_ruleset() -> None:
        # The readiness probe reports a missing rule set rather than failing on it.
        if request.endpoint != "system.readyz":
            active_ruleset()

    return book


def publish_directory(
    path: str | Path, actor: rulesets.Actor, note: str = "", *, activate: bool = True
) -> RuleSet:
    """Check a rules directory and store it (and with `activate`, make it active) in one
    transaction; RuleSetError with every problem when it is broken, and then nothing changes."""
    ruleset, files = load_directory(path)
    rulesets.publish(ruleset, files, actor, note, activate=activate)
    rulebook().expire()
    return ruleset


def activate_version(version: str, actor: rulesets.Actor) -> RuleSet:
    """Make a stored version active (roll back or forward); this process serves it at once."""
    ruleset = rulesets.activate(version, actor, ruleset_for(rulesets.full_version(version)))
    rulebook().expire()
    return ruleset


def rulebook() -> RuleBook:
    """The current app's RuleBook."""
    return current_app.extensions["rulebook"]


def refuse_to_start_without_rules(app: Flask) -> None:
    """End the process when there is no good rule set to serve: the database holds no active
    version (or cannot be read yet) and RULES_DIR does not load.

    Each error is printed to stderr as `file:line:col: message` and the process exits with
    EXIT_RULES_DO_NOT_LOAD: a stack trace would bury the one line the operator needs. When the
    database has an active version, that version serves and RULES_DIR is not needed.
    """
    with app.app_context():
        try:
            if rulesets.active_version() is not None:
                return
        except SQLAlchemyError:
            db.session.rollback()
        finally:
            # No connection may outlive this check: a server that loads the app before forking
            # its workers (gunicorn --preload) would otherwise hand one socket to all of them.
            db.session.remove()
            db.engine.dispose()
        rules_dir = app.config["RULES_DIR"]
        try:
            load_directory(rules_dir)
        except RuleSetError as error:
            lines = [
                f"The guideline rules in {rules_dir} do not load, so the service cannot start:"
            ]
            lines += [f"  {problem}" for problem in error.errors]
            lines.append("Fix them and start the service again.")
            print("\n".join(lines), file=sys.stderr, flush=True)
            raise SystemExit(EXIT_RULES_DO_NOT_LOAD) from None


def active_ruleset() -> RuleSet:
    """The rule set that evaluates offers now: the same one for the whole of a request."""
    if not has_request_context():
        return rulebook().current()
    if "active_ruleset" not in g:
        g.active_ruleset = rulebook().current()
    return g.active_ruleset
