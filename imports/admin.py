"""The import runs in the admin: the audit record of every bulk import, read-only."""

from django.contrib import admin

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
