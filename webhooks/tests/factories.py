"""Factories for webhooks, their deliveries and attempts."""

from __future__ import annotations

import uuid

import factory
from django.utils import timezone

from webhooks.choices import AttemptOutcome, DeliveryStatus, EventType
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    name = factory.Sequence(lambda n: f"integrator-{n}")
    target_url = factory.Sequence(lambda n: f"http://127.0.0.1:9/hook-{n}")
    events = factory.LazyFunction(lambda: list(EventType.values))
    secret = "test-secret-0123456789abcdef"

    class Params:
        disabled = factory.Trait(active=False, disabled_at=factory.LazyFunction(timezone.now))


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    webhook = factory.SubFactory(WebhookFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = EventType.STATUS_UPDATE_CREATED
    payload = factory.LazyAttribute(
        lambda o: {"id": str(o.event_id), "type": o.event_type, "created_at": timezone.now().isoformat(), "object": {}}
    )
    status = DeliveryStatus.PENDING


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    number = factory.Sequence(lambda n: n + 1)
    outcome = AttemptOutcome.SUCCESS
    status_code = 200
