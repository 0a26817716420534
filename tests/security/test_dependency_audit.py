"""The dependency audit of `make security`: vulnerabilities fail the build unless accepted with a
reason, and an unreachable vulnerability database is reported as such instead of as a pass."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_dependencies.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the script runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


audit = _script()

REPORT = {
    "dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {
            "name": "werkzeug",
            "version": "3.0.0",
            "vulns": [
                {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-1"], "fix_versions": ["3.0.1"]},
                {"id": "GHSA-xxxx-yyyy-zzzz", "aliases": [], "fix_versions": ["3.0.2"]},
            ],
        },
    ]
}


def test_an_unaccepted_vulnerability_fails():
    verdict = audit.judge(REPORT, {})
    assert verdict.reached_database and verdict.audited == 2
    assert len(verdict.failures) == 2
    assert verdict.failures[0].startswith("werkzeug 3.0.0: PYSEC-2099-1, CVE-2099-1")


def test_a_vulnerability_accepted_by_any_alias_does_not_fail_and_shows_its_reason():
    verdict = audit.judge(REPORT, {"CVE-2099-1": "only the debugger is affected; it is off"})
    assert verdict.failures == [
        "werkzeug 3.0.0: GHSA-xxxx-yyyy-zzzz (fixed in ['3.0.2'])",
    ]
    assert verdict.accepted[0].endswith("accepted: only the debugger is affected; it is off")


def test_a_database_that_knows_no_package_counts_as_unreachable():
    report = {
        "dependencies": [
            {"name": "flask", "skip_reason": "Dependency not found on PyPI: flask (3.1.3)"}
        ]
    }
    verdict = audit.judge(report, {})
    assert not verdict.reached_database
    assert verdict.failures == [] and len(verdict.skipped) == 1


def test_no_report_at_all_counts_as_unreachable():
    assert not audit.judge({}, {}).reached_database


def test_every_accepted_vulnerability_has_a_reason():
    assert all(reason.strip() for reason in audit.ACCEPTED.values())
