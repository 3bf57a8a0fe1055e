"""The audit trail: django-simple-history on frameworks, commitments, bodies and meetings, read-only everywhere.

Who and when: ``HistoryRequestMiddleware`` stamps every change made during a request (pages, API, admin) with the
signed-in user; each historical row has ``history_date`` and ``history_user``. What cannot happen: editing or
deleting a historical row. The admin's history pages only display (``AuditedAdmin``); no API or page writes them;
and on PostgreSQL a trigger refuses UPDATE and DELETE on every historical table and on the status history
(migration ``commitments/0005_history_append_only``).
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .admin_base import TrackerAdmin


class ReadOnlyAdminMixin:
    """For a ``ModelAdmin`` of records that only their own code writes (the status history, the import runs): staff
    may look, nobody adds, changes or deletes here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(TrackerAdmin, SimpleHistoryAdmin):
    """Admin with a read-only "History" page: past versions can be looked at, never reverted from it.

    ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides simple_history's Revert button; the version page would still
    save a POST, so it is refused here.
    """

    def history_view(self, request, object_id, extra_context=None):
        # simple_history filters the history by the id as given: "abc" for an integer key was a 500. An id the key
        # cannot hold names no record: the admin's own answer, as on the change page ("… doesn't exist").
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("Past versions are read-only.")
        # simple_history looks the version up with the ids as given: "1\x01" for an integer key was a 500.
        try:
            self.model._meta.pk.to_python(object_id)
            int(version_id)
        except (ValidationError, ValueError) as exc:
            raise Http404("No such version.") from exc
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)


class ServiceAdmin(AuditedAdmin):
    """An audited admin whose saves go through the domain services (``save_model`` calls them).

    A service's :class:`~core.exceptions.DomainConflict` (someone else changed the record after the form was
    opened) is answered with the conflict page, status 409, and nothing saved, as on the staff pages: the base's
    (``core.admin_base.StaleFormGuard``), which also refuses a form opened before any other change to what it shows.
    """
