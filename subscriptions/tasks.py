"""Celery tasks of the subscriptions app: a thin wrapper around the digest run."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from core.tasks import PERIODIC_JOB_OPTIONS

from .services import digests_run


@shared_task(
    name="subscriptions.tasks.send_weekly_digests",
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    **PERIODIC_JOB_OPTIONS,
)
def send_weekly_digests(on: str | None = None) -> dict[str, Any]:
    """Send the weekly digests due on ``on`` ("YYYY-MM-DD", default today in Brussels): for every user whose
    digest day it is (:func:`subscriptions.services.digests_run`). Idempotent: one digest per user and day."""
    day = date.fromisoformat(on) if on else None
    return digests_run(on=day).as_dict()
