"""Sign-in required everywhere, unless the deployment opens read-only pages to the public."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import TooManyFieldsSent

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


# A request line longer than this is refused with 414, request headers larger than this (names and values, all
# together) with 431, before any view runs: answered in the API's error shape under /api/, as a page elsewhere.
# gunicorn's own limits (Procfile and docker-compose: --limit-request-line 8190) sit above these, so a client
# normally meets the tracker's documented answers, not the server's plain-text ones.
MAX_URL_LENGTH = 4096
MAX_HEADER_BYTES = 16384


def _control_character_in_query(request) -> str | None:
    """The first query parameter whose name or value holds a NUL byte (which PostgreSQL refuses in text)."""
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "\\x00")
    return None


def _header_bytes(request) -> int:
    return sum(len(key) + len(str(value)) for key, value in request.META.items() if key.startswith("HTTP_"))


class RequestGuardMiddleware:
    """Refuse, in one place, requests that no view of the tracker can answer sensibly.

    - A NUL byte in any query parameter: 400; in the path: 404 (no address holds one). Every view, the admin's
      list filters and search, the API's filters and the dashboards' forms would otherwise hand it to a text
      column, and PostgreSQL cannot even compare text holding NUL (SQLite can, so only PostgreSQL showed the
      500). Other control characters are legal in text and left to the views: path segments that name records
      go through path converters (``core.converters``), which do not match them (404).
    - A URL longer than ``MAX_URL_LENGTH``: 414; request headers larger than ``MAX_HEADER_BYTES``: 431.
    - A query string of more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` parameters: 400 (Django refuses to read it).

    Placed first after the security middleware: nothing below it (sessions, authentication, CSRF, the views) sees
    such a request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._refusal(request)
        return response if response is not None else self.get_response(request)

    def _refusal(self, request):
        from core.api.exceptions import unreadable_request

        from .errors import refusal_response

        if len(request.get_full_path()) > MAX_URL_LENGTH:
            return refusal_response(request, 414, f"The address is longer than {MAX_URL_LENGTH} characters.")
        if _header_bytes(request) > MAX_HEADER_BYTES:
            return refusal_response(request, 431, f"The request headers are larger than {MAX_HEADER_BYTES} bytes.")
        if "\x00" in request.path:
            # No address of the tracker holds one: as any other address that does not exist.
            return refusal_response(request, 404, "There is no page at this address.")
        try:
            parameter = _control_character_in_query(request)
        except TooManyFieldsSent as exc:
            status, code, message = unreadable_request(exc)
            return refusal_response(request, status, message, code=code)
        if parameter is not None:
            return refusal_response(
                request, 400, f"The query parameter {parameter} contains a NUL character.", parameter=parameter
            )
        return None
