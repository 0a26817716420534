"""Uploads are judged by their bytes: what they are, how large, whether they decode, and what
metadata survives (none)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from donations_app.services.attachments import (
    AttachmentRejected,
    Upload,
    check_upload,
    clean_name,
)
from tests.attachments.files import GPS_IFD, pdf, photo, png

LIMIT = 10 * 1024 * 1024
PIXELS = 50_000_000


def check(name: str, data: bytes, **limits: int):
    return check_upload(
        Upload(name, data),
        max_bytes=limits.get("max_bytes", LIMIT),
        max_pixels=limits.get("max_pixels", PIXELS),
    )


def refusal(name: str, data: bytes, **limits: int) -> str:
    with pytest.raises(AttachmentRejected) as caught:
        check(name, data, **limits)
    return str(caught.value)


def test_a_photo_is_stored_without_its_gps_position_or_camera_details():
    original = photo("JPEG")
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the input has GPS
    checked = check("IMG_0001.JPG", original)
    assert checked.content_type == "image/jpeg"
    assert checked.name == "IMG_0001.jpg"
    for stored in (checked.data, checked.thumbnail):
        image = Image.open(io.BytesIO(stored))
        assert image.format == "JPEG"
        assert not image.getexif(), dict(image.getexif())
        assert "exif" not in image.info and "xmp" not in image.info
        assert b"SpyCam" not in stored and b"GPS" not in stored
    assert Image.open(io.BytesIO(checked.thumbnail)).size == (320, 240)


def test_a_sideways_photo_is_stored_upright_before_its_orientation_tag_is_dropped():
    checked = check("label.jpg", photo("JPEG", (300, 100), orientation=6))  # rotated 90°
    assert Image.open(io.BytesIO(checked.data)).size == (100, 300)


def test_webp_photos_are_cleaned_too():
    checked = check("label.webp", photo("WEBP"))
    assert checked.content_type == "image/webp"
    image = Image.open(io.BytesIO(checked.data))
    assert image.format == "WEBP" and not image.getexif()


def test_a_png_named_pdf_is_taken_as_the_png_it_is_and_renamed():
    checked = check("certificate.pdf", png())
    assert checked.content_type == "image/png"
    assert checked.name == "certificate.png"
    assert checked.thumbnail is not None


def test_html_named_jpg_is_refused_saying_what_it_is():
    html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
    message = refusal("photo.jpg", html)
    assert "web page (HTML)" in message and "JPEG, PNG or WebP" in message


def test_a_jpeg_with_a_page_appended_keeps_only_the_image():
    payload = b"<html><script>alert(1)</script></html>"
    checked = check("polyglot.jpg", photo("JPEG", gps=False) + payload)
    assert checked.content_type == "image/jpeg"
    assert b"<script>" not in checked.data


def test_a_truncated_image_is_refused():
    message = refusal("broken.jpg", photo("JPEG")[:2000])
    assert "damaged or incomplete" in message


def test_other_kinds_are_named_in_the_refusal():
    assert "HEIC" in refusal("IMG_1.HEIC", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    assert "GIF" in refusal("a.gif", b"GIF89a" + b"\x00" * 64)
    assert "ZIP" in refusal("a.jpg", b"PK\x03\x04" + b"\x00" * 64)
    assert "SVG" in refusal("a.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert "text file" in refusal("a.pdf", b"just some words")


def test_empty_and_oversized_files_are_refused_with_the_limit():
    assert refusal("empty.jpg", b"") == "The selected file is empty."
    message = refusal("big.pdf", pdf() + b" " * 2048, max_bytes=2048)
    assert message == "The file is larger than 2 KB: send a smaller one."
    assert "larger than 10 MB" in refusal("big.pdf", b"%PDF-1.7" + b" " * LIMIT)


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded():
    message = refusal("huge.png", png((4000, 3000), mode="L"), max_pixels=1_000_000)
    assert "4000 by 3000 pixels" in message


def test_a_pdf_is_checked_for_its_structure_and_active_content():
    checked = check("release letter.PDF", pdf())
    assert checked.content_type == "application/pdf"
    assert checked.name == "release letter.pdf"
    assert checked.thumbnail is None
    assert "damaged" in refusal("x.pdf", pdf(damage_xref=True))
    assert "damaged" in refusal("x.pdf", pdf()[:-30])
    assert "damaged" in refusal("x.pdf", b"%PDF-9.9\n" + pdf()[9:])
    script = b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"
    assert "scripts" in refusal("x.pdf", pdf(script))


@pytest.mark.parametrize(
    ("given", "kind", "shown"),
    [
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\pat\\Desktop\\NIJ label.jpeg", "image/jpeg", "NIJ label.jpg"),
        ("re\u202eport\x00.pdf", "application/pdf", "report.pdf"),
        ("", "image/png", "file.png"),
        ("." * 10, "image/png", "file.png"),
        ("a" * 300 + ".pdf", "application/pdf", "a" * 116 + ".pdf"),
    ],
)
def test_file_names_are_cleaned_for_display(given, kind, shown):
    assert clean_name(given, kind) == shown


def test_unusual_image_modes_are_stored_or_refused_never_an_error():
    for mode, colour in (("I;16", 40000), ("P", 3), ("LA", (10, 128)), ("CMYK", (0, 50, 100, 0))):
        out = io.BytesIO()
        image = Image.new(mode, (64, 48), colour)
        image.save(out, format="JPEG" if mode == "CMYK" else "PNG")
        checked = check(f"{mode}.img", out.getvalue())
        assert Image.open(io.BytesIO(checked.data)).size == (64, 48), mode
        assert Image.open(io.BytesIO(checked.thumbnail)).mode == "RGB", mode
