"""Sign-in throttling: django-axes in front of Django's model backend."""

from axes.backends import AxesStandaloneBackend


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
