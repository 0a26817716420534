"""The donor's private status page: findings, decisions, the conversation with the reviewers (a
reply form that can correct items), timeline and withdrawal; a new link on request, and the page
of an expired link."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, NoReturn

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField

from donations_app.errors import wants_json
from donations_app.guidelines.engine import jsonable
from donations_app.intake import bp
from donations_app.intake.answers import ErrorLink, attach_errors, item_body, load_body
from donations_app.intake.files import files_context, read_upload
from donations_app.intake.forms import WithdrawForm, info_response_form
from donations_app.intake.views import form_context
from donations_app.parsing import whole_number
from donations_app.ratelimits import hit_draft_email_address_limit, status_link_email_limit
from donations_app.services.attachments import AttachmentRejected, Upload
from donations_app.services.conversation import line_changes, mark_read, open_questions, thread
from donations_app.services.offer_body import item_line, offer_body
from donations_app.services.offers import (
    MAX_ANSWER,
    InvalidAnswer,
    answer_problem,
    awaits_donor,
    can_withdraw,
    donor_message,
    donor_timeline,
    find_offer_by_token,
    respond_to_info_request,
    rotate_status_link,
    send_new_status_link,
    status_document,
    status_link_expired,
    withdraw_offer,
)
from donations_app.services.rules import active_ruleset
from donations_app.services.transaction import ConcurrentChange, ServiceError
from donations_app.services.workflow import TransitionError
from donations_app.text import TextProblem, clean_text

if TYPE_CHECKING:
    from donations_app.models import Item, Offer

STATUS_TEXT = {
    "needs_info": (
        "We need more information",
        "Some items need an answer from you before a reviewer can look at the offer. "
        "Correct them in the reply form below.",
    ),
    "queued": ("Waiting for review", "The offer is in the queue of the INL team that reviews it."),
    "in_review": ("Being reviewed", "An INL reviewer is looking at the offer now."),
    "approved": ("Approved", "Every item that could go forward was approved."),
    "partially_approved": ("Partly approved", "Some items were approved and some declined."),
    "declined": ("Declined", "The reviewers declined the offer. Their reasons are below."),
    "rejected": (
        "Cannot be accepted",
        "None of the items can be accepted under the guidelines. Each item says why.",
    ),
    "withdrawn": ("Withdrawn", "You withdrew this offer. Nothing more will happen to it."),
}
QUESTION_TEXT = (
    "A reviewer needs more information from you before they can decide. "
    "Answer their question below, and correct any item that was described wrongly."
)
# Statuses in which the donor can write to the reviewers.
CAN_WRITE = ("needs_info", "queued", "in_review")
CHANGED_WHILE_ANSWERING = "This offer changed while you were answering: check it and send again."
MAX_REASON = 2000
# The reply form's file field, and the largest item position it may name (the service checks it).
REPLY_FILE_FIELD = "reply-file"
MAX_ITEM_POSITION = 100_000


# Private links in request paths: the status token, a draft's resume token.
_PRIVATE_PATH = re.compile(r"(/status/|/offer/draft/)(?!new-link\b)[^/\s?\"]+")


class PrivateLinkFilter(logging.Filter):
    """Replaces the token of a private link in a logged request line with "[token]"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _PRIVATE_PATH.sub(r"\1[token]", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = _PRIVATE_PATH.sub(r"\1[token]", str(record.msg))
        return True


@bp.record_once
def _keep_tokens_out_of_request_logs(state: BlueprintSetupState) -> None:
    # The development server logs every request line through the "werkzeug" logger.
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, PrivateLinkFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(PrivateLinkFilter())


class NewLinkForm(FlaskForm):
    """Ask for a new status link: the offer's reference and the contact's e-mail address."""

    reference = StringField("Offer reference number")
    email = EmailField("The contact e-mail address given in the offer")


def _offer_or_404(token: str, *, allow_expired: bool = False) -> Offer:
    offer = find_offer_by_token(token)
    if offer is None:
        abort(
            404,
            description="This status link is not valid: use the whole link from your most recent "
            "e-mail about the offer, or ask for a new link at "
            f"{url_for('intake.new_link')}.",
        )
    if not allow_expired and status_link_expired(offer):
        abort(410, description="This status link has expired.")
    return offer


def _item_answers(item: Item) -> dict[str, Any]:
    """A stored item line as the form shows it (text, yes/no, serial numbers one per line)."""
    answers: dict[str, Any] = {"position": str(item.position)}
    for name, value in item_line(item).items():
        if isinstance(value, bool):
            answers[name] = "yes" if value else "no"
        elif isinstance(value, list):
            answers[name] = "\n".join(str(v) for v in value)
        else:
            answers[name] = str(jsonable(value))
    return answers


_ANSWER_FORMS: dict[type, type[FlaskForm]] = {}


def _answer_form_class() -> type[FlaskForm]:
    """The reply form: the message, and the item lines the donor may correct."""
    base = info_response_form(active_ruleset())
    if base not in _ANSWER_FORMS:

        class AnswerForm(base):  # type: ignore[misc, valid-type]
            answer = TextAreaField(
                "Your message",
                description=f"Up to {MAX_ANSWER:,} characters. The reviewer reads it.",
            )

        _ANSWER_FORMS[base] = AnswerForm
    return _ANSWER_FORMS[base]


def _correctable(offer: Offer) -> list[Item]:
    """The items the donor may correct in a reply: those no reviewer has decided, while the
    offer waits for the donor."""
    if not awaits_donor(offer):
        return []
    return [item for item in offer.items if item.decision is None]


def _render_status(
    offer: Offer,
    token: str,
    info_form: Any = None,
    errors: list[ErrorLink] | None = None,
    notice: str = "",
    answer: str = "",
    upload_error: tuple[int, str] | None = None,
    reply_file_error: str = "",
) -> str:
    document = status_document(offer)
    flagged = [item for item in offer.items if item.outcome == "info"]
    questions = open_questions(offer)
    status_text = STATUS_TEXT.get(offer.status, (offer.status, ""))
    if awaits_donor(offer) and not flagged:
        status_text = (status_text[0], QUESTION_TEXT)
    if info_form is None and offer.status in CAN_WRITE:
        info_form = _answer_form_class()(
            formdata=None,
            data={
                "items": [_item_answers(item) for item in _correctable(offer)],
                "answer": answer,
            },
        )
    messages = thread(offer)
    return render_template(
        "intake/status.html",
        offer=offer,
        token=token,
        document=document,
        items=list(zip(offer.items, document["items"], strict=False)),
        status_text=status_text,
        timeline=donor_timeline(offer),
        info_form=info_form,
        flagged={item.position for item in flagged},
        questions=questions,
        messages=messages,
        unread={m.id for m in messages if not m.from_donor and m.read_at is None},
        can_withdraw=can_withdraw(offer),
        errors=errors or [],
        form_has_errors=bool(errors),
        notice=notice,
        reply_file_error=reply_file_error,
        **files_context(offer, upload_error),
        **form_context(),
    )


def _changed_while_answering(offer: Offer, token: str, answer: str = "") -> tuple[str, int]:
    """The current status page, saying the offer changed under the donor's feet (409); the
    donor's typed answer is kept, the item lines show what is stored now."""
    return _render_status(offer, token, notice=CHANGED_WHILE_ANSWERING, answer=answer), 409


@bp.get("/status/<token>")
def status(token: str) -> Any:
    """The offer's status page, or its JSON status document when the client asks for JSON."""
    offer = _offer_or_404(token, allow_expired=True)
    if status_link_expired(offer):
        if wants_json():
            abort(410, description="This status link has expired. Ask for a new one.")
        form = NewLinkForm(data={"reference": offer.reference})
        return render_template("intake/status_expired.html", offer=offer, form=form), 410
    if wants_json():
        return jsonify(status_document(offer))
    page = _render_status(offer, token)
    mark_read(offer, "donor")
    return page


@bp.post("/status/<token>/new-link")
@status_link_email_limit
def replace_link(token: str) -> Any:
    """Replace this status link with a new one, e-mailed to the contact; this one stops working."""
    offer = _offer_or_404(token)
    hit_draft_email_address_limit(offer.contact_email)
    try:
        rotate_status_link(offer)
    except ServiceError as error:
        abort(404, description=str(error))
    return redirect(url_for("intake.new_link_sent"))


@bp.route("/status/new-link", methods=["GET", "POST"])
@status_link_email_limit
def new_link() -> Any:
    """Ask for a new status link by reference and contact e-mail; the answer never says whether
    they matched an offer, so the form cannot be used to find out who offered what."""
    form = NewLinkForm()
    if request.method == "POST" and form.validate():
        email = (form.email.data or "").strip()
        reference = (form.reference.data or "").strip()
        if email and reference:
            hit_draft_email_address_limit(email)
            send_new_status_link(reference[:20], email[:254])
            return redirect(url_for("intake.new_link_sent"))
        errors = []
        if not reference:
            form.reference.errors = ["Enter the offer's reference number, like UA-2026-000012."]
            errors.append(ErrorLink(form.reference.id, form.reference.errors[0]))
        if not email:
            form.email.errors = ["Enter the contact e-mail address given in the offer."]
            errors.append(ErrorLink(form.email.id, form.email.errors[0]))
        return render_template(
            "intake/new_link.html", form=form, errors=errors, form_has_errors=True
        ), 400
    return render_template("intake/new_link.html", form=form, errors=[])


@bp.get("/status/new-link/sent")
def new_link_sent() -> str:
    """What happens next, the same whether or not a link was sent."""
    return render_template("intake/new_link_sent.html")


def _mismatch() -> NoReturn:
    abort(400, description="The form does not match this offer. Reload the page.")


def _posted_lines(offer: Offer, form: Any, allowed: set[int]) -> tuple[dict, dict[int, int]]:
    """The offer body with the posted item lines, and position -> form index.

    A posted line that is not a correctable line of this offer, or a form without the flagged
    lines, is a page that does not match the offer (400).
    """
    catalog = active_ruleset().catalog
    body = offer_body(offer, as_json=True)
    index_map: dict[int, int] = {}
    for index, entry in enumerate(form.items):
        position = whole_number(entry.form.position.data, maximum=len(offer.items) - 1)
        if position is None or position not in allowed or position in index_map:
            _mismatch()
        answers = {k: v for k, v in entry.data.items() if k != "position"}
        body["items"][position] = item_body(answers, catalog)
        index_map[position] = index
    flagged = {item.position for item in offer.items if item.outcome == "info"}
    if not flagged <= set(index_map):
        _mismatch()
    return body, index_map


def _checked_answer(
    offer: Offer, form: Any, body: dict, index_map: dict[int, int]
) -> tuple[dict[int, dict], list[ErrorLink]]:
    """The posted item lines that differ from the stored ones (flagged lines always), by
    position, and the errors of the message and the lines."""
    answer = form.answer.data or ""
    errors: list[ErrorLink] = []
    problem = answer_problem(answer) if answer.strip() else None
    if problem:
        form.answer.errors = [problem]
        errors.append(ErrorLink(form.answer.id, f"Your message: {problem}"))
    if not index_map:
        return {}, errors
    data, messages = load_body(body, stored=True)
    if messages:
        return {}, errors + attach_errors(
            form, messages, index_map=index_map, fallback_id="info-form"
        )
    assert data is not None  # load_body returns an offer whenever it returns no messages
    items = {item.position: item for item in offer.items}
    return {
        position: data["items"][position]
        for position in index_map
        if items[position].outcome == "info"
        or line_changes(item_line(items[position]), data["items"][position])
    }, errors


def _needs_words(offer: Offer, corrected: dict[int, dict], answer: str) -> str | None:
    """Why the reply needs a message: nothing corrected and nothing written."""
    if answer.strip() or corrected:
        return None
    if awaits_donor(offer) and not open_questions(offer):
        return None
    return "Write your message, or correct an item."


@bp.post("/status/<token>/info")
def answer_info_request(token: str) -> Any:
    """The donor's reply: a message, and corrected items while the offer waits for them."""
    offer = _offer_or_404(token)
    if offer.status not in CAN_WRITE:
        flash("This offer is closed: messages can no longer be sent.", "info")
        return redirect(url_for("intake.status", token=token))
    form = _answer_form_class()()
    allowed = {item.position for item in _correctable(offer)}
    body, index_map = _posted_lines(offer, form, allowed)
    corrected, errors = _checked_answer(offer, form, body, index_map)
    answer = form.answer.data or ""
    if not errors and (problem := _needs_words(offer, corrected, answer)):
        form.answer.errors = [problem]
        errors = [ErrorLink(form.answer.id, problem)]
    if errors:
        return _render_status(offer, token, form, errors), 400
    rechecked = awaits_donor(offer) and (
        bool(corrected) or any(item.outcome == "info" for item in offer.items)
    )
    upload, upload_item = _reply_file()
    try:
        if awaits_donor(offer):
            respond_to_info_request(
                offer, corrected, answer, upload=upload, upload_item=upload_item
            )
        else:
            donor_message(offer, answer, upload=upload, upload_item=upload_item)
    except AttachmentRejected as error:
        problem = f"The file: {error}"
        errors = [ErrorLink(REPLY_FILE_FIELD, problem)]
        return _render_status(offer, token, form, errors, reply_file_error=str(error)), 400
    except TransitionError as error:
        flash(str(error), "error")
        return redirect(url_for("intake.status", token=token))
    except InvalidAnswer as error:
        form.answer.errors = [str(error)]
        errors = [ErrorLink(form.answer.id, f"Your message: {error}")]
        return _render_status(offer, token, form, errors), 400
    except ConcurrentChange:
        return _changed_while_answering(offer, token, answer)
    if rechecked:
        flash("Thank you. We checked the corrected items against the guidelines again.", "success")
    else:
        flash("Thank you. We sent your message to the reviewer.", "success")
    return redirect(url_for("intake.status", token=token))


def _reply_file() -> tuple[Upload | None, int | None]:
    """The file sent with a reply, if one was chosen, and the item position it is for."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return None, None
    position = whole_number(request.form.get("file_item", ""), maximum=MAX_ITEM_POSITION)
    return read_upload(file), position


@bp.route("/status/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str) -> Any:
    """Ask for confirmation, then withdraw the offer (only before a decision)."""
    offer = _offer_or_404(token)
    if not can_withdraw(offer):
        flash(f"This offer is already {STATUS_TEXT[offer.status][0].lower()}.", "info")
        return redirect(url_for("intake.status", token=token))
    form = WithdrawForm()
    if request.method == "POST":
        try:
            reason = clean_text(
                form.reason.data, multiline=True, max_length=MAX_REASON, what="the reason"
            )
        except TextProblem as problem:
            form.reason.errors = [str(problem)]
            return render_template(
                "intake/withdraw.html",
                offer=offer,
                token=token,
                form=form,
                errors=[ErrorLink(form.reason.id, f"Reason: {problem}")],
                form_has_errors=True,
            ), 400
        try:
            withdraw_offer(offer, reason)
        except TransitionError as error:
            flash(str(error), "error")
            return redirect(url_for("intake.status", token=token))
        except ConcurrentChange:
            return _changed_while_answering(offer, token)
        flash("You withdrew the offer. We sent a confirmation e-mail.", "success")
        return redirect(url_for("intake.status", token=token))
    return render_template("intake/withdraw.html", offer=offer, token=token, form=form, errors=[])
