"""The API's answer cache: a repeated ``GET`` of unchanged data is answered with the bytes of the first answer.

An answer is stored under a key made of the data generation (``core.generation``: it moves with every write, on
every path, and again after each commit), the database, today's date, the address (host, scheme, path, sorted
query), the negotiated media type and what the reader may see (anonymous, reader, editor, administrator). A write
therefore never has to find what it made stale: the next read asks for a key that nobody has stored yet.

Two levels: a small table in each process (no round trip at all), then the ``default`` cache (Redis in
production, shared by every process). Redis being down costs speed only: django-redis answers a miss and drops
the write (``IGNORE_EXCEPTIONS``), and the generation lives in the database, so nothing stale becomes reachable
when Redis comes back. Entries also expire after ``API_ANSWER_CACHE_SECONDS``.

Token look-ups (``CachedTokenAuthentication``) are kept per process under the sign-in generation (read in the same
query), which only writes to users, groups, permissions and tokens move: deleting a token, deactivating a user or
changing someone's groups is such a write, so the next request looks the token up again; a status update is not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core import generation
from core.fragments import LocalTable, enabled, reader_role
from core.roles import EDITORS

# Moved on when an answer changes shape, or a request once answered is now refused, without a write to the data:
# a new release then replays nothing stored by the one before (v2: precision fields, unknown query parameters).
KEY_PREFIX = "api-answer:v2:"
_REQUEST_GENERATION = "_tracker_generation"


_local_answers = LocalTable(128)
_local_tokens = LocalTable(512)
# Larger answers go to the shared cache only.
LOCAL_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class Answer:
    """What is replayed: the body and its validators (the ETag and, for single objects, Last-Modified)."""

    content: bytes
    content_type: str
    etag: str
    last_modified: float | None
    rows: int


def _request_generations(request, using: str) -> tuple[int | None, int | None]:
    """The data and sign-in generations, read once per request (one query) and remembered on it."""
    request = getattr(request, "_request", request)
    if not hasattr(request, _REQUEST_GENERATION):
        setattr(request, _REQUEST_GENERATION, generation.current_with_auth(using) if enabled() else (None, None))
    return getattr(request, _REQUEST_GENERATION)


def request_generation(request, using: str = "default") -> int | None:
    """The data generation of this request."""
    return _request_generations(request, using)[0]


def request_auth_generation(request, using: str = "default") -> int | None:
    """The sign-in generation of this request (read with the data generation)."""
    return _request_generations(request, using)[1]


def answer_key(request, *, generation_value: int, media_type: str) -> str:
    """The cache key of the answer to ``request`` at ``generation_value``."""
    shape = [
        connections["default"].settings_dict.get("NAME"),
        generation_value,
        timezone.localdate().isoformat(),
        reader_role(request.user),
        request.scheme,
        request.get_host(),
        media_type,
        request.path,
        sorted((key, sorted(values)) for key, values in request.query_params.lists()),
    ]
    return KEY_PREFIX + hashlib.sha256(repr(shape).encode()).hexdigest()


def get(key: str) -> Answer | None:
    answer = _local_answers.get(key)
    if answer is None:
        answer = caches["default"].get(key)
        if isinstance(answer, Answer) and len(answer.content) <= LOCAL_MAX_BYTES:
            _local_answers.put(key, answer)
    return answer if isinstance(answer, Answer) else None


def put(key: str, answer: Answer) -> None:
    if len(answer.content) <= LOCAL_MAX_BYTES:
        _local_answers.put(key, answer)
    caches["default"].set(key, answer, timeout=getattr(settings, "API_ANSWER_CACHE_SECONDS", 600))


def clear_local() -> None:
    """Forget this process's tables (tests: entries of another test's database)."""
    _local_answers.clear()
    _local_tokens.clear()


def timestamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def from_timestamp(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


@dataclass(frozen=True)
class _FoundToken:
    """What a token look-up found, as column values: each request gets model instances of its own, so nothing a
    request caches on its user (related objects, permissions) outlives it."""

    token: tuple
    user: tuple
    is_editor: bool

    @classmethod
    def of(cls, user, token) -> _FoundToken:
        return cls(_columns(token), _columns(user), user._tracker_is_editor)

    def rebuild(self, token_model):
        user_model = token_model.user.field.related_model
        # ``from_db`` with every column, in order: the instances a queryset would give, built the way it builds them.
        user, token = user_model.from_db("default", None, self.user), token_model.from_db("default", None, self.token)
        user._tracker_is_editor = self.is_editor
        token.user = user
        return user, token


def _columns(instance) -> tuple:
    return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, looked up once per sign-in generation and process.

    A token deleted (revoked), a user deactivated or changed, moved between groups: each is a write to the tables
    the look-up reads, which moves the sign-in generation, so the next request looks the token up again. Writes to
    the tracker's data do not.
    """

    def authenticate(self, request):
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        current = request_auth_generation(self._request)
        if current is None:
            return self._look_up(key)
        cache_key = (connections["default"].settings_dict.get("NAME"), current, key)
        found = _local_tokens.get(cache_key)
        if found is None:
            found = _FoundToken.of(*self._look_up(key))  # AuthenticationFailed is never kept
            _local_tokens.put(cache_key, found)
        return found.rebuild(self.get_model())

    def _look_up(self, key):
        """DRF's look-up, with the Editors membership read in the same query (``core.roles.is_editor`` uses it)."""
        model = self.get_model()
        editors = model.user.field.related_model.groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name=EDITORS
        )
        try:
            token = model.objects.select_related("user").annotate(user_is_editor=Exists(editors)).get(key=key)
        except model.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token.user._tracker_is_editor = token.user_is_editor
        return (token.user, token)
