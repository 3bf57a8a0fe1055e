"""The import runs in the admin: the audit record of every bulk import, read-only."""

from django.contrib import admin

from core.history import ReadOnlyAdminMixin

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "file_name",
        "created_by",
        "state",
        "rows_total",
        "rows_new",
        "rows_changed",
        "rows_unchanged",
        "rows_error",
        "applied_at",
        "applied_by",
    ]
    list_filter = ["kind", "state", "dry_run"]
    search_fields = ["file_name", "created_by__username"]
    list_select_related = ["created_by", "applied_by"]
    date_hierarchy = "created_at"
    exclude = ["plan", "upload"]
