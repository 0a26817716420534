"""Reviewer-side fixtures: one offer in a queue, a reviewer (Rita) and a lead (Lena)."""

from __future__ import annotations

import pytest

from tests.review.triage_support import make_offer


@pytest.fixture
def reference(app) -> str:
    """The reference of a freshly submitted offer waiting in a queue."""
    return make_offer(app)


@pytest.fixture
def rita(make_reviewer):
    return make_reviewer(name="Rita Reviewer")


@pytest.fixture
def lena(make_reviewer):
    return make_reviewer(role="lead", name="Lena Lead")
