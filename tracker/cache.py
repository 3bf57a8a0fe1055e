"""A Redis cache that degrades to "no cache" while Redis is down, instead of failing the request.

The cache holds nothing that must survive (API throttle counters, cached fragments): when Redis cannot be reached,
reads miss, writes are dropped and a warning is logged, so pages and the API keep answering. Throttling is then
lenient until Redis is back; sign-in throttling does not depend on it (django-axes keeps its counts in the
database).
"""

from __future__ import annotations

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("tracker.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrading(method_name: str, fallback):
    method = getattr(RedisCache, method_name)

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE as exc:
            logger.warning("Cache unavailable (%s), carrying on without it: %s", method_name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    return wrapper


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, except that an unreachable Redis behaves like an empty cache."""

    get = _degrading("get", _default)
    get_many = _degrading("get_many", {})
    has_key = _degrading("has_key", False)
    set = _degrading("set", None)
    set_many = _degrading("set_many", [])
    add = _degrading("add", False)
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    delete_many = _degrading("delete_many", None)
    incr = _degrading("incr", lambda key, delta=1, version=None: delta)
    clear = _degrading("clear", None)
