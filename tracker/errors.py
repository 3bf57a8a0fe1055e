"""Error pages that never leak a traceback, and a clean 503 when the database is unreachable.

A database that restarts (a failover, an upgrade, a network cut) makes queries raise ``OperationalError`` or
``InterfaceError``. Instead of a generic 500, the visitor gets "temporarily unavailable" with ``Retry-After`` (an
HTML page, or JSON for the API), and the broken connection is dropped: Django closes a connection on which an
error occurred when the request ends, and ``CONN_HEALTH_CHECKS`` tests a reused connection before the next
request, so service resumes by itself once the database is back.

Two entry points are needed because Django reports errors from two places: an exception raised by a view reaches
:class:`DatabaseUnavailableMiddleware`; one raised by a middleware (loading the session, the signed-in user)
reaches ``handler500``, i.e. :func:`server_error`.

A request whose body or query string Django refuses to read (larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``, more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields, multipart without a usable boundary) is a client's mistake, met wherever
the request is first read. The API's exception handler answers those met in an API view, the request guard
(``tracker.middleware``) a query string with too many fields, and ``handler400``, i.e. :func:`bad_request`, the
rest (a form view): 413 for the size, 400 otherwise, with the reason (``core.api.exceptions.unreadable_request``),
logged as one warning line rather than by ``django.security`` as an ERROR with a traceback. (With ``DEBUG`` on,
Django shows its debug page instead of calling ``handler400``: the first two are answered before that.)
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from core.api.exceptions import error_body, unreadable_request

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


CODES = {
    400: "invalid",
    404: "not_found",
    413: "content_too_large",
    414: "uri_too_long",
    431: "request_header_fields_too_large",
    500: "server_error",
    503: "service_unavailable",
}
TITLES = {
    400: "Bad request",
    404: "Not found",
    413: "Request too large",
    414: "Address too long",
    431: "Request headers too large",
}


def _render(
    request: HttpRequest | None,
    template: str,
    message: str,
    status: int,
    errors: dict | None = None,
    *,
    code: str | None = None,
) -> HttpResponse:
    if wants_json(request):
        # The API's one error shape (core.api.exceptions.error_body): status, code, detail, errors.
        body = error_body(status_code=status, code=code or CODES[status], detail=message, errors=errors)
        return JsonResponse(body, status=status)
    # Rendered without the request: context processors would read the session and the user, i.e. the database.
    context = {"message": message, "title": TITLES.get(status)}
    return HttpResponse(loader.render_to_string(template, context), status=status)


def _logged_once(response: HttpResponse) -> HttpResponse:
    """Mark a response whose one log line was written here, so that ``django.request`` adds no second line (and
    no traceback) for it: one failed request, one log line."""
    response._has_been_logged = True
    return response


def refusal_response(
    request: HttpRequest, status: int, message: str, *, parameter: str | None = None, code: str | None = None
):
    """400, 404, 413, 414 or 431 for a request refused as the client's mistake (``RequestGuardMiddleware``,
    :func:`bad_request`): the reason in the API's error shape or on a page, and one warning line in the log."""
    errors = {parameter or "non_field_errors": [message]} if status == 400 else {}
    logger.warning("%s %s: %s %s", TITLES[status], status, request.method, request.path.replace("\x00", "\\x00"))
    return _logged_once(_render(request, "400.html", message, status, errors, code=code))


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """``handler400``: a request Django refused to read is answered with its reason (413 for the size) and logged
    as one warning line; any other bad request (e.g. a disallowed Host) keeps Django's own log line, and is
    answered in the API's error shape under ``/api/``, the usual page elsewhere."""
    unreadable = unreadable_request(exception)
    if unreadable is not None:
        status, code, message = unreadable
        return refusal_response(request, status, message, code=code)
    message = "The request could not be understood."
    return _render(request, "400.html", message, 400, {"non_field_errors": [message]})


def database_unavailable_response(request: HttpRequest | None, exc: BaseException | None = None) -> HttpResponse:
    """503 with ``Retry-After``, logged as one line (what failed, the database's message; no traceback)."""
    if request is not None:
        logger.warning("Database unavailable during %s %s: %s", request.method, request.path, _first_line(exc))
    else:
        logger.warning("Database unavailable: %s", _first_line(exc))
    response = _render(request, "503.html", UNAVAILABLE_MESSAGE, 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return _logged_once(response)


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__


class DatabaseUnavailableMiddleware:
    """Answer 503 when a view fails because the database connection was lost or refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        return database_unavailable_response(request, exception)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``handler500``: the 503 answer for a lost database, otherwise a plain 500 page (never a traceback)."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return _render(request, "500.html", SERVER_ERROR_MESSAGE, 500)
