"""Real files for the evidence-file tests: photos with GPS metadata, PNGs, WebPs and PDFs."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def photo(
    fmt: str = "JPEG", size: tuple[int, int] = (640, 480), *, gps: bool = True, orientation: int = 1
) -> bytes:
    """A photo (a colour gradient) with camera EXIF, a GPS position and an orientation tag."""
    image = Image.new("RGB", size)
    image.putdata([(x % 256, y % 256, 128) for y in range(size[1]) for x in range(size[0])])
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    exif[ORIENTATION] = orientation
    if gps:
        # 50°27'N 30°31'E: somewhere the donor did not mean to publish.
        exif[GPS_IFD] = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (200, 100), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200, 255) if mode == "RGBA" else 7).save(out, format="PNG")
    return out.getvalue()


def pdf(extra_object: bytes = b"", *, damage_xref: bool = False) -> bytes:
    """A one-page PDF with a correct cross-reference table (or a wrong startxref offset)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    if extra_object:
        objects.append(extra_object)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref + (7 if damage_xref else 0)}\n%%EOF\n".encode()
    return bytes(out)
