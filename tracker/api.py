"""What every endpoint of the REST API shares.

- who may read and write (:class:`ReadOrEditorWrite`),
- pagination with a bounded page size (:class:`TrackerPagination`),
- throttles whose rates come from the settings at request time (:class:`UserThrottle` and friends),
- conditional requests: ``ETag`` / ``Last-Modified`` and ``304 Not Modified``, decided by one aggregate query
  over the filtered rows and one over the change log, before the page is read or serialised
  (:class:`ConditionalMixin`),
- strict JSON input types (:class:`StrictModelSerializer`),
- the one JSON shape of every error (:func:`api_exception_handler`).
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db import models
from django.db.models import Count, Max, Model, QuerySet, Sum, Value
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django.views.defaults import page_not_found
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from tracker.permissions import is_editor

API_VERSION = "v1"
# The largest id a BigAutoField can hold: larger ids in request bodies are refused before they reach the database.
MAX_ID = 2**63 - 1
NON_FIELD_ERRORS = "non_field_errors"

# --- Permissions --------------------------------------------------------------------------------------------


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


# --- Pagination ---------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")


def _positive_int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw) if _DIGITS.fullmatch(raw) else 0
    except ValueError:  # more digits than Python converts
        value = 0
    if value < 1:
        raise exceptions.ValidationError({name: ["Use a whole number from 1 upwards."]})
    return value


class TrackerPagination(PageNumberPagination):
    """``?page=N&page_size=M``: ``count``, ``next``, ``previous``, ``results``.

    ``page_size`` defaults to ``PAGE_SIZE`` (50) and is capped at :attr:`max_page_size` (100): a larger value
    returns 100 rows, never an error. A malformed ``page`` or ``page_size`` is a 400; a page past the end a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def validate_query(self, request) -> None:
        """Refuse a malformed ``page`` or ``page_size`` up front (before a 304 could answer the request)."""
        _positive_int_param(request, self.page_query_param)
        _positive_int_param(request, self.page_size_query_param)

    def get_page_size(self, request) -> int:
        requested = _positive_int_param(request, self.page_size_query_param)
        default = self.page_size or api_settings.PAGE_SIZE
        return min(requested or default, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        page_number = _positive_int_param(request, self.page_query_param) or 1
        paginator = self.django_paginator_class(queryset, page_size)
        known_count = getattr(view, "known_count", None)
        if known_count is not None:
            # The conditional-request check has just counted the same queryset: do not count it twice.
            paginator.count = known_count
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise exceptions.NotFound(
                f"Page {page_number} does not exist: there are {paginator.num_pages} pages of {page_size}."
            ) from exc
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the end is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page, from 1; default {self.page_size or api_settings.PAGE_SIZE}. "
                    f"Values above {self.max_page_size} are capped at {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "results"]
        paginated["properties"]["count"]["minimum"] = 0
        return paginated


# --- Throttling ---------------------------------------------------------------------------------------------


class RatesFromSettings:
    """DRF binds throttle rates when the class is imported; read them per request so settings changes apply."""

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no {self.scope!r} rate."
            ) from exc


class AnonThrottle(RatesFromSettings, AnonRateThrottle):
    """Anonymous readers (``PUBLIC_READ``), per client address."""

    scope = "anon"


class UserThrottle(RatesFromSettings, UserRateThrottle):
    """Every request of a signed-in user or token (one token per user), per user."""

    scope = "user"


class WriteThrottle(RatesFromSettings, UserRateThrottle):
    """Writes only (``POST``), per user: a runaway client cannot flood the history."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


# --- Errors -------------------------------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    """409: the write was based on a state that has changed; ``extra`` carries the current state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource was changed by someone else."

    def __init__(self, detail=None, *, extra: dict | None = None):
        super().__init__(detail)
        self.extra = extra or {}


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
    """The shape of every API error: ``status``, ``code``, ``detail``, ``errors`` (field → messages), extras."""
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or {}, **extra}


def api_exception_handler(exc, context):
    """Turn every error into :func:`error_body`; Django's model ``ValidationError`` becomes a 400 with fields."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
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


# --- Strict JSON input --------------------------------------------------------------------------------------


class _StringOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringOnly, serializers.CharField):
    """A JSON string; a number or a boolean is refused rather than converted."""


class StrictURLField(_StringOnly, serializers.URLField):
    """A JSON string that is an absolute URL, or empty where the model allows blank."""


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer; ``"5"``, ``true`` and ``1.5`` are refused rather than converted."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(int(data) if isinstance(data, float) else data)


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A related record named by its code: a JSON string, without NUL characters (which PostgreSQL cannot even
    compare), looked up in the database only if it can be a code."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


_STRICT_TYPES = {serializers.CharField: StrictCharField, serializers.IntegerField: StrictIntegerField}


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose strings, URLs and integers accept only those JSON types.

    The model's own limits (lengths, ranges, URL syntax) still come from the model fields, and the services
    still run ``full_clean()``: this only stops ``"50"`` or ``true`` being read as numbers and text.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: _STRICT_TYPES[mapped]
            for field, mapped in serializers.ModelSerializer.serializer_field_mapping.items()
            if mapped in _STRICT_TYPES
        },
        models.URLField: StrictURLField,
    }


# --- Conditional requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How to tell cheaply whether a representation may have changed (see :class:`ConditionalMixin`)."""

    # Aggregated with Max over the rows: a modification time, or "pk" for append-only rows.
    changed_at: str | None = None
    # A true modification time of each row, sent as Last-Modified (combined with the history watermarks).
    last_modified: str | None = None
    # Per-row counters that every write increments (version columns): their sums move with each write even
    # when two writes share a timestamp.
    revisions: tuple[str, ...] = ()
    # Models whose data appears in each row (codes of the framework, body, commitment named): their
    # django-simple-history log records every edit, addition and deletion with its time.
    histories: tuple[type[Model], ...] = ()
    # The representation depends on today's date (days overdue, overdue filters).
    daily: bool = False


@dataclass(frozen=True)
class Validators:
    """What a response is validated by: its ETag, its Last-Modified (if meaningful) and the row count."""

    etag: str
    last_modified: datetime | None
    rows: int


@functools.cache
def _history_union(models: tuple[type[Model], ...]) -> QuerySet:
    """One query for the last entry of each model's change log; built once, cloned for each request."""
    parts = [
        model.history.order_by()
        .annotate(position=Value(position))
        .values("position")
        .annotate(last=Max("pk"), at=Max("history_date"))
        .values_list("position", "last", "at")
        for position, model in enumerate(models)
    ]
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def latest_history_change(*models: type[Model]) -> list[tuple[int | None, datetime | None]]:
    """The last entry of each model's django-simple-history log (edits, additions and deletions): its id, which
    grows with every change whatever the clock says, and its time. One query for all the models."""
    if not models:
        return []
    found = {position: (last, at) for position, last, at in _history_union(models).all()}
    return [found.get(position, (None, None)) for position in range(len(models))]


def _latest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


class ConditionalMixin:
    """ETag (and Last-Modified) on list and detail responses; a matching ``If-None-Match`` is answered with 304
    *before* the page is fetched or anything is serialised.

    A list's validator comes from one aggregate over the filtered queryset (row count and the latest
    :attr:`Freshness.changed_at`), the latest change of each model in :attr:`Freshness.histories`, today's date
    where the data depends on it, and everything else that shapes the body: the query string, the negotiated
    media type, the host. The ETag is weak (``W/"..."``): it identifies the data, not the bytes.

    ``Last-Modified`` is sent where :attr:`Freshness.last_modified` is a true modification time. It is an upper
    bound: the rows' latest modification or the latest change of a model they name, whichever is later.
    ``If-Modified-Since`` is honoured on single objects only: deleting a row, or a row leaving a filter, does not
    move a list's latest timestamp, so lists are revalidated by ``ETag`` alone.
    """

    freshness = Freshness()
    known_count: int | None = None

    # -- hooks a view may extend --
    def validator_queryset(self, queryset: QuerySet) -> QuerySet:
        """The queryset to count and aggregate (the listed one, without annotations it does not need)."""
        return queryset

    def extra_validator_parts(self) -> list:
        """Further values the list's representation depends on (e.g. counts of related rows)."""
        return []

    def object_validator_parts(self, obj) -> list:
        """The values of ``obj`` its representation depends on, beyond :attr:`Freshness.changed_at`."""
        return []

    # -- machinery --
    def today(self) -> date:
        if not hasattr(self, "_today"):
            self._today = timezone.localdate()
        return self._today

    def _validators(self, freshness: Freshness, parts: list, rows: int, last_modified) -> Validators:
        request = self.request
        histories = latest_history_change(*freshness.histories)
        shape = [
            API_VERSION,
            self.basename,
            self.action,
            sorted(self.kwargs.items()),
            sorted((key, sorted(values)) for key, values in request.query_params.lists()),
            getattr(request, "accepted_media_type", ""),
            request.get_host(),
            self.today() if freshness.daily else None,
            histories,
            rows,
            *parts,
        ]
        digest = hashlib.sha256(repr(shape).encode()).hexdigest()[:40]
        if last_modified is not None:
            last_modified = _latest(last_modified, *(at for _, at in histories))
        return Validators(etag=f'W/"{digest}"', last_modified=last_modified, rows=rows)

    def list_validators(self, queryset: QuerySet, freshness: Freshness | None = None) -> Validators:
        freshness = freshness or self.freshness
        aggregates = {"rows": Count("pk")}
        if freshness.changed_at:
            aggregates["changed_at"] = Max(freshness.changed_at)
        if freshness.last_modified and freshness.last_modified != freshness.changed_at:
            aggregates["last_modified"] = Max(freshness.last_modified)
        for position, name in enumerate(freshness.revisions):
            aggregates[f"revision_{position}"] = Sum(name)
        values = self.validator_queryset(queryset).order_by().aggregate(**aggregates)
        last_modified = values.get("last_modified", values.get("changed_at")) if freshness.last_modified else None
        revisions = [values[f"revision_{position}"] for position in range(len(freshness.revisions))]
        parts = [values.get("changed_at"), *revisions, *self.extra_validator_parts()]
        return self._validators(freshness, parts, values["rows"], last_modified)

    def object_validators(self, obj) -> Validators:
        freshness = self.freshness
        parts = [getattr(obj, freshness.changed_at) if freshness.changed_at else None]
        parts += [getattr(obj, name) for name in freshness.revisions]
        parts += self.object_validator_parts(obj)
        last_modified = getattr(obj, freshness.last_modified) if freshness.last_modified else None
        return self._validators(freshness, parts, 1, last_modified)

    def is_not_modified(self, validators: Validators, *, single_object: bool) -> bool:
        """RFC 9110 §13.2.2: ``If-None-Match`` decides when present; otherwise ``If-Modified-Since`` may."""
        if_none_match = self.request.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = parse_etags(if_none_match)
            if "*" in tags:
                return True
            own = validators.etag.removeprefix("W/")
            return any(tag.removeprefix("W/") == own for tag in tags)
        if_modified_since = self.request.headers.get("If-Modified-Since")
        if single_object and if_modified_since and validators.last_modified is not None:
            since = parse_http_date_safe(if_modified_since)
            return since is not None and int(validators.last_modified.timestamp()) <= since
        return False

    def with_validators(self, response, validators: Validators):
        response["ETag"] = validators.etag
        if validators.last_modified is not None:
            response["Last-Modified"] = http_date(validators.last_modified.timestamp())
        # Data behind authentication: a cache may keep it for this client only, and must revalidate (by ETag).
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response

    def not_modified(self, validators: Validators):
        return self.with_validators(Response(status=status.HTTP_304_NOT_MODIFIED), validators)

    def conditional_list(self, queryset: QuerySet, render, freshness: Freshness | None = None):
        """Answer 304 if the client's copy is current, else ``render(queryset)`` with validators attached."""
        if self.paginator is not None:
            self.paginator.validate_query(self.request)
        validators = self.list_validators(queryset, freshness)
        if self.is_not_modified(validators, single_object=False):
            return self.not_modified(validators)
        self.known_count = validators.rows
        return self.with_validators(render(queryset), validators)

    def paginated(self, queryset: QuerySet, serializer_class=None):
        page = self.paginate_queryset(queryset)
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        return self.conditional_list(queryset, self.paginated)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        validators = self.object_validators(instance)
        if self.is_not_modified(validators, single_object=True):
            return self.not_modified(validators)
        serializer = self.get_serializer(instance)
        return self.with_validators(Response(serializer.data), validators)


class FiltersOnListMixin:
    """Query-string filters narrow lists; on a single object (``/commitments/7/?status=x``) they are ignored."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


# --- Schema (drf-spectacular) -------------------------------------------------------------------------------

ERROR_CODES = (
    "invalid, parse_error, not_authenticated, authentication_failed, permission_denied, not_found, "
    "method_not_allowed, not_acceptable, unsupported_media_type, conflict, throttled"
)


class ErrorSerializer(serializers.Serializer):
    """Every error has this shape (see :func:`api_exception_handler`)."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(help_text=f"What went wrong, for programs: one of {ERROR_CODES}.")
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=(
            "400 only: each invalid field (or query parameter) with its messages; `non_field_errors` for the request "
            "as a whole. Empty for other errors."
        ),
    )


class ThrottledErrorSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(allow_null=True, help_text="Seconds to wait (also the Retry-After header).")
