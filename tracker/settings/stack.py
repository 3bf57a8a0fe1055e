"""``make stack``: the production settings, served over plain HTTP on this machine (no TLS proxy in front).

Everything else is production's: DEBUG off, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL`` required,
static files from ``collectstatic`` through WhiteNoise, the Redis cache and broker, beat's database schedule.
Only what needs HTTPS is relaxed, because nothing terminates TLS here: the redirect to HTTPS, HSTS and the
secure (``__Host-``) cookies. In docker-compose.yml, Caddy terminates TLS and ``tracker.settings.production``
applies unchanged.
"""

from .production import *  # noqa: F403
from .production import CONTENT_SECURITY_POLICY

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        name: value
        for name, value in CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
        if name != "upgrade-insecure-requests"
    },
}

# Static files straight from the apps' and the project's folders, served by WhiteNoise from gunicorn: no
# collectstatic step (which compresses 20 MB, over a minute on this machine). The image runs collectstatic.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
