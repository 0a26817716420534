"""Reviewer-side fixtures: one offer in a queue, a reviewer (Rita) and a lead (Lena)."""

from __future__ import annotations

import pytest

from tests.review.triage_support import make_offer, make_reviewer


@pytest.fixture
def reference(app) -> str:
    """The reference of a freshly submitted offer waiting in a queue."""
    return make_offer(app)


@pytest.fixture
def rita(app):
    return make_reviewer(app, "rita@state.example.gov", name="Rita Reviewer")


@pytest.fixture
def lena(app):
    return make_reviewer(app, "lena@state.example.gov", role="lead", name="Lena Lead")
