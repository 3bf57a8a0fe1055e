"""The test database of `make mutation`: built once, then copied into each forked test run.

mutmut runs the tests once per mutant, each time in a new process and a new pytest session, and pytest-django would
build the (in-memory SQLite) test database every time: seconds per mutant, most of the run. Here the first session
builds it as usual (without migrations: ``--nomigrations``) and saves it to the file named by
``MUTATION_TEST_DATABASE``; every later session points the connection at a fresh in-memory database and copies that
file into it with SQLite's backup API (milliseconds). The root ``conftest.py`` uses this fixture only when that
variable is set, which only ``tools/mutation.py`` does.
"""

from __future__ import annotations

import os
import sqlite3
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
