"""Numbers and dates typed into reviewer URLs and forms: bad ones are 4xx or reported, never 500.

"²" passes str.isdigit() but int() refuses it, int() refuses more than 4,300 digits, and a date
near 9999-12-31 overflows when a day is added to it: each of these once answered 500.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import AuditEvent, Reviewer
from donations_app.services import accounts, sign_in
from tests.review import listing_builders
from tests.review.triage_support import (
    actions,
    item_ids,
    load_offer,
    open_offer,
    post_action,
)

SUPERSCRIPT = "\u00b2"  # "²": isdigit() is True, int() raises
HUGE = "9" * 5000  # int() refuses more than 4,300 digits
NOT_NUMBERS = [SUPERSCRIPT, HUGE, "\u0661\u0662", "-1", "1.5", " "]
NOT_NUMBER_IDS = ["superscript", "5000-digits", "arabic-indic", "negative", "fraction", "blank"]


@pytest.fixture
def ada(make_reviewer):
    return make_reviewer(role="admin", name="Ada Admin")


# The offer page's forms ----------------------------------------------------------------------


@pytest.mark.parametrize("version", NOT_NUMBERS, ids=NOT_NUMBER_IDS)
def test_a_garbled_offer_version_is_bad_input(app, client, reference, rita, version, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "claim", {"offer_version": version})
    assert response.status_code == 400
    assert "missing the version of the offer you saw" in response.text
    assert load_offer(app, reference).status == "queued"


@pytest.mark.parametrize("assignee", NOT_NUMBERS, ids=NOT_NUMBER_IDS)
def test_a_garbled_assignee_is_a_field_error(app, client, reference, lena, rita, assignee, auth):
    auth.sign_in_as(lena)
    response = post_action(client, reference, "assign", {"assignee": assignee})
    assert response.status_code == 400
    assert 'href="#assignee"' in response.text
    assert load_offer(app, reference).status == "queued"
    assert "assigned" not in actions(app, reference)


def test_an_assignee_id_beyond_any_account_is_a_field_error(app, client, reference, lena, auth):
    auth.sign_in_as(lena)
    response = post_action(client, reference, "assign", {"assignee": "999999999"})
    assert response.status_code == 400
    assert 'href="#assignee"' in response.text
    assert load_offer(app, reference).status == "queued"


@pytest.mark.parametrize("version", [SUPERSCRIPT, HUGE], ids=["superscript", "5000-digits"])
def test_a_garbled_item_version_is_bad_input(app, client, reference, rita, version, auth):
    auth.sign_in_as(rita)
    assert post_action(client, reference, "claim").status_code == 302
    vest = item_ids(app, reference)[0]
    state = open_offer(client, reference)
    response = post_action(
        client,
        reference,
        "decisions",
        {f"item-{vest}-version": version, f"item-{vest}-decision": "approved"},
        state=state,
    )
    assert response.status_code == 400
    assert "missing the version of an item you saw" in response.text
    assert load_offer(app, reference).items[0].decision is None


# The offer list and its CSV --------------------------------------------------------------------


@pytest.fixture
def listing(app, client, auth):
    """Two offers and a signed-in reviewer on the offer list."""
    with app.app_context():
        listing_builders.make_offer("UA-2026-000001")
        listing_builders.make_offer("UA-2026-000002")
    auth.as_role("reviewer")
    return client


@pytest.mark.parametrize(
    ("query", "field_message"),
    [
        (f"page={SUPERSCRIPT}", "The page number must be a whole number from 1 to 1,000,000"),
        (f"page={HUGE}", "The page number must be a whole number from 1 to 1,000,000"),
        ("page=1000001", "The page number must be a whole number from 1 to 1,000,000"),
        (f"per_page={SUPERSCRIPT}", "Offers per page must be 25, 50 or 100"),
        (f"per_page={HUGE}", "Offers per page must be 25, 50 or 100"),
        ("to=9999-12-31", "Submitted to must be a date like 2026-03-31, from 2000-01-01"),
        ("from=9999-12-31", "Submitted from must be a date like 2026-03-31, from 2000-01-01"),
        ("to=2101-01-01", "Submitted to must be a date like 2026-03-31, from 2000-01-01"),
        ("from=0001-01-01", "Submitted from must be a date like 2026-03-31, from 2000-01-01"),
    ],
)
def test_an_out_of_range_list_filter_is_reported_and_ignored(listing, query, field_message):
    response = listing.get(f"/review/offers?{query}")
    assert response.status_code == 200
    assert "Some filters could not be used" in response.text
    assert field_message in response.text
    listed = re.findall(r'href="/review/offers/(UA-\d{4}-\d{6})"', response.text)
    assert sorted(listed) == ["UA-2026-000001", "UA-2026-000002"]  # the filter was ignored
    export = listing.get(f"/review/offers.csv?{query}")
    assert export.status_code == 400
    assert field_message in export.text


def test_the_deepest_page_and_the_widest_dates_still_list(listing):
    response = listing.get("/review/offers?page=1000000&from=2000-01-01&to=2100-12-31")
    assert response.status_code == 200
    assert "Some filters could not be used" not in response.text
    assert "Showing offers 1 to 2 of 2" in response.text
    export = listing.get("/review/offers.csv?from=2000-01-01&to=2100-12-31")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert sorted(row[0] for row in rows[1:]) == ["UA-2026-000001", "UA-2026-000002"]


# Reports ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weeks", [SUPERSCRIPT, HUGE, "\u0661\u0662"], ids=NOT_NUMBER_IDS[:3])
def test_a_garbled_report_period_shows_twelve_weeks(app, client, lena, weeks, auth):
    auth.sign_in_as(lena)
    response = client.get(f"/review/reports?weeks={weeks}")
    assert response.status_code == 200
    assert "The period must be 4, 12, 26 or 52 weeks; the last 12 weeks are shown." in response.text


# The audit log and accounts (admin) ------------------------------------------------------------


def add_events(app, count):
    from donations_app.services.audit import record_event

    with app.app_context():
        for number in range(count):
            record_event("bulk_event", data={"n": number})
        db.session.commit()


@pytest.mark.parametrize("page", [SUPERSCRIPT, HUGE, "0", "1000001"])
def test_a_garbled_audit_page_shows_the_first_page(app, client, ada, page, auth):
    add_events(app, 60)
    auth.sign_in_as(ada)
    response = client.get(f"/review/admin/audit?page={page}")
    assert response.status_code == 200
    assert "Next page" in response.text and "Previous page" not in response.text


def test_audit_pages_go_as_deep_as_offer_list_pages(app, client, ada, auth):
    auth.sign_in_as(ada)
    response = client.get("/review/admin/audit?page=1000000")
    assert response.status_code == 200
    assert "Previous page" in response.text
    assert "No audit events match these filters." in response.text


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("day", ["9999-12-31", "2101-01-01", "1999-12-31"])
def test_an_audit_date_out_of_range_is_a_field_error(app, client, ada, field, day, auth):
    auth.sign_in_as(ada)
    response = client.get(f"/review/admin/audit?{field}={day}")
    assert response.status_code == 400
    assert "<title>Error: " in response.text
    assert f'href="#{field}"' in response.text
    assert "Enter a date from 2000-01-01 to 2100-12-31, for example, 2026-01-31." in response.text


def test_the_audit_log_filters_up_to_the_last_day_of_2100(app, client, ada, auth):
    add_events(app, 1)
    auth.sign_in_as(ada)
    response = client.get("/review/admin/audit?action=bulk_event&date_to=2100-12-31")
    assert response.status_code == 200
    assert "Bulk event</td>" in response.text


@pytest.mark.parametrize(
    "suffix", ["", "/role", "/queues", "/deactivate", "/reactivate", "/unlock", "/password"]
)
@pytest.mark.parametrize("number", ["99999999999999999999999", "2147483648", HUGE])
def test_an_account_number_too_large_for_the_database_is_404(
    app, client, ada, number, suffix, auth
):
    auth.sign_in_as(ada)
    url = f"/review/admin/accounts/{number}{suffix}"
    response = client.get(url) if not suffix else client.post(url)
    assert response.status_code == 404


def test_the_largest_account_number_is_an_ordinary_404(app, client, ada, auth):
    auth.sign_in_as(ada)
    assert client.get("/review/admin/accounts/2147483647").status_code == 404
    assert client.get(f"/review/admin/accounts/{ada.id}").status_code == 200


# Sign-in lockout under parallel wrong passwords ---------------------------------------------------


def test_parallel_wrong_passwords_all_count_and_lock_once(app, rita, monkeypatch):
    """Every attempt loads the account before any writes: each failure must still count."""
    attempts = sign_in.MAX_FAILED_LOGINS + 1
    all_loaded = threading.Barrier(attempts, timeout=30)
    real_verify = accounts.verify_password

    def verify_after_everyone_loaded(password_hash: str, password: str) -> bool:
        all_loaded.wait()
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", verify_after_everyone_loaded)
    failures: list[BaseException] = []

    def attempt() -> None:
        try:
            with app.app_context():
                attempt = sign_in.authenticate("rita@state.example.gov", "wrong password!", "::1")
                assert attempt.reviewer is None
                db.session.commit()
        except BaseException as error:  # a failed thread must fail the test, not vanish
            failures.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with app.app_context():
        reviewer = db.session.get(Reviewer, rita.id)
        assert reviewer.failed_logins == attempts
        assert sign_in.is_locked(reviewer)
        counted = db.session.scalars(
            sa.select(AuditEvent).filter_by(action="sign_in_failed").order_by(AuditEvent.id)
        ).all()
        assert sorted(e.data["failed_logins"] for e in counted) == list(range(1, attempts + 1))
        locks = db.session.scalars(sa.select(AuditEvent).filter_by(action="account_locked")).all()
        assert len(locks) == 1
        assert locks[0].data["failed_logins"] == sign_in.MAX_FAILED_LOGINS


def test_a_wrong_password_after_a_lapsed_wait_doubles_the_next_wait(app, rita):
    with app.app_context():
        reviewer = db.session.get(Reviewer, rita.id)
        reviewer.failed_logins = sign_in.MAX_FAILED_LOGINS
        reviewer.locked_until = sign_in.utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    with app.app_context():
        before = sign_in.utcnow()
        attempt = sign_in.authenticate("rita@state.example.gov", "wrong password!", "::1")
        assert attempt.reviewer is None and attempt.wait is not None
    with app.app_context():
        reviewer = db.session.get(Reviewer, rita.id)
        assert reviewer.failed_logins == sign_in.MAX_FAILED_LOGINS + 1
        assert reviewer.locked_until >= before + dt.timedelta(seconds=2)
        # The start of the backoff is recorded once, not again.
        assert db.session.query(AuditEvent).filter_by(action="account_locked").count() == 0
