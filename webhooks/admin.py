"""Admin for webhooks: manage hooks (events as checkboxes), read every delivery and each attempt's log."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from core.admin_base import TrackerAdmin

from .choices import EventType
from .models import Webhook, WebhookAttempt, WebhookDelivery


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)
    target_url = forms.URLField(label="Target URL", max_length=500, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ["name", "target_url", "events", "secret", "active"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "outcome", "status_code", "response_excerpt", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Webhook)
class WebhookAdmin(TrackerAdmin):
    form = WebhookForm
    list_display = ["name", "target_url", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active"]
    search_fields = ["name", "target_url"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    def save_model(self, request, obj, form, change):
        if change and "active" in form.changed_data and obj.active:
            # Re-enabled by an administrator: a fresh start.
            obj.consecutive_failures, obj.disabled_at, obj.disabled_reason = 0, None, ""
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TrackerAdmin):
    """Read-only: deliveries are written by the event subscriber and the delivery task."""

    list_display = ["event_type", "event_id", "webhook", "status", "attempts", "created_at", "completed_at"]
    list_filter = ["status", "event_type", "webhook"]
    search_fields = ["event_id"]
    readonly_fields = [
        "webhook",
        "event_id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "created_at",
        "completed_at",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
