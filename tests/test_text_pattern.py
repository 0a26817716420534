"""clean_text's regex finds exactly the characters `is_forbidden` refuses, for every code point."""

from __future__ import annotations

import pytest

from donations_app.text import FORBIDDEN, FORBIDDEN_MULTILINE, TextProblem, clean_text, is_forbidden


@pytest.mark.parametrize("multiline", [False, True])
def test_the_pattern_and_the_character_test_agree_on_every_code_point(multiline):
    pattern = FORBIDDEN_MULTILINE if multiline else FORBIDDEN
    disagree = [
        hex(code)
        for code in range(0x110000)
        if bool(pattern.search(chr(code))) != is_forbidden(chr(code), multiline=multiline)
    ]
    assert disagree == []


def test_clean_text_still_refuses_controls_and_keeps_line_breaks_in_multiline_text():
    with pytest.raises(TextProblem):
        clean_text("kits\x00")
    with pytest.raises(TextProblem):
        clean_text("two\nlines")
    assert clean_text(" two\r\nlines\t ", multiline=True) == "two\nlines"
