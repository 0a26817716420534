"""The static files in a real browser: a first visit to the start page transfers under 150 KB,
and the pages look the same with the USWDS stylesheet built from Sass (only the packages the
templates use) as with USWDS's whole stylesheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from donations_app.config import PROJECT_ROOT
from tests.e2e.pages import SignInPage
from tests.review.listing_builders import make_offer

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
FULL_USWDS_CSS = PROJECT_ROOT / "node_modules/@uswds/uswds/dist/css/uswds.min.css"
FIRST_VISIT_BUDGET = 150_000


def first_visit(page, url: str) -> list[dict]:
    """Open `url` in a fresh context and return every response's transferred size."""
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    sizes = []
    for response in responses:
        transferred = response.request.sizes()
        sizes.append(
            {
                "url": response.url.split("/", 3)[-1],
                "encoding": response.headers.get("content-encoding", ""),
                "bytes": transferred["responseBodySize"] + transferred["responseHeadersSize"],
            }
        )
    return sizes


def test_first_visit_to_the_start_page_transfers_under_150_kb(live_server, page):
    sizes = first_visit(page, live_server.url("/"))
    total = sum(size["bytes"] for size in sizes)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "first-visit.json").write_text(json.dumps({"total": total, "responses": sizes}))
    report = "\n".join(f"{s['bytes']:>8} {s['encoding']:<5} {s['url']}" for s in sizes)
    assert total < FIRST_VISIT_BUDGET, f"{total} bytes:\n{report}"
    stylesheets = [s for s in sizes if s["url"].endswith(".css")]
    assert stylesheets and all(s["encoding"] for s in stylesheets), report


def seed_offer_list(live_server, make_reviewer) -> str:
    make_reviewer("rita@state.example.gov", role="lead")
    with live_server.app.app_context():
        make_offer("UA-2026-000001", queue="npu-desk", agency="Austin Police")
    return "rita@state.example.gov"


@pytest.mark.parametrize(
    ("name", "path"),
    [("start", "/"), ("offer-form", "/offer"), ("offer-list", "/review/offers")],
)
def test_pages_look_as_with_the_whole_uswds_stylesheet(
    live_server, page, make_reviewer, name, path
):
    if path.startswith("/review"):
        SignInPage(page, live_server).sign_in_as(seed_offer_list(live_server, make_reviewer))
    shots: dict[str, bytes] = {}
    replaced: list[str] = []

    def full_uswds(route) -> None:
        replaced.append(route.request.url)
        route.fulfill(path=str(FULL_USWDS_CSS), content_type="text/css")

    for build in ("subset", "full"):
        if build == "full":
            # The whole stylesheet USWDS ships, served in place of ours (its fonts and images
            # resolve to the same files).
            page.route("**/vendor/uswds/css/uswds.min.*.css", full_uswds)
        page.goto(live_server.url(path), wait_until="networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        shots[build] = page.screenshot(full_page=True, animations="disabled")
        ARTIFACTS.mkdir(exist_ok=True)
        Path(ARTIFACTS / f"uswds-{build}-{name}.png").write_bytes(shots[build])
    assert replaced, "the whole stylesheet was not served"
    assert shots["subset"] == shots["full"], f"see test-artifacts/uswds-*-{name}.png"
