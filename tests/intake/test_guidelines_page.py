"""The guidelines page shows the topics of the rule set the app loaded, not the files on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def app_config(app_config, tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    app_config["RULES_DIR"] = str(copy)
    return app_config


def test_topics_come_from_the_loaded_rule_set(app, client):
    armor = Path(app.config["RULES_DIR"]) / "armor.yaml"
    topic = next(line for line in armor.read_text().splitlines() if line.startswith("topic:"))
    loaded = topic.partition(":")[2].strip()
    page = client.get("/guidelines")
    assert page.status_code == 200 and loaded in page.text
    # An edit on disk is not served until it is loaded (and a broken file cannot break the page).
    armor.write_text(armor.read_text().replace(topic, "topic: Edited on disk"))
    (Path(app.config["RULES_DIR"]) / "export_control.yaml").write_text("topic: [broken")
    page = client.get("/guidelines")
    assert page.status_code == 200
    assert loaded in page.text and "Edited on disk" not in page.text
