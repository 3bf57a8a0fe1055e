"""The two staff roles and the checks that views, forms and the API share.

``Editors`` may change data (status updates, reviews, meetings, editorial fields); ``Reviewers`` read everything
and change nothing. Membership decides, not Django's model permissions, so that an administrator grants a role by
adding a person to one group. Superusers count as editors.
"""

from django.contrib.auth.mixins import AccessMixin
from django.template.response import TemplateResponse

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
    """For views that change data. Checked before anything else in ``dispatch``.

    Anonymous visitors are sent to sign in (also under ``PUBLIC_READ``, which opens reading only); signed-in
    people who are not editors get 403 with a page that says why, never the form.
    """

    permission_denied_template = "registration/editors_only.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_editor(request.user):
            return TemplateResponse(request, self.permission_denied_template, {"editors_group": EDITORS}, status=403)
        return super().dispatch(request, *args, **kwargs)
