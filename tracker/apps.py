from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """The site-wide pieces: management commands (seed, backup, restore, tokens, demo users), the roles
    migration, error handling and the health check. Settings, URLs and the Celery app sit beside it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = "Tracker"
