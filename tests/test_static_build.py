"""The static build (`make assets`): every class a template names exists in the stylesheets
(USWDS is compiled with only the packages listed in assets/styles/), and fingerprinting keeps
stylesheets pointing at the hashed files they reference."""

from __future__ import annotations

import json
import re

import pytest

from donations_app.config import PROJECT_ROOT
from donations_app.static_assets import build, hashed_name, rewrite_css_urls

BUILD = PROJECT_ROOT / "donations_app" / "static_build"
FULL_USWDS_CSS = PROJECT_ROOT / "node_modules/@uswds/uswds/dist/css/uswds.min.css"
CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')
JINJA = re.compile(r"\{[{%].*?[}%]\}")


def template_classes() -> set[str]:
    """Every literal class name in the templates (modifiers built by Jinja are left out)."""
    names: set[str] = set()
    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        for value in CLASS_ATTRIBUTE.findall(template.read_text(encoding="utf-8")):
            for name in JINJA.sub(" ", value).split():
                if re.fullmatch(r"[a-z][a-z0-9:_-]*[a-z0-9]", name):
                    names.add(name)
    return names


def css_classes(css: str) -> set[str]:
    return {name.replace("\\:", ":") for name in re.findall(r"\.((?:[a-z0-9_-]|\\:)+)", css)}


def test_every_uswds_class_the_templates_name_is_in_the_build():
    manifest_file = BUILD / "manifest.json"
    assert manifest_file.is_file(), "run `make assets` first"
    manifest = json.loads(manifest_file.read_text())
    css = "".join(
        (BUILD / manifest[name]).read_text(encoding="utf-8")
        for name in manifest
        if name.endswith(".css")
    )
    # What USWDS's whole stylesheet would style on these pages, the build must style too.
    styled_by_uswds = template_classes() & css_classes(FULL_USWDS_CSS.read_text())
    assert len(styled_by_uswds) > 100
    missing = sorted(styled_by_uswds - css_classes(css))
    assert not missing, (
        f"classes without a style: {missing}; add their USWDS package to "
        "assets/styles/uswds.scss (or the utility to assets/styles/_utilities.scss)"
    )


def test_fingerprinting_rewrites_stylesheet_references_and_compresses(tmp_path):
    source = tmp_path / "static"
    (source / "fonts").mkdir(parents=True)
    (source / "css").mkdir()
    font = b"\x00font" * 100
    (source / "fonts" / "a.woff2").write_bytes(font)
    css = (
        "@font-face{src:url(../fonts/a.woff2?#iefix)}"
        '.x{background:url("data:image/svg+xml;x")}.y{background:url(../none.png)}'
        + ".z{color:red}"
        * 50
    )
    (source / "css" / "site.css").write_text(css)

    manifest = build(source, tmp_path / "build")

    hashed_font = hashed_name("fonts/a.woff2", font)
    assert manifest["fonts/a.woff2"] == hashed_font
    assert re.fullmatch(r"fonts/a\.[0-9a-f]{12}\.woff2", hashed_font)
    served = (tmp_path / "build" / manifest["css/site.css"]).read_text()
    assert f"url(../{hashed_font}?#iefix)" in served
    assert 'url("data:image/svg+xml;x")' in served and "url(../none.png)" in served
    assert (tmp_path / "build" / "css/site.css").read_text() == served
    # Text is compressed; a font (already compressed) is not.
    assert (tmp_path / "build" / (manifest["css/site.css"] + ".br")).is_file()
    assert (tmp_path / "build" / (manifest["css/site.css"] + ".gz")).is_file()
    assert not (tmp_path / "build" / (hashed_font + ".gz")).exists()
    assert json.loads((tmp_path / "build" / "manifest.json").read_text()) == manifest


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("../img/a.svg", "url(../img/a.1.svg)"), ("/img/a.svg", "url(/img/a.svg)")],
)
def test_only_relative_references_to_built_files_change(reference, expected):
    assert rewrite_css_urls("css/x.css", f"url({reference})", {"img/a.svg": "img/a.1.svg"}) == (
        expected
    )
