"""Throttles whose rates come from the settings at request time (per anonymous address, per user, per write)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


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
    """Accepted writes, per user: a runaway client cannot flood the history.

    A write is counted when it is let through, and taken off again when it is refused (:func:`refund_refused_write`,
    from the API's exception handler): a refused write stores nothing, and a client fixing its payload is not locked
    out of writing for the period. Every request, refused writes included, still counts against the per-user budget
    of :class:`UserThrottle`, which is what bounds a client that keeps sending bad writes.
    """

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        allowed = super().allow_request(request, view)
        if allowed and self.key is not None:
            request.counted_write = self
        return allowed

    def refund(self) -> None:
        history = self.cache.get(self.key, [])
        if self.now in history:
            history.remove(self.now)
            self.cache.set(self.key, history, self.duration)


def refund_refused_write(request) -> None:
    """Take a refused write (any error answer: nothing was written) off its user's write budget."""
    throttle = getattr(request, "counted_write", None)
    if throttle is not None:
        request.counted_write = None
        throttle.refund()
