"""Webhook writes: recording an event's deliveries (the event subscriber), one delivery attempt, disabling a hook.

The flow: a domain service calls ``publish_on_commit``; after its commit :func:`webhook_events_record` freezes
the payload and writes one :class:`WebhookDelivery` per active hook that wants the event, and enqueues the
Celery task ``webhooks.tasks.deliver_webhook`` for each once that is committed. The task calls
:func:`webhook_delivery_attempt`, which POSTs, logs the attempt and says whether to retry and when.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mail_admins, send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.events import expand

from .addresses import TargetRefused, resolve_target
from .choices import AttemptOutcome, DeliveryStatus, EventType
from .models import Webhook, WebhookAttempt, WebhookDelivery
from .payloads import serialise

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Tracker-Signature"
EXCERPT_CHARS = 1000


def sign(body: bytes, secret: str) -> str:
    """The ``X-Tracker-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the exact body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope_bytes(payload: dict) -> bytes:
    """The body as sent: compact JSON with sorted keys (the same bytes on every retry)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")).encode()


def webhook_events_record(event_type: str, objects: list[Any], *, occurred_at: datetime | None = None) -> list[int]:
    """The event subscriber: write the deliveries of ``event_type`` about ``objects`` to every active hook that
    wants it, and enqueue their sending once committed. Returns the ids of the deliveries written.

    Cheap when no hook wants the event (one query). Each object is one event with its own id.
    """
    if event_type not in EventType.values:
        return []
    hooks = [hook for hook in Webhook.objects.filter(active=True).only("pk", "events") if hook.wants(event_type)]
    if not hooks:
        return []
    occurred_at = occurred_at or timezone.now()
    created: list[int] = []
    with transaction.atomic():
        for obj in expand(objects):
            object_type, data = serialise(event_type, obj)
            event_id = uuid.uuid4()
            payload = {
                "id": str(event_id),
                "type": event_type,
                "created_at": occurred_at.isoformat(),
                "object_type": object_type,
                "object": data,
            }
            deliveries = WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(webhook=hook, event_id=event_id, event_type=event_type, payload=payload)
                    for hook in hooks
                ]
            )
            created += [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: _enqueue(created))
    return created


def _enqueue(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # the broker is down: logged, never raised into the request that made the change
            logger.exception("Could not enqueue webhook delivery %s (it stays pending)", delivery_id)


@dataclass(frozen=True)
class AttemptResult:
    """What one call of :func:`webhook_delivery_attempt` did, and whether the task should try again."""

    delivery_id: int
    status: str
    attempt: int | None = None
    outcome: str | None = None
    status_code: int | None = None
    retry_in: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery": self.delivery_id,
            "status": self.status,
            "attempt": self.attempt,
            "outcome": self.outcome,
            "status_code": self.status_code,
        }


def retry_delay(attempt: int) -> float:
    """Exponential backoff after failed attempt ``attempt`` (1-based): base, 2×base, 4×base, ... capped."""
    return min(settings.WEBHOOK_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1), settings.WEBHOOK_RETRY_BACKOFF_MAX_SECONDS)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to an address checked beforehand (the Host header still names the host)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, verifying the certificate for the host name (SNI)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``body`` to ``url`` at a checked address; (status, response excerpt). Never follows redirects."""
    scheme, host, port, addresses = resolve_target(url)  # again at send time: DNS may have changed
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=addresses[0], timeout=timeout)
    parts = url.split("://", 1)[1]
    path = "/" + parts.split("/", 1)[1] if "/" in parts else "/"
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_CHARS * 4).decode("utf-8", "replace")[:EXCERPT_CHARS]
        return response.status, excerpt
    finally:
        connection.close()


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Make the next attempt at a delivery: POST it, log the attempt, and settle the delivery and its hook.

    Idempotent: a delivery already settled (delivered, given up, cancelled) is left alone, so a redelivered task
    does nothing. A 2xx answer is a success; anything else, a timeout or a connection error is a failure, retried
    with exponential backoff up to ``WEBHOOK_MAX_ATTEMPTS`` attempts; each failure adds to the hook's consecutive
    failures, which disable it at ``WEBHOOK_DISABLE_AFTER_FAILURES``. A refused (private) target is not retried.
    """
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:
        return AttemptResult(delivery_id=delivery_id, status="missing")
    if delivery.status != DeliveryStatus.PENDING:
        return AttemptResult(delivery_id=delivery_id, status=delivery.status)
    hook = delivery.webhook
    if not hook.active:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED, completed_at=timezone.now()
        )
        return AttemptResult(delivery_id=delivery_id, status=DeliveryStatus.CANCELLED)
    # Claim the attempt number with a conditional UPDATE: two workers on one delivery never share a number.
    number = delivery.attempts + 1
    if not WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=number):
        return AttemptResult(delivery_id=delivery_id, status="claimed-elsewhere")

    body = envelope_bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "EU-Japan-tracker-webhooks/1",
        "X-Tracker-Event": delivery.event_type,
        "X-Tracker-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: sign(body, hook.secret),
    }
    started_at, clock = timezone.now(), time.monotonic()
    status_code, excerpt, error = None, "", ""
    try:
        status_code, excerpt = _post(hook.target_url, body, headers)
        outcome = AttemptOutcome.SUCCESS if 200 <= status_code < 300 else AttemptOutcome.HTTP_ERROR
    except TargetRefused as exc:
        outcome, error = AttemptOutcome.REFUSED, str(exc)
    except TimeoutError as exc:
        outcome, error = AttemptOutcome.TIMEOUT, f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS} s ({exc})"
    except (OSError, http.client.HTTPException) as exc:
        outcome, error = AttemptOutcome.CONNECTION_ERROR, f"{exc.__class__.__name__}: {exc}"
    duration_ms = int((time.monotonic() - clock) * 1000)
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=started_at,
        duration_ms=duration_ms,
        outcome=outcome,
        status_code=status_code,
        response_excerpt=excerpt,
        error=error[:2000],
    )
    now = timezone.now()
    # What this attempt answers, whichever way the delivery goes on.
    result = partial(AttemptResult, delivery_id=delivery_id, attempt=number, outcome=outcome, status_code=status_code)
    if outcome == AttemptOutcome.SUCCESS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SUCCEEDED, completed_at=now)
        Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=0)
        return result(status=DeliveryStatus.SUCCEEDED)
    logger.warning("Webhook %s, delivery %s, attempt %d: %s %s", hook, delivery.pk, number, outcome, error)
    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = Webhook.objects.filter(pk=hook.pk).values_list("consecutive_failures", flat=True).first() or 0
    if failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        webhook_disable(webhook=hook, reason=f"{failures} consecutive failed deliveries (last: {outcome}).")
    gave_up = outcome == AttemptOutcome.REFUSED or number >= settings.WEBHOOK_MAX_ATTEMPTS
    hook_active = Webhook.objects.filter(pk=hook.pk, active=True).exists()
    if gave_up or not hook_active:
        final = DeliveryStatus.FAILED if gave_up else DeliveryStatus.CANCELLED
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=final, completed_at=now)
        return result(status=final)
    return result(status=DeliveryStatus.PENDING, retry_in=retry_delay(number))


def webhook_disable(*, webhook: Webhook, reason: str) -> bool:
    """Switch a hook off and tell the administrators (``ADMINS`` and every active superuser with an e-mail
    address). A conditional UPDATE: of concurrent failures, only one disables it and sends the e-mail.
    Returns whether this call disabled it."""
    now = timezone.now()
    if not Webhook.objects.filter(pk=webhook.pk, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason[:300]
    ):
        return False
    logger.error("Webhook %s disabled: %s", webhook, reason)
    subject = f"Webhook {webhook.name} disabled"
    message = (
        f"The webhook {webhook.name} ({webhook.target_url}) was disabled on {timezone.localtime(now):%d %b %Y %H:%M}:"
        f"\n{reason}\n\nIts attempts are logged in the admin: {settings.SITE_URL}/admin/webhooks/webhook/{webhook.pk}/"
        "change/\nFix the receiver, then tick 'active' again to resume deliveries."
    )
    try:
        mail_admins(subject, message, fail_silently=False)
        superusers = list(
            get_user_model()
            .objects.filter(is_superuser=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if superusers:
            send_mail(f"[Tracker] {subject}", message, None, superusers)
    except Exception:
        logger.exception("Could not tell the administrators that webhook %s was disabled", webhook)
    return True
