"""The layers of the code base hold, and the import contract that guards them would catch a broken layer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "bench",
    "tracker",
    "imports",
    "webhooks",
    "subscriptions",
    "dashboards",
    "dialogues",
    "commitments",
    "core",
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    """The application's packages and the contract, copied: the contract is checked on the copy, changed at will."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "culprit"),
    [
        # The cycle the layout removed: commitments importing the dialogues app at module level ...
        ("commitments/services.py", "from dialogues.models import DialogueBody\n", "dialogues.models"),
        # ... or inside a function, which is a cycle all the same.
        ("commitments/querysets.py", "def _late():\n    from dialogues import selectors\n", "dialogues.selectors"),
        # The shared base reaching up into a domain app, and a domain app into the dashboards above it.
        ("core/forms.py", "from commitments.models import Commitment\n", "commitments.models"),
        ("dialogues/views.py", "from dashboards import selectors\n", "dashboards.selectors"),
        # A domain service calling the webhooks directly instead of publishing an event (core.events).
        ("commitments/services.py", "from webhooks import services as hooks\n", "webhooks.services"),
        # The two feature apps are independent of each other.
        ("webhooks/services.py", "from subscriptions import selectors as follows\n", "subscriptions.selectors"),
        # The bulk import sits beside them: the domain apps never call it, and it does not reach into a feature app.
        ("commitments/views.py", "from imports import services as bulk\n", "imports.services"),
        ("imports/services.py", "from webhooks import services as hooks\n", "webhooks.services"),
    ],
)
def test_the_contract_fails_on_an_import_against_the_layers(copy_of_the_code: Path, module, line, culprit):
    assert lint_imports(copy_of_the_code).returncode == 0, "the unchanged copy keeps the contract"
    target = copy_of_the_code / module
    target.write_text(target.read_text() + "\n\n" + line)
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and culprit in result.stdout
