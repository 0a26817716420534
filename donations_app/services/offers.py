"""The donor's side of an offer: dry-run checks, submission, results, status link, replies.

Every change is one transaction: the offer, its items, the evaluation and findings, the status,
the audit event and the e-mail (an outbox row) are committed together or not at all. Offers are
evaluated by the active rule set as of today (UTC); results shown later come from the stored
evaluation, never from a re-run, so a donor sees what was decided and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any, cast, overload

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from donations_app import metrics
from donations_app.extensions import db
from donations_app.guidelines import Evaluation as EngineEvaluation
from donations_app.labels import status_label
from donations_app.links import external_url
from donations_app.models import (
    AuditEvent,
    Draft,
    Evaluation,
    Finding,
    IdempotencyKey,
    Item,
    Message,
    Offer,
    Queue,
    Reviewer,
    utcnow,
    utctoday,
)
from donations_app.models.offers import new_public_id
from donations_app.models.vocabulary import FINAL_STATUSES
from donations_app.services.attachments import Upload, store_upload
from donations_app.services.audit import insert_event, record_event
from donations_app.services.conversation import add_message, line_changes, notify_reviewers
from donations_app.services.notify import enqueue_mail, insert_mail
from donations_app.services.offer_body import item_columns, item_line, offer_body, offer_columns
from donations_app.services.references import allocate_reference
from donations_app.services.rules import active_ruleset
from donations_app.services.transaction import ServiceError, transaction
from donations_app.services.workflow import TransitionError, transition
from donations_app.text import TextProblem, clean_text

STATUS_SALT = "offer-status"
MAX_ANSWER = 2000
# A submission's rows are written with Core INSERTs, items and findings in bulk (one statement
# for any number of rows).
OFFERS = cast(sa.Table, Offer.__table__)
EVALUATIONS = cast(sa.Table, Evaluation.__table__)
ITEMS = cast(sa.Table, Item.__table__)
FINDINGS = cast(sa.Table, Finding.__table__)


class DraftAlreadySubmitted(ServiceError):
    """The draft was consumed by another submission (a double click, a second tab)."""

    def __init__(self, offer: Offer | None) -> None:
        super().__init__("This draft was already submitted.")
        self.offer = offer


class InvalidAnswer(ServiceError):
    """A donor's answer to a reviewer's question that is missing, too long or has control chars."""


def check_offer(data: dict, as_of: dt.date | None = None) -> dict:
    """Dry run: evaluate a validated offer, return the check answer (docs/api.md); store nothing."""
    ruleset = active_ruleset()
    evaluation = ruleset.evaluate(data, as_of or utctoday())
    return {**evaluation.as_dict(), "ruleset": {"version": ruleset.version}}


def _status_for(outcome: str) -> str:
    return {"rejected": "rejected", "needs_info": "needs_info"}.get(outcome, "queued")


@overload
def _queue(slug: str) -> Queue: ...
@overload
def _queue(slug: None) -> None: ...
def _queue(slug: str | None) -> Queue | None:
    if slug is None:
        return None
    queue = db.session.scalar(sa.select(Queue).where(Queue.slug == slug))
    if queue is None:
        raise LookupError(f"routing chose the queue {slug!r}, which does not exist")
    return queue


def _queue_id(slug: str | None) -> int | None:
    """The id of the queue routing chose (one SELECT, never an autoflush), or None."""
    if slug is None:
        return None
    with db.session.no_autoflush:
        queue_id = db.session.connection().scalar(sa.select(Queue.id).where(Queue.slug == slug))
    if queue_id is None:
        raise LookupError(f"routing chose the queue {slug!r}, which does not exist")
    return queue_id


def _total_value(items: list[dict]) -> Decimal | None:
    values = [i["quantity"] * i["unit_value_usd"] for i in items if "unit_value_usd" in i]
    return sum(values, Decimal(0)) if values else None


def _insert_findings(evaluation_id: int, item_ids: list[int], result: EngineEvaluation) -> None:
    """All findings of an evaluation in one INSERT (an executemany), none when nothing fired."""
    rows = [
        {
            "evaluation_id": evaluation_id,
            "item_id": item_ids[item_result.index],
            "rule_id": finding.rule,
            "outcome": finding.outcome,
            "message": finding.message,
            "fix": finding.fix,
            "reference": finding.reference,
            "tags": list(finding.tags),
            "values": dict(finding.values),
        }
        for item_result in result.items
        for finding in item_result.findings
    ]
    if rows:
        db.session.connection().execute(sa.insert(FINDINGS), rows)


def _set_item_outcomes(offer: Offer, result: EngineEvaluation) -> None:
    """Give the offer's stored items the evaluation's outcomes: an item the caller already
    changed carries its outcome in its own UPDATE; the others that changed share one UPDATE
    (checking each item's version, as the ORM would)."""
    by_position = {item.position: item for item in offer.items}
    others: list[tuple[Item, str]] = []
    for item_result in result.items:
        item = by_position[item_result.index]
        if item.outcome == item_result.outcome:
            continue
        if db.session.is_modified(item):
            item.outcome = item_result.outcome
        else:
            others.append((item, item_result.outcome))
    if not others:
        return
    table = ITEMS
    updated = db.session.execute(
        sa.update(table)
        .where(
            sa.or_(*(sa.and_(table.c.id == i.id, table.c.version == i.version) for i, _ in others))
        )
        .values(
            outcome=sa.case({i.id: outcome for i, outcome in others}, value=table.c.id),
            version=table.c.version + 1,
        )
    )
    if cast(sa.CursorResult, updated).rowcount != len(others):
        raise StaleDataError("an item changed while its offer was evaluated again")
    for item, outcome in others:
        set_committed_value(item, "outcome", outcome)
        set_committed_value(item, "version", item.version + 1)


def store_evaluation(
    offer: Offer, result: EngineEvaluation, trigger: str, *, route: bool = True
) -> Evaluation:
    """Save the engine's evaluation of a stored offer, its findings (with the values read) and
    item outcomes in a constant number of statements; with `route`, the offer also moves to the
    queue the evaluation chose."""
    queue_id = _queue_id(result.queue) if route else None
    stored = Evaluation(
        offer=offer,
        ruleset_version=result.ruleset_version,
        as_of=result.as_of,
        outcome=result.outcome,
        queue_slug=result.queue,
        trigger=trigger,
    )
    db.session.add(stored)
    metrics.count_evaluation(db.session(), result.ruleset_version, trigger)
    _set_item_outcomes(offer, result)
    offer.outcome = result.outcome
    offer.ruleset_version = result.ruleset_version
    if route:
        offer.queue_id = queue_id
    db.session.flush()
    _insert_findings(stored.id, [item.id for item in offer.items], result)
    return stored


def _insert_items(offer_id: int, lines: list[dict], result: EngineEvaluation) -> list[int]:
    """Insert the item lines with their outcomes in one INSERT ... RETURNING; ids by position."""
    rows = [
        {
            **item_columns(line),
            "offer_id": offer_id,
            "position": position,
            "outcome": item_result.outcome,
            "version": 1,
        }
        for position, (line, item_result) in enumerate(zip(lines, result.items, strict=True))
    ]
    # RETURNING with the position: the rows may come back in any order, and asking for the
    # parameters' order makes SQLAlchemy send one INSERT per row on SQLite.
    returned = db.session.connection().execute(
        sa.insert(ITEMS).returning(ITEMS.c.position, ITEMS.c.id), rows
    )
    ids: dict[int, int] = {position: item_id for position, item_id in returned}
    return [ids[position] for position in range(len(rows))]


def _create_offer(data: dict, source: str) -> tuple[Offer, dict]:
    """Store a new, evaluated offer with its audit event and confirmation in the current
    transaction, in a constant number of statements whatever its item count: the offer (in the
    session, already stored) and its API answer.

    The statements, all Core on the session's connection: the queue's id, the reference
    number, the offer, its evaluation, the items (one INSERT ... RETURNING), the findings (one,
    none when no rule fired), the audit event and the outbox mail. Nothing is read back: the
    answer is built from the evaluation and the ids just returned.
    """
    submitted = utctoday()
    result = active_ruleset().evaluate(data, submitted)
    connection = db.session.connection()
    now = utcnow()
    values = {
        "queue_id": _queue_id(result.queue),
        "reference": allocate_reference(submitted),
        "public_id": new_public_id(),
        "status": _status_for(result.outcome),
        "outcome": result.outcome,
        "source": source,
        "ruleset_version": result.ruleset_version,
        "total_value_usd": _total_value(data["items"]),
        "submitted_at": now,
        "updated_at": now,
        "version": 1,
        "status_link_version": 1,
        **offer_columns(data),
    }
    offer_id = connection.execute(sa.insert(OFFERS).returning(OFFERS.c.id), values).scalar_one()
    # The stored row as a persistent object, without reading it back (unset columns load
    # on first use): the templates, the status link and the callers use it.
    offer = Offer(id=offer_id, **values)
    make_transient_to_detached(offer)
    db.session.add(offer)
    evaluation_id = connection.execute(
        sa.insert(EVALUATIONS).returning(EVALUATIONS.c.id),
        {
            "offer_id": offer_id,
            "ruleset_version": result.ruleset_version,
            "as_of": result.as_of,
            "outcome": result.outcome,
            "queue_slug": result.queue,
            "trigger": "submission",
            "created_at": now,
        },
    ).scalar_one()
    item_ids = _insert_items(offer_id, data["items"], result)
    _insert_findings(evaluation_id, item_ids, result)
    metrics.count_submission(db.session(), source, result.outcome)
    metrics.count_evaluation(db.session(), result.ruleset_version, "submission")
    insert_event(
        "submitted",
        offer=offer,
        actor_type="api" if source == "api" else "donor",
        to_status=offer.status,
        data={"outcome": result.outcome, "queue": result.queue, "items": len(item_ids)},
        visible_to_donor=True,
    )
    link = status_url(offer)
    insert_mail(
        "confirmation",
        offer.contact_email,
        "offer_confirmation",
        offer=offer,
        item_count=len(item_ids),
        items=[
            {
                "position": position,
                "description": line["description"],
                "quantity": line["quantity"],
                "outcome": item_result.outcome,
            }
            for position, (line, item_result) in enumerate(
                zip(data["items"], result.items, strict=True)
            )
        ],
        status_url=link,
    )
    answer = {
        **result.as_dict(),
        "ruleset": {"version": result.ruleset_version},
        "reference": offer.reference,
        "status": offer.status,
        "status_url": link,
    }
    return offer, answer


def _consume_draft(draft_id: int, offer_id: int) -> None:
    """Mark the draft submitted by this offer, or raise DraftAlreadySubmitted if it already is."""
    # The conditional UPDATE takes the row lock: a concurrent submission of the same draft waits
    # for this transaction and then matches no row.
    consumed = db.session.execute(
        sa.update(Draft)
        .where(Draft.id == draft_id, Draft.submitted_offer_id.is_(None))
        .values(submitted_offer_id=offer_id)
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult, consumed).rowcount != 1:  # an UPDATE's result counts rows
        raise DraftAlreadySubmitted(None)


def submit_offer(data: dict, *, source: str = "web", draft_id: int | None = None) -> Offer:
    """Store, evaluate and route a validated offer, audit it and queue its confirmation; commits.

    With `draft_id`, the draft is marked submitted in the same transaction; when another
    submission consumed it first, nothing is stored and DraftAlreadySubmitted names that offer.
    """
    try:
        with transaction():
            offer, _answer = _create_offer(data, source)
            if draft_id is not None:
                _consume_draft(draft_id, offer.id)
    except DraftAlreadySubmitted:
        with transaction():
            first = db.session.scalar(
                sa.select(Offer)
                .join(Draft, Draft.submitted_offer_id == Offer.id)
                .where(Draft.id == draft_id)
            )
        raise DraftAlreadySubmitted(first) from None
    return offer


class IdempotencyConflict(ValueError):
    """An Idempotency-Key reused with a different request body."""


def request_fingerprint(body: Any) -> str:
    """A hash of a parsed JSON request body that ignores key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def idempotent_answer(key: str, fingerprint: str) -> tuple[dict, int] | None:
    """The stored (answer, status) of an earlier request with this key, or None.

    Raises IdempotencyConflict when the key was used for a different request body.
    """
    stored = db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.key == key))
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used for a different offer. Use a new key for "
            "each new offer, and the same key only to retry the same request."
        )
    return stored.response_body, stored.status_code


def submit_offer_once(data: dict, *, key: str | None, fingerprint: str) -> tuple[dict, int, bool]:
    """Submit an API offer at most once per Idempotency-Key: (answer, status code, replayed).

    The key row is inserted first, in the offer's transaction: a concurrent request with the
    same key waits on the unique index, fails, and replays the stored answer. (The caller
    looks for an earlier answer first, so that a retry is not validated again.)
    """
    if key is None:
        with transaction():
            _offer, body = _create_offer(data, "api")
        return body, 201, False
    try:
        with transaction():
            claimed = db.session.execute(
                sa.insert(IdempotencyKey)
                .values(key=key, request_hash=fingerprint, status_code=201, response_body={})
                .returning(IdempotencyKey.id)
            ).scalar_one()
            offer, body = _create_offer(data, "api")
            db.session.execute(
                sa.update(IdempotencyKey)
                .where(IdempotencyKey.id == claimed)
                .values(offer_id=offer.id, response_body=body)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        with transaction():
            answer = idempotent_answer(key, fingerprint)
        if answer is None:
            raise
        return answer[0], answer[1], True
    return body, 201, False


def _findings_by_item(evaluation: Evaluation | None) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for finding in evaluation.findings if evaluation is not None else ():
        found.setdefault(finding.item_id, []).append(
            {
                "rule": finding.rule_id,
                "outcome": finding.outcome,
                "message": finding.message,
                "fix": finding.fix,
                "reference": finding.reference,
                "tags": list(finding.tags),
            }
        )
    return found


def offer_result(offer: Offer) -> dict:
    """The check answer of a stored offer, with reference, status and status_url (docs/api.md)."""
    evaluation = offer.latest_evaluation
    findings = _findings_by_item(evaluation)
    return {
        "outcome": offer.outcome,
        "queue": evaluation.queue_slug if evaluation is not None else None,
        "ruleset": {"version": offer.ruleset_version},
        "items": [
            {
                "index": item.position,
                "category": item.category,
                "outcome": item.outcome,
                "findings": findings.get(item.id, []),
            }
            for item in offer.items
        ],
        "reference": offer.reference,
        "status": offer.status,
        "status_url": status_url(offer),
    }


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=STATUS_SALT)


def status_token(offer: Offer) -> str:
    """The signed token of the offer's current private status link."""
    # Version 1 signs the bare public id, as links did before they could rotate, so links
    # e-mailed before rotation existed keep working until the offer's first rotation.
    if offer.status_link_version == 1:
        return _serializer().dumps(offer.public_id)
    return _serializer().dumps([offer.public_id, offer.status_link_version])


def status_url(offer: Offer) -> str:
    """The absolute private status link."""
    return external_url("intake.status", token=status_token(offer))


def find_offer(public_id: str | None) -> Offer | None:
    """The offer with this public id (as kept in the donor's session), or None."""
    if not public_id:
        return None
    return db.session.scalar(
        sa.select(Offer)
        .where(Offer.public_id == public_id)
        .options(selectinload(Offer.items), selectinload(Offer.evaluations))
    )


def find_offer_by_token(token: str) -> Offer | None:
    """The offer of a status token, or None for a bad signature, an unknown offer or a link
    replaced by a newer one (rotated, or the offer's personal data erased)."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if isinstance(payload, str):
        public_id, version = payload, 1
    elif (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], str)
        and isinstance(payload[1], int)
    ):
        public_id, version = payload
    else:
        return None
    offer = find_offer(public_id)
    if offer is None or offer.status_link_version != version:
        return None
    return offer


def final_status_at(offer: Offer) -> dt.datetime | None:
    """When the offer reached its final status (from the audit trail), or None while open."""
    if offer.status not in FINAL_STATUSES:
        return None
    return db.session.scalar(
        sa.select(sa.func.max(AuditEvent.created_at)).where(
            AuditEvent.offer_id == offer.id, AuditEvent.to_status == offer.status
        )
    ) or (offer.decided_at or offer.submitted_at)


def status_link_expires_at(offer: Offer) -> dt.datetime | None:
    """When the offer's current status link stops working, or None while the offer is open.

    A link works until STATUS_LINK_DAYS_AFTER_DECISION after the final status, or after the
    link was issued, whichever is later: a new link asked for after expiry works again.
    """
    final = final_status_at(offer)
    if final is None:
        return None
    start = max(final, offer.status_link_sent_at or final)
    return start + dt.timedelta(days=current_app.config["STATUS_LINK_DAYS_AFTER_DECISION"])


def status_link_expired(offer: Offer) -> bool:
    """True once the offer's current status link has expired."""
    expires = status_link_expires_at(offer)
    return expires is not None and expires <= utcnow()


def rotate_status_link(
    offer: Offer, *, actor: Reviewer | None = None, why: str = "donor_request"
) -> None:
    """Replace the offer's status link (older links stop working) and e-mail the new one to
    the contact; audited without the link or the address; commits."""
    if offer.personal_data_erased_at is not None:
        raise ServiceError("This offer's contact details were erased: there is no one to send to.")
    with transaction():
        offer.status_link_version += 1
        offer.status_link_sent_at = utcnow()
        record_event(
            "status_link_rotated",
            offer=offer,
            actor=actor,
            actor_type=None if actor is not None else "donor",
            data={"why": why},
            visible_to_donor=True,
        )
        enqueue_mail(
            "status_link",
            offer.contact_email,
            "status_link",
            offer=offer,
            status_url=status_url(offer),
        )


def send_new_status_link(reference: str, email: str) -> bool:
    """E-mail a new status link when `email` is the contact address on file of the offer with
    this reference; True if one was sent. The caller answers the same either way."""
    with transaction():
        offer = db.session.scalar(
            sa.select(Offer).where(Offer.reference == reference.strip().upper())
        )
    if (
        offer is None
        or offer.personal_data_erased_at is not None
        or offer.contact_email.strip().lower() != email.strip().lower()
    ):
        return False
    rotate_status_link(offer, why="lost_link")
    return True


def donor_timeline(offer: Offer) -> list[AuditEvent]:
    """The audit events the donor may see, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.offer_id == offer.id, AuditEvent.visible_to_donor.is_(True))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


def status_document(offer: Offer) -> dict:
    """The JSON status of an offer: outcome, queue, items with findings and reviewer decisions."""
    evaluation = offer.latest_evaluation
    findings = _findings_by_item(evaluation)
    return {
        "reference": offer.reference,
        "status": offer.status,
        "outcome": offer.outcome,
        "queue": offer.queue.slug if offer.queue is not None else None,
        "ruleset": {"version": offer.ruleset_version},
        "submitted_at": offer.submitted_at.isoformat(),
        "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
        "items": [
            {
                "index": item.position,
                "category": item.category,
                "description": item.description,
                "quantity": item.quantity,
                "outcome": item.outcome,
                "findings": findings.get(item.id, []),
                "decision": item.decision,
                "reason": item.decision_reason if item.decision else None,
            }
            for item in offer.items
        ],
        "history": [
            {
                "at": event.created_at.isoformat(),
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "reason": event.reason,
            }
            for event in donor_timeline(offer)
        ],
    }


def awaits_donor(offer: Offer) -> bool:
    """True while the offer waits for the donor's answer or corrections."""
    return offer.status == "needs_info"


def can_withdraw(offer: Offer) -> bool:
    """True until the offer reaches a final status (decided, rejected or withdrawn)."""
    return offer.status not in FINAL_STATUSES


def answer_problem(text: str) -> str | None:
    """Why the donor's answer cannot be sent (missing, too long, control characters), or None."""
    try:
        answer = clean_text(text, multiline=True, max_length=MAX_ANSWER, what="your answer")
    except TextProblem as problem:
        return str(problem)
    return None if answer else "Enter your answer to the reviewer's question."


def respond_to_info_request(
    offer: Offer,
    items: dict[int, dict],
    answer: str = "",
    *,
    upload: Upload | None = None,
    upload_item: int | None = None,
) -> Offer:
    """Record the donor's reply to an information request and move the offer on; commits.

    `items` maps positions to corrected item lines (any item without a reviewer decision).
    When items were corrected, or the rules had flagged some ("info"), the offer is evaluated
    again and routed by the new evaluation; otherwise the answer (then required) goes back to
    the reviewers as evaluated before. An offer with an assignee goes back to them (in review);
    without one, to its queue. The reply joins the thread with the corrections as a diff, and
    when a reviewer asked, the assignee (or the queue's reviewers) is e-mailed. A file sent with
    the reply (`upload`, on the item at `upload_item` if given) is stored in the same transaction:
    AttachmentRejected leaves nothing changed.
    """
    if not awaits_donor(offer):
        raise TransitionError(
            f"This offer is {status_label(offer.status)}: it is not waiting for more information."
        )
    answer = (answer or "").replace("\r\n", "\n").strip()
    flagged = [item for item in offer.items if item.outcome == "info"]
    by_position = {item.position: item for item in offer.items}
    for position in items:
        item = by_position.get(position)
        if item is None or item.decision is not None:
            raise InvalidAnswer(f"Item {position + 1} cannot be corrected: it was already decided.")
    if answer or not (flagged or items):
        problem = answer_problem(answer)
        if problem:
            raise InvalidAnswer(problem)
    # A reviewer asked (the offer has a queue): they hear of the reply. The rules asked (no
    # queue yet): nobody is told; the offer reaches its queue as a new submission would.
    asked_by_reviewer = offer.queue_id is not None or offer.assignee_id is not None
    with transaction():
        changes = _apply_corrections(offer, items)
        if flagged or changes:
            evaluation = _reevaluate(offer, changes, answer)
        else:
            evaluation = None
            _return_to_reviewers(offer, answer)
        message = add_message(
            offer,
            "reply",
            answer,
            changes=changes,
            evaluation_id=evaluation.id if evaluation is not None else None,
        )
        db.session.flush()
        _attach(offer, message, upload, upload_item)
        if asked_by_reviewer:
            notify_reviewers(offer, message)
    return offer


def donor_message(
    offer: Offer, body: str, *, upload: Upload | None = None, upload_item: int | None = None
) -> Offer:
    """A message from the donor while the offer is queued or in review: no status change; the
    assignee (or the queue's reviewers) is e-mailed; a file sent with it is stored in the same
    transaction; commits."""
    if offer.status not in ("queued", "in_review"):
        raise TransitionError(
            f"This offer is {status_label(offer.status)}: messages can no longer be sent."
        )
    problem = answer_problem(body)
    if problem:
        raise InvalidAnswer(problem.replace("your answer", "your message"))
    body = clean_text(body, multiline=True, max_length=MAX_ANSWER, what="your message")
    with transaction():
        message = add_message(offer, "reply", body)
        db.session.flush()
        _attach(offer, message, upload, upload_item)
        who = notify_reviewers(offer, message)
        record_event(
            "donor_message",
            offer=offer,
            actor_type="donor",
            data={"length": len(body), "notified": who},
        )
        offer.updated_at = utcnow()
    return offer


def _attach(offer: Offer, message: Message, upload: Upload | None, position: int | None) -> None:
    """Store the file the donor sent with `message` (on one of the offer's items, if chosen)."""
    if upload is None:
        return
    items = {item.position: item for item in offer.items}
    if position is not None and position not in items:
        raise InvalidAnswer("Choose one of the offer's items for the file, or none.")
    item = items[position] if position is not None else None
    store_upload(offer, upload, item=item, message_id=message.id, uploaded_by="donor")


def _apply_corrections(offer: Offer, items: dict[int, dict]) -> list[dict[str, Any]]:
    """Replace the corrected item lines; per changed item, what changed (field by field)."""
    catalog = active_ruleset().catalog
    changes = []
    for item in offer.items:
        if item.position not in items:
            continue
        fields = line_changes(item_line(item, catalog), items[item.position], catalog)
        if fields:
            for name, value in item_columns(items[item.position]).items():
                setattr(item, name, value)
            changes.append(
                {
                    "item_id": item.id,
                    "position": item.position,
                    "description": item.description,
                    "fields": fields,
                }
            )
    offer.total_value_usd = _total_value(
        [item_line(item) for item in offer.items if item.unit_value_usd is not None]
    )
    return changes


def _reevaluate(offer: Offer, changes: list[dict[str, Any]], answer: str) -> Evaluation:
    """Evaluate the corrected offer again and route it by the new evaluation: back to its
    assignee when it goes to review and has one."""
    db.session.flush()
    result = active_ruleset().evaluate(offer_body(offer), utctoday())
    stored = store_evaluation(offer, result, "info_response")
    status = _status_for(result.outcome)
    if status == "queued" and offer.assignee_id is not None:
        status = "in_review"
    transition(
        offer,
        status,
        action="info_response",
        actor_type="donor",
        reason=answer,
        data={
            "items": [change["position"] for change in changes],
            "outcome": result.outcome,
            "queue": result.queue,
        },
        visible_to_donor=True,
    )
    enqueue_mail(
        "info_response",
        offer.contact_email,
        "info_response_received",
        offer=offer,
        status_url=status_url(offer),
    )
    db.session.flush()
    return stored


def _return_to_reviewers(offer: Offer, answer: str) -> None:
    """Send an answered reviewer's question back to the assignee (in review), or to the offer's
    queue as evaluated before when nobody is assigned."""
    if offer.queue is None:
        stored = offer.latest_evaluation
        slug = stored.queue_slug if stored is not None else None
        if slug is None:
            _reevaluate(offer, [], answer)
            return
        offer.queue = _queue(slug)
    transition(
        offer,
        "in_review" if offer.assignee_id is not None else "queued",
        action="info_response",
        actor_type="donor",
        reason=answer,
        data={"items": [], "answered_question": True, "queue": offer.queue.slug},
        visible_to_donor=True,
    )
    enqueue_mail(
        "info_response",
        offer.contact_email,
        "info_answer_received",
        offer=offer,
        answer=answer,
        status_url=status_url(offer),
    )


def withdraw_offer(offer: Offer, reason: str = "") -> Offer:
    """Withdraw an offer at the donor's request before any decision; commits."""
    with transaction():
        transition(
            offer,
            "withdrawn",
            action="withdrawn",
            actor_type="donor",
            reason=reason.strip(),
            visible_to_donor=True,
        )
        enqueue_mail(
            "withdrawn",
            offer.contact_email,
            "offer_withdrawn",
            offer=offer,
            reason=reason.strip(),
            status_url=status_url(offer),
        )
    return offer
