"""Faults around the overdue job: Redis down, runs missed, and a worker killed in the middle of a sweep.

The worker tests start a real Celery worker process (prefork, one child) on Redis against the test database,
kill its child with SIGKILL at a chosen point of the sweep, as the kernel's OOM killer or a lost machine would, and
check that the redelivered task (``acks_late`` + ``reject_on_worker_lost``) completes the sweep with exactly one
flag and one e-mail per overdue body.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from commitments.tests.factories import CommitmentFactory, MilestoneFactory, StatusUpdateFactory
from dialogues.models import FlagNotification, OverdueFlag
from dialogues.services import overdue_sweep
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory, MeetingFactory

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def overdue_bodies(db):
    """ALPHA (reports to PARENT) and BETA are overdue on 27 Nov 2026; each has a contact."""
    parent = DialogueBodyFactory(short_name="PARENT", established_on=dt.date(2026, 1, 1))
    alpha = DialogueBodyFactory(short_name="ALPHA", established_on=dt.date(2020, 1, 1), reports_to=parent)
    beta = DialogueBodyFactory(short_name="BETA", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=parent, email="parent@example.eu")
    ContactFactory(body=alpha, email="alpha@example.eu")
    ContactFactory(body=beta, email="beta@example.eu")
    return alpha, beta


# --- Missed runs ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_next_sweep_catches_up_after_days_without_one(overdue_bodies, django_capture_on_commit_callbacks):
    """Redis was down for a week: no sweep ran. The first one after says since when each body is overdue (not
    "since today") and sends one notice per body, and a second run adds nothing."""
    alpha, _ = overdue_bodies
    later = alpha.overdue_after + dt.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep(on=later)
    assert summary.opened == 2
    flag = OverdueFlag.objects.get(body=alpha)
    assert flag.overdue_since == alpha.overdue_after + dt.timedelta(days=1)
    assert flag.days_overdue_at_opening == (later - alpha.next_due_on).days
    assert FlagNotification.objects.filter(status="sent").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        again = overdue_sweep(on=later + dt.timedelta(days=1))
    assert again.opened == 0 and again.notices_claimed == 0
    assert OverdueFlag.objects.count() == 2


@pytest.mark.django_db
def test_the_site_keeps_serving_when_redis_is_down(reviewer, editor):
    """Cache and broker unreachable: every page and API read still answers 200. (The API's throttles keep their
    counters in the cache: with Django's plain Redis cache every API request would be a 500.)"""
    from tests.security.test_authorisation_matrix import EXPECTED

    dead = "redis://127.0.0.1:1/0"
    from tracker.settings.base import REDIS_CACHE_OPTIONS

    caches = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": dead, "OPTIONS": REDIS_CACHE_OPTIONS}
    }
    with override_settings(CACHES=caches, CELERY_BROKER_URL=dead, CELERY_RESULT_BACKEND=dead):
        from django.core.cache import caches as cache_handler

        cache_handler["default"].close()
        commitment = CommitmentFactory(with_body=True)
        update = StatusUpdateFactory(commitment=commitment, author=editor)
        meeting = MeetingFactory(body=commitment.responsible_body)
        milestone = MilestoneFactory(commitment=commitment)
        data = {
            "commitment": commitment,
            "body": commitment.responsible_body,
            "update": update,
            "meeting": meeting,
            "milestone": milestone,
        }
        for user in (reviewer, editor):
            client = Client(raise_request_exception=False)
            client.force_login(user)
            for name, expect in EXPECTED.items():
                if not expect.public_read:
                    continue
                url = expect.url(data)
                assert client.get(url).status_code == 200, (user, name)


# --- A worker killed mid-sweep -------------------------------------------------------------------------------


class SMTPSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server that records each message, or, while ``hang`` is set, accepts a connection and never
    answers (a mail server that stopped responding: the sender waits on it)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []
        self.hang = threading.Event()
        self.hung_connections = threading.Event()
        super().__init__(("127.0.0.1", 0), SMTPHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        sink: SMTPSink = self.server
        if sink.hang.is_set():
            sink.hung_connections.set()
            while sink.hang.is_set():
                time.sleep(0.05)
            return  # close without a greeting: that connection is lost
        self.reply("220 sink ready")
        recipients, data = [], None
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data is not None:
                if line == ".":
                    sink.messages.append((recipients, "\n".join(data)))
                    recipients, data = [], None
                    self.reply("250 queued")
                else:
                    data.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                data = []
                self.reply("354 go ahead")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def reply(self, text: str):
        self.wfile.write(f"{text}\r\n".encode())
        self.wfile.flush()


@pytest.fixture
def smtp_sink():
    sink = SMTPSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.hang.clear()
    sink.shutdown()
    sink.server_close()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker_process(transactional_db, smtp_sink, tmp_path):
    """A real ``celery worker`` (prefork, one child) for the test database, e-mailing through ``smtp_sink``."""
    from tracker.celery import app as celery_app

    celery_app.control.purge()
    settings_dict = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.reliability.worker_settings",
        DATABASE_URL=(
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        ),
        TRACKER_TEST_SMTP_PORT=str(smtp_sink.port),
        # The notices a killed run had claimed may be taken over at once (the run is known dead here).
        OVERDUE_NOTICE_LEASE_MINUTES="0",
        PYTHONPATH=str(ROOT),
    )
    log = tmp_path / "worker.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tracker",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    process.log = log
    try:
        wait_for(lambda: "ready" in log.read_text(), 60, "the worker to start")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill_the_child(process) -> int:
    children = children_of(process.pid)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)
    return children[0]


def assert_swept_once(sink: SMTPSink):
    wait_for(
        lambda: FlagNotification.objects.filter(status="sent").count() == 2, 90, "the retried sweep to send 2 notices"
    )
    assert sorted(OverdueFlag.objects.values_list("body__short_name", flat=True)) == ["ALPHA", "BETA"]
    assert FlagNotification.objects.count() == 2
    time.sleep(1)  # anything sent twice would arrive now
    assert sorted(sorted(to) for to, _ in sink.messages) == [
        ["alpha@example.eu", "parent@example.eu"],
        ["beta@example.eu"],
    ]


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_a_worker_killed_inside_the_sweep_transaction(overdue_bodies, worker_process, smtp_sink):
    """Killed while the sweep holds its transaction open: nothing was committed; the redelivered task does it all."""
    from dialogues.tasks import flag_overdue_dialogues

    alpha, _ = overdue_bodies
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as blocker, psycopg.connect(**params, autocommit=True) as observer:
        # Hold ALPHA's row: the sweep's SELECT ... FOR NO KEY UPDATE waits there, in the middle of its transaction.
        blocker.execute("SELECT id FROM dialogues_dialoguebody WHERE id = %s FOR UPDATE", [alpha.pk])
        flag_overdue_dialogues.delay(TODAY.isoformat())
        wait_for(
            lambda: (
                observer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                >= 1
            ),
            60,
            "the sweep to wait on the locked row",
        )
        kill_the_child(worker_process)
        wait_for(
            lambda: "WorkerLostError" in worker_process.log.read_text() or "exited" in worker_process.log.read_text(),
            30,
            "the worker to notice its child died",
        )
        blocker.rollback()  # the row is free: the redelivered task goes through
    assert_swept_once(smtp_sink)


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_a_worker_killed_after_the_commit_while_sending(overdue_bodies, worker_process, smtp_sink):
    """Killed after the flags and claims were committed, while waiting on the mail server: the redelivered task
    opens no second flag and sends each notice exactly once."""
    from dialogues.tasks import flag_overdue_dialogues

    smtp_sink.hang.set()
    flag_overdue_dialogues.delay(TODAY.isoformat())
    assert smtp_sink.hung_connections.wait(60), "the sweep never reached the mail server"
    assert OverdueFlag.objects.count() == 2  # committed before sending
    assert FlagNotification.objects.filter(status="pending").count() == 2
    kill_the_child(worker_process)
    smtp_sink.hang.clear()
    assert_swept_once(smtp_sink)


# --- The cache while Redis is down ---------------------------------------------------------------------------


def test_the_cache_degrades_to_no_cache_when_redis_is_down(caplog):
    from django_redis.cache import RedisCache

    from tracker.settings.base import REDIS_CACHE_OPTIONS

    cache = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": REDIS_CACHE_OPTIONS})
    with caplog.at_level("WARNING", logger="tracker.cache"):
        assert cache.get("throttle_user_1", []) == []
        cache.set("throttle_user_1", [1.0], 60)
        assert not cache.add("k", 1)
        assert cache.get_many(["a", "b"]) == {}
        cache.incr("n")
        cache.delete("k")
    assert "Exception ignored" in caplog.text
    assert all(record.name == "tracker.cache" for record in caplog.records)


def test_the_configured_cache_is_the_resilient_one_when_redis_is_used(settings):
    from tracker.settings import base

    if base.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
        assert settings.CACHES["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
