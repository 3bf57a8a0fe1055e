"""Conditional requests: ``ETag`` / ``Last-Modified`` and ``304 Not Modified``, decided by one aggregate query
over the filtered rows and one over the change log, before the page is read or serialised."""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max, Model, QuerySet, Sum, Value, Window
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import answers

API_VERSION = "v1"


class PreconditionFailed(exceptions.APIException):
    """412: an ``If-Match``, ``If-Unmodified-Since`` (or, on a write, ``If-None-Match``) the current representation
    does not satisfy."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The precondition given in the request headers does not hold."


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


# Names of the window annotations that carry the validators' aggregates on a page's rows.
WINDOW_PREFIX = "_validator_"
# The request headers Django's get_conditional_response decides on.
PRECONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")


def _has_preconditions(request) -> bool:
    meta = request.META
    return any(meta.get(header) for header in PRECONDITIONS)


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def _match_and_unmodified_hold(request, etag: str, last_modified: datetime | None) -> bool:
    """Steps 1 and 2 of RFC 9110 §13.2.2: ``If-Match``, or else ``If-Unmodified-Since``.

    ``If-Match`` compares entity tags *weakly*: the tracker's ETags are weak (they identify the data; the proxy
    compresses the bytes), and RFC 9110's strong comparison would never let one match, so a client could never
    write with the ETag it was sent. A header that holds no entity tag matches nothing. ``If-Unmodified-Since`` is
    ignored where there is no modification date to compare (lists, milestones, meetings) or it is no HTTP date,
    as RFC 9110 §13.1.4 says."""
    meta = request.META
    if_match = meta.get("HTTP_IF_MATCH")
    if if_match:
        tags = parse_etags(if_match)
        return tags == ["*"] or _opaque(etag) in {_opaque(tag) for tag in tags}
    if_unmodified_since = parse_http_date_safe(meta.get("HTTP_IF_UNMODIFIED_SINCE") or "")
    if if_unmodified_since is None or last_modified is None:
        return True
    return int(last_modified.timestamp()) <= if_unmodified_since


def _without_match_and_unmodified(request):
    """The request as Django's ``get_conditional_response`` is to see it once steps 1 and 2 have held: without
    ``If-Match`` and ``If-Unmodified-Since`` (it would compare ``If-Match`` strongly)."""
    django_request = getattr(request, "_request", request)
    stripped = copy.copy(django_request)
    stripped.META = {
        key: value
        for key, value in django_request.META.items()
        if key not in ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
    }
    return stripped


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
    #: Answer repeated reads from the answer cache (``core.api.answers``). Only for views whose answers depend on
    #: nothing but the data, the address and the reader's role (not on who the reader is).
    answer_cache = False
    #: Read a list's page and its validators in one query when nothing can be answered with 304 (see
    #: :meth:`conditional_page`). For lists whose page query reads every filtered row anyway (a sort): where an
    #: index gives the order, or the aggregate is an index-only scan, two queries are cheaper.
    page_in_one_query = False
    _answer_validators: Validators | None = None

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

    @staticmethod
    def _aggregates(freshness: Freshness) -> dict:
        """What a list's validators aggregate over its rows: the count, the latest change, the revision sums."""
        aggregates = {"rows": Count("pk")}
        if freshness.changed_at:
            aggregates["changed_at"] = Max(freshness.changed_at)
        if freshness.last_modified and freshness.last_modified != freshness.changed_at:
            aggregates["last_modified"] = Max(freshness.last_modified)
        for position, name in enumerate(freshness.revisions):
            aggregates[f"revision_{position}"] = Sum(name)
        return aggregates

    def list_validators(self, queryset: QuerySet, freshness: Freshness | None = None) -> Validators:
        freshness = freshness or self.freshness
        values = self.validator_queryset(queryset).order_by().aggregate(**self._aggregates(freshness))
        return self._list_validators_from(values, freshness)

    def _list_validators_from(self, values: dict, freshness: Freshness) -> Validators:
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

    def conditional_answer(self, validators: Validators, *, single_object: bool):
        """The 304 for the request's preconditions, with the validators attached, or ``None`` when the request is
        to be answered (or the write made); :class:`PreconditionFailed` (412) when a precondition does not hold.

        RFC 9110 §13.2.2: ``If-Match`` (compared weakly, see :func:`_match_and_unmodified_hold`), or else
        ``If-Unmodified-Since``; then Django's ``get_conditional_response`` for ``If-None-Match`` (weak comparison,
        decides when present; on a write a match is a 412) and otherwise ``If-Modified-Since`` (reads only). Lists
        get no ``Last-Modified`` to compare, so only their ETag counts.
        """
        if not _has_preconditions(self.request):
            return None  # what the verdict is without any of the headers: skip reading them one by one
        last_modified = validators.last_modified if single_object else None
        if not _match_and_unmodified_hold(self.request, validators.etag, last_modified):
            raise PreconditionFailed()
        answer = get_conditional_response(
            _without_match_and_unmodified(self.request),
            etag=validators.etag,
            last_modified=int(last_modified.timestamp()) if last_modified is not None else None,
        )
        if answer is None:
            return None
        if answer.status_code == status.HTTP_412_PRECONDITION_FAILED:
            raise PreconditionFailed()
        return self.with_validators(answer, validators)

    def with_validators(self, response, validators: Validators):
        response["ETag"] = validators.etag
        if validators.last_modified is not None:
            response["Last-Modified"] = http_date(validators.last_modified.timestamp())
        # Data behind authentication: a cache may keep it for this client only, and must revalidate (by ETag).
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response

    def conditional_list(self, queryset: QuerySet, render, freshness: Freshness | None = None):
        """Answer 304 if the client's copy is current, else ``render(queryset)`` with validators attached."""
        if self.paginator is not None:
            self.paginator.validate_query(self.request)
        validators = self.list_validators(queryset, freshness)
        answer = self.conditional_answer(validators, single_object=False)
        if answer is not None:
            return answer
        self.known_count = validators.rows
        self._answer_validators = validators
        return self.with_validators(render(queryset), validators)

    def conditional_page(self, queryset: QuerySet):
        """A page of the list with its validators: ``conditional_list(queryset, self.paginated)``, but where the view
        allows it (:attr:`page_in_one_query`) and the request has no precondition that a 304 or 412 could answer,
        in **one** query: the page's rows carry the validators' aggregates over every filtered row as window
        functions (``COUNT(*) OVER ()`` and the like), which also give the paginator its count. An empty page
        (a page past the end, or no rows) falls back to the aggregate query."""
        if not (self.page_in_one_query and self.paginator is not None) or _has_preconditions(self.request):
            return self.conditional_list(queryset, self.paginated)
        if type(self).validator_queryset is not ConditionalMixin.validator_queryset:
            return self.conditional_list(queryset, self.paginated)  # the validators count other rows
        self.paginator.validate_query(self.request)
        aggregates = self._aggregates(self.freshness)
        windows = {f"{WINDOW_PREFIX}{name}": Window(expression) for name, expression in aggregates.items()}
        rows = self.paginator.page_rows(queryset.annotate(**windows), self.request)
        if rows:
            first = rows[0]
            values = {name: getattr(first, f"{WINDOW_PREFIX}{name}") for name in aggregates}
            validators = self._list_validators_from(values, self.freshness)
        else:
            validators = self.list_validators(queryset)
        self.known_count = validators.rows
        self._answer_validators = validators
        self.paginator.set_page(rows, count=validators.rows)
        serializer = self.get_serializer(rows, many=True)
        return self.with_validators(self.get_paginated_response(serializer.data), validators)

    # -- writes --
    def initial(self, request, *args, **kwargs):
        """After authentication, permissions and throttles: a write sent with preconditions is made only if they
        hold for what a GET of the same address would answer now (:meth:`check_write_preconditions`)."""
        super().initial(request, *args, **kwargs)
        # Only a write this address makes: an unsupported method stays a 405 whatever its headers (RFC 9110 §13.2.1).
        method = request.method
        if method not in SAFE_METHODS and self._makes(method) and _has_preconditions(request):
            self.check_write_preconditions()

    def _makes(self, method: str) -> bool:
        """Whether this address has a handler for ``method`` (else DRF answers 405 after :meth:`initial`)."""
        return getattr(self, "action", None) is not None and method.lower() in self.http_method_names

    def check_write_preconditions(self) -> None:
        """412 (:class:`PreconditionFailed`) unless ``If-Match`` names the ETag of the object written to (of the list,
        for a POST to it) as a GET answers it now; ``If-Unmodified-Since`` and ``If-None-Match`` likewise. An unknown
        object is the 404 it is without them. Checked before the write starts: the version a write sends
        (``expected_version``) is what guards it atomically."""
        action = self.action
        # The validators of the read at this address, which its ETag and Last-Modified came from.
        self.action = "retrieve" if self.detail else "list"
        try:
            if self.detail:
                validators = self.object_validators(self.get_object())
            else:
                validators = self.list_validators(self.filter_queryset(self.get_queryset()))
        finally:
            self.action = action
        self.conditional_answer(validators, single_object=self.detail)

    # -- the answer cache --
    def answered(self, compute, *, single_object: bool):
        """The answer from the cache when this request's key is there, else ``compute()`` (stored if it is a 200
        with validators). A replayed answer honours ``If-None-Match`` / ``If-Modified-Since`` as a computed one."""
        key = self._answer_key()
        if key is not None:
            answer = answers.get(key)
            if answer is not None:
                return self._replay(answer, single_object=single_object)
        response = compute()
        if key is not None and isinstance(response, Response) and response.status_code == status.HTTP_200_OK:
            validators = self._answer_validators
            if validators is not None:
                return self._keep(key, response, validators)
        return response

    def _answer_key(self) -> str | None:
        request = self.request
        if not self.answer_cache or request.method not in ("GET", "HEAD"):
            return None
        current = answers.request_generation(request)
        if current is None:
            return None
        return answers.answer_key(request, generation_value=current, media_type=request.accepted_media_type)

    def _keep(self, key: str, response: Response, validators: Validators) -> HttpResponse:
        request = self.request
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        content = renderer.render(response.data, media_type, self.get_renderer_context())
        content_type = f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type
        answer = answers.Answer(
            content=content,
            content_type=content_type,
            etag=validators.etag,
            last_modified=answers.timestamp(validators.last_modified),
            rows=validators.rows,
        )
        answers.put(key, answer)
        return self.with_validators(HttpResponse(content, content_type=content_type), validators)

    def _replay(self, answer: answers.Answer, *, single_object: bool):
        validators = Validators(answer.etag, answers.from_timestamp(answer.last_modified), answer.rows)
        early = self.conditional_answer(validators, single_object=single_object)
        if early is not None:
            return early
        return self.with_validators(HttpResponse(answer.content, content_type=answer.content_type), validators)

    def paginated(self, queryset: QuerySet, serializer_class=None):
        page = self.paginate_queryset(queryset)
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def list(self, request, *args, **kwargs):
        return self.answered(
            lambda: self.conditional_page(self.filter_queryset(self.get_queryset())),
            single_object=False,
        )

    def retrieve(self, request, *args, **kwargs):
        return self.answered(self._retrieve, single_object=True)

    def _retrieve(self):
        instance = self.get_object()
        validators = self.object_validators(instance)
        answer = self.conditional_answer(validators, single_object=True)
        if answer is not None:
            return answer
        self._answer_validators = validators
        serializer = self.get_serializer(instance)
        return self.with_validators(Response(serializer.data), validators)
