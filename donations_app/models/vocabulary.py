"""Fixed vocabularies of the offer, its outcomes and its workflow, enforced by CHECK constraints.

The catalog (rules/catalog.yaml) repeats the donor-facing ones with labels;
a test keeps the two equal.
"""

AGENCY_TYPES = (
    "municipal_police",
    "sheriff",
    "state_police",
    "state_agency",
    "federal",
    "tribal",
    "other",
)
RECIPIENTS = ("sbgs", "npu", "any")
CONDITIONS = ("new", "like_new", "good", "fair", "poor", "unserviceable")
ACQUISITIONS = ("own_funds", "federal_grant", "bvp", "dod_1033", "donated_to_agency", "unknown")
PROTECTION_LEVELS = ("IIA", "II", "IIIA", "III", "IV", "HG1", "HG2", "RF1", "RF2", "RF3")
VOLTAGES = ("120", "230", "100-240", "battery")

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
ROLES = ("reviewer", "lead", "admin")
ACTOR_TYPES = ("donor", "reviewer", "system", "api")
EVALUATION_TRIGGERS = ("submission", "info_response", "reevaluation")
OUTBOX_STATUSES = ("pending", "sent", "dead")
OFFER_SOURCES = ("web", "api")
