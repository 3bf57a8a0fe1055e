"""Test settings: fast hashing, in-memory e-mail; the database still comes from DATABASE_URL."""

import os

from .base import *  # noqa: F403

DEBUG = False
# The suite also tests the benchmark tooling (bench/), so it installs the generator's app as the benchmark
# settings do; production and local settings never do.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the finders: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The API's throttle counters live in the cache, which is shared (Redis) and outlives a test run: tests are not
# throttled unless they say so (the throttling tests set their own low rates).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/hour", "user": "100000/hour", "write": "100000/hour"},
}

# The tests' webhook receivers listen on 127.0.0.1: allowed here only (the refusal itself is tested by switching
# this off). Set from the environment as in production, defaulting to on for the test run.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=True)

# Under pytest-xdist each worker process has its own test database and, in the worker tests, its own in-process
# Celery worker. Each takes its own queue on the shared Redis, so that no worker runs a task against another's
# database, nor purges another's messages.
if os.environ.get("PYTEST_XDIST_WORKER"):
    CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-{os.environ['PYTEST_XDIST_WORKER']}"
