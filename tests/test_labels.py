"""The label filters: each code reads as words, and an unknown code never breaks a page."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from flask import render_template_string

from donations_app.labels import action_label, audit_details
from donations_app.models import Reviewer
from donations_app.models.vocabulary import AUDIT_ACTION_LABELS, ITEM_OUTCOME_LABELS, ROLES

ROOT = Path(__file__).resolve().parents[1]

KNOWN = [
    ("category_label", "body_armor", "Body armor (vests, plates)"),
    ("recipient_label", "npu", "National Police of Ukraine (NPU)"),
    ("agency_type_label", "sheriff", "Sheriff's office"),
    ("condition_label", "like_new", "Like new"),
    ("acquired_via_label", "dod_1033", "Received through the DoD 1033 program"),
    ("status_label", "partially_approved", "partially approved"),
    ("outcome_label", "review", "Needs a specialist review"),
    ("offer_outcome_label", "needs_info", "needs information"),
    ("decision_label", "declined", "declined"),
    ("role_label", "admin", "admin"),
    ("trigger_label", "reevaluation", "re-evaluation"),
    ("readable", "note_added", "note added"),
    ("action_label", "info_requested", "asked the donor for information"),
    ("actor_type_label", "system", "the service"),
    ("tag_label", "export_control", "export control"),
]


def render(app, template: str, **context: object) -> str:
    with app.test_request_context():
        return html.unescape(render_template_string(template, **context))


@pytest.mark.parametrize(("name", "code", "label"), KNOWN)
def test_each_filter_gives_the_label_of_a_known_code(app, name, code, label):
    assert render(app, f"{{{{ code | {name} }}}}", code=code) == label


@pytest.mark.parametrize("name", [name for name, _, _ in KNOWN])
def test_an_unknown_code_reads_as_words_and_none_as_nothing(app, name):
    assert render(app, f"{{{{ code | {name} }}}}", code="no_such_code") == "no such code"
    assert render(app, f"[{{{{ code | {name} }}}}]", code=None) == "[]"


def test_the_offer_form_gives_its_script_the_outcome_labels(client):
    page = client.get("/offer").text
    block = re.search(r'<script type="application/json" id="outcome-labels">(.*?)</script>', page)
    assert json.loads(block.group(1)) == ITEM_OUTCOME_LABELS


def test_no_template_or_script_spells_out_a_label_or_makes_one_from_a_code():
    sources = [
        *ROOT.joinpath("templates").rglob("*.html"),
        *ROOT.joinpath("templates").rglob("*.txt"),
    ]
    sources.append(ROOT / "donations_app/static/js/offer-form.js")
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""replace\(\s*["']_["']""", text), path
        for label in ITEM_OUTCOME_LABELS.values():
            assert label not in text, (path, label)


def test_every_audited_action_has_a_label():
    """Each action name the services record (a literal) reads as words, not as its code."""
    found: set[str] = set()
    for path in ROOT.joinpath("donations_app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'record_event\(\s*"([a-z_]+)"', text))
        found.update(re.findall(r'\baction="([a-z_]+)"', text))
    assert len(found) > 30
    assert sorted(found - set(AUDIT_ACTION_LABELS)) == []


def test_a_refused_change_reads_as_words():
    assert action_label("info_request_conflict") == (
        "question to the donor refused: the offer had changed"
    )


def test_audit_details_read_as_words_with_queue_names():
    details = {"to_queue": "sbgs-desk", "queues": ["legal"], "decision": "declined", "x_y": True}
    assert audit_details(details, {"sbgs-desk": "SBGS desk", "legal": "Legal"}) == [
        "Decision: declined",
        "Queues: Legal",
        "To queue: SBGS desk",
        "X y: yes",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_what_the_roles_below_it_may(role):
    account = Reviewer(role=role)
    rank = ROLES.index(role)
    assert [account.has_role(other) for other in ROLES] == [i <= rank for i in range(len(ROLES))]
