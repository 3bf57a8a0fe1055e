"""The one JSON shape of every API error (:func:`error_body`), and the handler that gives it to every error.

It is also the API's one mapping of the services' domain errors (``core.exceptions``): a
:class:`~core.exceptions.DomainConflict` becomes a 409 whose extras come from the view's ``conflict_extra``; and of
the requests Django refuses to read (:func:`unreadable_request`): a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a
413, too many fields or a multipart body without a usable boundary a 400. They are the client's mistake, answered
here before Django's own handler would (its HTML page, its debug page, an ERROR with a traceback in the log).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import page_not_found
from rest_framework import exceptions, serializers, status

from core.exceptions import DomainConflict

from .parsers import LONE_SURROGATE
from .throttling import refund_refused_write

NON_FIELD_ERRORS = "non_field_errors"


class Conflict(exceptions.APIException):
    """409: the write was based on a state that has changed; ``extra`` carries the current state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource was changed by someone else."

    def __init__(self, detail=None, *, extra: dict | None = None):
        super().__init__(detail)
        self.extra = extra or {}


class RequestRefused(exceptions.APIException):
    """A request Django refused to read, with the status, code and reason of :func:`unreadable_request`."""

    def __init__(self, status_code: int, code: str, detail: str):
        self.status_code = status_code
        super().__init__(detail, code)


def unreadable_request(exc: BaseException | None) -> tuple[int, str, str] | None:
    """Status, code and reason for a request Django refused to read (its body or query string); ``None`` for any
    other exception. Shared by the API's handler, the request guard and ``handler400`` (``tracker.errors``)."""
    if isinstance(exc, RequestDataTooBig):
        size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return (
            413,
            "content_too_large",
            f"The request body is larger than {size / 1024 / 1024:g} MB ({size:,} bytes), the most the tracker "
            "accepts.",
        )
    if isinstance(exc, TooManyFieldsSent):
        return (
            400,
            "invalid",
            f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields (query parameters or form "
            "fields), the most the tracker accepts.",
        )
    if isinstance(exc, TooManyFilesSent):
        return 400, "invalid", f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files."
    if isinstance(exc, MultiPartParserError):
        return (
            400,
            "parse_error",
            "The multipart/form-data body cannot be read: its boundary is missing or invalid, or its parts are "
            "malformed.",
        )
    return None


def _flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field": [...], "items.0": [...], "non_field_errors": [...]}``."""
    key = prefix or NON_FIELD_ERRORS
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for name, value in detail.items():
            name = NON_FIELD_ERRORS if name in ("__all__", NON_FIELD_ERRORS) else str(name)
            for field, messages in _flatten_errors(value, f"{prefix}.{name}" if prefix else name).items():
                errors.setdefault(field, []).extend(messages)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {key: [str(item) for item in detail]}
        errors = {}
        for index, item in enumerate(detail):
            for field, messages in _flatten_errors(item, f"{key}.{index}").items():
                errors.setdefault(field, []).extend(messages)
        return errors
    return {key: [str(detail)]}


def error_body(*, status_code: int, code: str, detail: str, errors: dict | None = None, **extra) -> dict:
    """The shape of every API error: ``status``, ``code``, ``detail``, ``errors`` (field → messages), extras.

    An error may repeat what the client sent; a lone surrogate in it (which the JSON parser already refuses) would
    make the answer impossible to encode as UTF-8, so any is replaced by U+FFFD: an error answer always renders."""
    body = {"status": status_code, "code": code, "detail": detail, "errors": errors or {}, **extra}
    return _encodable(body)


def _encodable(value):
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def api_exception_handler(exc, context):
    """Turn every error into :func:`error_body`; Django's model ``ValidationError`` becomes a 400 with fields, a
    domain conflict a 409 (with what the view's ``conflict_extra(conflict)`` adds, e.g. the current state).

    A write answered with an error wrote nothing: it is taken off the write budget (``core.api.throttling``)."""
    if (request := context.get("request")) is not None:
        refund_refused_write(request)
    if isinstance(exc, DomainConflict):
        view = context.get("view")
        extra = view.conflict_extra(exc) if hasattr(view, "conflict_extra") else {}
        exc = Conflict(str(exc), extra=extra)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif (unreadable := unreadable_request(exc)) is not None:
        exc = RequestRefused(*unreadable)
    # Imported here: rest_framework.views loads this module (the permission, throttle and pagination classes).
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    code = exc.default_code if isinstance(exc, exceptions.APIException) else "error"
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten_errors(exc.detail)
        fields = ", ".join(name for name in errors if name != NON_FIELD_ERRORS)
        detail = f"Invalid input: {fields}." if fields else "Invalid input."
        if not fields and errors.get(NON_FIELD_ERRORS):
            detail = errors[NON_FIELD_ERRORS][0]
    else:
        detail = str(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
        errors = {NON_FIELD_ERRORS: [detail]} if response.status_code == status.HTTP_400_BAD_REQUEST else {}
        if isinstance(exc, exceptions.APIException) and isinstance(exc.get_codes(), str):
            code = exc.get_codes()
    if isinstance(exc, exceptions.Throttled):
        extra["retry_after"] = math.ceil(exc.wait) if exc.wait is not None else None
    if isinstance(exc, Conflict):
        extra.update(exc.extra)
    response.data = error_body(status_code=response.status_code, code=code, detail=detail, errors=errors, **extra)
    return response


def not_found(request, exception=None):
    """The site's 404 handler: JSON in the API's error shape for any address under ``/api/`` that is not an
    endpoint, Django's page (``404.html``) everywhere else."""
    if not request.path_info.startswith("/api/"):
        return page_not_found(request, exception)
    body = error_body(status_code=404, code="not_found", detail=f"No API endpoint at {request.path}.")
    return JsonResponse(body, status=404)
