"""One log line per failed request, and an outage of the cache that does not flood the logs.

Before the fix a 20-second Redis outage wrote 3,088 warning lines (one per failed cache operation, several per
request), and each 503 during a database restart logged a warning, an error and, where the failure happened in a
middleware, a traceback of 121 lines.
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from commitments.tests.api_support import _fresh_throttle_counters, reviewer_api  # noqa: F401
from commitments.tests.factories import CommitmentFactory
from tracker.log_filters import RateLimitFilter
from tracker.settings.base import REDIS_CACHE_OPTIONS

from .test_database_outage import WSGIServer

# Nothing listens on port 1: every connection is refused at once, as while Redis restarts.
DOWN_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": REDIS_CACHE_OPTIONS,
    }
}


def warning_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.fixture
def outage_filter():
    """The rate limit the settings attach to the cache's logger, with its memory cleared and a clock we move.

    (A test that configures logging again adds a second instance of the filter: each is set the same way.)"""
    limiters = [f for f in logging.getLogger("tracker.cache").filters if isinstance(f, RateLimitFilter)]
    assert limiters
    now = [1000.0]
    clocks = [limiter.clock for limiter in limiters]
    for limiter in limiters:
        limiter.clock = lambda: now[0]
        limiter.reset()
    yield limiters[0], now
    for limiter, clock in zip(limiters, clocks, strict=True):
        limiter.clock = clock
        limiter.reset()


@pytest.mark.django_db
def test_a_cache_outage_of_20_requests_writes_at_most_two_warnings(reviewer_api, settings, caplog, outage_filter):  # noqa: F811
    settings.CACHES = DOWN_REDIS
    caches["default"].close()
    with caplog.at_level(logging.INFO):
        statuses = [reviewer_api.get("/api/v1/agreements/").status_code for _ in range(20)]
    assert statuses == [200] * 20  # the API serves on without its cache
    cache_lines = [r for r in warning_lines(caplog) if r.name == "tracker.cache"]
    assert 1 <= len(cache_lines) <= 2
    assert len(warning_lines(caplog)) <= 2


@pytest.mark.django_db
def test_after_the_interval_the_next_warning_says_how_many_were_dropped(reviewer_api, settings, caplog, outage_filter):  # noqa: F811
    limiter, now = outage_filter
    settings.CACHES = DOWN_REDIS
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            reviewer_api.get("/api/v1/agreements/")
        now[0] += limiter.interval + 1
        reviewer_api.get("/api/v1/agreements/")
    first, second = [r.getMessage() for r in warning_lines(caplog) if r.name == "tracker.cache"]
    assert "Exception ignored" in first and "more like this" not in first
    assert "more like this in the last 60 s, not logged" in second


def test_different_problems_are_each_reported_once():
    limiter = RateLimitFilter(interval=60, clock=lambda: 0.0)
    records = [
        logging.LogRecord("tracker.cache", logging.WARNING, __file__, 1, message, ("get", "refused"), None)
        for message in ["Cache unavailable (%s): %s"] * 3 + ["Another problem (%s): %s"] * 2
    ]
    assert [limiter.filter(record) for record in records] == [True, False, False, True, False]


def test_the_settings_attach_the_limit_to_every_cache_outage_logger(settings):
    for name in settings.CACHE_OUTAGE_LOGGERS:
        assert any(isinstance(f, RateLimitFilter) for f in logging.getLogger(name).filters), name
    assert "django_redis.cache" in settings.CACHE_OUTAGE_LOGGERS  # should the cache move to django-redis


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_503_during_a_database_outage_writes_one_line_without_traceback(reviewer, settings, caplog):
    commitment = CommitmentFactory()
    client = Client()
    client.force_login(reviewer)
    server = WSGIServer(cookie=f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    requests = [
        (reverse("dashboards:home"), "text/html"),
        ("/api/v1/commitments/", "application/json"),
        (reverse("commitments:commitment_update_status", args=[commitment.pk]), "text/html"),  # the form path
    ]
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: connection refused, as during a restart
    try:
        with caplog.at_level(logging.INFO):
            for path, accept in requests:
                caplog.clear()
                status, _, _ = server.get(path, accept=accept)
                assert status == 503
                lines = warning_lines(caplog)
                assert len(lines) == 1, (path, [(r.name, r.getMessage()) for r in lines])
                assert lines[0].exc_info is None and "Database unavailable" in lines[0].getMessage()
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port


@pytest.mark.django_db
@pytest.mark.urls("tests.reliability.test_database_outage")
def test_a_503_from_a_view_writes_one_line(reviewer, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(reviewer)
    with caplog.at_level(logging.INFO):
        assert client.get("/lost/").status_code == 503
    assert [(r.name, r.exc_info) for r in warning_lines(caplog)] == [("tracker.errors", None)]


@pytest.mark.django_db
def test_a_refused_request_writes_one_line(reviewer_client, caplog):
    with caplog.at_level(logging.INFO):
        assert reviewer_client.get("/commitments/?search=%00").status_code == 400
        assert reviewer_client.get("/no-such-page/").status_code == 404
    assert len(warning_lines(caplog)) == 2
