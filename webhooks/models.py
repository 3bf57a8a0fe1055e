"""Webhooks: where to send which events, each event's delivery to each hook, and every attempt at it."""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import AttemptOutcome, DeliveryStatus, EventType


def new_secret() -> str:
    """A random signing secret (what the admin form proposes)."""
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An integrator's endpoint: the tracker POSTs the events it asked for, signed with its secret.

    ``consecutive_failures`` counts failed attempts since the last success; once it reaches
    ``WEBHOOK_DISABLE_AFTER_FAILURES`` the hook is switched off (``active=False``, ``disabled_at``) and the
    administrators are told. Re-enabling it in the admin resets the count.
    """

    name = models.CharField(max_length=100, unique=True)
    target_url = models.URLField("target URL", max_length=500, help_text="Where the events are POSTed (http/https).")
    events = models.JSONField(default=list, help_text="The event types it wants.")
    secret = models.CharField(
        max_length=200, default=new_secret, help_text="Key of the HMAC-SHA256 signature (X-Tracker-Signature)."
    )
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .addresses import TargetRefused, check_target_url

        errors = {}
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = "Choose at least one event."
        else:
            unknown = sorted({str(e) for e in self.events} - set(EventType.values))
            if unknown:
                errors["events"] = f"Unknown event type: {', '.join(unknown)}."
        if len(self.secret or "") < 16:
            errors["secret"] = "The secret needs at least 16 characters."  # noqa: S105 (a message, not a secret)
        if self.target_url:
            try:
                check_target_url(self.target_url)
            except TargetRefused as exc:
                errors["target_url"] = str(exc)
        if errors:
            raise ValidationError(errors)

    def wants(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class WebhookDelivery(models.Model):
    """One event for one hook. ``payload`` is the envelope as sent (id, type, time, the object as the API shows
    it), frozen when the event happened, so every retry sends the same bytes with the same signature.

    Unique on (webhook, event_id): however often the subscriber or the task runs, an event is delivered to a hook
    at most once (receivers dedupe on the event id if a crash makes one attempt repeat).
    """

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["status"], condition=Q(status="pending"), name="webhook_delivery_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.webhook}"


class WebhookAttempt(models.Model):
    """One HTTP POST of a delivery: when, how long, what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.outcome}"

    @property
    def succeeded(self) -> bool:
        return self.outcome == AttemptOutcome.SUCCESS
