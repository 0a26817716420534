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
    "queued": "waiting for review",
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
ACTOR_TYPE_LABELS = {
    "donor": "donor",
    "reviewer": "reviewer",
    "system": "the service",
    "api": "agency system (API)",
}
# What each audited action reads as in a timeline or the audit log ("asked the donor ...").
AUDIT_ACTION_LABELS = {
    "submitted": "submitted",
    "claimed": "claimed",
    "assigned": "assigned",
    "released": "released to the queue",
    "decided": "decided",
    "item_decided": "item decided",
    "info_requested": "asked the donor for information",
    "info_response": "the donor answered",
    "rerouted": "moved to another queue",
    "withdrawn": "withdrawn by the donor",
    "rechecked": "checked again under new rules",
    "note_added": "note added",
    "status_link_rotated": "status link replaced",
    "personal_data_exported": "personal data exported",
    "personal_data_erased": "personal data erased",
    "personal_data_purged": "personal data past retention anonymised",
    "drafts_purged": "expired drafts deleted",
    "account_created": "account created",
    "account_deactivated": "account deactivated",
    "account_reactivated": "account reactivated",
    "account_locked": "account locked",
    "account_unlocked": "account unlocked",
    "unlock_link_sent": "unlock link sent",
    "role_changed": "role changed",
    "queues_changed": "queues changed",
    "password_changed": "password changed",
    "password_reset": "password reset",
    "totp_enabled": "two-step sign-in turned on",
    "totp_reset": "two-step sign-in reset",
    "signed_in": "signed in",
    "signed_out": "signed out",
    "sign_in_failed": "sign-in failed",
    "sign_in_refused": "sign-in refused",
    "rules_published": "rule set published",
    "rules_staged": "rule set staged",
    "rules_activated": "rule set activated",
    "message_sent": "wrote to the donor",
    "donor_message": "the donor wrote",
    "messages_read": "messages read",
    "info_reminder_sent": "reminded the donor of the question",
    "info_wait_ended": "stopped waiting for the donor",
    "file_attached": "file attached",
    "job_queued": "background work started",
    "job_done": "background work finished",
    "job_failed": "background work failed",
    "export_downloaded": "prepared export downloaded",
    "export_file_deleted": "prepared export deleted after its time",
}
# A change refused because the offer changed first is audited as "<action>_conflict".
CONFLICT_ACTION_LABELS = {
    "claim": "claim",
    "assign": "assignment",
    "release": "release",
    "decision": "decision",
    "info_request": "question to the donor",
    "reroute": "move to another queue",
}
EVALUATION_TRIGGER_LABELS = {
    "submission": "submission",
    "info_response": "the donor's answer",
    "reevaluation": "re-evaluation",
}
