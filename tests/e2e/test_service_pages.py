"""Service-wide pages in a real browser: accessible, and the CSP blocks nothing of ours."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_no_axe_violations, axe_violations


@pytest.mark.parametrize("path", ["/accessibility", "/privacy", "/no-such-page"])
def test_service_pages_have_no_axe_violations(live_server, page, path):
    console_errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    page.goto(live_server.url(path))
    assert page.locator("h1").count() == 1
    assert_no_axe_violations(page)
    # Every script and style is served from 'self': nothing is refused by the CSP.
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


def test_skip_link_moves_focus_to_main_content(live_server, page):
    page.goto(live_server.url("/accessibility"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_axe_check_reports_a_real_violation(live_server, page):
    # The checker itself must be able to fail: an image without alt text is a WCAG 1.1.1 failure.
    page.goto(live_server.url("/privacy"))
    page.evaluate(
        "() => { const img = document.createElement('img'); img.src = '/x.png';"
        " document.querySelector('main').appendChild(img); }"
    )
    assert "image-alt" in [v["id"] for v in axe_violations(page)]
