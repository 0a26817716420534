"""What a donor reads about one item, decided once for every page that shows an item's result.

An item's guideline result can carry findings of several outcomes (a refused rifle plate is
also export-controlled). One finding decides the item: the first, in rule order, of the item's
own outcome (the strictest that fired). The donor reads that outcome's findings and no other,
so a refused item never shows review advice ("no action needed") beside "cannot be accepted".

What the donor can do depends on where they read it. Before submitting (check your answers)
they can change or remove any item, so every fix is shown. After submitting they can only
correct the items the guidelines need more information about, and only on the status page
while the offer waits for them; every other fix ("remove the item") is replaced by a sentence
saying what happens to the item. A reviewer's decision, once made, decides what the item says.

Pure functions of plain data (the check answer's dicts): no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .rules import Rule

# What an item says after submission when the donor has nothing to do for it.
AFTER_SUBMISSION = {
    "reject": "This item cannot go forward. Nothing more is needed from you for it.",
    "info": "The offer waits for this information. Open your status link to correct the item.",
    "review": "An INL specialist reviews this item. Nothing is needed from you "
    "unless the reviewer asks.",
    "accept": "This item meets every guideline. A reviewer decides on it.",
}
DECIDED = {
    "approved": "INL approved this item.",
    "declined": "INL declined this item.",
}
MEETS_EVERY_GUIDELINE = "This item meets every guideline."
ALL_REFUSED = (
    "None of these items can be accepted under the guidelines, so the offer would not go to a "
    "reviewer. Change or remove the items below before you submit, or offer other equipment."
)


@dataclass(frozen=True)
class Shown:
    """One finding as the donor reads it: the message, the fix if they can act on it here."""

    rule: str
    title: str
    message: str
    fix: str
    reference: str


@dataclass(frozen=True)
class Advice:
    """Everything a page or message says about one item's result."""

    # The tag: an item outcome (reject, info, review, accept) or a decision (approved, declined).
    tag: str
    # The outcome that decided the item, and the finding that decided it (None: nothing fired).
    outcome: str
    deciding: Shown | None
    # The findings of the deciding outcome, the deciding one first.
    findings: tuple[Shown, ...]
    # What happens to the item, when no fix says what to do ("" when every finding has one).
    next_step: str


def _get(finding: Any, key: str) -> str:
    value = finding.get(key) if isinstance(finding, Mapping) else getattr(finding, key, "")
    return "" if value is None else str(value)


def _shown(finding: Any, titles: Mapping[str, str], with_fix: bool) -> Shown:
    rule = _get(finding, "rule")
    return Shown(
        rule=rule,
        title=titles.get(rule, ""),
        message=_get(finding, "message"),
        fix=_get(finding, "fix") if with_fix else "",
        reference=_get(finding, "reference"),
    )


def item_advice(
    outcome: str,
    findings: Iterable[Any],
    *,
    submitted: bool,
    can_correct: bool = False,
    decision: str | None = None,
    titles: Mapping[str, str] | None = None,
) -> Advice:
    """What the donor reads about one item.

    `findings` are the check answer's findings (dicts with rule, outcome, message, fix,
    reference) or engine findings; `submitted` says the offer was submitted, so only items
    needing information can still be changed, and only where `can_correct` (the status page
    while the offer waits for the donor); `decision` is the reviewer's decision, if any.
    """
    titles = titles or {}
    if decision in DECIDED:
        return Advice(decision, outcome, None, (), DECIDED[decision])
    own = [f for f in findings if _get(f, "outcome") == outcome]
    actionable = not submitted or (outcome == "info" and can_correct)
    shown = tuple(_shown(f, titles, actionable) for f in own)
    next_step = ""
    if not shown:
        next_step = AFTER_SUBMISSION["accept"] if submitted else MEETS_EVERY_GUIDELINE
    elif submitted and not actionable:
        next_step = AFTER_SUBMISSION[outcome]
    return Advice(outcome, outcome, shown[0] if shown else None, shown, next_step)


def all_refused(outcomes: Sequence[str]) -> bool:
    """Whether every item of an offer (with at least one item) is refused."""
    return bool(outcomes) and all(outcome == "reject" for outcome in outcomes)


def refused_categories(rules: Iterable[Rule], as_of: dt.date) -> frozenset[str]:
    """The categories a rule refuses whatever the item's answers, on `as_of`.

    These are what the start page must not list among what a donor can offer.
    """
    refused: set[str] = set()
    for rule in rules:
        if rule.outcome != "reject" or rule.when != "always" or rule.requires:
            continue
        if rule.effective_from is not None and as_of < rule.effective_from:
            continue
        if rule.effective_until is not None and as_of > rule.effective_until:
            continue
        refused.update(rule.applies_to)
    return frozenset(refused)
