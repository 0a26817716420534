"""Personal data of offer contacts: export on request, erasure on request, purge after retention.

Personal data here is the contact's name, title, e-mail address and phone number on the offer,
the answers of the drafts it was submitted from, the addresses and bodies of the e-mails
sent about it, and its evidence files (photos may show people, names, signatures): an export
lists the files, `data export --files DIR` copies them out, and erasure deletes them.
Erasing replaces those with fixed placeholders (files are deleted) and keeps the offer, its items,
evaluations, decisions and audit trail; the offer's status link stops working. The audit trail
is append-only, except that the actor label of an event by the donor or the API may be blanked
(older events held the contact's address there; new ones never do), see migration 0004.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from donations_app.extensions import db
from donations_app.guidelines.engine import jsonable
from donations_app.models import (
    AuditEvent,
    Draft,
    Evaluation,
    Item,
    Message,
    Note,
    Offer,
    OutboxMessage,
    Reviewer,
    utcnow,
)
from donations_app.models.vocabulary import FINAL_STATUSES
from donations_app.services.attachments import (
    erase_files,
    export_rows,
    offer_attachments,
    read_file,
)
from donations_app.services.audit import record_event
from donations_app.services.transaction import NotFound, ServiceError, transaction

ERASED_NAME = "[erased]"
ERASED_EMAIL = "erased@erased.invalid"
ERASED_BODY = "[erased: personal data removed]\n"
DONOR_ACTORS = ("donor", "api")
OFFER_FIELDS = (
    "reference",
    "status",
    "outcome",
    "source",
    "agency_name",
    "agency_type",
    "agency_ori",
    "agency_state",
    "agency_city",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
    "recipient",
    "pickup_zip",
    "pickup_available_from",
    "ruleset_version",
    "total_value_usd",
    "submitted_at",
    "decided_at",
    "personal_data_erased_at",
)


def retention() -> dt.timedelta:
    """How long personal data is kept after an offer's final status."""
    return dt.timedelta(days=current_app.config["PERSONAL_DATA_RETENTION_DAYS"])


def _final_at() -> sa.ScalarSelect[Any]:
    """When each offer reached its current (final) status, from the audit trail."""
    return (
        sa.select(sa.func.max(AuditEvent.created_at))
        .where(AuditEvent.offer_id == Offer.id, AuditEvent.to_status == Offer.status)
        .scalar_subquery()
    )


def offers_past_retention(now: dt.datetime | None = None) -> list[Offer]:
    """Offers in a final status for longer than the retention period, not yet anonymised."""
    cutoff = (now or utcnow()) - retention()
    return list(
        db.session.scalars(
            sa.select(Offer)
            .where(
                Offer.status.in_(FINAL_STATUSES),
                Offer.personal_data_erased_at.is_(None),
                sa.func.coalesce(_final_at(), Offer.decided_at, Offer.submitted_at) < cutoff,
            )
            .order_by(Offer.id)
        )
    )


def _anonymise(offer: Offer) -> dict[str, int]:
    """Replace the offer's personal data with placeholders in the current transaction."""
    offer.contact_name = ERASED_NAME
    offer.contact_title = ""
    offer.contact_email = ERASED_EMAIL
    offer.contact_phone = None
    offer.personal_data_erased_at = utcnow()
    offer.status_link_version += 1
    mails = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.offer_id == offer.id)
        .values(
            to_address=ERASED_EMAIL,
            body_text=ERASED_BODY,
            body_html=None,
            # Nothing is left to send: a message still waiting would go nowhere.
            status=sa.case((OutboxMessage.status == "pending", "dead"), else_=OutboxMessage.status),
            last_error=sa.case(
                (OutboxMessage.status == "pending", "personal data erased before sending"),
                else_=OutboxMessage.last_error,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    drafts = db.session.execute(
        sa.delete(Draft)
        .where(Draft.submitted_offer_id == offer.id)
        .execution_options(synchronize_session=False)
    )
    labels = db.session.execute(
        sa.update(AuditEvent)
        .where(
            AuditEvent.offer_id == offer.id,
            AuditEvent.actor_type.in_(DONOR_ACTORS),
            AuditEvent.actor_label != "",
        )
        .values(actor_label="")
        .execution_options(synchronize_session=False)
    )
    return {
        "attachments": erase_files(offer),
        "messages": mails.rowcount,  # type: ignore[attr-defined]  # UPDATE/DELETE count rows
        "drafts": drafts.rowcount,  # type: ignore[attr-defined]
        "audit_labels": labels.rowcount,  # type: ignore[attr-defined]
    }


def purge(*, dry_run: bool = False) -> list[str]:
    """Anonymise every offer past retention in one transaction, audited with the count only;
    returns the references (with dry_run, those that would be anonymised, changing nothing)."""
    with transaction():
        offers = offers_past_retention()
        references = [offer.reference for offer in offers]
        if dry_run:
            return references
        for offer in offers:
            _anonymise(offer)
        record_event(
            "personal_data_purged",
            actor_type="system",
            data={"offers": len(offers), "retention_days": retention().days},
        )
    return references


def find_offers(*, reference: str = "", email: str = "") -> list[Offer]:
    """The offers with this reference, or whose contact has this e-mail address."""
    query = sa.select(Offer).order_by(Offer.id)
    if reference.strip():
        query = query.where(Offer.reference == reference.strip().upper())
    elif email.strip():
        query = query.where(sa.func.lower(Offer.contact_email) == email.strip().lower())
    else:
        raise ServiceError("Give a reference or an e-mail address.")
    return list(db.session.scalars(query))


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: jsonable(getattr(obj, name)) for name in fields}


def _offer_document(offer: Offer) -> dict[str, Any]:
    evaluations = db.session.scalars(
        sa.select(Evaluation).where(Evaluation.offer_id == offer.id).order_by(Evaluation.id)
    )
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.offer_id == offer.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    mails = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.offer_id == offer.id)
        .order_by(OutboxMessage.id)
    )
    notes = db.session.scalars(
        sa.select(Note).where(Note.offer_id == offer.id).order_by(Note.created_at, Note.id)
    )
    conversation = db.session.scalars(
        sa.select(Message).where(Message.offer_id == offer.id).order_by(Message.id)
    )
    return {
        **_row(offer, OFFER_FIELDS),
        "items": [
            _row(item, (*Item.FIELDS, "position", "outcome", "decision", "decision_reason"))
            for item in offer.items
        ],
        "evaluations": [
            {
                **_row(evaluation, ("ruleset_version", "as_of", "outcome", "queue_slug")),
                "trigger": evaluation.trigger,
                "findings": [
                    _row(finding, ("rule_id", "outcome", "message", "fix", "reference"))
                    for finding in evaluation.findings
                ],
            }
            for evaluation in evaluations
        ],
        "audit_events": [
            _row(
                event,
                ("created_at", "actor_type", "action", "from_status", "to_status", "reason"),
            )
            for event in events
        ],
        "messages": [
            _row(mail, ("created_at", "kind", "to_address", "subject", "body_text", "status"))
            for mail in mails
        ],
        "notes": [_row(note, ("created_at", "body")) for note in notes],
        "attachments": export_rows(offer),
        "conversation": [
            _row(message, ("created_at", "author_type", "kind", "body", "changes", "read_at"))
            for message in conversation
        ],
    }


def export(actor: Reviewer | None, *, reference: str = "", email: str = "") -> dict[str, Any]:
    """Everything stored about one contact (by offer reference or e-mail address) as JSON data;
    the export is audited with the number of offers, never their content. NotFound if none."""
    with transaction():
        offers = find_offers(reference=reference, email=email)
        if not offers:
            raise NotFound("No offer has that reference or contact e-mail address.")
        drafts: list[Draft] = []
        if email.strip():
            drafts = list(
                db.session.scalars(
                    sa.select(Draft)
                    .where(sa.func.lower(Draft.email) == email.strip().lower())
                    .order_by(Draft.id)
                )
            )
        document = {
            "exported_at": jsonable(utcnow()),
            "query": {"reference": reference.strip().upper()}
            if reference.strip()
            else {"email": email.strip().lower()},
            "offers": [_offer_document(offer) for offer in offers],
            "drafts": [
                _row(draft, ("created_at", "updated_at", "email", "data")) for draft in drafts
            ],
        }
        for offer in offers:
            record_event(
                "personal_data_exported",
                offer=offer,
                actor=actor,
                data={"by": "reference" if reference.strip() else "email"},
            )
    return document


def export_files(folder: Path, *, reference: str = "", email: str = "") -> list[Path]:
    """Copy the evidence files of the contact's offers into folder/REFERENCE/ID-NAME (the names
    `export` lists); returns the paths written. The export itself is audited by `export`."""
    written = []
    for offer in find_offers(reference=reference, email=email):
        for attachment in offer_attachments(offer):
            data, _ = read_file(attachment)
            path = folder / offer.reference / f"{attachment.id}-{attachment.original_name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
    return written


def erase(reference: str, actor: Reviewer | None) -> dict[str, int]:
    """Anonymise one offer's personal data at the contact's request and audit it; commits.

    The offer, its items, evaluations, decisions and audit trail stay. NotFound for an unknown
    reference; ServiceError while the offer is still open (withdraw or decide it first).
    """
    with transaction():
        offer = db.session.scalar(
            sa.select(Offer).where(Offer.reference == reference.strip().upper())
        )
        if offer is None:
            raise NotFound("No offer has that reference.")
        if offer.personal_data_erased_at is not None:
            raise ServiceError(f"The personal data of {offer.reference} was already erased.")
        if offer.status not in FINAL_STATUSES:
            raise ServiceError(
                f"{offer.reference} is still open: decide it, or withdraw it at the donor's "
                "request, before erasing its contact details."
            )
        counts = _anonymise(offer)
        record_event(
            "personal_data_erased",
            offer=offer,
            actor=actor,
            actor_type=None if actor is not None else "system",
            data={"reason": "request", **counts},
        )
    return counts
