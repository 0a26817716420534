"""A draft becomes at most one offer: a double click or a second tab shows the first offer's
confirmation instead of storing the offer again."""

from __future__ import annotations

import re
import threading

from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.intake import views
from donations_app.models import Draft, Offer, OutboxMessage
from tests.intake.helpers import offer_answers, page_token, post_offer


def checked(client: FlaskClient) -> str:
    """Fill the form, reach Check your answers; return the page's CSRF token."""
    assert post_offer(client, offer_answers()).status_code == 302
    return page_token(client, "/offer/check")


def second_tab(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another client with the same browser session (the same cookie)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(name, cookie.value, domain=cookie.domain)
    return other


def reference_on(client: FlaskClient) -> str:
    page = client.get("/offer/confirmation")
    assert page.status_code == 200
    return re.search(r"UA-\d{4}-\d{6}", page.text).group(0)


def stored(app: Flask) -> tuple[list[str], int, list[int | None]]:
    """(offer references, confirmation e-mails, submitted_offer_id of every draft)."""
    with app.app_context():
        references = [offer.reference for offer in db.session.query(Offer)]
        mails = db.session.query(OutboxMessage).filter_by(kind="confirmation").count()
        drafts = [draft.submitted_offer_id for draft in db.session.query(Draft)]
        return references, mails, drafts


def test_submitting_the_same_draft_again_shows_the_first_offer(
    app: Flask, client: FlaskClient
) -> None:
    token = checked(client)
    other = second_tab(app, client)

    first = client.post("/offer/submit", data={"csrf_token": token})
    again = other.post("/offer/submit", data={"csrf_token": token})

    assert first.status_code == again.status_code == 302
    assert first.headers["Location"].endswith("/offer/confirmation")
    assert again.headers["Location"].endswith("/offer/confirmation")
    references, mails, drafts = stored(app)
    assert len(references) == 1 and mails == 1
    assert reference_on(client) == reference_on(other) == references[0]
    with app.app_context():
        assert drafts == [db.session.query(Offer).one().id]


def test_two_simultaneous_submits_of_one_draft_store_one_offer(
    app: Flask, client: FlaskClient, monkeypatch
) -> None:
    token = checked(client)
    other = second_tab(app, client)
    # Both requests find the unsubmitted draft before either stores its offer.
    both_found_the_draft = threading.Barrier(2, timeout=10)
    real_validate = views.validate

    def validate_together(*args, **kwargs):
        both_found_the_draft.wait()
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(views, "validate", validate_together)
    responses: dict[int, object] = {}
    failures: list[BaseException] = []

    def submit(number: int, tab: FlaskClient) -> None:
        try:
            responses[number] = tab.post("/offer/submit", data={"csrf_token": token})
        except BaseException as error:  # a failed request must fail the test, not vanish
            failures.append(error)

    threads = [
        threading.Thread(target=submit, args=(n, tab)) for n, tab in ((0, client), (1, other))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    for response in responses.values():
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/offer/confirmation")
    references, mails, drafts = stored(app)
    assert len(references) == 1 and mails == 1
    assert reference_on(client) == reference_on(other) == references[0]
    assert drafts[0] is not None
