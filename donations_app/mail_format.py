"""The HTML part of an e-mail, read off its plain-text part.

Every e-mail is written once, as a plain-text Jinja template (templates/mail/). The text is what a
person reads in any mail client; the HTML part is built from that same text, so the two never say
different things. The text follows a few conventions, which are also how it reads best as text:

- paragraphs are separated by a blank line;
- a paragraph whose lines start with "- " is a list (an indented line continues the item above);
- a paragraph whose lines start with ">" quotes what a person wrote (a donor's answer, a question);
- a paragraph of "Label: value" lines, each label a few words, is a table of facts;
- a web address alone on the last line of a paragraph is the e-mail's link to act on;
- the last paragraph is the signature.

Nothing here is Jinja or Flask: `blocks()` turns the text into data, and the layout template
(templates/mail/_layout.html, autoescaped) writes it out, so no text reaches the HTML unescaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
FACT = re.compile(r"^([A-Z][A-Za-z ()/-]{0,40}): (\S.*)$")


@dataclass(frozen=True)
class Segment:
    """A run of text, or a web address when `url` is set (its text is the address)."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class Block:
    """One paragraph of the text: `kind` is p, list, quote, facts, link or signature."""

    kind: str
    lines: list[list[Segment]] = field(default_factory=list)
    facts: list[tuple[str, list[Segment]]] = field(default_factory=list)


def segments(line: str) -> list[Segment]:
    """A line cut into text and web addresses."""
    parts: list[Segment] = []
    position = 0
    for match in URL.finditer(line):
        if match.start() > position:
            parts.append(Segment(line[position : match.start()]))
        parts.append(Segment(match.group(), url=match.group()))
        position = match.end()
    if position < len(line) or not parts:
        parts.append(Segment(line[position:]))
    return parts


def _paragraphs(text: str) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [paragraph for paragraph in paragraphs if paragraph]


def _list_items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        if line.startswith("- "):
            items.append(line[2:])
        else:
            items[-1] += " " + line.strip()
    return items


def _block(lines: list[str]) -> Block:
    if len(lines) == 1 and URL.fullmatch(lines[0].strip()):
        return Block("link", [segments(lines[0].strip())])
    if lines[0].startswith("- "):
        return Block("list", [segments(item) for item in _list_items(lines)])
    if all(line.startswith(">") for line in lines):
        quoted = [line[1:].removeprefix(" ") for line in lines]
        return Block("quote", [segments(line) for line in quoted])
    facts = [FACT.match(line) for line in lines]
    if len(lines) > 1 and all(facts):
        return Block("facts", facts=[(m.group(1), segments(m.group(2))) for m in facts if m])
    # A paragraph's lines are wrapped for plain text; in HTML the words flow to the screen's width.
    return Block("p", [segments(" ".join(line.strip() for line in lines))])


def blocks(text: str) -> list[Block]:
    """The paragraphs of an e-mail's text, each with what it is; the last one is the signature."""
    found: list[Block] = []
    paragraphs = _paragraphs(text)
    for lines in paragraphs:
        # "Open your status page:" followed by the address: a sentence, then the link to act on.
        if len(lines) > 1 and URL.fullmatch(lines[-1].strip()):
            found += [_block(lines[:-1]), _block(lines[-1:])]
        else:
            found.append(_block(lines))
    if len(found) > 1 and found[-1].kind == "p":
        found[-1] = Block("signature", [segments(line) for line in paragraphs[-1]])
    return found


def quote(text: object) -> str:
    """What a person wrote, as a quotation: every line starts with "> " (blank ones with ">")."""
    lines = str(text or "").strip("\n").splitlines() or [""]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
