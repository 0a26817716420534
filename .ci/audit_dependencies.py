"""Audit the locked dependencies for known vulnerabilities with pip-audit (`make security`).

Any vulnerability fails the build unless ACCEPTED names it with a justification. When the
vulnerability database cannot be reached (no network, or a registry mirror without PyPI's JSON
API, where every package comes back "not found"), the audit says so loudly and does not fail:
an unreachable database proves nothing either way, and must not block a build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Vulnerability id (PYSEC-..., GHSA-..., CVE-...) -> why it does not affect this service.
# Keep each entry until the locked version no longer has the vulnerability.
ACCEPTED: dict[str, str] = {}

LOCK_FILES = ("requirements.txt", "requirements-dev.txt")


@dataclass
class Verdict:
    """What one audit found: failures, accepted findings, and whether anything was audited."""

    failures: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    audited: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def reached_database(self) -> bool:
        return self.audited > 0


def judge(report: dict, accepted: dict[str, str]) -> Verdict:
    """Sort a pip-audit JSON report into failures and accepted findings."""
    verdict = Verdict()
    for dependency in report.get("dependencies", []):
        name = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            verdict.skipped.append(f"{name}: {dependency['skip_reason']}")
            continue
        verdict.audited += 1
        for vulnerability in dependency.get("vulns", []):
            ids = [vulnerability["id"], *vulnerability.get("aliases", [])]
            reason = next((accepted[i] for i in ids if i in accepted), None)
            line = f"{name}: {', '.join(ids)} (fixed in {vulnerability.get('fix_versions')})"
            if reason is None:
                verdict.failures.append(line)
            else:
                verdict.accepted.append(f"{line} -- accepted: {reason}")
    return verdict


def audit(lock_file: str, service: str) -> dict | None:
    """pip-audit's JSON report of one lock file, or None when the audit could not run."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        lock_file,
        "--require-hashes",
        "--disable-pip",
        "--vulnerability-service",
        service,
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"   pip-audit could not run: {last[:300]}")
        return None


def main() -> int:
    """Audit every lock file; 1 when an unaccepted vulnerability is found."""
    service = os.environ.get("PIP_AUDIT_SERVICE", "pypi")
    root = Path(__file__).resolve().parents[1]
    status = 0
    for lock_file in LOCK_FILES:
        print(f"== pip-audit {lock_file} ({service} vulnerability database)")
        report = audit(str(root / lock_file), service)
        verdict = judge(report or {}, ACCEPTED)
        if not verdict.reached_database:
            looked_up = (
                f"none of {len(verdict.skipped)} packages found there" if report else "no answer"
            )
            print(
                f"   NOT AUDITED: the vulnerability database could not be reached ({looked_up}); "
                "not failing."
            )
            continue
        for line in verdict.skipped:
            print(f"   skipped {line}")
        for line in verdict.accepted:
            print(f"   {line}")
        for line in verdict.failures:
            print(f"   VULNERABLE {line}")
        print(
            f"   {verdict.audited} packages audited, {len(verdict.failures)} unaccepted "
            f"and {len(verdict.accepted)} accepted vulnerabilities"
        )
        if verdict.failures:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
