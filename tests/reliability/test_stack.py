"""``make stack`` starts the production-shaped processes (Procfile: gunicorn, Celery worker, Celery beat) on
PostgreSQL and Redis, and they work together: a signed-in page, the API, a static file, and beat's sweep run by
the worker.

The stack runs on this test's own database (committed data: ``transaction=True``), on a free port, with its own
Celery queue, so that other tests' workers on the same Redis never take its tasks. Beat's schedule lives in the
database, so the test gives it a one-second schedule for the sweep and waits for the flag the worker opens.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from rest_framework.authtoken.models import Token

from commitments.tests.factories import AgreementFactory
from dialogues.models import OverdueFlag
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]

ROOT = Path(settings.BASE_DIR)
PASSWORD = "correct-horse-battery"
STARTUP_SECONDS = 40
SWEEP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, data: dict | None = None, headers: dict | None = None):
    """(status, headers, body) of one request, redirects not followed."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310  (http://127.0.0.1 only)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def cookies_of(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


@contextmanager
def _stack(tmp_path):
    """``make stack`` on a free port, stopped (the whole process group) at the end; yields its base URL and log."""
    port = free_port()
    log = tmp_path / "stack.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_QUEUE": f"stack-smoke-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "stack-smoke-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
        "BEAT_MAX_INTERVAL": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            ["make", "--no-print-directory", "stack", f"STACK_PORT={port}"],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if fetch(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"the stack did not answer /healthz in {STARTUP_SECONDS} s:\n{log.read_text()}")
        yield base, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_make_stack_serves_pages_and_the_api_and_runs_beats_sweep_on_the_worker(reviewer, tmp_path):
    # The stack hashes passwords as production does (the test settings' MD5 hasher is not among its hashers).
    reviewer.password = PBKDF2PasswordHasher().encode(PASSWORD, "stack-smoke-salt", iterations=1000)
    reviewer.save()
    AgreementFactory(code="SDP", title="Security and Defence Partnership")
    overdue = DialogueBodyFactory(short_name="SMOKE", overdue=True)
    ContactFactory(body=overdue)
    token = Token.objects.create(user=reviewer)
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="smoke: overdue sweep", task="dialogues.tasks.flag_overdue_dialogues", interval=every_second
    )
    started = time.monotonic()
    with _stack(tmp_path) as (base, log):
        # Sign in through the real form (CSRF cookie and token), then a page that needs it.
        status, headers, body = fetch(f"{base}/accounts/login/")
        assert status == 200
        csrf = cookies_of(headers)["csrftoken"]
        form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]
        status, headers, _ = fetch(
            f"{base}/accounts/login/",
            data={
                "username": reviewer.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": form_token,
            },
            headers={"Cookie": f"csrftoken={csrf}", "Referer": f"{base}/accounts/login/"},
        )
        assert status == 302, log.read_text()
        session = cookies_of(headers)["sessionid"]
        status, _, body = fetch(f"{base}/commitments/", headers={"Cookie": f"sessionid={session}"})
        assert status == 200 and reviewer.username in body

        # The API with a token; a static file through WhiteNoise.
        status, _, body = fetch(f"{base}/api/v1/agreements/SDP/", headers={"Authorization": f"Token {token.key}"})
        assert status == 200 and "Security and Defence Partnership" in body
        assert fetch(f"{base}/static/css/tracker.css")[0] == 200

        # Beat sends the sweep every second; the worker runs it and opens the flag in the database.
        deadline = time.monotonic() + SWEEP_SECONDS
        while not OverdueFlag.objects.filter(body=overdue).exists():
            assert time.monotonic() < deadline, f"no flag after {SWEEP_SECONDS} s:\n{log.read_text()}"
            time.sleep(0.5)
        output = log.read_text()
        assert "beat" in output and "dialogues.tasks.flag_overdue_dialogues" in output
    assert time.monotonic() - started < 60
