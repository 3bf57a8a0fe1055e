"""Admin for frameworks and commitments. Status history is read-only here: it is written by the services."""

from django.contrib import admin

from core.history import AuditedAdmin

from .models import Agreement, Commitment, StatusUpdate


@admin.register(Agreement)
class AgreementAdmin(AuditedAdmin):
    list_display = ["code", "title", "kind", "signed_on", "in_force_on", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "title", "summary"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


class StatusUpdateInline(admin.TabularInline):
    model = StatusUpdate
    fields = ["version", "recorded_at", "kind", "previous_status", "status", "progress", "author", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-version"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Commitment)
class CommitmentAdmin(AuditedAdmin):
    list_display = ["reference", "title", "agreement", "area", "strength", "status", "progress", "responsible_body"]
    list_filter = ["status", "area", "strength", "agreement"]
    search_fields = ["reference", "title", "description"]
    autocomplete_fields = ["agreement", "responsible_body"]
    readonly_fields = ["status", "progress", "status_changed_at", "last_reviewed_at", "version"]
    list_select_related = ["agreement", "responsible_body"]
    inlines = [StatusUpdateInline]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    """Viewable by staff; never added, changed or deleted here (history is append-only)."""

    list_display = ["commitment", "version", "kind", "status", "progress", "author", "recorded_at"]
    list_filter = ["kind", "status"]
    search_fields = ["commitment__reference", "note", "evidence_reference"]
    list_select_related = ["commitment", "author"]
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
