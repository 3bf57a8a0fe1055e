"""Template context shared by every page."""

from django.conf import settings

from core.roles import is_editor


def roles(request) -> dict:
    """Expose whether the current user may edit, so templates show edit controls only to editors."""
    user = getattr(request, "user", None)
    return {"can_edit": is_editor(user) if user is not None else False, "public_read": settings.PUBLIC_READ}
