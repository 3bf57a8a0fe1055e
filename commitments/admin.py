"""Admin for frameworks and commitments. Status history is read-only here: it is written by the services, and
a change to a commitment goes through ``commitments.services.commitment_update`` (the staff pages' write path)."""

from django import forms
from django.contrib import admin

from core.admin_base import TrackerAdmin
from core.forms import optional_precision
from core.history import AuditedAdmin, ReadOnlyAdminMixin, ServiceAdmin

from .models import Agreement, Commitment, Milestone, StatusUpdate
from .services import CORRECTABLE_FIELDS, commitment_update


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


class CommitmentAdminForm(forms.ModelForm):
    """The admin's commitment form, carrying the edit version it was opened on (as the staff edit form does)."""

    expected_edit_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Commitment
        fields = list(CORRECTABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_edit_version"].initial = self.instance.edit_version if self.instance.pk else 0
        optional_precision(self.fields["target_date_precision"])


@admin.register(Commitment)
class CommitmentAdmin(ServiceAdmin):
    """A change is one call of ``commitment_update``: validated, audited with its author, and guarded by
    ``edit_version``, so a staff edit form opened before it gets the conflict page, and an admin form opened
    before a staff edit gets the admin's (409), instead of either overwriting the other."""

    form = CommitmentAdminForm
    guard_stale_forms = False  # commitment_update checks the form's edit_version, which every editorial edit moves
    list_display = ["reference", "title", "agreement", "area", "strength", "status", "progress", "responsible_body"]
    list_filter = ["status", "area", "strength", "agreement"]
    search_fields = ["reference", "title", "description"]
    autocomplete_fields = ["agreement", "responsible_body"]
    raw_id_fields = ["made_at"]
    readonly_fields = ["status", "progress", "status_changed_at", "last_reviewed_at", "version"]
    list_select_related = ["agreement", "responsible_body"]
    inlines = [StatusUpdateInline]

    def save_model(self, request, obj, form, change):
        if not change:  # a new commitment: no state to guard yet
            super().save_model(request, obj, form, change)
            return
        commitment_update(
            commitment=obj,
            expected_edit_version=form.cleaned_data["expected_edit_version"],
            author=request.user,
            **{name: form.cleaned_data[name] for name in CORRECTABLE_FIELDS if name in form.cleaned_data},
        )


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdminMixin, TrackerAdmin):
    """Viewable by staff; never added, changed or deleted here (history is append-only)."""

    list_display = ["commitment", "version", "kind", "status", "progress", "author", "recorded_at"]
    list_filter = ["kind", "status"]
    search_fields = ["commitment__reference", "note", "evidence_reference"]
    list_select_related = ["commitment", "author"]
    date_hierarchy = "recorded_at"


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdminMixin, TrackerAdmin):
    """Viewable by staff; written only by the services (the staff pages and the API), under the commitment's
    version and into its history, so never added, changed or deleted here."""

    list_display = ["commitment", "title", "due_on", "due_on_precision", "done_on", "weight", "withdrawn_at"]
    list_filter = ["due_on_precision"]
    search_fields = ["commitment__reference", "title", "evidence_reference"]
    list_select_related = ["commitment"]
