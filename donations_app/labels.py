"""The words people read for the service's codes, as Jinja filters and as plain functions.

Categories and the catalog's answer lists (recipient, agency type, condition, how acquired) come
from the catalog of the active rule set; statuses, outcomes, decisions, roles and evaluation
triggers from models.vocabulary. An unknown code reads as itself with spaces for underscores:
a page never fails because a code has no label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from donations_app.clock import utctoday
from donations_app.guidelines.advice import Advice, item_advice, refused_categories
from donations_app.models.vocabulary import (
    ACTOR_TYPE_LABELS,
    AUDIT_ACTION_LABELS,
    CONFLICT_ACTION_LABELS,
    EVALUATION_TRIGGER_LABELS,
    ITEM_DECISION_LABELS,
    ITEM_OUTCOME_LABELS,
    OFFER_OUTCOME_LABELS,
    OFFER_STATUS_LABELS,
    ROLE_LABELS,
)
from donations_app.services.queues import queue_names
from donations_app.services.rules import active_ruleset


def readable(code: object) -> str:
    """A code without a label, made readable: "in_review" -> "in review"; None -> ""."""
    return "" if code is None else str(code).replace("_", " ")


def _from(labels: Mapping[str, str], code: object) -> str:
    return labels.get(code, readable(code)) if isinstance(code, str) else readable(code)


def category_label(code: object) -> str:
    """The catalog's label of an item category."""
    try:
        return active_ruleset().catalog.category(str(code)).label
    except KeyError:
        return readable(code)


def catalog_enum_label(enum: str, code: object) -> str:
    """The catalog's label of a value of one of its answer lists (recipient, condition, ...)."""
    return _from(dict(active_ruleset().catalog.enums.get(enum, ())), code)


def recipient_label(code: object) -> str:
    """The Ukrainian agency an offer is for."""
    return catalog_enum_label("recipient", code)


def agency_type_label(code: object) -> str:
    """The kind of agency that offers the items."""
    return catalog_enum_label("agency_type", code)


def condition_label(code: object) -> str:
    """An item's condition."""
    return catalog_enum_label("condition", code)


def acquired_via_label(code: object) -> str:
    """How the agency acquired an item."""
    return catalog_enum_label("acquired_via", code)


def queue_label(slug: object) -> str:
    """A reviewer queue's name, for a record that names its slug ("none" for no queue)."""
    if not slug:
        return "none"
    return queue_names().get(str(slug), readable(slug))


def status_label(code: object) -> str:
    """An offer's status, as words inside a sentence ("in review")."""
    return _from(OFFER_STATUS_LABELS, code)


def outcome_label(code: object) -> str:
    """An item's guideline result, as the donor reads it ("Needs a specialist review")."""
    return _from(ITEM_OUTCOME_LABELS, code)


def offer_outcome_label(code: object) -> str:
    """An offer's overall guideline result, as words inside a sentence ("needs information")."""
    return _from(OFFER_OUTCOME_LABELS, code)


def decision_label(code: object) -> str:
    """A reviewer's decision on an item ("approved")."""
    return _from(ITEM_DECISION_LABELS, code)


def role_label(code: object) -> str:
    """A reviewer account's role ("lead")."""
    return _from(ROLE_LABELS, code)


def action_label(code: object) -> str:
    """An audited action, as words ("asked the donor for information")."""
    if isinstance(code, str) and code.endswith("_conflict"):
        base = code.removesuffix("_conflict")
        return f"{_from(CONFLICT_ACTION_LABELS, base)} refused: the offer had changed"
    return _from(AUDIT_ACTION_LABELS, code)


def actor_type_label(code: object) -> str:
    """Who did something, when no name is recorded ("donor", "the service")."""
    return _from(ACTOR_TYPE_LABELS, code)


def tag_label(code: object) -> str:
    """A rule's tag ("export control")."""
    return readable(code)


# Audit detail keys whose values are codes, and how to read them.
_DETAIL_VALUES: dict[str, Callable[[object], str]] = {
    "decision": decision_label,
    "outcome": offer_outcome_label,
    "role": role_label,
    "recipient": recipient_label,
}
_QUEUE_KEYS = ("queue", "from_queue", "to_queue", "queues")


def audit_details(data: Mapping[str, Any] | None, queue_names: Mapping[str, str]) -> list[str]:
    """An audit event's details as "Key: value" lines with labels, queue names for slugs."""
    lines = []
    for key, value in sorted((data or {}).items()):
        values = value if isinstance(value, list | tuple) else [value]
        if key in _QUEUE_KEYS:
            shown = [queue_names.get(str(v), readable(v)) for v in values]
        elif key in _DETAIL_VALUES:
            shown = [_DETAIL_VALUES[key](v) for v in values]
        else:
            shown = ["yes" if v is True else "no" if v is False else str(v) for v in values]
        lines.append(f"{readable(key).capitalize()}: {', '.join(shown) or 'none'}")
    return lines


# An item's tag once a reviewer decided on it (the tag then shows the decision, not the check).
DECISION_TAG_LABELS = {"approved": "Approved by INL", "declined": "Declined by INL"}


def advice_tag_label(code: object) -> str:
    """The words of an item's tag: its guideline outcome, or the reviewer's decision."""
    return _from({**ITEM_OUTCOME_LABELS, **DECISION_TAG_LABELS}, code)


def rule_title(rule_id: object) -> str:
    """A rule's title in the active rule set, with its id ("ARMS: Weapons ... not accepted");
    the id alone for a rule the active set no longer has."""
    try:
        return f"{rule_id}: {active_ruleset().rule(str(rule_id)).title}"
    except KeyError:
        return readable(rule_id)


def donor_advice(outcome: str, findings: Any, **options: Any) -> Advice:
    """guidelines.advice.item_advice with the active rule set's rule titles."""
    titles = {rule.id: rule.title for rule in active_ruleset().rules}
    return item_advice(outcome, findings or (), titles=titles, **options)


def offerable_categories() -> list[Any]:
    """The catalog's categories except those a rule refuses whatever the answers, today."""
    ruleset = active_ruleset()
    refused = refused_categories(ruleset.rules, utctoday())
    return [c for c in ruleset.catalog.categories if c.id not in refused]


def trigger_label(code: object) -> str:
    """Why an offer was evaluated ("submission")."""
    return _from(EVALUATION_TRIGGER_LABELS, code)


FILTERS: dict[str, Callable[[object], str]] = {
    "category_label": category_label,
    "recipient_label": recipient_label,
    "agency_type_label": agency_type_label,
    "condition_label": condition_label,
    "acquired_via_label": acquired_via_label,
    "status_label": status_label,
    "queue_label": queue_label,
    "outcome_label": outcome_label,
    "offer_outcome_label": offer_outcome_label,
    "decision_label": decision_label,
    "role_label": role_label,
    "trigger_label": trigger_label,
    "advice_tag_label": advice_tag_label,
    "rule_title": rule_title,
    "action_label": action_label,
    "actor_type_label": actor_type_label,
    "tag_label": tag_label,
    "readable": readable,
}


def register_label_filters(app: Flask) -> None:
    """Make every label a Jinja filter; the outcome labels also a global, for the page's script."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["outcome_labels"] = ITEM_OUTCOME_LABELS
    app.jinja_env.globals["donor_advice"] = donor_advice
    app.jinja_env.globals["audit_details"] = audit_details
