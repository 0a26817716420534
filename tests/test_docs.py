"""The documentation in docs/ against the code: the parts that are cheap to check.

Rule ids, applies_to, outcomes and tags, routing order, categories and their questions, answer
lists, statuses and transitions, mail templates, and every relative link. A rule, category,
status or template added, removed or changed without its page fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from donations_app.guidelines import RuleSet, load_rules
from donations_app.models import vocabulary
from donations_app.services.workflow import TRANSITIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_rules(ROOT / "rules", run_rule_examples=False)


def page(name: str, heading: str) -> str:
    """The text of a page's section, from its `## heading` to the next one."""
    text = (DOCS / name).read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of every table row whose first cell matches `first_cell` (a regex)."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


def codes(cell: str) -> list[str]:
    return CODE.findall(cell)


def test_every_rule_is_documented_once_and_every_documented_rule_exists(ruleset):
    documented = [
        row[0].strip("`")
        for row in table_rows(page("guidelines.md", "The default rules"), r"`[A-Z0-9-]+`")
    ]
    assert sorted(documented) == sorted(rule.id for rule in ruleset.rules)


def test_documented_applies_to_outcome_and_tags_match_each_rule(ruleset):
    catalog = ruleset.catalog
    everything = set(catalog.category_ids)
    for cells in table_rows(page("guidelines.md", "The default rules"), r"`[A-Z0-9-]+`"):
        rule = ruleset.rule(cells[0].strip("`"))
        applies, outcome, tags = cells[1], cells[3], cells[4]
        named = set(re.findall(r"[a-z_]+", applies)) & everything
        asked = codes(applies)
        if applies.startswith("all categories except"):
            expected = everything - named
        elif applies.startswith("all categories"):
            expected = everything
        elif applies.startswith("every category that asks") and len(asked) == 1:
            expected = {c.id for c in catalog.categories if asked[0] in c.fields}
        else:
            expected = named
        assert set(rule.applies_to) == expected, rule.id
        assert outcome == rule.outcome, rule.id
        assert set(re.findall(r"[a-z_]+", tags)) == set(rule.tags), rule.id


def test_documented_routing_order_is_the_routing_file(ruleset):
    rows = table_rows(page("guidelines.md", "Routing"), r"[0-9]+")
    assert [row[1].strip("`") for row in rows] == [route.queue for route in ruleset.router.routes]


def test_every_category_and_its_questions_are_documented(ruleset):
    catalog = ruleset.catalog
    rows = table_rows(page("catalog.md", "Categories"), r"`[a-z_]+`")
    documented = {row[0].strip("`"): codes(row[2]) for row in rows}
    assert documented == {c.id: list(c.fields) for c in catalog.categories}


def test_category_questions_and_their_answers_are_documented(ruleset):
    catalog = ruleset.catalog
    rows = table_rows(page("catalog.md", "Category questions (`fields`)"), r"`[a-z_]+`")
    documented = {row[0].strip("`"): row for row in rows}
    assert set(documented) == set(catalog.fields)
    for name, spec in catalog.fields.items():
        answers, asked_for = documented[name][3], documented[name][4]
        if spec.type == "enum":
            assert codes(answers)[: len(spec.choices or ())] == list(spec.choices or ()), name
        users = [c.id for c in catalog.categories if name in c.fields]
        assert re.findall(r"[a-z_]+", asked_for) == users, name


def test_need_lists_are_documented(ruleset):
    rows = table_rows(page("catalog.md", "Need lists (`needs`)"), r"`(sbgs|npu)`.*")
    documented = {codes(row[0])[0]: re.findall(r"[a-z_]+", row[1]) for row in rows}
    needs = ruleset.catalog.needs
    assert {k: set(v) for k, v in documented.items()} == {
        k: set(v) for k, v in needs.items() if k != "any"
    }


@pytest.mark.parametrize("enum", ["agency_type", "recipient", "condition", "acquired_via"])
def test_answer_lists_are_documented(ruleset, enum):
    catalog_values = tuple(code for code, _ in ruleset.catalog.enums[enum])
    lines = page("catalog.md", "Answer lists (`enums`)").splitlines()
    line = next(x for x in lines if x.startswith(f"- `{enum}`:"))
    assert tuple(codes(line)[1:]) == catalog_values


def test_every_status_is_documented_with_whether_it_is_final():
    rows = table_rows(page("workflow.md", "Statuses"), r"`[a-z_]+`")
    documented = {row[0].strip("`"): row[2] == "yes" for row in rows}
    assert documented == {s: s in vocabulary.FINAL_STATUSES for s in vocabulary.OFFER_STATUSES}


def test_documented_transitions_are_the_status_machine():
    statuses = set(vocabulary.OFFER_STATUSES)
    documented = set()
    for cells in table_rows(page("workflow.md", "Transitions"), r"\(new\)|`[a-z_]+`.*"):
        sources = [s for s in codes(cells[0]) if s in statuses]
        targets = [s for s in codes(cells[1]) if s in statuses]
        documented |= {(source, target) for source in sources for target in targets}
    allowed = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert documented == allowed


def test_every_mail_template_is_documented():
    rows = table_rows(page("workflow.md", "E-mail"), r"`[a-z_]+`")
    documented = {row[0].strip("`") for row in rows}
    # Files starting with "_" are pieces the mails share, not mails.
    templates = {
        path.stem
        for path in (ROOT / "templates" / "mail").glob("*.txt")
        if not path.name.startswith("_")
    }
    assert documented == templates


@pytest.mark.parametrize(
    "document",
    [*sorted(DOCS.glob("*.md")), ROOT / "README.md"],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_every_relative_link_points_to_an_existing_file(document):
    links = LINK.findall(document.read_text(encoding="utf-8"))
    broken = [
        link
        for link in links
        if not re.match(r"[a-z]+:", link)
        and not link.startswith("#")
        and not (document.parent / link.split("#")[0]).exists()
    ]
    assert broken == []
