"""Rendered parts of pages kept under the data generation (``core.generation``): a page whose body costs more the
more data there is (the overview, "what changed") renders it once per generation, day and address.

The key holds the data generation (every write, by any path, moves it, and again after the commit), the database,
today's date, the reader's role, the path and the sorted query: a write or a new day makes every earlier entry
unreachable, so none can be served stale. Two levels, as the API's answers (``core.api.answers``): a small table
in each process, then the ``default`` cache (Redis in production); entries expire after
``PAGE_FRAGMENT_CACHE_SECONDS`` (600); ``API_ANSWER_CACHE=0`` turns this off too. What a fragment shows must
depend on nothing else (not on who reads it beyond the role, nor on the time of day).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.utils import timezone

from core import generation
from core.roles import is_editor

KEY_PREFIX = "page-fragment:v1:"


class LocalTable:
    """A small thread-safe LRU table of one process."""

    def __init__(self, size: int):
        self.size = size
        self._rows: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._rows.get(key)
            if value is not None:
                self._rows.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._rows[key] = value
            self._rows.move_to_end(key)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


_local = LocalTable(32)


def enabled() -> bool:
    return getattr(settings, "API_ANSWER_CACHE", True)


def reader_role(user) -> str:
    """What the reader may see, as far as any kept answer or fragment can differ by it."""
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    if user.is_superuser:
        return "administrator"
    return "editor" if is_editor(user) else "reader"


def fragment_key(request, name: str) -> str | None:
    """The key of fragment ``name`` of the page ``request`` asks for, or ``None`` when nothing may be kept."""
    if not enabled() or request.method not in ("GET", "HEAD"):
        return None
    current = generation.current()
    if current is None:
        return None
    shape = [
        name,
        connections["default"].settings_dict.get("NAME"),
        current,
        timezone.localdate().isoformat(),
        reader_role(request.user),
        request.path,
        sorted((key, sorted(values)) for key, values in request.GET.lists()),
    ]
    return KEY_PREFIX + hashlib.sha256(repr(shape).encode()).hexdigest()


def rendered(request, name: str, render: Callable[[], str]) -> str:
    """Fragment ``name`` of this page: kept, or ``render()`` now (and kept)."""
    key = fragment_key(request, name)
    if key is None:
        return render()
    text = _local.get(key)
    if text is None:
        text = caches["default"].get(key)
        if not isinstance(text, str):
            text = render()
            caches["default"].set(key, text, timeout=getattr(settings, "PAGE_FRAGMENT_CACHE_SECONDS", 600))
        _local.put(key, text)
    return text


def clear_local() -> None:
    """Forget this process's table (tests: entries of another test's database)."""
    _local.clear()
