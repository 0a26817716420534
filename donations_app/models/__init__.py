"""The data model of the offer (docs/offer.md) and its workflow (docs/workflow.md)."""

from donations_app.clock import utcnow, utctoday
from donations_app.models.attachments import Attachment
from donations_app.models.audit import AuditEvent, OutboxMessage
from donations_app.models.base import Base
from donations_app.models.evaluation import Evaluation, Finding
from donations_app.models.jobs import Job
from donations_app.models.messages import Message
from donations_app.models.offers import Draft, IdempotencyKey, Item, Offer, ReferenceNumber
from donations_app.models.review import (
    ItemDecision,
    Note,
    Queue,
    Reviewer,
    SignInBackoff,
    queue_members,
)
from donations_app.models.rulesets import RuleSetActivation, RuleSetFile, StoredRuleSet

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "Draft",
    "Evaluation",
    "Finding",
    "IdempotencyKey",
    "Item",
    "ItemDecision",
    "Job",
    "Message",
    "Note",
    "Offer",
    "OutboxMessage",
    "Queue",
    "ReferenceNumber",
    "Reviewer",
    "RuleSetActivation",
    "RuleSetFile",
    "SignInBackoff",
    "StoredRuleSet",
    "queue_members",
    "utcnow",
    "utctoday",
]
