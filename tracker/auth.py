"""Sign-in throttling: django-axes in front of Django's model backend, keyed on an address a client cannot forge."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings


def client_ip(request) -> str:
    """The address sign-in failures are counted against.

    ``X-Forwarded-For`` is written by the client first and appended to by each proxy, so only its last
    ``TRUSTED_PROXY_COUNT`` entries are trustworthy; with no trusted proxy the header is ignored altogether.
    Otherwise an attacker would send a new made-up address with every guess and never be locked out.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


class SignInAttemptBackend(AxesStandaloneBackend):
    """Refuse sign-ins from a (username, client address) pair that django-axes has locked out.

    Every sign-in over HTTP (the sign-in page, the admin's) passes the request, so it is counted and throttled.
    Authentication without a request has no client to throttle (a shell, a management command, the test client's
    ``login()``), so it is left to the next backend instead of failing with an error.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
