"""Reading whole numbers from URLs and forms without trusting them.

`str.isdigit()` accepts characters such as "²" that `int()` refuses, and `int()` refuses
strings of more than 4,300 digits: both turned bad input into 500s. This is the one place
that turns request text into a bounded whole number.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(text: object, *, minimum: int = 0, maximum: int = 10**9) -> int | None:
    """The ASCII whole number in `text` if it lies in [minimum, maximum], else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
