"""Static files as production serves them: fingerprinted names, far-future caching, compression.

`make assets` builds them: `python -m donations_app.static_assets SOURCE BUILD` copies every file
of the static folder to BUILD under its own name and under a name carrying a hash of its content
(`css/app.css` -> `css/app.3f2a9c1b2d4e.css`), points the `url(...)` references of stylesheets at
the hashed names, writes `.gz` and `.br` siblings of the text files, and maps each name to its
hashed name in BUILD/manifest.json.

`register_static_files(app)` serves BUILD with WhiteNoise, before Flask routes anything:
`url_for('static', filename=...)` gives the hashed name, which is cached for a year
(`immutable`: a changed file is a new name), and the compressed sibling the client accepts is
sent. Without a build the app serves the sources through Flask's own static route.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from flask import Flask

MANIFEST = "manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
# Files without a hash in their name (only reached by a hand-typed URL): cached briefly.
UNHASHED_MAX_AGE = 60
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
CSS_URL = re.compile(r"""url\((['"]?)([^'")]+)\1\)""")
# Already compressed, or not worth it.
NOT_COMPRESSED = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".gz", ".br", ".zip")
COMPRESSED_MIN_BYTES = 256


def hashed_name(name: str, content: bytes) -> str:
    """`css/app.css` -> `css/app.<12 hex digits of the content's SHA-256>.css`."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"


def rewrite_css_urls(name: str, css: str, manifest: dict[str, str]) -> str:
    """Point each relative `url(...)` of the stylesheet `name` at the hashed file it names."""

    def replace(match: re.Match[str]) -> str:
        quote, reference = match.group(1), match.group(2)
        path, tail = re.fullmatch(r"([^?#]*)(.*)", reference).groups()  # type: ignore[union-attr]
        if not path or ":" in path or path.startswith(("/", "data")):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
        if target not in manifest:
            return match.group(0)
        hashed = posixpath.relpath(manifest[target], posixpath.dirname(name) or ".")
        return f"url({quote}{hashed}{tail}{quote})"

    return CSS_URL.sub(replace, css)


def build(source: Path, target: Path) -> dict[str, str]:
    """Fingerprint and compress every file under `source` into `target`; return the manifest."""
    if target.exists():
        shutil.rmtree(target)
    names = sorted(
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".map")
    )
    manifest: dict[str, str] = {}
    # Stylesheets last, so that the files they reference already have their hashed names.
    for name in sorted(names, key=lambda n: n.endswith(".css")):
        content = (source / name).read_bytes()
        if name.endswith(".css"):
            content = rewrite_css_urls(name, content.decode("utf-8"), manifest).encode("utf-8")
        manifest[name] = hashed_name(name, content)
        variants = [("", content), *_compressed(name, content)]
        for written in (name, manifest[name]):
            (target / written).parent.mkdir(parents=True, exist_ok=True)
            for suffix, data in variants:
                (target / (written + suffix)).write_bytes(data)
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _compressed(name: str, content: bytes) -> list[tuple[str, bytes]]:
    """The gzip and brotli forms of a text file, each kept only when it saves at least 5%."""
    if name.endswith(NOT_COMPRESSED) or len(content) < COMPRESSED_MIN_BYTES:
        return []
    import gzip

    import brotli

    variants = [
        (".gz", gzip.compress(content, compresslevel=9, mtime=0)),
        (".br", brotli.compress(content, quality=11)),
    ]
    return [(suffix, data) for suffix, data in variants if len(data) < len(content) * 0.95]


def register_static_files(app: Flask) -> None:
    """Serve the built static files (fingerprinted, cached, compressed) when there is a build."""
    root = Path(app.config["STATIC_BUILD_DIR"])
    manifest_file = root / MANIFEST
    if not manifest_file.is_file():
        return
    manifest: dict[str, str] = json.loads(manifest_file.read_text())

    def fingerprint(endpoint: str | None, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    app.url_defaults(fingerprint)
    from whitenoise import WhiteNoise

    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(root),
        prefix=app.static_url_path,
        max_age=UNHASHED_MAX_AGE,
        allow_all_origins=False,
        add_headers_function=_add_headers,
    )


def _add_headers(headers: Any, _path: str, url: str) -> None:
    if HASHED_NAME.search(url):
        headers["Cache-Control"] = IMMUTABLE
    headers["X-Content-Type-Options"] = "nosniff"


def main(argv: list[str]) -> int:
    """`python -m donations_app.static_assets SOURCE BUILD`."""
    if len(argv) != 2:
        print("usage: python -m donations_app.static_assets SOURCE BUILD", file=sys.stderr)
        return 2
    manifest = build(Path(argv[0]), Path(argv[1]))
    print(f"{len(manifest)} static files fingerprinted and compressed into {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
