"""Admin for the source documents every record cites."""

from django.contrib import admin

from .admin_base import TrackerAdmin
from .models import SourceDocument


@admin.register(SourceDocument)
class SourceDocumentAdmin(TrackerAdmin):
    list_display = ["key", "title", "publisher", "published_on"]
    search_fields = ["key", "title", "publisher"]
