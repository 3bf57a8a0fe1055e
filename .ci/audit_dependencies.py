"""Run pip-audit on the installed environment and decide: fail on a known vulnerability, never on the network.

pip-audit asks a vulnerability service (PyPI's advisory data, or OSV) about every installed package. Outcomes:
- a package has a known vulnerability: print it and exit 1. The advisory data carry no reliable severity, so
  every known vulnerability fails CI (stricter than "no high-severity finding"); to accept one knowingly, add its
  id with a reason to .ci/audit-ignore.txt (``ID  reason``), which is passed to pip-audit as --ignore-vuln.
- the service cannot be reached, or answers for no package (an offline mirror, no DNS): print a WARNING saying
  that the audit did not run, and exit 0. A network problem must not fail CI, but it must not look like a pass.
- otherwise: print how many packages were audited and exit 0.

Usage: python .ci/audit_dependencies.py [--pip-audit PATH]   (tests call ``judge`` with recorded reports)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
IGNORE_FILE = HERE / "audit-ignore.txt"
NETWORK_HINTS = (
    "ConnectionError",
    "Max retries exceeded",
    "NameResolutionError",
    "Temporary failure in name",
    "Could not resolve host",
    "timed out",
    "Connection refused",
    "Network is unreachable",
)


@dataclass
class Verdict:
    exit_code: int
    lines: list[str]


def ignored_ids(path: Path = IGNORE_FILE) -> list[str]:
    if not path.exists():
        return []
    ids = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ids.append(line.split()[0])
    return ids


def judge(returncode: int, stdout: str, stderr: str) -> Verdict:
    """Turn one pip-audit run (JSON output) into CI's verdict."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        if any(hint in stderr for hint in NETWORK_HINTS):
            tail = stderr.strip().splitlines()[-1:] or [""]
            return Verdict(
                0, [f"WARNING: dependency audit NOT RUN: the vulnerability service is unreachable ({tail[0]})"]
            )
        return Verdict(1, ["pip-audit failed without a report:", *stderr.strip().splitlines()[-20:]])

    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    lines = []
    if vulnerable:
        lines.append(f"FAIL: {sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities:")
        for dependency in vulnerable:
            for vuln in dependency["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
                aliases = ", ".join(vuln.get("aliases") or [])
                lines.append(
                    f"  {dependency['name']} {dependency.get('version', '?')}: {vuln['id']}"
                    f"{f' ({aliases})' if aliases else ''}, fixed in: {fixes}"
                )
        return Verdict(1, lines)
    if dependencies and audited == 0:
        return Verdict(
            0,
            [
                f"WARNING: dependency audit NOT RUN: the vulnerability service answered for none of the "
                f"{len(dependencies)} installed packages ({skipped[0]['skip_reason']})."
            ],
        )
    lines.append(f"Dependency audit: {audited} packages audited, no known vulnerability.")
    if skipped:
        lines.append(f"  not audited ({len(skipped)}): {', '.join(d['name'] for d in skipped)}")
    return Verdict(returncode if returncode not in (0, 1) else 0, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pip-audit", default=str(Path(sys.executable).with_name("pip-audit")))
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()
    command = [args.pip_audit, "--progress-spinner", "off", "--format", "json", "--skip-editable"]
    for vuln_id in ignored_ids():
        command += ["--ignore-vuln", vuln_id]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"WARNING: dependency audit NOT RUN: pip-audit took longer than {args.timeout}s (network?)")
        return 0
    verdict = judge(run.returncode, run.stdout, run.stderr)
    print("\n".join(verdict.lines))
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
