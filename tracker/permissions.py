"""The two staff roles and the checks that views, forms and the API share."""

from django.contrib.auth.mixins import AccessMixin

EDITORS = "Editors"
REVIEWERS = "Reviewers"


def is_editor(user) -> bool:
    """Whether ``user`` may change data: a member of Editors, or a superuser."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_tracker_is_editor", None)
    if cached is None:
        cached = user.groups.filter(name=EDITORS).exists()
        user._tracker_is_editor = cached
    return cached


class EditorRequiredMixin(AccessMixin):
    """Anonymous visitors are sent to sign in; signed-in non-editors get 403, never the form."""

    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_editor(request.user):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
