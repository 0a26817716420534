"""The workflow's own codes, enforced by CHECK constraints in the database, and their words.

The donor's answers (agency type, category, condition...) are the catalog's
(rules/catalog.yaml) and have no list here: the database stores what the active catalog allows.
The recipients are listed because the workflow is built around them (queues, filters, exports);
the catalog checker refuses any other. The labels here read as words inside a sentence ("the
offer is in review"); capitalize them at the start of one. donations_app.labels shows both
kinds to people.
"""

from donations_app.guidelines.catalog import RECIPIENT_CODES

RECIPIENTS = RECIPIENT_CODES

ITEM_OUTCOMES = ("reject", "info", "review", "accept")
OFFER_OUTCOMES = ("rejected", "needs_info", "review", "accepted")
OFFER_STATUSES = (
    "needs_info",
    "queued",
    "in_review",
    "approved",
    "partially_approved",
    "declined",
    "rejected",
    "withdrawn",
)
# Statuses after which nothing more happens to an offer.
FINAL_STATUSES = ("approved", "partially_approved", "declined", "rejected", "withdrawn")
ITEM_DECISIONS = ("approved", "declined")
# Lowest first: each role may do everything the roles before it may.
ROLES = ("reviewer", "lead", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
ACTOR_TYPES = ("donor", "reviewer", "system", "api")
EVALUATION_TRIGGERS = ("submission", "info_response", "reevaluation")
OUTBOX_STATUSES = ("pending", "sent", "dead")
JOB_STATUSES = ("queued", "running", "done", "failed")
OFFER_SOURCES = ("web", "api")
# The conversation on an offer (docs/workflow.md): who wrote a message, and what kind it is.
MESSAGE_AUTHORS = ("donor", "reviewer")
# question: a reviewer's question that put the offer in needs_info; message: a reviewer's message
# that changes nothing; reminder: a reviewer's reminder of an open question; reply: the donor's.
MESSAGE_KINDS = ("question", "message", "reminder", "reply")

OFFER_STATUS_LABELS = {
    "needs_info": "needs information",
    "queued": "queued",
    "in_review": "in review",
    "approved": "approved",
    "partially_approved": "partially approved",
    "declined": "declined",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
}
# An item's guideline result, as the donor reads it on a tag.
ITEM_OUTCOME_LABELS = {
    "reject": "Cannot be accepted",
    "info": "We need more information",
    "review": "Needs a specialist review",
    "accept": "Meets the guidelines",
}
OFFER_OUTCOME_LABELS = {
    "rejected": "rejected",
    "needs_info": "needs information",
    "review": "specialist review",
    "accepted": "accepted",
}
ITEM_DECISION_LABELS = {"approved": "approved", "declined": "declined"}
ROLE_LABELS = {"reviewer": "reviewer", "lead": "lead", "admin": "admin"}
ROLE_DUTIES = {
    "reviewer": "works the queues they belong to",
    "lead": "also assigns offers and sees reports",
    "admin": "also manages accounts and reads the audit log",
}
EVALUATION_TRIGGER_LABELS = {
    "submission": "submission",
    "info_response": "the donor's answer",
    "reevaluation": "re-evaluation",
}
