"""The file routes, one by one: who gets a file, with which headers, and the form's errors."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Attachment
from tests.attachments.files import pdf, photo
from tests.conftest import csrf_token
from tests.privacy.helpers import CONTACT, submit, withdraw


def upload(client, status_path: str, data: bytes, name: str, item: int = 0):
    page = client.get(status_path)
    return client.post(
        status_path + "/files",
        data={
            "csrf_token": csrf_token(page.text),
            "item": str(item),
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def file_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Attachment.id).order_by(Attachment.id)))


def assert_download_headers(response, disposition: str = "attachment"):
    assert response.headers["Content-Disposition"].startswith(disposition + ";")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_donor_attaches_a_photo_to_an_item_and_downloads_it(app, client):
    _, status = submit(client)
    response = upload(client, status, photo(), "NIJ label ü.JPG")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(status + "#item-files-0")
    page = client.get(status).text
    assert "We added “NIJ label ü.jpg” to item 1" in page
    (attachment_id,) = file_ids(app)
    link = f"{status}/files/{attachment_id}"
    assert f'href="{link}"' in page
    download = client.get(link)
    assert download.status_code == 200
    assert download.mimetype == "image/jpeg"
    assert_download_headers(download)
    disposition = download.headers["Content-Disposition"]
    assert 'filename="NIJ label _.jpg"' in disposition
    assert "filename*=UTF-8''NIJ%20label%20%C3%BC.jpg" in disposition
    assert b"GPS" not in download.data


def test_bad_uploads_get_a_field_error_and_change_nothing(app, client):
    _, status = submit(client)
    cases = [
        (b"<html><script>alert(1)</script></html>", "photo.jpg", "web page (HTML)"),
        (b"", "empty.pdf", "The selected file is empty."),
        (b"", "", "Choose a file to attach"),
        (pdf(damage_xref=True), "letter.pdf", "damaged"),
    ]
    for data, name, words in cases:
        response = upload(client, status, data, name)
        assert response.status_code == 400, name
        assert words in response.text, (name, response.text[:500])
        assert 'href="#file-item-0"' in response.text  # the error summary links to the field
        assert 'id="file-item-0-error"' in response.text
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    response = upload(client, status, pdf() + b" " * 2000, "big.pdf")
    assert response.status_code == 400 and "larger than 1 KB" in response.text
    assert file_ids(app) == []


def test_a_posted_item_that_is_not_the_offers_is_a_bad_request(client):
    _, status = submit(client)
    assert upload(client, status, pdf(), "a.pdf", item=7).status_code == 400
    page = client.get(status)
    response = client.post(status + "/files", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 400


def test_uploads_need_the_csrf_token(client):
    _, status = submit(client)
    response = client.post(
        status + "/files",
        data={"item": "0", "file": (io.BytesIO(pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_files_can_be_added_only_while_the_offer_is_open(app, client):
    reference, status = submit(client)
    withdraw(app, reference)
    page = client.get(status).text
    assert "Attach a photo or PDF" not in page
    response = upload(client, status, pdf(), "late.pdf")
    assert response.status_code == 302
    assert file_ids(app) == []


def test_only_the_offers_link_and_reviewers_get_the_offers_files(app, client, auth):
    reference, status = submit(client)
    upload(client, status, photo(), "label.jpg")
    (attachment_id,) = file_ids(app)
    _, other_status = submit(client, email="other@" + CONTACT.split("@")[1])
    upload(client, other_status, pdf(), "theirs.pdf")
    _, their_id = file_ids(app)
    anonymous = app.test_client()
    review_file = f"/review/offers/{reference}/files/{attachment_id}"
    for path in (
        f"{status}/files/{their_id}",  # another offer's file through this link
        f"{other_status}/files/{attachment_id}",  # this file through another link
        f"/status/forged-token/files/{attachment_id}",
        f"{status}/files/999999",
    ):
        assert client.get(path).status_code == 404, path
    # Neither a stranger nor the donor's own link opens the reviewers' routes: 404, not a
    # sign-in page that would confirm the file exists.
    for path in (review_file, review_file + "/thumbnail"):
        assert anonymous.get(path).status_code == 404
        assert client.get(path).status_code == 404

    auth.as_role("reviewer")
    download = client.get(review_file)
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert_download_headers(download)
    thumbnail = client.get(review_file + "/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert_download_headers(thumbnail, "inline")
    assert client.get(f"/review/offers/{reference}/files/{their_id}").status_code == 404
    page = client.get(f"/review/offers/{reference}").text
    assert re.search(rf'<img[^>]+src="{re.escape(review_file)}/thumbnail"', page)
    assert f'href="{review_file}"' in page


def test_a_pdf_has_no_thumbnail(app, client, auth):
    reference, status = submit(client)
    upload(client, status, pdf(), "release.pdf")
    (attachment_id,) = file_ids(app)
    auth.as_role("reviewer")
    path = f"/review/offers/{reference}/files/{attachment_id}"
    assert client.get(path).mimetype == "application/pdf"
    assert client.get(path + "/thumbnail").status_code == 404
    assert "<img" not in client.get(f"/review/offers/{reference}").text.split('id="items"')[1]
