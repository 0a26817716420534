"""`flask rules schema`: the shipped rule files validate against it; known-bad files do not."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from flask import Flask

from donations_app.guidelines.json_schema import json_schema
from donations_app.rules_cli import rules

from .conftest import RULES_DIR


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's validator sees it: an unquoted date stays text (YAML 1.2)."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def errors(kind: str, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema(kind))
    data = yaml.load(text, Loader=EditorLoader)  # noqa: S506 - EditorLoader is a SafeLoader
    return [e.message for e in validator.iter_errors(data)]


@pytest.mark.parametrize("kind", ["rules", "catalog", "routing"])
def test_the_schemas_are_valid_json_schemas(kind):
    jsonschema.Draft202012Validator.check_schema(json_schema(kind))


def test_every_shipped_file_validates():
    files = sorted(RULES_DIR.glob("*.yaml"))
    assert len(files) >= 3
    for path in files:
        kind = path.stem if path.stem in ("catalog", "routing") else "rules"
        assert errors(kind, path.read_text()) == [], path.name


@pytest.mark.parametrize(
    ("kind", "old", "new", "found"),
    [
        ("rules", "    outcome: reject", "    outcome: refuse", "'refuse' is not one of"),
        ("rules", "    title:", "    titel:", "'titel' was unexpected"),
        ("rules", "  - id: ARMOR-WARRANTY", "  - id: armor-warranty", "does not match"),
        ("rules", "    examples:", "    exemples:", "'exemples' was unexpected"),
        ("catalog", "    type: integer", "    type: number", "'number' is not one of"),
        ("routing", "  - queue: legal", "  - queue: Legal Team", "does not match"),
    ],
)
def test_known_bad_files_do_not_validate(kind, old, new, found):
    source = {"rules": "armor.yaml", "catalog": "catalog.yaml", "routing": "routing.yaml"}[kind]
    text = (RULES_DIR / source).read_text()
    assert old in text
    messages = errors(kind, text.replace(old, new, 1))
    assert any(found in m for m in messages), messages


def test_every_rule_and_example_key_the_loader_accepts_is_in_the_schema():
    from donations_app.guidelines.schema import EXAMPLE_KEYS, RULE_KEYS

    rule = json_schema("rules")["properties"]["rules"]["items"]
    assert set(rule["properties"]) == set(RULE_KEYS)
    assert set(rule["properties"]["examples"]["items"]["properties"]) == set(EXAMPLE_KEYS)


@pytest.mark.parametrize("kind", ["rules", "catalog", "routing"])
def test_flask_rules_schema_prints_it(kind):
    app = Flask(__name__)
    app.cli.add_command(rules)
    result = app.test_cli_runner().invoke(args=["rules", "schema", "--file", kind])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json_schema(kind)
