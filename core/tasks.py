"""What the daily and weekly jobs (the overdue sweep, the digests) share: how Celery runs and retries them."""

from django.db import InterfaceError, OperationalError

# A job is acknowledged only when done, so a lost worker's job runs again (the jobs are idempotent). Transient
# database failures (a restart, a fail-over, a dropped connection, a serialisation failure) are retried with an
# exponential backoff; anything else is a bug or bad input and fails at once, visibly.
PERIODIC_JOB_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 5,
    "retry_backoff": 30,
    "retry_backoff_max": 15 * 60,
    "retry_jitter": True,
}
