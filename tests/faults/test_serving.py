"""`make run`'s server: gunicorn with gunicorn.conf.py serves the app, its static files under
fingerprinted names with a year of caching, compressed, and reloads without dropping a request."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import threading
import time

import brotli
import pytest

from donations_app.config import PROJECT_ROOT
from tests.faults.conftest import http_request

pytestmark = pytest.mark.slow

BUILD = PROJECT_ROOT / "donations_app" / "static_build"
STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def server(start_server, database_url):
    assert (BUILD / "manifest.json").is_file(), "run `make assets` first"
    return start_server(database_url, config_file=True)


def test_the_config_file_serves_with_threaded_workers(server):
    status, headers, _body = server.get("/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    log = server.log()
    assert "Using worker: gthread" in log
    assert log.count("Booting worker") == 2
    assert "Control socket" not in log
    # The pages keep their strict policy: scripts and styles from this origin only.
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_pages_name_fingerprinted_assets_cached_for_a_year_and_compressed(server):
    _status, _headers, page = server.get("/")
    urls = STATIC_URL.findall(page.decode())
    assert any(url.endswith(".css") for url in urls) and any(url.endswith(".js") for url in urls)
    for url in urls:
        assert HASHED.search(url), url
        status, headers, _body = server.get(url)
        assert status == 200, url
        assert headers["Cache-Control"] == IMMUTABLE
        assert headers["X-Content-Type-Options"] == "nosniff"

    stylesheet = next(url for url in urls if "uswds" in url and url.endswith(".css"))
    _s, plain_headers, plain = server.get(stylesheet)
    _s, br_headers, br_body = server.get(stylesheet, **{"Accept-Encoding": "br, gzip"})
    _s, gz_headers, gz_body = server.get(stylesheet, **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain_headers
    assert br_headers["Content-Encoding"] == "br" and gz_headers["Content-Encoding"] == "gzip"
    assert brotli.decompress(br_body) == plain == gzip.decompress(gz_body)
    assert "Accept-Encoding" in br_headers["Vary"]
    assert len(br_body) < len(plain) / 5

    # The stylesheet's own references (fonts, icons) are fingerprinted too.
    referenced = re.findall(r"url\(\"?([^\")]+)\"?\)", plain.decode())
    fonts = [ref for ref in referenced if ref.endswith(".woff2")]
    assert fonts and all(HASHED.search(ref) for ref in fonts)
    base = stylesheet.rsplit("/", 1)[0]
    status, headers, _font = server.get(os.path.normpath(f"{base}/{fonts[0]}"))
    assert status == 200 and headers["Cache-Control"] == IMMUTABLE


def test_an_unhashed_name_is_served_with_a_short_cache(server):
    manifest = json.loads((BUILD / "manifest.json").read_text())
    assert manifest["css/app.css"] != "css/app.css"
    status, headers, body = server.get("/static/css/app.css")
    assert status == 200 and headers["Cache-Control"] == "max-age=60, public"
    assert body == (PROJECT_ROOT / "donations_app/static/css/app.css").read_bytes()


def test_hup_replaces_the_workers_without_dropping_a_request(server):
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            statuses.append(http_request(server.port, "GET", "/healthz", timeout=30)[0])

    clients = [threading.Thread(target=keep_asking) for _ in range(3)]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 30
        while server.log().count("Booting worker") < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
    finally:
        stop.set()
        for client in clients:
            client.join()
    assert server.log().count("Booting worker") == 4, server.log()
    assert len(statuses) > 10 and set(statuses) == {200}
