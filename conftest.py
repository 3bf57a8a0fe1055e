"""Shared pytest fixtures: users in each role, the seed data, and gates for the real services.

Tests that need PostgreSQL, Redis, a Celery worker or a browser carry a marker (``postgres``, ``redis``,
``celery_worker``, ``browser``). When the service is missing they skip, unless ``REQUIRE_SERVICES=1``
(set by CI), where they fail: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group

from core.roles import EDITORS, REVIEWERS

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def service_missing(marker: str) -> str | None:
    """Why the service behind ``marker`` is unavailable, or ``None`` if it is there."""
    if marker == "postgres":
        from django.db import connection

        return None if connection.vendor == "postgresql" else "DATABASE_URL does not point at PostgreSQL"
    if marker in ("redis", "celery_worker"):
        url = os.environ.get("REDIS_URL", "")
        if not url:
            return "REDIS_URL is not set"
        return None if _reachable(url, 6379) else f"Redis is not reachable at {url}"
    if marker == "browser":
        if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
            return f"no Chromium at {CHROMIUM}"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "Playwright for Python is not installed"
        return None
    return None


@pytest.fixture(autouse=True)
def _require_services(request):
    for marker in ("postgres", "redis", "celery_worker", "browser"):
        if request.node.get_closest_marker(marker) is None:
            continue
        reason = service_missing(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_log_rate_limits():
    """Each test starts with the rate-limited loggers' memory empty: a cache warning that an earlier test logged
    must not hide the one this test expects (tracker/log_filters.py lets one of a kind through per interval)."""
    import logging

    from django.conf import settings

    from tracker.log_filters import RateLimitFilter

    for name in settings.CACHE_OUTAGE_LOGGERS:
        for log_filter in logging.getLogger(name).filters:
            if isinstance(log_filter, RateLimitFilter):
                log_filter.reset()


@pytest.fixture
def editors_group(db) -> Group:
    return Group.objects.get_or_create(name=EDITORS)[0]


@pytest.fixture
def reviewers_group(db) -> Group:
    return Group.objects.get_or_create(name=REVIEWERS)[0]


@pytest.fixture
def editor(db):
    from commitments.tests.factories import UserFactory

    return UserFactory(editor=True, username="editor-user")


@pytest.fixture
def reviewer(db):
    from commitments.tests.factories import UserFactory

    return UserFactory(reviewer=True, username="reviewer-user")


@pytest.fixture
def admin_user_(db):
    from commitments.tests.factories import UserFactory

    return UserFactory(admin=True, username="admin-user")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def seed_data(db):
    """The real seed data, loaded through the same loader as ``manage.py load_seed_data``."""
    from tracker.seeding import load_seed

    return load_seed()


@pytest.fixture
def deadline():
    """``with deadline(5): ...`` fails the test (instead of hanging the suite) when the block runs longer than that
    many seconds: for code that walks stored data which may loop (a reporting line, a framework's parents)."""
    import signal
    from contextlib import contextmanager

    @contextmanager
    def within(seconds: int = 5):
        def expired(signum, frame):
            raise TimeoutError(f"still running after {seconds} s: a loop that never ends")

        previous = signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)
        try:
            yield
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    return within


@pytest.fixture
def published():
    """The events the services publish (core.events), as subscribers hear them after the commit: a list of
    ``(event type, [objects])``, lazy query sets evaluated. Run the service inside
    ``django_capture_on_commit_callbacks(execute=True)`` to hear them."""
    from core.events import expand, subscribe, unsubscribe

    heard: list[tuple[str, list]] = []

    def record(event_type, objects):
        heard.append((event_type, expand(objects)))

    subscribe(record)
    yield heard
    unsubscribe(record)


# --- Browser tests ------------------------------------------------------------------------------------------
# Playwright's sync API runs an event loop in the test thread; the ORM calls that tests make around it are
# still synchronous, so Django's async-safety guard is relaxed for the test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the whole run, driven by Playwright (no browser download)."""
    reason = service_missing("browser")
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """A factory of pages, each in its own browser context (its own cookies), against the live server."""
    contexts = []

    def make(user=None, password="correct-horse-battery", **options):
        """``options`` go to the browser context (e.g. a phone: ``viewport``, ``has_touch``, ``is_mobile``)."""
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = chromium.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(user.get_username())
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir(tmp_path_factory):
    """Where browser tests write screenshots for reviewers (a temp folder; set SCREENSHOT_DIR to keep them)."""
    from pathlib import Path

    folder = os.environ.get("SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- make mutation ---------------------------------------------------------------------------------------------
# mutmut runs the tests once per mutant in a new process: there the test database is copied from a template built
# once (tools/mutation_db.py) instead of being built for every run. Only tools/mutation.py sets the variable.
if os.environ.get("MUTATION_TEST_DATABASE"):
    from tools.mutation_db import (  # noqa: F401
        django_db_setup,
        pytest_collection_modifyitems,
        pytest_runtest_logreport,
        pytest_sessionfinish,
    )
