"""Reads of the imports that other pages show: which entries of a commitment's history an import recorded."""

from __future__ import annotations

from commitments.selectors import EntryOrigin
from core.roles import is_editor

from .models import ImportedEntry


def entry_origins(updates, reader) -> dict[int, EntryOrigin]:
    """``{status update id: EntryOrigin}`` for those of ``updates`` an import recorded, in one query: "from the bulk
    import of status.csv", linked to the run for an editor (the import pages are editors' only)."""
    may_open = is_editor(reader)
    entries = (
        ImportedEntry.objects.filter(status_update_id__in=[update.pk for update in updates])
        .select_related("run")
        .only("status_update_id", "run__id", "run__file_name")  # not the run's plan
    )
    return {
        entry.status_update_id: EntryOrigin(
            f"from the bulk import of {entry.run.file_name}", entry.run.get_absolute_url() if may_open else ""
        )
        for entry in entries
    }
