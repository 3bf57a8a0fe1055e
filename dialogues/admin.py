"""Admin for dialogue bodies, meetings and overdue flags."""

from django.contrib import admin

from core.history import AuditedAdmin

from .models import Contact, DialogueBody, FlagNotification, Meeting, OverdueFlag


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["held_on", "place", "summary"]
    extra = 0
    show_change_link = True


@admin.register(DialogueBody)
class DialogueBodyAdmin(AuditedAdmin):
    list_display = ["short_name", "name", "level", "reports_to", "cadence_months", "last_meeting_on", "next_due_on"]
    list_filter = ["level", "active", "agreements"]
    search_fields = ["short_name", "name", "eu_lead", "japan_lead"]
    autocomplete_fields = ["reports_to"]
    filter_horizontal = ["agreements"]
    readonly_fields = ["last_meeting_on", "next_due_on", "overdue_after"]
    list_select_related = ["reports_to"]
    inlines = [ContactInline, MeetingInline]


@admin.register(Meeting)
class MeetingAdmin(AuditedAdmin):
    list_display = ["body", "held_on", "place"]
    list_filter = ["body"]
    search_fields = ["body__name", "body__short_name", "place", "summary"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["body", "commitments_advanced"]
    list_select_related = ["body"]


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
class OverdueFlagAdmin(admin.ModelAdmin):
    list_display = ["body", "due_on", "overdue_since", "days_overdue_at_opening", "opened_at", "closed_at"]
    list_filter = ["close_reason", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["body__name", "body__short_name"]
    list_select_related = ["body"]
    readonly_fields = [f.name for f in OverdueFlag._meta.fields]
    inlines = [FlagNotificationInline]

    def has_add_permission(self, request):
        return False
