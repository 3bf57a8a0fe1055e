from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    """Following commitments, bodies, frameworks and policy areas; the weekly digest; the calendar feed."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "subscriptions"
    verbose_name = "Following, digests and calendar"
