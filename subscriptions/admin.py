"""Admin for following: follows and settings (editable), digests (read-only: written by the digest run)."""

from django.contrib import admin

from core.admin_base import TrackerAdmin

from .models import Digest, Follow, FollowerSettings


@admin.register(Follow)
class FollowAdmin(TrackerAdmin):
    list_display = ["user", "kind", "commitment", "body", "agreement", "area", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "commitment__reference", "body__short_name", "agreement__code"]
    raw_id_fields = ["user", "commitment", "body", "agreement"]


@admin.register(FollowerSettings)
class FollowerSettingsAdmin(TrackerAdmin):
    list_display = ["user", "digest_weekday", "unsubscribed_at", "calendar_token_rotated_at"]
    list_filter = ["digest_weekday"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["calendar_token_rotated_at", "unsubscribed_at"]


@admin.register(Digest)
class DigestAdmin(TrackerAdmin):
    list_display = ["user", "due_on", "status", "items", "attempts", "sent_at", "recipient"]
    list_filter = ["status", "due_on"]
    search_fields = ["user__username", "recipient"]
    readonly_fields = [f.name for f in Digest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
