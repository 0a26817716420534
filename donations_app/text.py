"""The one rule for free text a person typed: which characters it may hold, and its length.

Text never holds C0 or C1 control characters (NUL included: PostgreSQL refuses it), unpaired
surrogates (no database can store them) or Unicode non-characters. Multi-line text may hold
line breaks and tabs; line breaks are stored as "\\n". Surrounding white space is dropped.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL_MESSAGE = "Remove the control characters (such as null bytes) from {what}."
_LINE_CONTROLS = frozenset("\t\n\r")


class TextProblem(ValueError):
    """Text that breaks the rule; the message says what to change."""


def is_forbidden(char: str, *, multiline: bool = False) -> bool:
    """True for a character that free text must not hold."""
    if multiline and char in _LINE_CONTROLS:
        return False
    code = ord(char)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE
    return noncharacter or unicodedata.category(char) in ("Cc", "Cs")


def _forbidden_pattern(allowed: str) -> re.Pattern[str]:
    """One character class of what `is_forbidden` refuses (C0 and C1 controls, surrogates,
    non-characters), less `allowed`: a regex search instead of a Python test per character."""
    controls = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in allowed)
    ends = "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
    return re.compile("[" + re.escape(controls) + "\ud800-\udfff\ufdd0-\ufdef" + ends + "]")


FORBIDDEN = _forbidden_pattern("")
FORBIDDEN_MULTILINE = _forbidden_pattern("".join(_LINE_CONTROLS))


def clean_text(
    text: str | None,
    *,
    multiline: bool = False,
    max_length: int | None = None,
    what: str = "this answer",
) -> str:
    """The text, stripped, with "\\n" line breaks; TextProblem if it breaks the rule.

    `what` names the text in the message ("your answer", "the reason").
    """
    text = (text or "").replace("\r\n", "\n")
    if (FORBIDDEN_MULTILINE if multiline else FORBIDDEN).search(text):
        raise TextProblem(CONTROL_MESSAGE.format(what=what))
    text = text.strip()
    if max_length is not None and len(text) > max_length:
        raise TextProblem(f"Enter {max_length:,} characters or fewer (you entered {len(text):,}).")
    return text


def without_forbidden(text: str) -> str:
    """The text with every forbidden character removed (multi-line), for storing work in
    progress such as a draft, where refusing would lose what was typed."""
    return "".join(char for char in text if not is_forbidden(char, multiline=True))
