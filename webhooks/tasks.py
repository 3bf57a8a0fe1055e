"""Celery tasks of the webhooks app: a thin wrapper around one delivery attempt, retried with backoff."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from .services import webhook_delivery_attempt


@shared_task(
    bind=True,
    name="webhooks.tasks.deliver_webhook",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=50,
    # Backstops: each socket operation is bounded by WEBHOOK_TIMEOUT_SECONDS already (prefork pool only).
    soft_time_limit=120,
    time_limit=150,
)
def deliver_webhook(self, delivery_id: int) -> dict[str, Any]:
    """Attempt the delivery ``delivery_id`` (:func:`webhooks.services.webhook_delivery_attempt`); on a failure
    that may be retried, schedule the next attempt after the exponential backoff the service chose.

    Idempotent: the attempt count and the delivery's state are in the database, so a redelivered or retried task
    never delivers a settled delivery again, and retries stop at ``WEBHOOK_MAX_ATTEMPTS`` attempts.
    """
    result = webhook_delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None and self.request.is_eager:
        # Embedded mode (no broker): an eager retry would run at once, inside the web request that made the
        # change, ignoring the backoff. One attempt only; the delivery stays pending, visible in the admin.
        return result.as_dict()
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in, max_retries=settings.WEBHOOK_MAX_ATTEMPTS)
    return result.as_dict()
