"""Error pages that never leak a traceback, and a clean 503 when the database is unreachable.

A database that restarts (a failover, an upgrade, a network cut) makes queries raise ``OperationalError`` or
``InterfaceError``. Instead of a generic 500, the visitor gets "temporarily unavailable" with ``Retry-After`` (an
HTML page, or JSON for the API), and the broken connection is dropped: Django closes a connection on which an
error occurred when the request ends, and ``CONN_HEALTH_CHECKS`` tests a reused connection before the next
request, so service resumes by itself once the database is back.

Two entry points are needed because Django reports errors from two places: an exception raised by a view reaches
:class:`DatabaseUnavailableMiddleware`; one raised by a middleware (loading the session, the signed-in user)
reaches ``handler500``, i.e. :func:`server_error`.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger("tracker.errors")

RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "The tracker's database is temporarily unavailable. Please try again in a minute."
SERVER_ERROR_MESSAGE = "Something went wrong on our side. The error has been logged."

DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means the database could not be reached."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def wants_json(request: HttpRequest | None) -> bool:
    if request is None:
        return False
    accept = request.headers.get("Accept", "")
    return request.path_info.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


CODES = {500: "server_error", 503: "service_unavailable"}


def _render(request: HttpRequest | None, template: str, message: str, status: int) -> HttpResponse:
    if wants_json(request):
        # The API's one error shape (core.api.exceptions.error_body): status, code, detail, errors.
        return JsonResponse({"status": status, "code": CODES[status], "detail": message, "errors": {}}, status=status)
    # Rendered without the request: context processors would read the session and the user, i.e. the database.
    return HttpResponse(loader.render_to_string(template, {"message": message}), status=status)


def database_unavailable_response(request: HttpRequest | None) -> HttpResponse:
    response = _render(request, "503.html", UNAVAILABLE_MESSAGE, 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 when a view fails because the database connection was lost or refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``handler500``: the 503 answer for a lost database, otherwise a plain 500 page (never a traceback)."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    return _render(request, "500.html", SERVER_ERROR_MESSAGE, 500)
