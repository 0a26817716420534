"""One transaction per service call that changes data, and the errors services raise.

A public service function that changes data is decorated with `transactional`: it commits what
it changed, or rolls all of it back when it raises. Calls nest: only the outermost one commits,
so a service may build on another without committing half of the work. Views and CLI commands
never commit or roll back themselves, and no ORM exception reaches them: a concurrent change
caught by a version counter becomes `ConcurrentChange`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from donations_app.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
_DEPTH = "donations_app.transaction_depth"


class ServiceError(Exception):
    """A request a service refused; the message is written for the person who asked."""


class NotFound(ServiceError):
    """The thing asked for does not exist (or may not be shown to this person)."""


class ConcurrentChange(ServiceError):
    """Someone else changed the same rows first; nothing of this change was saved."""


@contextmanager
def transaction() -> Iterator[None]:
    """Commit the block's changes, or roll them back when it raises; nested blocks join."""
    session = db.session
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            session.commit()
    except StaleDataError as error:
        if depth == 0:
            session.rollback()
        raise ConcurrentChange("Someone changed this record while you were working on it.") from (
            error
        )
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Run the service function in `transaction()`."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return func(*args, **kwargs)

    return run
