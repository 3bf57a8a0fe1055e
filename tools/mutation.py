"""`make mutation`: mutmut over the core rules, then the score that counts.

Runs ``mutmut run`` (configured in ``pyproject.toml``, ``[tool.mutmut]``) for the functions in ``SCOPE`` only, from
a fresh ``mutants/`` folder unless ``--keep`` is given, and prints killed / non-equivalent and the percentage.
Mutants listed in ``tools/mutation-equivalents.txt`` (one mutant id and a one-line reason per line) are left out of
the denominator; every other mutant that no test kills counts against the score, including those no test reaches.
A mutant that makes the tests hang (mutmut's timeout) counts as killed, and is reported apart.

    python tools/mutation.py [--keep] [--max-children N] [--threshold 95]

Exit status 0 when the score reaches the threshold, 1 below it, 2 on an error (an unknown equivalent id, mutmut
failing).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tools" / "mutation-equivalents.txt"
TEMPLATE_DATABASE = ROOT / "mutants" / "test-template.sqlite3"  # tools/mutation_db.py
# An equivalents line whose reason starts with this marks a mutant that only PostgreSQL can tell apart (its locking
# clauses are no-ops on SQLite): not an equivalent, but out of reach of the SQLite run. Reported on its own line.
POSTGRES_ONLY = "postgres:"

# The core rules: the services, the cadence rule and what calls it, and the models' clean()/save()/delete().
# Patterns over mutmut's names (module, then x_<function> or xǁ<Class>ǁ<method>); each also matches the function's
# own name, so that mutmut's clean run picks the tests that reach it.
SCOPE = [
    "commitments.services.*",
    "dialogues.services.*",
    "core.hierarchy.*",
    "dialogues.models.x_body_state*",
    "dialogues.models.xǁDialogueBodyǁclean*",
    "dialogues.models.xǁDialogueBodyǁstate*",
    "dialogues.models.x_due_by*",
    "dialogues.models.x_due_precision*",
    "dialogues.models.xǁDialogueBodyǁcompute_schedule*",
    "dialogues.models.xǁDialogueBodyǁschedule*",
    "dialogues.models.xǁDialogueBodyǁ_apply_schedule*",
    "dialogues.models.xǁDialogueBodyǁrefresh_schedule*",
    "dialogues.models.xǁDialogueBodyǁis_overdue*",
    "dialogues.models.xǁDialogueBodyǁdays_overdue*",
    "dialogues.models.xǁDialogueBodyǁreporting_line*",
    "dialogues.models.xǁMeetingǁclean*",
    "commitments.models.xǁAgreementǁclean*",
    "commitments.models.xǁCommitmentǁsave*",
    "commitments.models.xǁCommitmentǁclean*",
    "commitments.models.xǁStatusUpdateǁsave*",
    "commitments.models.xǁStatusUpdateǁdelete*",
    "commitments.models.xǁStatusUpdateǁclean*",
    "commitments.models.xǁMilestoneǁsave*",
    "commitments.models.xǁMilestoneǁclean*",
    "imports.services.*",
    "webhooks.services.*",
    "webhooks.models.xǁWebhookǁclean*",
]

KILLED = {1, 3}  # a test failed (3: pytest's internal error, which mutmut also counts as a kill)
TIMEOUT = {36, -24, 24, 152, 255}


def refresh_unmutated_files() -> None:
    """``--keep``: bring the copy's tests (and every other file mutmut does not mutate) up to date, since mutmut
    copies a file into ``mutants/`` only when it is missing there; mutmut times and maps the new tests itself."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    mutated = set(config["only_mutate"])
    for folder in [*config["source_paths"], "tests"]:
        for source in (ROOT / folder).rglob("*.py"):
            relative = source.relative_to(ROOT)
            target = ROOT / "mutants" / relative
            if str(relative) in mutated or "__pycache__" in relative.parts:
                continue
            if not target.exists() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


def in_scope(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SCOPE)


def read_equivalents() -> dict[str, str]:
    equivalents: dict[str, str] = {}
    for number, line in enumerate(EQUIVALENTS.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{EQUIVALENTS.name}:{number}: {name} has no reason")
        equivalents[name] = reason.strip()
    return equivalents


def read_results() -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        results.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return {name: code for name, code in results.items() if in_scope(name)}


def score(results: dict[str, int | None], equivalents: dict[str, str]) -> dict:
    unknown = sorted(set(equivalents) - set(results))
    postgres_only = {name for name, reason in equivalents.items() if reason.startswith(POSTGRES_ONLY)}
    truly_equivalent = set(equivalents) - postgres_only
    unchecked = sorted(name for name, code in results.items() if code is None and name not in truly_equivalent)
    counted = {name: code for name, code in results.items() if name not in truly_equivalent and code is not None}
    killed = sorted(name for name, code in counted.items() if code in KILLED)
    timeouts = sorted(name for name, code in counted.items() if code in TIMEOUT)
    survivors = sorted(name for name, code in counted.items() if code not in KILLED | TIMEOUT)
    total = len(counted)
    caught = len(killed) + len(timeouts)
    blind = len(postgres_only & set(survivors))
    return {
        "mutants": len(results),
        "equivalent": len(results) - total,
        "non_equivalent": total,
        "killed": len(killed),
        "timeouts": len(timeouts),
        "caught": caught,
        "percent": round(100 * caught / total, 1) if total else 0.0,
        "postgres_only": blind,
        "percent_sqlite_visible": round(100 * caught / (total - blind), 1) if total - blind else 0.0,
        "survivors": {name: counted[name] for name in survivors},
        "unknown_equivalents": unknown,
        "unchecked": unchecked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ and its results (after a code change: no)")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--threshold", type=float, default=95.0)
    parser.add_argument("--report-only", action="store_true", help="score the last run without running mutmut")
    parser.add_argument(
        "--only", nargs="*", default=None, help="run these mutants only (names or patterns; --keep: check them again)"
    )
    args = parser.parse_args()

    started = time.monotonic()
    if not args.report_only:
        if not args.keep:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        else:
            refresh_unmutated_files()
        TEMPLATE_DATABASE.unlink(missing_ok=True)  # built afresh by the first test session of this run
        mutmut = Path(sys.executable).with_name("mutmut")
        command = [str(mutmut), "run", "--max-children", str(args.max_children), *(args.only or SCOPE)]
        environment = {**os.environ, "MUTATION_TEST_DATABASE": str(TEMPLATE_DATABASE)}
        finished = subprocess.run(command, cwd=ROOT, env=environment, check=False)  # noqa: S603 (our command)
        if finished.returncode != 0:
            print(f"mutmut run failed with exit status {finished.returncode}", file=sys.stderr)
            return 2
    elapsed = time.monotonic() - started

    result = score(read_results(), read_equivalents())
    if result["unknown_equivalents"]:
        print("Equivalents that are no mutant of the scope (the code changed? review the list):", file=sys.stderr)
        for name in result["unknown_equivalents"]:
            print(f"  {name}", file=sys.stderr)
        return 2
    print()
    print(
        f"Mutation score, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        + (f", {elapsed / 60:.1f} min" if elapsed > 1 else "")
    )
    print(f"  mutants in scope:     {result['mutants']}")
    marked = result["equivalent"] - len(result["unchecked"])
    print(f"  marked equivalent:    {marked} ({EQUIVALENTS.relative_to(ROOT)})")
    if result["unchecked"]:
        print(f"  NOT CHECKED:          {len(result['unchecked'])} (the run was stopped; not in the score below)")
    print(f"  killed:               {result['caught']} of {result['non_equivalent']} non-equivalent")
    print(f"    of which timeouts:  {result['timeouts']}")
    print(f"  score:                {result['percent']} %  (threshold {args.threshold} %)")
    if result["postgres_only"]:
        print(
            f"  without the {result['postgres_only']} mutants only PostgreSQL can tell apart (locking clauses, marked"
            f" '{POSTGRES_ONLY}' in the equivalents): {result['percent_sqlite_visible']} %"
        )
    if result["survivors"]:
        print(f"\nNot killed ({len(result['survivors'])}; `mutmut show NAME` shows the change):")
        for name, code in result["survivors"].items():
            status = "no test reaches it" if code in (33, 5) else "survived" if code == 0 else f"exit {code}"
            print(f"  {name}  [{status}]")
    return 0 if result["percent"] >= args.threshold else 1


if __name__ == "__main__":
    sys.exit(main())
