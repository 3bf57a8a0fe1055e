"""Logging filters attached by the settings (``LOGGING``): keep an outage from flooding the logs.

While Redis is down every cache operation fails (several per request: the API's throttles, cached fragments),
and each failure is worth knowing about once, not thousands of times. :class:`RateLimitFilter` lets the first
record of a kind through, drops the repeats for ``interval`` seconds while counting them, and adds the count to
the next record it lets through: "first, then a count". A kind is the logger's name, the level and the message
template, so two different problems are each reported.

It is attached to the loggers that report cache failures (``CACHE_OUTAGE_LOGGERS`` in the settings: the tracker's
own ``tracker.cache``, and django-redis's logger should the cache switch to django-redis with
``IGNORE_EXCEPTIONS``), so it works whichever of them emits the warnings, and for every handler.
"""

from __future__ import annotations

import logging
import threading
import time


class RateLimitFilter(logging.Filter):
    """At most one record of each kind per ``interval`` seconds; the next one says how many were dropped."""

    def __init__(self, interval: float = 60.0, clock=time.monotonic):
        super().__init__()
        self.interval = float(interval)
        self.clock = clock
        self._lock = threading.Lock()
        self._kinds: dict[tuple, list] = {}  # kind -> [when the last record was let through, records dropped since]

    def reset(self) -> None:
        """Forget what was seen (tests)."""
        with self._lock:
            self._kinds.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            seen = self._kinds.get(kind)
            if seen is not None and now - seen[0] < self.interval:
                seen[1] += 1
                return False
            dropped = seen[1] if seen is not None else 0
            self._kinds[kind] = [now, 0]
        if dropped:
            record.msg = f"{record.msg} [{dropped} more like this in the last {self.interval:g} s, not logged]"
        return True
