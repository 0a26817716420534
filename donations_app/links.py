"""Absolute links (in e-mails, API answers and reviewer notifications), built one way.

A link that leaves the site must not follow the request's Host header, which a client chooses:
production requires PUBLIC_BASE_URL and every absolute link starts with it. Development and the
tests, where it may be unset, fall back to the request's host (and refuse outside a request).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` with `values`, on PUBLIC_BASE_URL when it is set."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        adapter = current_app.url_map.bind("localhost")
        return base.rstrip("/") + adapter.build(endpoint, values)
    if not has_request_context() and not current_app.config.get("SERVER_NAME"):
        raise RuntimeError("set PUBLIC_BASE_URL to build absolute links outside a request")
    return url_for(endpoint, _external=True, **values)
