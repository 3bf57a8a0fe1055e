"""Sign-in required everywhere, unless the deployment opens read-only pages to the public."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SiteLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Redirect anonymous visitors to the sign-in page.

    The REST API is left to Django REST framework, which answers 401/403 in JSON instead of redirecting.
    With ``PUBLIC_READ`` anonymous visitors may read; views that change data protect themselves
    (see ``core.roles.EditorRequiredMixin``), so a form is never shown to them.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        if settings.PUBLIC_READ and request.method in SAFE_METHODS:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
