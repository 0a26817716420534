"""Donor pages before submission: start, guidelines, the offer form, drafts, check and submit."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from donations_app.guidelines.advice import ALL_REFUSED, all_refused
from donations_app.guidelines.catalog import REQUIRED_ITEM_FIELDS
from donations_app.intake import bp
from donations_app.intake.answers import (
    ErrorLink,
    attach_errors,
    catalog_field_users,
    is_blank_item,
    offer_body,
    validate,
    with_legacy_choices,
)
from donations_app.intake.csv_import import CsvImportError, read_items, template_csv
from donations_app.intake.forms import DraftEmailForm, category_fields, form_classes
from donations_app.labels import offerable_categories
from donations_app.links import external_url
from donations_app.parsing import whole_number
from donations_app.ratelimits import csv_import_limit, draft_email_limit, draft_save_limit
from donations_app.services import drafts
from donations_app.services.rules import active_ruleset

if TYPE_CHECKING:
    from donations_app.guidelines import Catalog
    from donations_app.models import Draft, Offer

# An offer with more item lines than this shows its complete lines folded into one-line summaries.
FOLD_AFTER_LINES = 3
DRAFT_KEY = "offer_draft"
SUBMITTED_KEY = "submitted_offer"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _session_draft() -> Draft | None:
    return drafts.find_draft(session.get(DRAFT_KEY))


def _keep(answers: dict[str, Any]) -> Draft:
    draft = drafts.store_answers(answers, _session_draft())
    session[DRAFT_KEY] = draft.public_id
    return draft


def form_context() -> dict[str, Any]:
    """What every rendering of the offer form needs from the catalog."""
    rs = active_ruleset()
    _, item_form = form_classes(rs)
    catalog = rs.catalog
    users = category_fields(catalog)
    required = [name for name in catalog.item_fields if name in REQUIRED_ITEM_FIELDS]
    optional = [name for name in catalog.item_fields if name not in REQUIRED_ITEM_FIELDS]
    return {
        "catalog": catalog,
        "required_fields": required,
        "optional_fields": optional,
        "optional_summary": optional_summary(catalog, optional),
        "open_field": request.args.get("change", ""),
        "fold_after": FOLD_AFTER_LINES,
        "category_field_names": [n for n in users if n not in catalog.item_fields],
        "field_users": users,
        "field_users_text": catalog_field_users(catalog),
        "blank_item": item_form(prefix="items-__index__-"),
    }


def optional_summary(catalog: Catalog, names: list[str]) -> str:
    """The disclosure's title: "More details: manufacturer, model and serial numbers"."""
    labels = [catalog.item_fields[name].label.split(" (")[0].lower() for name in names]
    listed = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else "".join(labels)
    return f"More details: {listed}"


def render_offer_form(
    form: Any, errors: list[ErrorLink] | None = None, notice: str = "", status: int = 200
) -> tuple[str, int]:
    """The offer form page, with its error summary when there are errors."""
    return render_template(
        "intake/offer_form.html",
        form=form,
        errors=errors or [],
        form_has_errors=bool(errors),
        notice=notice,
        **form_context(),
    ), status


def answers_of(form: Any) -> dict[str, Any]:
    """The answers as typed, in the nested shape the form takes back with data=."""
    data = dict(form.data)
    data.pop("csrf_token", None)
    data.pop("items_csv", None)
    data["items"] = [dict(item) for item in data.get("items") or []]
    return data


def form_from(answers: dict[str, Any]) -> Any:
    """An offer form filled with stored answers (no validation messages)."""
    offer_form, _ = form_classes(active_ruleset())
    items = [with_legacy_choices(item or {}) for item in answers.get("items") or []]
    return offer_form(formdata=None, data={**answers, "items": items})


@bp.get("/")
def start() -> str:
    """The start page: what can be offered, what happens next, Start now."""
    return render_template("intake/start.html", categories=offerable_categories())


@bp.get("/guidelines")
def guidelines() -> str:
    """The guidelines, generated from the active rules so donors read exactly what is enforced."""
    rs = active_ruleset()
    labels = {name: spec.label.lower() for name, spec in rs.catalog.item_fields.items()}
    labels.update({name: spec.label.lower() for name, spec in rs.catalog.fields.items()})

    def readable(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: f"[{labels.get(m.group(1), m.group(1))}]", text)

    groups: dict[str, dict[str, Any]] = {}
    for rule in rs.rules:
        topic = rs.topics.get(rule.source_file)
        group = groups.setdefault(
            rule.source_file,
            {
                "topic": topic.topic if topic else rule.source_file,
                "summary": topic.summary if topic else "",
                "rules": [],
            },
        )
        group["rules"].append(
            {"rule": rule, "message": readable(rule.message), "fix": readable(rule.fix)}
        )
    return render_template(
        "intake/guidelines.html",
        groups=list(groups.values()),
        catalog=rs.catalog,
        version=rs.version,
    )


@bp.get("/offer")
def offer_form() -> tuple[str, int]:
    """The offer form, filled with the answers kept for this browser session (if any)."""
    draft = _session_draft()
    if draft is not None:
        return render_offer_form(form_from(draft.data))
    offer_form_class, _ = form_classes(active_ruleset())
    return render_offer_form(offer_form_class(formdata=None))


@bp.post("/offer")
@csv_import_limit
@draft_save_limit
def offer_post() -> tuple[str, int] | BaseResponse:
    """Add or remove an item line, import a CSV, save for later, or continue to check answers."""
    offer_form_class, _ = form_classes(active_ruleset())
    form = offer_form_class()
    answers = answers_of(form)
    action = request.form.get("action", "continue")
    remove = request.form.get("remove")
    if remove is not None:
        return _remove_item(answers, remove)
    if action == "add":
        answers["items"].append({})
        return render_offer_form(form_from(answers))
    if action == "import":
        return _import_csv(form, answers)
    if action == "save":
        _keep(answers)
        return redirect(url_for("intake.save_draft"))
    catalog = active_ruleset().catalog
    _, messages = validate(answers, catalog)
    if messages:
        errors = attach_errors(form, messages)
        return render_offer_form(form, errors, status=400)
    _keep(answers)
    return redirect(url_for("intake.check_answers"))


def _remove_item(answers: dict[str, Any], remove: str) -> tuple[str, int]:
    items = answers["items"]
    index = whole_number(remove, maximum=len(items) - 1)
    if index is None:
        abort(400, description="The form does not match the item lines. Reload the page.")
    del items[index]
    if not items:
        items.append({})
    return render_offer_form(form_from(answers))


def _import_csv(form: Any, answers: dict[str, Any]) -> tuple[str, int]:
    upload = request.files.get(form.items_csv.name)
    problems: list[str]
    if upload is None or not upload.filename:
        problems = ["Choose a CSV file to upload."]
    else:
        existing = [item for item in answers["items"] if not is_blank_item(item)]
        try:
            rows = read_items(upload.stream, active_ruleset().catalog, answers, len(existing))
        except CsvImportError as error:
            problems = error.problems
        else:
            answers["items"] = existing + rows
            notice = (
                f"{len(rows)} item{'s' if len(rows) != 1 else ''} added from {upload.filename}."
            )
            return render_offer_form(form_from(answers), notice=notice)
    form.items_csv.errors = [*problems]
    errors = [ErrorLink(form.items_csv.id, problem) for problem in problems]
    return render_offer_form(form, errors, status=400)


@bp.get("/offer/items.csv")
def items_template() -> Response:
    """The CSV template for bulk item entry, with the catalog's columns."""
    return Response(
        template_csv(active_ruleset().catalog),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="offer-items-template.csv"'},
    )


def _draft_address(draft: Draft) -> str:
    """Where the resume link goes unless the donor says otherwise: the address it last went to,
    else the contact's e-mail address as typed on the form."""
    contact = (draft.data or {}).get("contact") or {}
    return draft.email or str(contact.get("email") or "").strip()


def _resume_link(draft: Draft) -> str:
    return external_url("intake.resume_draft", token=drafts.resume_token(draft))


@bp.route("/offer/save", methods=["GET", "POST"])
@draft_email_limit
def save_draft() -> tuple[str, int] | BaseResponse:
    """Ask for an e-mail address and send the private link that resumes the saved answers."""
    draft = _session_draft()
    if draft is None:
        return redirect(url_for("intake.offer_form"))
    form = DraftEmailForm(
        data={"email": _draft_address(draft)} if request.method == "GET" else None
    )
    if request.method == "POST":
        try:
            email = validate_email(
                (form.email.data or "").strip(), check_deliverability=False
            ).normalized
        except EmailNotValidError:
            form.email.errors = [
                "Enter an e-mail address in the right format, like name@agency.gov"
            ]
            errors = [ErrorLink(form.email.id, form.email.errors[0])]
            return render_template(
                "intake/save_draft.html", form=form, errors=errors, form_has_errors=True
            ), 400
        drafts.send_resume_link(draft, email, _resume_link(draft))
        return redirect(url_for("intake.draft_saved"))
    return render_template("intake/save_draft.html", form=form, errors=[]), 200


@bp.get("/offer/saved")
def draft_saved() -> str | BaseResponse:
    """Confirmation that the resume link was sent."""
    draft = _session_draft()
    if draft is None or not draft.email:
        return redirect(url_for("intake.offer_form"))
    return render_template("intake/draft_saved.html", draft=draft)


@bp.get("/offer/draft/<token>")
def resume_draft(token: str) -> BaseResponse:
    """Open a saved draft from its private link; a forged or expired link is a helpful 404."""
    draft = drafts.draft_from_token(token)
    if draft is None:
        abort(
            404,
            description="This link to a saved offer has expired, was already used to submit the "
            "offer, or is not complete. Saved offers are kept for "
            f"{drafts.lifetime().days} days. You can start a new offer from the start page.",
        )
    session[DRAFT_KEY] = draft.public_id
    flash("Your saved answers are back. Check them and carry on.", "success")
    return redirect(url_for("intake.offer_form"))


def _shown(spec: Any, value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return spec.label_of(value) if spec.type == "enum" else str(value)


def answer_rows(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as label/value/field-id rows for the check-answers page."""
    catalog = active_ruleset().catalog
    form = form_from(answers)
    body = offer_body(answers, catalog)
    sections = []
    for section, title in (("agency", "Your agency"), ("contact", "Contact")):
        rows = []
        for field in form[section].form:
            value = body[section].get(field.short_name)
            if field.type == "SelectField" and value is not None:
                value = {c.value: c.label for c in field.choices}.get(value, value)
            rows.append((field.label.text, value or "Not given", field.id))
        sections.append((title, rows))
    recipient = dict(catalog.enums["recipient"]).get(body.get("recipient", ""), "Not given")
    donation = [
        (form.recipient.label.text, recipient, form.recipient.id),
        (
            "Authority to donate",
            "Confirmed" if body["authority_confirmed"] else "Not confirmed",
            form.authority_confirmed.id,
        ),
    ]
    for field in form.pickup.form:
        donation.append(
            (field.label.text, body["pickup"].get(field.short_name) or "Not given", field.id)
        )
    sections.append(("The donation", donation))
    items = []
    for index, item in enumerate(body["items"]):
        rows = []
        for name, value in item.items():
            spec = catalog.fields[name] if name in catalog.fields else catalog.item_fields[name]
            rows.append((spec.label, _shown(spec, value), f"items-{index}-{name}"))
        items.append(rows)
    return {"sections": sections, "items": items}


@bp.get("/offer/check")
def check_answers() -> tuple[str, int] | BaseResponse:
    """Check your answers: every answer with a Change link, and each item's guideline result."""
    from donations_app.services.offers import check_offer

    draft = _session_draft()
    if draft is None:
        return redirect(url_for("intake.offer_form"))
    rs = active_ruleset()
    data, messages = validate(draft.data, rs.catalog)
    if messages:
        form = form_from(draft.data)
        return render_offer_form(form, attach_errors(form, messages), status=400)
    assert data is not None  # validate returns an offer whenever it returns no messages
    result = check_offer(data)
    return render_template(
        "intake/check_answers.html",
        summary=answer_rows(draft.data),
        result=result,
        every_item_refused=all_refused([item["outcome"] for item in result["items"]]),
        all_refused_text=ALL_REFUSED,
        **form_context(),
    ), 200


def _show_confirmation(offer: Offer) -> BaseResponse:
    session.pop(DRAFT_KEY, None)
    session[SUBMITTED_KEY] = offer.public_id
    return redirect(url_for("intake.confirmation"))


def _submit_view() -> tuple[str, int] | BaseResponse:
    from donations_app.services.offers import DraftAlreadySubmitted, submit_offer

    draft = _session_draft()
    if draft is None:
        # A second click (or tab) after the offer was stored shows that offer's confirmation.
        earlier = drafts.submitted_offer(session.get(DRAFT_KEY))
        if earlier is not None:
            return _show_confirmation(earlier)
        return redirect(url_for("intake.offer_form"))
    data, messages = validate(draft.data, active_ruleset().catalog)
    if messages:
        form = form_from(draft.data)
        return render_offer_form(form, attach_errors(form, messages), status=400)
    assert data is not None  # validate returns an offer whenever it returns no messages
    try:
        offer = submit_offer(data, source="web", draft_id=draft.id)
    except DraftAlreadySubmitted as already:
        if already.offer is None:
            return redirect(url_for("intake.offer_form"))
        return _show_confirmation(already.offer)
    return _show_confirmation(offer)


def _register_submit() -> None:
    """Wrap the final submit in the shared submission rate limit."""
    from donations_app.ratelimits import submission_limit

    bp.add_url_rule(
        "/offer/submit", "submit_offer", submission_limit(_submit_view), methods=["POST"]
    )


_register_submit()


@bp.get("/offer/confirmation")
def confirmation() -> str | BaseResponse:
    """The confirmation: reference number, what happens next, status link, every item's result."""
    from donations_app.services.offers import find_offer, offer_result

    offer = find_offer(session.get(SUBMITTED_KEY))
    if offer is None:
        return redirect(url_for("intake.start"))
    result = offer_result(offer)
    return render_template(
        "intake/confirmation.html",
        offer=offer,
        result=result,
        items=list(zip(offer.items, result["items"], strict=False)),
    )
