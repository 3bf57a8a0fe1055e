"""Enqueueing Celery tasks from web code without letting a broker outage reach the user.

The web app must keep working while Redis is down: a request that enqueues a task logs the failure and carries
on (the sweep catches up on its next run; nothing else depends on a task having been queued).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import Task
from celery.result import AsyncResult
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A few quick retries, not Celery's default back-off: a web request must not hang on a broker that is down.
WEB_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def enqueue(task: Task, *args: Any, **kwargs: Any) -> AsyncResult | None:
    """Send ``task`` to the broker now; if the broker is down, log it and return ``None``.

    The result is not kept (``ignore_result``): web code never waits for one, and asking for it would make the
    request subscribe to the result backend, which retries for many seconds when Redis is down.
    """
    try:
        return task.apply_async(
            args=args, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=WEB_RETRY_POLICY
        )
    except (BrokerError, RedisError, OSError) as exc:
        logger.error("Could not enqueue %s (args=%r, kwargs=%r): %s", task.name, args, kwargs, exc)
        return None


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` once the current transaction commits (at once outside one), never raising on a broker outage.

    Tasks take ids and date strings, never model instances.
    """
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
