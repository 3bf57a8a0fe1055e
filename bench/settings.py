"""Settings of the benchmark run (``make bench``): production-like (no DEBUG), on the benchmark's own database.

Used both in-process by ``bench/run.py`` and by the gunicorn server it starts for the load test, so that both
measure the same configuration. Only what a benchmark must differ in is changed here.
"""

from tracker.settings.base import *  # noqa: F403
from tracker.settings.base import INSTALLED_APPS, REST_FRAMEWORK, env

DEBUG = False
# The synthetic data generator (``generate_synthetic``) exists only here: production and local settings do not
# install it. ``BENCHMARK_DATABASE`` lets ``--replace`` empty this database, and only this one.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
BENCHMARK_DATABASE = True
BENCH_DATABASE_URL = env("BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/tracker_bench")
DATABASES = {"default": env.db_url_config(BENCH_DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = None if DATABASES["default"]["ENGINE"].endswith("postgresql") else 0
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# Notifications of the overdue sweep stay in memory; background tasks run in-process.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# The benchmark user signs in once per run; a fast hasher keeps that out of the figures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Throttling would turn the load test into a test of the throttle: the bench measures the work behind it.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})),
}
# Static files straight from the app folders, as in the tests: the benchmark never runs collectstatic.
STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# The tracker's URLs plus the hand-written floor view the API is measured against (bench/views.py): only here.
ROOT_URLCONF = "bench.urls"
