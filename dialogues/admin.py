"""Admin for dialogue bodies, meetings and overdue flags.

Bodies and meetings are saved and deleted through ``dialogues.services`` (the staff pages' write path), which
recompute the body's schedule and its overdue flag in the same transaction; meetings are read-only inside a body's
page (each links to its own page).
"""

from django.contrib import admin

from core.admin_base import TrackerAdmin
from core.history import ServiceAdmin

from .models import Contact, DialogueBody, FlagNotification, Meeting, OverdueFlag
from .services import dialogue_body_save, meeting_delete, meeting_save, overdue_flags_delete


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["held_on", "place", "summary", "withdrawn_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DialogueBody)
class DialogueBodyAdmin(ServiceAdmin):
    list_display = ["short_name", "name", "level", "reports_to", "cadence_months", "last_meeting_on", "next_due_on"]
    list_filter = ["level", "active", "agreements"]
    search_fields = ["short_name", "name", "eu_lead", "japan_lead"]
    autocomplete_fields = ["reports_to"]
    filter_horizontal = ["agreements"]
    readonly_fields = ["last_meeting_on", "next_due_on", "overdue_after"]
    list_select_related = ["reports_to"]
    inlines = [ContactInline, MeetingInline]

    def save_model(self, request, obj, form, change):
        dialogue_body_save(body=obj, author=request.user)


@admin.register(Meeting)
class MeetingAdmin(ServiceAdmin):
    list_display = ["body", "held_on", "place", "withdrawn_at"]
    list_filter = ["body", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["body__name", "body__short_name", "place", "summary"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["body", "commitments_advanced"]
    list_select_related = ["body"]
    readonly_fields = ["recorded_by", "withdrawn_at", "withdrawn_by", "withdrawal_reason"]

    def save_model(self, request, obj, form, change):
        if not change and obj.recorded_by_id is None:
            obj.recorded_by = request.user
        meeting_save(meeting=obj, author=request.user)  # the commitments advanced follow in save_related

    def delete_model(self, request, obj):
        meeting_delete(meeting=obj, author=request.user)

    def delete_queryset(self, request, queryset):
        for meeting in queryset.select_related("body"):
            meeting_delete(meeting=meeting, author=request.user)


class FlagNotificationInline(admin.TabularInline):
    """Who was told about the flag, when, and what went wrong if an e-mail could not be sent."""

    model = FlagNotification
    fields = ["kind", "sequence", "status", "sent_at", "recipients", "attempts", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OverdueFlag)
class OverdueFlagAdmin(TrackerAdmin):
    list_display = ["body", "due_on", "overdue_since", "days_overdue_at_opening", "opened_at", "closed_at"]
    list_filter = ["close_reason", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["body__name", "body__short_name"]
    list_select_related = ["body"]
    readonly_fields = [f.name for f in OverdueFlag._meta.fields]
    inlines = [FlagNotificationInline]

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        overdue_flags_delete(flags=OverdueFlag.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        overdue_flags_delete(flags=queryset)
