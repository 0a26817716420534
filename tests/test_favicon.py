"""The favicon: every page links it, it is served as SVG, and /favicon.ico leads to it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_every_page_links_the_svg_favicon(client: FlaskClient) -> None:
    for path in ("/", "/offer", "/review/sign-in", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
        assert link, path
        icon = client.get(link.group(1))
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).lstrip().startswith("<svg")
        icon.close()


def test_favicon_ico_redirects_to_the_icon(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    # The icon's name carries its content hash once `make assets` built the static files.
    assert re.search(r"/static/img/favicon(\.[0-9a-f]{12})?\.svg$", response.headers["Location"])
    assert client.get("/favicon.ico", follow_redirects=True).mimetype == "image/svg+xml"
