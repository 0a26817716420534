"""WTForms classes of the donor journey, built from the catalog so a new category needs no code.

The forms only carry and render answers; validation is done once, by the API schema
(see answers.py), so the form and the API can never disagree.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # 3.2 stubs lack it
from wtforms.validators import Optional

from donations_app.guidelines import Catalog, FieldSpec, RuleSet
from donations_app.guidelines.catalog import REQUIRED_ITEM_FIELDS

# Drafts saved before suggestions became a list on the text box kept the suggestion picked in a
# select of its own, "<field>_choice" ("other": the text box holds the answer).
OTHER_CHOICE = "other"
CHOICE_SUFFIX = "_choice"
# Free-text answers long enough to deserve a text area.
LONG_TEXT = {"description"}
YES_NO = (("yes", "Yes"), ("no", "No"))

_CACHE: dict[str, tuple[type[FlaskForm], type[Form]]] = {}


def choices(pairs: Any, blank: str | None = "- Select -") -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs, with an empty first choice unless blank=None."""
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(value, label) for value, label in pairs]


class SuggestField(StringField):
    """A text answer offered with a list of suggestions (an HTML datalist): one question, where
    the donor may pick a suggestion or type anything else."""

    def __init__(self, *args: Any, suggestions: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions


def catalog_field(spec: FieldSpec) -> Any:
    """An unbound WTForms field for a catalog question (its type drives how it is rendered).

    Every question but the required item fields is flagged optional (`field.flags.optional`):
    its label says "(optional)". The validators are never run: the API schema validates."""
    kw: dict[str, Any] = {
        "description": " ".join(filter(None, (spec.hint, number_hint(spec)))),
        "render_kw": {"data-type": spec.type},
        "validators": [] if spec.name in REQUIRED_ITEM_FIELDS else [Optional()],
    }
    if spec.suggestions:
        return SuggestField(spec.label, suggestions=spec.suggestions, **kw)
    if spec.type == "enum":
        options = choices(spec.choice_labels or ())
        return SelectField(spec.label, choices=options, validate_choice=False, **kw)
    if spec.type == "bool":
        return RadioField(spec.label, choices=choices(YES_NO, None), validate_choice=False, **kw)
    if spec.type == "list" or spec.name in LONG_TEXT:
        return TextAreaField(spec.label, **kw)
    return StringField(spec.label, **kw)


def number_hint(spec: FieldSpec) -> str:
    """The range of a number field as the donor reads it under the label ("" for others)."""
    if spec.type == "integer":
        return f"A whole number {spec.range_text()}."
    if spec.type == "decimal":
        return f"A number {spec.range_text()}, with at most 2 decimal places."
    return ""


def category_fields(catalog: Catalog) -> dict[str, list[str]]:
    """Each category-only field, with the categories that ask for it, in catalog order."""
    users: dict[str, list[str]] = {}
    for category in catalog.categories:
        for name in category.fields:
            users.setdefault(name, []).append(category.id)
    return users


def _item_form(catalog: Catalog) -> type[Form]:
    attrs: dict[str, Any] = {}
    for name, spec in catalog.item_fields.items():
        attrs[name] = catalog_field(spec)
    for name in category_fields(catalog):
        if name not in attrs:
            attrs[name] = catalog_field(catalog.fields[name])
    return type("ItemForm", (Form,), attrs)


def _enum(catalog: Catalog, name: str, label: str, hint: str = "") -> SelectField:
    return SelectField(
        label, choices=choices(catalog.enums[name]), validate_choice=False, description=hint
    )


def _offer_form(catalog: Catalog, item_form: type[Form]) -> type[FlaskForm]:
    class AgencyForm(Form):
        name = StringField("Agency name")
        type = _enum(catalog, "agency_type", "Type of agency")
        ori = StringField(
            "ORI number (optional)",
            description="Your NCIC Originating Agency Identifier, for example IL0840200.",
        )
        state = _enum(catalog, "state", "State or territory")
        city = StringField("City")

    class ContactForm(Form):
        name = StringField("Full name")
        title = StringField("Job title (optional)")
        email = StringField(
            "E-mail address", description="We send the confirmation and updates here."
        )
        phone = StringField("Phone number (optional)")

    class PickupForm(Form):
        zip = StringField(
            "ZIP code where the items can be collected",
            description="5 digits, or ZIP+4 such as 62704-1234.",
        )
        available_from = StringField(
            "Available for collection from (optional)",
            description="Today or a later date.",
            render_kw={"data-type": "date"},
        )

    class OfferForm(FlaskForm):
        agency = FormField(AgencyForm)
        contact = FormField(ContactForm)
        recipient = RadioField(
            "Which Ukrainian agency are the items for?",
            choices=choices(catalog.enums["recipient"], None),
            validate_choice=False,
        )
        authority_confirmed = BooleanField(
            "I confirm that my agency may lawfully donate these items and that I may offer "
            "them on its behalf."
        )
        pickup = FormField(PickupForm)
        items = FieldList(FormField(item_form), min_entries=1)
        items_csv = FileField("Upload a CSV file of item lines")

    return OfferForm


def form_classes(rs: RuleSet) -> tuple[type[FlaskForm], type[Form]]:
    """(OfferForm, ItemForm) for a rule set's catalog, built once per rule-set version."""
    if rs.version not in _CACHE:
        item_form = _item_form(rs.catalog)
        _CACHE[rs.version] = (_offer_form(rs.catalog, item_form), item_form)
    return _CACHE[rs.version]


def info_response_form(rs: RuleSet) -> type[FlaskForm]:
    """The form that corrects the items a reviewer or the rules asked about."""
    _, item_form = form_classes(rs)
    key = f"info:{rs.version}"
    if key not in _CACHE:

        class InfoItemForm(item_form):  # type: ignore[misc, valid-type]
            position = HiddenField()

        class InfoResponseForm(FlaskForm):
            items = FieldList(FormField(InfoItemForm), min_entries=0)

        _CACHE[key] = (InfoResponseForm, InfoItemForm)
    return _CACHE[key][0]


class DraftEmailForm(FlaskForm):
    """The e-mail address a saved draft's resume link goes to."""

    email = StringField(
        "E-mail address",
        description="We will send a private link to this address. Anyone with the link can "
        "see and change your answers.",
    )


class WithdrawForm(FlaskForm):
    """Confirm the withdrawal of an offer, with an optional reason."""

    reason = TextAreaField("Why are you withdrawing the offer? (optional)")
