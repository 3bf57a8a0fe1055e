"""Who may use the API: everybody signed in (or anybody under ``PUBLIC_READ``) reads, Editors write."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.roles import is_editor


class ReadOrEditorWrite(BasePermission):
    """Reading needs a signed-in user (session or token) unless ``PUBLIC_READ``; writing needs an Editor.

    Anonymous requests that are refused get 401 (with ``WWW-Authenticate: Token``), signed-in users who may not
    write get 403.
    """

    message = "Only members of the Editors group may change data."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(settings.PUBLIC_READ or request.user.is_authenticated)
        return is_editor(request.user)
