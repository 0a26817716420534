"""How a stored evidence file leaves the service: as a download, never as a page.

Every file answer carries `Content-Disposition` (attachment, or inline for thumbnails) with the
name in RFC 5987 form, `X-Content-Type-Options: nosniff`, `Cache-Control: private, no-store` and a
CSP that allows nothing to run, so that even a file that fooled the content checks cannot act as
a page of this site.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

# Nothing may load or run; a PDF viewer or image viewer still displays the bytes themselves.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox; frame-ancestors 'none'"


def ascii_fallback(name: str) -> str:
    """The file name in plain ASCII (for old clients), without quotes or backslashes."""
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return plain or "file"


def file_response(data: bytes, content_type: str, name: str, *, inline: bool = False) -> Response:
    """The bytes with the headers of docs/SECURITY.md ("Evidence files")."""
    response = Response(data, mimetype=content_type)
    disposition = "inline" if inline else "attachment"
    encoded = quote(name, safe="")
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
