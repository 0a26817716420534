"""Evidence files in a real browser: a donor attaches a photo of the label to an item from the
status page; a bad file gets the form's error; a reviewer sees the photo's thumbnail on the
offer page and downloads it. axe-core at desktop width and at 390 px on every page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.attachments.files import pdf, photo
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import SignInPage
from tests.privacy.helpers import submit

pytestmark = pytest.mark.e2e


def check_both_widths(page, name: str, folder: Path) -> None:
    """axe at 1280 px and 390 px; a screenshot of each, for a person to look at."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        page.screenshot(path=str(folder / f"evidence-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_donor_attaches_a_photo_and_the_reviewer_sees_its_thumbnail(
    live_server, page, make_reviewer, tmp_path
):
    app = live_server.app
    make_reviewer("rita@state.example.gov", name="Rita Reviewer")
    reference, status = submit(app.test_client())
    label = tmp_path / "NIJ label.jpg"
    label.write_bytes(photo(size=(800, 600)))
    not_a_photo = tmp_path / "label.jpg"
    not_a_photo.write_text("<html><script>alert(1)</script></html>")

    page.goto(live_server.url(status))
    files = page.locator("#item-files-0")
    assert "No files attached to this item." in files.inner_text()

    # A web page named .jpg: the error summary and the field say what it is.
    assert "Attach a photo or PDF to item 1" in files.locator("label[for=file-item-0]").inner_text()
    # USWDS turns the field into a drop zone; the file goes into the input all the same.
    page.locator("#file-item-0").set_input_files(str(not_a_photo))
    with page.expect_navigation():
        files.get_by_role("button", name="Attach the file").click()
    summary = page.locator("#error-summary")
    assert "Item 1: The file is a web page (HTML)" in summary.inner_text()
    assert "web page (HTML)" in page.locator("#file-item-0-error").inner_text()
    check_both_widths(page, "donor-error", tmp_path)

    page.locator("#file-item-0").set_input_files(str(label))
    with page.expect_navigation():
        page.locator("#item-files-0").get_by_role("button", name="Attach the file").click()
    assert "We added “NIJ label.jpg” to item 1" in page.content()
    link = page.locator("#item-files-0").get_by_role("link", name="NIJ label.jpg")
    assert link.count() == 1
    check_both_widths(page, "donor-status", tmp_path)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "NIJ label.jpg"

    SignInPage(page, live_server).sign_in_as("rita@state.example.gov")
    page.goto(live_server.url(f"/review/offers/{reference}"))
    thumbnail = page.get_by_alt_text("Thumbnail of NIJ label.jpg")
    thumbnail.scroll_into_view_if_needed()
    # The image may still be loading right after navigation: wait for it, then check its size.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 320
    assert page.get_by_role("link", name="NIJ label.jpg").count() == 1
    check_both_widths(page, "reviewer-offer", tmp_path)


def test_attaching_a_file_works_without_javascript(live_server, no_js_page, tmp_path):
    _, status = submit(live_server.app.test_client())
    letter = tmp_path / "release letter.pdf"
    letter.write_bytes(pdf())
    no_js_page.goto(live_server.url(status))
    no_js_page.get_by_label("Attach a photo or PDF to item 2").set_input_files(str(letter))
    with no_js_page.expect_navigation():
        no_js_page.locator("#item-files-1").get_by_role("button", name="Attach the file").click()
    files = no_js_page.locator("#item-files-1")
    assert files.get_by_role("link", name="release letter.pdf").count() == 1
    assert "No files attached" not in files.inner_text()
