"""Production settings: everything secret or host-specific must come from the environment.

Required: ``SECRET_KEY`` (50+ random characters), ``ALLOWED_HOSTS``, ``DATABASE_URL``; usually also
``REDIS_URL``, ``CSRF_TRUSTED_ORIGINS``, ``SITE_URL`` and ``EMAIL_URL``. The process refuses to start when a
required one is missing. ``python manage.py check --deploy --fail-level WARNING`` passes with them set
(tests/security/test_production_settings.py runs exactly that).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# No silent fallback to a SQLite file next to the code: production data lives in the configured database.
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# HTTPS only: the proxy in front of gunicorn terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Upgrade any http:// sub-resource a page might name to https://.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {**CONTENT_SECURITY_POLICY["DIRECTIVES"], "upgrade-insecure-requests": True},
}
# The health check answers plain HTTP too: probes inside the compose network or the load balancer do not use TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
