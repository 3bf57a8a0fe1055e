"""Settings for the Celery worker process that tests/reliability/test_job_faults.py starts and kills.

The test settings, plus: e-mail through SMTP to the test's own little SMTP server (so that the test can see what
a separate process sent, and can make the server hang), on the test database named in DATABASE_URL.
"""

import os

from tracker.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["TRACKER_TEST_SMTP_PORT"])
EMAIL_USE_TLS = False
EMAIL_HOST_USER = ""
EMAIL_HOST_PASSWORD = ""
