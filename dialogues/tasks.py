"""Celery tasks of the dialogues app: thin wrappers around services, taking dates as strings, never objects."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from core.tasks import PERIODIC_JOB_OPTIONS

from .services import overdue_sweep


@shared_task(
    name="dialogues.tasks.flag_overdue_dialogues",
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    **PERIODIC_JOB_OPTIONS,
)
def flag_overdue_dialogues(on: str | None = None) -> dict[str, Any]:
    """Run the overdue sweep (:func:`dialogues.services.overdue_sweep`) for the day ``on`` ("YYYY-MM-DD"), by
    default today in Brussels, and return its summary: opened, still open and closed flags, notices claimed.

    Idempotent, so a redelivery after a lost worker (``acks_late``) or a retry is harmless: see
    ``dialogues.services`` (its docstring) for why each flag and e-mail happens exactly once.
    """
    day = date.fromisoformat(on) if on else None
    return overdue_sweep(on=day).as_dict()
