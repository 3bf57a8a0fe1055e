"""The Celery task around the overdue sweep: retries, its schedule, a real worker on Redis, and a broker outage."""

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import IntegrityError, OperationalError

from dialogues.models import FlagNotification, OverdueFlag
from dialogues.services import SweepSummary
from dialogues.tasks import flag_overdue_dialogues
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory, MeetingFactory
from tests.support import registered_task
from tracker.celery import app as celery_app

pytestmark = pytest.mark.django_db

TODAY = "2026-11-27"


@pytest.fixture
def overdue_bodies():
    """ALPHA and BETA are overdue on 27 Nov 2026 (never met since 2020; last met in 2024); GAMMA met in 2026."""
    parent = DialogueBodyFactory(short_name="PARENT", established_on=dt.date(2026, 1, 1))
    alpha = DialogueBodyFactory(short_name="ALPHA", established_on=dt.date(2020, 1, 1), reports_to=parent)
    beta = DialogueBodyFactory(short_name="BETA", established_on=dt.date(2020, 1, 1))
    gamma = DialogueBodyFactory(short_name="GAMMA", established_on=dt.date(2020, 1, 1))
    MeetingFactory(body=beta, held_on=dt.date(2024, 5, 1))
    MeetingFactory(body=gamma, held_on=dt.date(2026, 3, 1))
    ContactFactory(body=parent, email="parent@example.eu")
    ContactFactory(body=alpha, email="alpha@example.eu")
    ContactFactory(body=beta, email="beta@example.eu")
    ContactFactory(body=gamma, email="gamma@example.eu")
    return alpha, beta, gamma


def _summary(**counts):
    return SweepSummary(on=dt.date(2026, 11, 27), **{"opened": 0, "still_open": 0, "closed": 0} | counts)


# --- The task, run in-process ---------------------------------------------------------------------------------


def test_the_task_runs_the_sweep_for_the_given_day_and_returns_its_summary(
    overdue_bodies, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = flag_overdue_dialogues.apply(args=[TODAY]).get()
    assert result["opened_bodies"] == ["ALPHA", "BETA"]
    assert (result["on"], result["opened"], result["still_open"], result["closed"]) == (TODAY, 2, 0, 0)
    assert sorted(sorted(m.to) for m in mail.outbox) == [
        ["alpha@example.eu", "parent@example.eu"],
        ["beta@example.eu"],
    ]


def test_without_a_date_the_task_sweeps_today():
    with mock.patch("dialogues.tasks.overdue_sweep", return_value=_summary(notices_claimed=0)) as sweep:
        flag_overdue_dialogues.apply().get()
    sweep.assert_called_once_with(on=None)


@pytest.fixture
def eager_failures_recorded():
    """Run ``.apply()`` as a worker would: a failure is recorded in the result instead of raised (Celery's eager
    retries re-apply the task with the app's ``task_eager_propagates``, so the setting itself is switched)."""
    before = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = before


def test_a_transient_database_error_is_retried_then_the_sweep_succeeds(eager_failures_recorded):
    failures = [OperationalError("server closed the connection unexpectedly")] * 2
    with mock.patch("dialogues.tasks.overdue_sweep", side_effect=[*failures, _summary(opened=1, notices_claimed=1)]):
        result = flag_overdue_dialogues.apply(args=[TODAY])
    assert result.successful() and result.get()["opened"] == 1


def test_retries_are_bounded(eager_failures_recorded):
    error = OperationalError("could not connect to server")
    with mock.patch("dialogues.tasks.overdue_sweep", side_effect=error) as sweep:
        result = flag_overdue_dialogues.apply(args=[TODAY])
    assert result.failed() and isinstance(result.result, OperationalError)
    assert sweep.call_count == flag_overdue_dialogues.max_retries + 1 == 6


@pytest.mark.parametrize("error", [IntegrityError("duplicate key"), ValueError("bad date")])
def test_other_errors_fail_at_once(error, eager_failures_recorded):
    with mock.patch("dialogues.tasks.overdue_sweep", side_effect=error) as sweep:
        result = flag_overdue_dialogues.apply(args=[TODAY])
    assert result.failed() and sweep.call_count == 1


def test_a_malformed_date_fails_without_sweeping(eager_failures_recorded):
    result = flag_overdue_dialogues.apply(args=["27/11/2026"])
    assert result.failed() and isinstance(result.result, ValueError)
    assert not OverdueFlag.objects.exists()


def test_the_task_is_acknowledged_late_and_time_limited():
    task = registered_task("dialogues.tasks.flag_overdue_dialogues")
    assert task.acks_late and task.reject_on_worker_lost
    assert (task.soft_time_limit, task.time_limit) == (300, 360)
    assert task.max_retries == 5 and OperationalError in task.autoretry_for


# --- The schedule -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(2026, 11, 27), dt.date(2026, 7, 1)], ids=["winter-utc+1", "summer-utc+2"])
def test_beat_sends_the_sweep_daily_at_six_in_brussels_from_the_database_schedule(settings, day):
    """The migration's entry, read by beat's DatabaseScheduler (so editable in the admin without a deploy), comes
    due at 06:00 Brussels time whatever the offset from UTC."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    brussels = ZoneInfo("Europe/Brussels")
    model = PeriodicTask.objects.get(task="dialogues.tasks.flag_overdue_dialogues")
    assert model.enabled and model.args == "[]" and model.interval is None
    model.last_run_at = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(6), tzinfo=brussels)
    model.save()
    with time_machine.travel(dt.datetime.combine(day, dt.time(5, 59, 30), tzinfo=brussels), tick=False):
        entry = DatabaseScheduler(app=celery_app, lazy=True).all_as_schedule()[model.name]
        assert entry.task == "dialogues.tasks.flag_overdue_dialogues" in celery_app.tasks
        due, next_check = entry.is_due()
        assert not due and next_check == pytest.approx(30, abs=1)
    with time_machine.travel(dt.datetime.combine(day, dt.time(6, 0, 1), tzinfo=brussels), tick=False):
        assert entry.is_due().is_due


# --- A real worker on Redis -------------------------------------------------------------------------------------


@pytest.fixture
def redis_worker(transactional_db):
    """Start an in-process Celery worker consuming from REDIS_URL against the test database, ``pool`` and
    ``concurrency`` as given. In-process, so it sees the test database and the locmem outbox; transactional, so
    what it writes is committed and visible to the test."""
    assert not celery_app.conf.task_always_eager, "with REDIS_URL set, tasks must go through the broker"
    celery_app.control.purge()  # nothing left over from an earlier run may reach this database

    def start(pool="solo", concurrency=1):
        return start_worker(
            celery_app, pool=pool, concurrency=concurrency, perform_ping_check=False, shutdown_timeout=30
        )

    return start


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_task_from_the_broker_and_emails_the_contacts(overdue_bodies, redis_worker):
    with redis_worker():
        result = flag_overdue_dialogues.delay(TODAY)
        summary = result.get(timeout=60)
    assert summary == {
        "on": TODAY,
        "opened": 2,
        "still_open": 0,
        "closed": 0,
        "notices_claimed": 2,
        "notices_sent": 2,
        "opened_bodies": ["ALPHA", "BETA"],
    }
    assert sorted(OverdueFlag.objects.filter(closed_at__isnull=True).values_list("body__short_name", flat=True)) == [
        "ALPHA",
        "BETA",
    ]
    by_body = {m.subject.split(": ")[1].split(" has")[0]: sorted(m.to) for m in mail.outbox}
    assert by_body == {
        "Dialogue ALPHA": ["alpha@example.eu", "parent@example.eu"],
        "Dialogue BETA": ["beta@example.eu"],
    }
    assert all("http://127.0.0.1:8000/dialogues/" in m.body for m in mail.outbox)


@pytest.mark.celery_worker
def test_the_task_sent_twice_to_two_concurrent_workers_flags_and_emails_once(overdue_bodies, redis_worker):
    first, second = flag_overdue_dialogues.delay(TODAY), flag_overdue_dialogues.delay(TODAY)
    with redis_worker(pool="threads", concurrency=2):
        summaries = [first.get(timeout=60), second.get(timeout=60)]
    assert sorted(s["opened"] for s in summaries) == [0, 2]
    assert sorted(s["still_open"] for s in summaries) == [0, 2]
    assert OverdueFlag.objects.count() == 2
    assert FlagNotification.objects.count() == 2
    assert len(mail.outbox) == 2
