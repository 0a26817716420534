"""How long the content check of an evidence file takes: decode, re-encode without metadata and
thumbnail a phone photo, or check a PDF's structure (services.attachments.check_upload).

    .venv/bin/python bench/bench_attachments.py --repeat 5
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time

from PIL import Image

from donations_app.services.attachments import Upload, check_upload

LIMIT = 10 * 1024 * 1024


def phone_photo(width: int, height: int) -> bytes:
    """A JPEG with detail at every scale (noise upscaled, plus fine noise) and EXIF, at quality
    92 like a phone camera: a few MB, as photos of labels are."""
    rng = random.Random(7)
    small = (width // 4, height // 4)
    image = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "Phone"
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def best(data: bytes, name: str, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        check_upload(Upload(name, data), max_bytes=LIMIT, max_pixels=50_000_000)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = [
        ("JPEG 1600x1200", phone_photo(1600, 1200), "a.jpg"),
        ("JPEG 4032x3024 (12 MP)", phone_photo(4032, 3024), "b.jpg"),
    ]
    pdf_body = b"%PDF-1.7\n" + b"0" * (8 * 1024 * 1024) + b"\n"
    xref = len(pdf_body)
    pdf_body += b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 >>\n"
    pdf_body += f"startxref\n{xref}\n%%EOF\n".encode()
    cases.append(("PDF 8 MB", pdf_body, "c.pdf"))
    print("| file | size | best ms | median ms |")
    print("|---|---|---|---|")
    for label, data, name in cases:
        low, median = best(data, name, args.repeat)
        size = len(data) / 1048576
        print(f"| {label} | {size:.1f} MB | {low * 1000:.0f} | {median * 1000:.0f} |")


if __name__ == "__main__":
    main()
