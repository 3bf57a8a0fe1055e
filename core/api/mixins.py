"""Small behaviours the API's viewsets share."""

from __future__ import annotations


class FiltersOnListMixin:
    """Query-string filters narrow lists; on a single object (``/commitments/7/?status=x``) they are ignored."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)
