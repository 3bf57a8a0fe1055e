"""The test database of `make mutation`: built once, then copied into each forked test run.

mutmut runs the tests once per mutant, each time in a new process and a new pytest session, and pytest-django would
build the (in-memory SQLite) test database every time: seconds per mutant, most of the run. Here the first session
builds it as usual (without migrations: ``--nomigrations``) and saves it to the file named by
``MUTATION_TEST_DATABASE``; every later session points the connection at a fresh in-memory database and copies that
file into it with SQLite's backup API (milliseconds). The root ``conftest.py`` uses this fixture only when that
variable is set, which only ``tools/mutation.py`` does.

Two more hooks make each mutant's run cheaper, without changing which tests run or what they check:
- mutmut's stats run (``MUTANT_UNDER_TEST=stats``) records each test's whole time (setup, call and teardown: mutmut
  itself counts the call only, and the data a test builds is in its setup) in ``test-durations.json`` beside the
  template; every mutant's run then takes its tests quickest first, so that a killed mutant (most of them: pytest
  runs with ``-x``) stops at the first, cheap failing test instead of after the slow ones.
- the session that warms up mutmut's fork server freezes the garbage collector's view of what it imported (Django,
  the test modules): each forked run then collects only its own objects, not the whole inherited heap.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from pytest_django.fixtures import _disable_migrations


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """Replaces pytest-django's fixture of that name: the template database, built once and copied."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases

    template = Path(os.environ["MUTATION_TEST_DATABASE"])
    connection = connections["default"]
    assert connection.vendor == "sqlite", "make mutation runs on the SQLite suite"
    _disable_migrations()
    with django_db_blocker.unblock():
        if not template.exists():
            setup_databases(verbosity=0, interactive=False, aliases={"default"})
            partial = template.with_suffix(".partial")
            target = sqlite3.connect(partial)
            connection.connection.backup(target)
            target.close()
            partial.replace(template)
        else:
            name = connection.creation._get_test_db_name()
            settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = name
            connection.close()
            connection.ensure_connection()
            source = sqlite3.connect(template)
            source.backup(connection.connection)
            source.close()
    yield


def _durations_file() -> Path:
    return Path(os.environ["MUTATION_TEST_DATABASE"]).with_name("test-durations.json")


_durations: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    """In the stats run: add up each test's setup, call and teardown time."""
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        _durations[report.nodeid] += report.duration


def pytest_collection_modifyitems(items):
    """In a mutant's run: its tests, quickest first (by the stats run's times; a test it did not time goes last)."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        durations = json.loads(_durations_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


def pytest_sessionfinish(session):
    if os.environ.get("MUTANT_UNDER_TEST") == "stats" and _durations:
        # A later stats run (``--keep`` after new tests) times only the new tests: keep the others' times.
        try:
            known = json.loads(_durations_file().read_text(encoding="utf-8"))
        except FileNotFoundError:
            known = {}
        _durations_file().write_text(json.dumps(known | _durations, indent=0, sort_keys=True), encoding="utf-8")
    gc.freeze()
