"""Every route against anonymous visitors, donor-link holders, reviewers, leads and admins.

EXPECTED names the access level of every endpoint. A route added without an entry here fails
`test_every_route_has_an_expectation` and its own matrix case, naming the endpoint: decide who
may use it and add it to the table.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Item, Offer, OutboxMessage, Queue, Reviewer
from donations_app.services.attachments import Upload, store_upload
from donations_app.services.references import allocate_reference
from donations_app.services.rules import active_ruleset
from tests.attachments.files import photo
from tests.conftest import AuthActions

# Access levels: who gets through.
PUBLIC = "public"  # everyone, signed in or not
SECRET_LINK = "secret link"  # whoever holds the private link; a forged link is a 404
REVIEWER = "reviewer"  # signed-in reviewers, leads and admins
LEAD = "lead"  # signed-in leads and admins
ADMIN = "admin"  # signed-in admins
SIGN_OUT = "sign-out"  # anyone may post it, and everyone lands on the sign-in page
# The second step of signing in: without a right password first, the sign-in page; a signed-in
# reviewer is sent on to their work.
PASSWORD_FIRST = "password first"
# Signed-in reviewers, leads and admins; everyone else gets a 404 (no sign-in page that would
# confirm the thing exists): evidence files.
REVIEWER_OR_404 = "reviewer, else 404"

EXPECTED: dict[str, str] = {
    # service pages
    "system.healthz": PUBLIC,
    # Loopback or METRICS_TOKEN only (the test client is 127.0.0.1): tests/test_observability.py
    "system.prometheus_metrics": PUBLIC,
    "system.readyz": PUBLIC,
    "system.accessibility": PUBLIC,
    "system.privacy": PUBLIC,
    "system.favicon": PUBLIC,
    # the donor's journey
    "intake.start": PUBLIC,
    "intake.guidelines": PUBLIC,
    "intake.offer_form": PUBLIC,
    "intake.offer_post": PUBLIC,
    "intake.submit_offer": PUBLIC,
    "intake.items_template": PUBLIC,
    "intake.save_draft": PUBLIC,
    "intake.draft_saved": PUBLIC,
    "intake.resume_draft": SECRET_LINK,
    "intake.check_answers": PUBLIC,
    "intake.confirmation": PUBLIC,
    "intake.status": SECRET_LINK,
    "intake.answer_info_request": SECRET_LINK,
    "intake.withdraw": SECRET_LINK,
    "intake.replace_link": SECRET_LINK,
    "intake.new_link": PUBLIC,
    "intake.new_link_sent": PUBLIC,
    "intake.attachment_upload": SECRET_LINK,
    "intake.attachment_download": SECRET_LINK,
    # the API authenticates nothing: it is public by design (docs/api.md)
    "api.create_check": PUBLIC,
    "api.create_offer": PUBLIC,
    "api.openapi": PUBLIC,
    # signing in and out
    "review.sign_in": PUBLIC,
    "review.sign_out": SIGN_OUT,
    "review.change_password": REVIEWER,
    "review.sign_in_code": PASSWORD_FIRST,
    "review.request_unlock": PUBLIC,
    "review.unlock_account": SECRET_LINK,
    "review.two_step": LEAD,
    # reviewer work
    "review.queues": REVIEWER,
    "review.offers": REVIEWER,
    "review.offers_csv": REVIEWER,
    "review.offers_csv_prepare": REVIEWER,
    "review.offer": REVIEWER,
    "review.offer_claim": REVIEWER,
    "review.offer_assign": LEAD,
    "review.offer_release": REVIEWER,
    "review.offer_decide": REVIEWER,
    "review.offer_request_info": REVIEWER,
    "review.offer_reroute": REVIEWER,
    "review.offer_add_note": REVIEWER,
    "review.attachment_download": REVIEWER_OR_404,
    "review.attachment_thumbnail": REVIEWER_OR_404,
    "review.offer_message": REVIEWER,
    "review.offer_remind": REVIEWER,
    "review.offer_stop_waiting": REVIEWER,
    "review.exports": REVIEWER,
    "review.manifest_csv": REVIEWER,
    "review.manifest_xlsx": REVIEWER,
    "review.manifest_prepare": REVIEWER,
    "review.reports": LEAD,
    # administration
    "review.admin_accounts": ADMIN,
    "review.admin_account_new": ADMIN,
    "review.admin_account": ADMIN,
    "review.admin_account_role": ADMIN,
    "review.admin_account_queues": ADMIN,
    "review.admin_account_deactivate": ADMIN,
    "review.admin_account_reactivate": ADMIN,
    "review.admin_account_unlock": ADMIN,
    "review.admin_account_password": ADMIN,
    "review.admin_account_totp_reset": ADMIN,
    "review.admin_audit": ADMIN,
    "review.admin_rules": ADMIN,
    "review.rules_impact": LEAD,
    "review.rules_impact_activate": LEAD,
    "review.rules_recheck": LEAD,
    "review.admin_rules_activate": ADMIN,
    # a job's page: who started it (here the reviewer) and leads; any other reviewer gets 404
    # (tests/jobs/test_jobs.py)
    "review.job": REVIEWER,
    "review.job_status": REVIEWER,
    # its file (a prepared export): the same people (tests/exports/test_offers_csv.py)
    "review.job_file": REVIEWER,
}
SKIPPED = {"static"}
KINDS = ("anonymous", "donor", "reviewer", "lead", "admin")
RANK = {"reviewer": 1, "lead": 2, "admin": 3}
FORGED_TOKEN = "forged-token-that-no-server-signed"


def _app_for_listing() -> Flask:
    return create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="matrix-"),
        }
    )


ENDPOINTS = sorted({rule.endpoint for rule in _app_for_listing().url_map.iter_rules()} - SKIPPED)


def create_offer(queue_slug: str = "legal", status: str = "queued") -> Offer:
    """An offer with one item, stored directly (no rule engine), in the given queue."""
    queue = db.session.query(Queue).filter_by(slug=queue_slug).one()
    offer = Offer(
        reference=allocate_reference(),
        status=status,
        outcome="review",
        source="web",
        agency_name="Springfield Police Department",
        agency_type="municipal_police",
        agency_state="IL",
        agency_city="Springfield",
        contact_name="Pat Donor",
        contact_email="pat@springfield.example.gov",
        recipient="sbgs",
        authority_confirmed=True,
        pickup_zip="62701",
        ruleset_version=active_ruleset().version,
        queue=queue,
    )
    offer.items.append(
        Item(
            position=0,
            category="body_armor",
            description="Ballistic vests, level IIIA",
            quantity=10,
            condition="good",
            acquired_via="own_funds",
            outcome="review",
            serial_numbers=["V-1001"],
        )
    )
    db.session.add(offer)
    db.session.flush()
    return offer


@pytest.fixture
def world(app: Flask, make_reviewer: Callable[..., Reviewer]) -> dict:
    """Reviewers of each role, an account to administer, an offer, a draft and their links."""
    from donations_app.services import drafts, exports, jobs
    from donations_app.services.offers import status_token
    from donations_app.services.search import OfferFilters

    with app.app_context():
        slugs = [queue.slug for queue in db.session.query(Queue)]
    people = {role: make_reviewer(role=role, queues=slugs) for role in RANK}
    target = make_reviewer("target@state.example.gov")
    with app.test_request_context():
        offer = create_offer()
        db.session.commit()
        photo_file = store_upload(
            offer, Upload("label.jpg", photo()), item=offer.items[0], uploaded_by="donor"
        )
        draft = drafts.store_answers({"agency": {"name": "Springfield Police Department"}})
        draft.email = "pat@springfield.example.gov"
        db.session.commit()
        # A prepared export, so that the job's page and its file are there to be asked for.
        job = exports.start_offers_csv(OfferFilters(), people["reviewer"])
        assert jobs.run_due_jobs() == (1, 0)
        return {
            "people": people,
            "args": {
                "reference": offer.reference,
                "attachment_id": photo_file.id,
                "reviewer_id": target.id,
                "recipient": "sbgs",
                "version": active_ruleset().version,
                "job_id": job.id,
                "file_format": "csv",
            },
            "tokens": {
                "intake.resume_draft": drafts.resume_token(draft),
                # An unlock link works once: each request gets a new one.
                "review.unlock_account": lambda: unlock_token(app, target.email),
                # Replacing a status link ends it: each request gets the offer's current link.
                "intake.replace_link": lambda: current_status_token(app, offer.id),
                "status": status_token(offer),
            },
        }


def unlock_token(app: Flask, email: str) -> str:
    """The token of a fresh unlock link e-mailed to the account `email`."""
    from donations_app.services import sign_in

    with app.test_request_context():
        reviewer = db.session.query(Reviewer).filter_by(email=email).one()
        reviewer.failed_logins, reviewer.unlock_sent_at = 1, None
        db.session.commit()
        sign_in.send_unlock_link(email)
        body = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first().body_text
        return re.search(r"/review/sign-in/unlock/(\S+)", body).group(1)


def current_status_token(app: Flask, offer_id: int) -> str:
    """The token of the offer's status link as it is now (after any replacement)."""
    from donations_app.services.offers import status_token

    with app.test_request_context():
        return status_token(db.session.get(Offer, offer_id))


def url_for_kind(app: Flask, rule, world: dict, kind: str) -> str:
    """The rule's URL with real objects; anonymous visitors get a forged secret token."""
    values = {}
    for name in rule.arguments:
        if name == "token":
            token = world["tokens"].get(rule.endpoint, world["tokens"]["status"])
            values[name] = (
                FORGED_TOKEN if kind == "anonymous" else (token() if callable(token) else token)
            )
        elif name in world["args"]:
            values[name] = world["args"][name]
        else:
            pytest.fail(f"{rule.endpoint}: no value for URL argument {name!r}; add one to world()")
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def client_for(app: Flask, auth: AuthActions, world: dict, kind: str) -> FlaskClient:
    client = app.test_client()
    if kind in RANK:
        return auth.sign_in_as(world["people"][kind], client)
    if kind == "donor":
        # A donor-link holder has opened the private status link in this browser.
        client.get(f"/status/{world['tokens']['status']}")
    return client


def observed(response) -> str:
    """What the visitor got: allowed, sign_in (redirected to it), forbidden, not_found, ..."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        if urlsplit(response.headers["Location"]).path == "/review/sign-in":
            return "sign_in"
        return "allowed"
    if status == 401:
        return "unauthorized"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "not_found"
    if status >= 500:
        return f"error {status}"
    return "allowed"


def expected(level: str, kind: str) -> str:
    if level == PUBLIC:
        return "allowed"
    if level == SIGN_OUT:
        return "sign_in"
    if level == SECRET_LINK:
        return "not_found" if kind == "anonymous" else "allowed"
    if level == REVIEWER_OR_404:
        return "allowed" if kind in RANK else "not_found"
    if level == PASSWORD_FIRST:
        return "allowed" if kind in RANK else "sign_in"
    if kind not in RANK:
        return "sign_in"
    return "allowed" if RANK[kind] >= RANK[level] else "forbidden"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    # Authorization is under test here, not CSRF (tested with the forms themselves).
    app_config["WTF_CSRF_ENABLED"] = False
    app_config["PUBLIC_BASE_URL"] = "http://localhost"
    return app_config


def test_every_route_has_an_expectation():
    missing = [endpoint for endpoint in ENDPOINTS if endpoint not in EXPECTED]
    assert not missing, (
        "routes without an expected access level in tests/review/test_authorization_matrix.py "
        f"EXPECTED: {', '.join(missing)}"
    )


def test_no_stale_expectations():
    stale = sorted(set(EXPECTED) - set(ENDPOINTS))
    assert not stale, f"EXPECTED names endpoints the app no longer has: {', '.join(stale)}"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_access(app, auth, world, endpoint):
    assert endpoint in EXPECTED, f"{endpoint}: add its access level to EXPECTED"
    level = EXPECTED[endpoint]
    failures = []
    for rule in app.url_map.iter_rules(endpoint):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for kind in KINDS:
                client = client_for(app, auth, world, kind)
                url = url_for_kind(app, rule, world, kind)
                response = client.open(url, method=method)
                got, want = observed(response), expected(level, kind)
                response.close()  # ends a streamed download before the next request
                if got != want:
                    failures.append(
                        f"{method} {url} as {kind}: {got} ({response.status_code}), expected {want}"
                    )
    assert not failures, f"{endpoint} ({level}):\n" + "\n".join(failures)


def test_reviewer_pages_show_no_data_to_anonymous_visitors(app, world):
    for rule in app.url_map.iter_rules():
        if EXPECTED.get(rule.endpoint) not in (REVIEWER, LEAD, ADMIN) or "GET" not in rule.methods:
            continue
        response = app.test_client().get(url_for_kind(app, rule, world, "anonymous"))
        assert response.status_code == 302, rule.endpoint
        body = response.get_data(as_text=True)
        assert "Springfield" not in body and "springfield.example.gov" not in body
        assert "state.example.gov" not in body
