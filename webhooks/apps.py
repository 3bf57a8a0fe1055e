from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed HTTP callbacks to integrators' systems when something changes in the tracker."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from core.events import subscribe

        from .services import webhook_events_record

        subscribe(webhook_events_record)
