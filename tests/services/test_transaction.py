"""One transaction per service call: commit on success, roll back on error, nested calls join,
and a concurrent change reaches callers as ConcurrentChange, never as an ORM exception."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from donations_app.extensions import db
from donations_app.models import AuditEvent
from donations_app.services.audit import record_event
from donations_app.services.transaction import ConcurrentChange, transaction, transactional


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def stored_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_service_call_commits_what_it_changed(ctx):
    @transactional
    def change() -> None:
        record_event("first")

    change()
    assert stored_actions() == ["first"]


def test_an_error_rolls_back_everything_the_call_changed(ctx):
    @transactional
    def change() -> None:
        record_event("half")
        db.session.flush()
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        change()
    assert stored_actions() == []


def test_nested_calls_commit_once_with_the_outer_one(ctx):
    @transactional
    def inner() -> None:
        record_event("inner")

    @transactional
    def outer() -> None:
        inner()
        raise RuntimeError("the outer call fails after the inner one returned")

    with pytest.raises(RuntimeError):
        outer()
    assert stored_actions() == []


def test_a_stale_version_becomes_a_concurrent_change(ctx):
    with pytest.raises(ConcurrentChange) as raised, transaction():
        record_event("late")
        raise StaleDataError("UPDATE statement on table 'offers' expected to update 1 row")
    assert isinstance(raised.value.__cause__, StaleDataError)
    assert stored_actions() == []
