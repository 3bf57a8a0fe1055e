from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared base of both domain apps: source documents, the staff roles, form, filter and API helpers."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Sources and roles"
