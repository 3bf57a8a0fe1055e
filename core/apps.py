from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared base of both domain apps: source documents, the staff roles, form, filter and API helpers."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Sources and roles"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import generation, lookups  # noqa: F401 (lookups: range-checked integer ``in`` and foreign-key lookups)

        # Every write moves the data generation that keys the API's answer cache (core.generation).
        connection_created.connect(generation.install, dispatch_uid="core.generation.install")
        for connection in connections.all(initialized_only=True):
            generation.install(connection)
        post_migrate.connect(generation.after_migrate, sender=self, dispatch_uid="core.generation.after_migrate")
