from django.apps import AppConfig


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = "Bulk import and export"

    def ready(self):
        # A commitment's timeline says which of its entries an import recorded (commitments.selectors.ENTRY_ORIGINS).
        from commitments.selectors import ENTRY_ORIGINS

        from .selectors import entry_origins

        if entry_origins not in ENTRY_ORIGINS:
            ENTRY_ORIGINS.append(entry_origins)
