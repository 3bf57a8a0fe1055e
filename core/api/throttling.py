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
    """Writes only (``POST``), per user: a runaway client cannot flood the history."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
