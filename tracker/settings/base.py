"""Settings shared by every environment, read from the environment (12-factor, django-environ).

Without any variable set the tracker runs embedded: SQLite next to the code, e-mail to the console,
Celery tasks executed in-process. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-not-for-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Anonymous visitors may read (never write) when PUBLIC_READ=1.
PUBLIC_READ = env.bool("PUBLIC_READ", default=False)
# Absolute base URL used in e-mails sent by background jobs (no request to build it from).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "core.admin_apps.TrackerAdminConfig",  # django.contrib.admin with the project's site (core.admin_base)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_celery_beat",
    "csp",
    "axes",
    # Layers, top to bottom (imports run downwards only; see the README's Architecture section):
    "tracker",  # wiring and site-wide pieces: commands, backup, seed loader, error pages
    "imports",  # bulk import of spreadsheets (CSV, XLSX) through the domain services, with a dry run
    "webhooks",  # signed callbacks to integrators when something changes (listens to core.events)
    "subscriptions",  # following, the weekly digest, the calendar feed
    "dashboards",  # the delegation's read layer over both domain apps
    "commitments",
    "dialogues",
    "core",  # the shared base: source documents, roles, form, filter and API helpers
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # NUL in the path (404) or a query parameter (400), an over-long address (414), oversized headers (431): refused
    # here, before static files, sessions, CSRF or any view read them (tracker/middleware.py).
    "tracker.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracker.middleware.SiteLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a lost database connection inside a view into a clean 503 (tracker/errors.py; handler500 covers the
    # rest). Axes last: it turns a sign-in refused because of a lockout into the lockout page.
    "tracker.errors.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.roles",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
# The sign-in page, saying "You have signed out" (templates/registration/login.html reads the flag).
LOGOUT_REDIRECT_URL = "/accounts/login/?signed_out=1"

# --- Security: sessions, sign-in throttling, headers (tested in tests/security/) ---------------------------------
# A session lasts at most SESSION_COOKIE_AGE seconds after sign-in (12 hours: one working day), and ends with the
# browser. Cookies are never readable from JavaScript.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes counts failed sign-ins per (username, client IP) pair: after AXES_FAILURE_LIMIT failures that pair is
# locked out for AXES_COOLOFF_TIME hours and sees templates/registration/locked_out.html (HTTP 429); every failure
# is stored (admin: "Access attempts") and logged. An administrator lifts a lockout by deleting the attempt in the
# admin, or with `manage.py axes_reset_username USERNAME` / `axes_reset`. Locking by the pair, not by the username
# alone, stops anyone from locking a colleague out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "tracker.auth.SignInAttemptBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Log the username and address of each failure (the password is always masked), without axes' start-up banner.
AXES_SENSITIVE_PARAMETERS = []
AXES_VERBOSE = False
# The client address comes from REMOTE_ADDR, which a client cannot forge. Behind N reverse proxies set
# TRUSTED_PROXY_COUNT=N: the address is then the one the outermost trusted proxy saw (tracker.auth.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "tracker.auth.client_ip"

# Headers on every response. The Content Security Policy allows scripts, styles, images and fonts from this site
# only: no inline script or style, no CDN, no framing. Templates must therefore keep JavaScript and CSS in static
# files (tests/security/test_headers.py renders every page and fails on inline code).
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The admin's history pages are read-only: no "revert to this version" (history is evidence, see README).
SIMPLE_HISTORY_REVERT_DISABLED = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Redis is optional: without it the cache is per-process and Celery tasks run in-process.
REDIS_URL = env("REDIS_URL", default="")
# While Redis is down the site runs uncached instead of failing: django-redis answers a read with a miss and drops a
# write (IGNORE_EXCEPTIONS), logging each ignored error under "tracker.cache"; short socket timeouts so that a
# request never hangs on it. The cache holds nothing that must survive (API throttle counters): throttling is
# lenient until Redis is back; sign-in throttling does not depend on it (django-axes counts in the database).
REDIS_CACHE_OPTIONS = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "tracker.cache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery (tracker/celery.py reads every CELERY_* setting) ---------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_RESULT_EXPIRES = 60 * 60 * 24 * 7
# Without Redis (the embedded default) tasks run in-process, so nothing is ever left waiting for a worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
# The queue that web and beat send to and the worker takes from (one stack per queue on a shared Redis).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# Acknowledge after the task ran, so a worker killed mid-task leaves the message to be redelivered; tasks are
# idempotent (database unique keys), so a redelivery is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The visibility timeout must outlast the longest task plus its retry countdown, or Redis redelivers it while
# it still runs; a short connect timeout keeps a web request from hanging on a Redis that is down.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60, "socket_connect_timeout": 3}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3
# Beat reads its schedule from the database (django-celery-beat): the daily sweep at 06:00 Europe/Brussels is
# created by the migration dialogues/0003 and can be changed or paused in the admin without a deploy.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- The overdue sweep (dialogues.services.overdue_sweep) -------------------------------------------------------
# A reminder every N days while a flag stays open; 0 sends only the opening notice.
OVERDUE_REMINDER_DAYS = env.int("OVERDUE_REMINDER_DAYS", default=30)
# A notice claimed but not sent (the sending process died) is taken over by the next sweep after this lease.
OVERDUE_NOTICE_LEASE_MINUTES = env.int("OVERDUE_NOTICE_LEASE_MINUTES", default=30)
# A notice that failed to send this many times is marked failed and left for a person to look at in the admin.
OVERDUE_NOTICE_MAX_ATTEMPTS = env.int("OVERDUE_NOTICE_MAX_ATTEMPTS", default=5)

# --- Webhooks (webhooks/): signed POSTs to integrators ------------------------------------------------------------
# Deliveries to private, loopback or reserved addresses are refused unless this is set (tests, closed networks).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

# --- Bulk import (imports/) ---------------------------------------------------------------------------------------
# A larger upload is refused unread; an XLSX whose zip members would unpack to more than this is refused unopened
# (a zip bomb); a file larger than IMPORT_BACKGROUND_BYTES is read and applied by a Celery task with a progress bar.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20_000_000)
IMPORT_XLSX_MAX_UNCOMPRESSED = env.int("IMPORT_XLSX_MAX_UNCOMPRESSED", default=200_000_000)
IMPORT_BACKGROUND_BYTES = env.int("IMPORT_BACKGROUND_BYTES", default=200_000)
# Seconds for each socket operation of one attempt (connect, send, each read).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Attempts per delivery (the first and its retries), retried after 30 s, 60 s, 120 s, ... at most an hour apart.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BACKOFF_SECONDS = env.float("WEBHOOK_RETRY_BACKOFF_SECONDS", default=30.0)
WEBHOOK_RETRY_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_RETRY_BACKOFF_MAX_SECONDS", default=3600.0)
# A hook whose last N attempts all failed is disabled and the administrators are told.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)

# --- The weekly digest (subscriptions/) ---------------------------------------------------------------------------
# A digest claimed by a run that died before sending is taken over by a later run after this lease.
DIGEST_LEASE_MINUTES = env.int("DIGEST_LEASE_MINUTES", default=30)
DIGEST_MAX_ATTEMPTS = env.int("DIGEST_MAX_ATTEMPTS", default=5)

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="EU–Japan tracker <tracker@localhost>")

# The REST API (/api/v1/): see tracker/api.py and the README's "API" section.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, looked up once per data generation (core.api.answers).
        "core.api.answers.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ReadOrEditorWrite"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's negotiation, its answer kept per renderer classes, format and Accept header (core.api.negotiation).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.KeptContentNegotiation",
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.DepthLimitedJSONParser"],
    # django-filter's backend, refusing the query parameters no filter or page reads (core.api.filtering).
    "DEFAULT_FILTER_BACKENDS": ["core.api.filtering.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.TrackerPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonThrottle",
        "core.api.throttling.UserThrottle",
        "core.api.throttling.WriteThrottle",
    ],
    # Per user (a system's token is its user's), per client address for anonymous readers. Every request counts
    # against "user"; an accepted write against "write" too (a refused one is taken off it: core.api.throttling).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="600/hour"),
        "user": env("API_THROTTLE_USER", default="3600/hour"),
        "write": env("API_THROTTLE_WRITE", default="600/hour"),
    },
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.TrackerAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Repeated reads of unchanged data are answered from the cache (core.api.answers), keyed by the data generation
# that every write moves (core.generation); entries expire after this many seconds in any case.
API_ANSWER_CACHE = env.bool("API_ANSWER_CACHE", default=True)
API_ANSWER_CACHE_SECONDS = env.int("API_ANSWER_CACHE_SECONDS", default=600)
SPECTACULAR_SETTINGS = {
    "TITLE": "EU–Japan commitment tracker API",
    "DESCRIPTION": (
        "Frameworks, commitments, dialogue bodies, meetings and the status history of EU–Japan cooperation. "
        "Authenticate with `Authorization: Token <key>` (or the web session). Lists are paginated "
        "(`count`, `next`, `previous`, `results`); every response carries an `ETag`, send it back as "
        "`If-None-Match` to get `304 Not Modified` when nothing changed, or as `If-Match` on a write to have it "
        "refused (`412`) if the object changed since. Errors share one JSON shape: "
        "`status`, `code`, `detail`, `errors`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "commitments.choices.Status",
        "UpdateKindEnum": "commitments.choices.UpdateKind",
        "DatePrecisionEnum": "core.models.DatePrecision",
        # Commitments and dialogue bodies both have a read-only "state", from different vocabularies.
        "CommitmentStateEnum": "commitments.choices.CommitmentState",
        "BodyStateEnum": "dialogues.choices.BodyState",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to validator.swagger.io (or anywhere else) from the documentation page.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "displayRequestDuration": True},
}

# One log line per failed request (tracker/errors.py marks the responses it logged itself, so django.request adds
# no second line or traceback to a 503). The loggers that report cache failures are rate-limited: while Redis is
# down, the first warning of each kind, then one with a count per LOG_RATE_LIMIT_SECONDS (tracker/log_filters.py).
# django_redis.cache is listed for a cache on django-redis (IGNORE_EXCEPTIONS, DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS).
CACHE_OUTAGE_LOGGERS = ["tracker.cache", "django_redis.cache"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "outage_rate_limit": {
            "()": "tracker.log_filters.RateLimitFilter",
            "interval": env.float("LOG_RATE_LIMIT_SECONDS", default=60.0),
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes: failed and locked-out sign-ins are warnings; successful ones need no line each.
        "axes": {"level": "WARNING"},
        **{name: {"filters": ["outage_rate_limit"]} for name in CACHE_OUTAGE_LOGGERS},
    },
}

# Two indexes carry INCLUDE columns so that PostgreSQL answers the overview's grouped counts from the index alone;
# SQLite (the embedded default) builds them without those columns, which is only slower, so its warning is noise.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
