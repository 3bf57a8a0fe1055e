"""Fixtures of the webhook tests: a local HTTP receiver, and a real Celery worker on Redis."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from tracker.celery import app as celery_app

from .receiver import Receiver, start_receiver, stop_receiver


@pytest.fixture
def receiver():
    """A receiver answering 200; set ``script``, ``default`` or ``hang`` to change that."""
    started = start_receiver(Receiver())
    yield started
    stop_receiver(started)


@pytest.fixture
def make_receiver():
    started = []

    def make(**kwargs) -> Receiver:
        started.append(start_receiver(Receiver(**kwargs)))
        return started[-1]

    yield make
    for one in started:
        stop_receiver(one)


@pytest.fixture
def redis_worker(transactional_db):
    """An in-process Celery worker consuming from REDIS_URL against the test database (as in
    dialogues/tests/test_tasks.py): it sees the test's settings and the locmem outbox."""
    assert not celery_app.conf.task_always_eager, "with REDIS_URL set, tasks must go through the broker"
    celery_app.control.purge()

    def start(pool="solo", concurrency=1):
        return start_worker(
            celery_app, pool=pool, concurrency=concurrency, perform_ping_check=False, shutdown_timeout=30
        )

    return start
