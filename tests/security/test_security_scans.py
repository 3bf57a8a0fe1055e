"""The security scans that .ci/run performs: bandit over the code, pip-audit over the dependencies.

bandit runs for real (it is offline). pip-audit needs a vulnerability service; the verdict logic that CI applies
to its report is tested here with recorded reports: a known vulnerability fails, a network problem warns.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BANDIT = Path(sys.executable).with_name("bandit")


def load_audit_module():
    spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / ".ci" / "audit_dependencies.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_ci_runs_both_scans():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bandit" in ci
    assert "audit_dependencies.py" in ci


def test_bandit_finds_no_high_severity_issue_in_the_code():
    result = subprocess.run(  # noqa: S603
        [
            str(BANDIT),
            "-q",
            "-r",
            "commitments",
            "dialogues",
            "tracker",
            "manage.py",
            "-x",
            "*/tests/*",
            "--severity-level",
            "high",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["results"] == [], report["results"]
    assert result.returncode == 0


def test_bandit_would_catch_a_high_severity_issue(tmp_path):
    """The gate is real: the same command fails on code with a high-severity flaw."""
    (tmp_path / "flawed.py").write_text("import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")
    result = subprocess.run(  # noqa: S603
        [str(BANDIT), "-q", "-r", str(tmp_path), "--severity-level", "high", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["results"][0]["issue_severity"] == "HIGH"


def report(*dependencies) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails_ci():
    audit = load_audit_module()
    verdict = audit.judge(
        1,
        report(
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [
                    {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-2025-0001"], "description": ""}
                ],
            },
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ),
        "",
    )
    assert verdict.exit_code == 1
    assert any("django 5.2.0: PYSEC-2025-1" in line and "5.2.1" in line for line in verdict.lines)


def test_a_clean_audit_passes():
    audit = load_audit_module()
    verdict = audit.judge(0, report({"name": "django", "version": "5.2.19", "vulns": []}), "")
    assert verdict.exit_code == 0
    assert "1 packages audited, no known vulnerability" in verdict.lines[0]


def test_an_unreachable_service_warns_instead_of_failing_or_passing_silently():
    audit = load_audit_module()
    offline = audit.judge(
        1, "", "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='x'): Max retries exceeded"
    )
    assert offline.exit_code == 0
    assert offline.lines[0].startswith("WARNING: dependency audit NOT RUN")
    skipped = audit.judge(
        0, report({"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"}), ""
    )
    assert skipped.exit_code == 0
    assert skipped.lines[0].startswith("WARNING: dependency audit NOT RUN")


def test_pip_audit_crashing_for_another_reason_fails():
    audit = load_audit_module()
    assert audit.judge(2, "", "ValueError: broken requirements").exit_code == 1
