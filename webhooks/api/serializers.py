"""Webhooks in the API (superusers only): the secret can be written, never read back."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.api.fields import StrictCharField, StrictModelSerializer
from webhooks.choices import EventType
from webhooks.models import Webhook


class WebhookSerializer(StrictModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:webhook-detail")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        max_length=len(EventType.values),
        help_text="The event types to receive.",
    )
    secret = StrictCharField(
        write_only=True,
        min_length=16,
        max_length=200,
        help_text="Key of the HMAC-SHA256 signature sent as X-Tracker-Signature (at least 16 characters).",
    )

    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "name",
            "target_url",
            "events",
            "secret",
            "active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = ["id", "url", "consecutive_failures", "disabled_at", "disabled_reason", "created_at"]
        extra_kwargs = {"target_url": {"help_text": "http:// or https:// URL the events are POSTed to."}}

    def validate_events(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate(self, attrs: dict) -> dict:
        hook = Webhook(**attrs)
        try:
            hook.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs
