"""The development mail server of `make run`: prints each e-mail it receives, decoded.

    python -m donations_app.devmail [--host 127.0.0.1] [--port 1025]

aiosmtpd's own `-n` debugging server prints the raw message, where quoted-printable breaks
every long line with `=` (so a copied status link does not work). This prints the headers
decoded, the plain-text part as a person reads it, and the size of the HTML part and of each
attachment. Nothing is stored, nothing is relayed.
"""

from __future__ import annotations

import argparse
import sys
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, TextIO

HEADERS = ("Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID")
RULE = "-" * 72


def render(raw: bytes, mail_from: str = "", recipients: list[str] | None = None) -> str:
    """One received e-mail as text: headers, the text part decoded, what else it carries."""
    # SMTP delivers CRLF line ends; the parser decodes with the LF ends Python writes.
    message = BytesParser(policy=policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
    assert isinstance(message, EmailMessage)
    lines = [RULE]
    if mail_from or recipients:
        lines.append(f"Envelope: from {mail_from} to {', '.join(recipients or [])}")
    lines += [f"{name}: {message[name]}" for name in HEADERS if message[name] is not None]
    text = message.get_body(preferencelist=("plain",))
    lines.append("")
    if text is not None:
        lines.append(str(text.get_content()).rstrip("\n"))
    else:
        lines.append("(no plain-text part)")
    for part in message.walk():
        if part is text or part.is_multipart():
            continue
        size = len(part.get_payload(decode=True) or b"")
        if part.get_content_type() == "text/html" and not part.is_attachment():
            lines.append(f"[HTML part: {size} bytes]")
        else:
            name = part.get_filename() or "unnamed"
            lines.append(f"[attachment: {name} ({part.get_content_type()}, {size} bytes)]")
    lines.append(RULE)
    return "\n".join(lines) + "\n"


class PrintingHandler:
    """An aiosmtpd handler that writes every message, rendered, to `out`."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        out = self.out or sys.stdout
        raw = envelope.original_content or envelope.content
        out.write(render(raw, envelope.mail_from, list(envelope.rcpt_tos)))
        out.flush()
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(prog="python -m donations_app.devmail")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args(argv)
    controller = Controller(PrintingHandler(), hostname=args.host, port=args.port)
    controller.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
