"""Browser-test fixtures: the app served on a free local port, reviewer accounts made in it,
headless Chromium through Playwright, and an axe-core check for WCAG 2.1 A/AA violations."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Reviewer
from tests.conftest import create_account

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Without these flags Chromium tries to reach Google's servers, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


class LiveServer(str):
    """The base URL of a running server (a str), with the Flask app it serves as `.app`."""

    app: Flask

    def url(self, path: str) -> str:
        return self.rstrip("/") + path


@pytest.fixture
def live_server(app_config: dict) -> Iterator[LiveServer]:
    """The app on 127.0.0.1:<free port>, served from a thread for the duration of one test."""
    app_config.setdefault("SERVER_NAME", None)
    app = create_app(app_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = LiveServer(f"http://127.0.0.1:{server.server_port}")
    base.app = app
    yield base
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_reviewer(live_server: LiveServer) -> Callable[..., Reviewer]:
    """Reviewer accounts made in the app the browser talks to."""
    return functools.partial(create_account, live_server.app)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (Debian's package; Playwright cannot download one)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh browser context and page (own cookies), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def no_js_page(browser) -> Iterator[object]:
    """A page with JavaScript turned off, to prove a journey works without it."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core on the current page for WCAG 2.1 A/AA and return its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))",
        WCAG_TAGS,
    )


def assert_no_axe_violations(page) -> None:
    """Fail with a readable list when axe-core finds any WCAG 2.1 A/AA violation."""
    violations = axe_violations(page)
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations
    )
    assert not violations, f"axe-core violations on {page.url}:\n{report}"
