"""The HTML part of an e-mail is read off its text part: what each paragraph becomes, escaped."""

from __future__ import annotations

from donations_app.mail_format import Segment, blocks, quote, segments

TEXT = """Dear Pat <Doe>,

An INL reviewer asks about the offer UA-2026-000001
from Springfield Police Department:

> Is the label on the vest still readable?
>
> Send a photo <script>alert(1)</script>

Reference number: UA-2026-000001
Items offered: 2

- Item 1: Body armor vests (quantity 10): meets the guidelines
- Item 2: Handheld radios (quantity 4): needs more information
  Give the radios' frequency band.

Open your offer's status page:
https://donations.example.gov/status/abc-123_DEF

INL Donations
U.S. Department of State
"""


def test_each_paragraph_is_read_as_what_it_is() -> None:
    found = blocks(TEXT)

    assert [block.kind for block in found] == [
        "p", "p", "quote", "facts", "list", "p", "link", "signature",
    ]  # fmt: skip
    # A wrapped paragraph flows as one line; a quote and a signature keep their line breaks.
    assert [part.text for part in found[1].lines[0]] == [
        "An INL reviewer asks about the offer UA-2026-000001 from Springfield Police Department:"
    ]
    assert [line[0].text for line in found[2].lines] == [
        "Is the label on the vest still readable?",
        "",
        "Send a photo <script>alert(1)</script>",
    ]
    assert [(label, value[0].text) for label, value in found[3].facts] == [
        ("Reference number", "UA-2026-000001"),
        ("Items offered", "2"),
    ]
    # An indented line continues the list item above it.
    assert (
        found[4]
        .lines[1][0]
        .text.endswith("needs more information Give the radios' frequency band.")
    )
    assert found[6].lines[0] == [
        Segment(
            "https://donations.example.gov/status/abc-123_DEF",
            url="https://donations.example.gov/status/abc-123_DEF",
        )
    ]
    assert [line[0].text for line in found[7].lines] == [
        "INL Donations",
        "U.S. Department of State",
    ]


def test_an_address_inside_a_sentence_is_a_link_without_its_full_stop() -> None:
    assert segments("See https://example.gov/a?b=1. Thanks") == [
        Segment("See "),
        Segment("https://example.gov/a?b=1", url="https://example.gov/a?b=1"),
        Segment(". Thanks"),
    ]


def test_a_person_s_words_are_quoted_line_by_line() -> None:
    assert quote("First line\n\nThird line\n") == "> First line\n>\n> Third line"
    assert quote("") == ">"
