"""A large file through a REAL Celery worker on Redis: read in the background, previewed, applied."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from commitments.models import Commitment
from commitments.tests.factories import AgreementFactory, CommitmentFactory
from imports.models import ImportRun
from tracker.celery import app as celery_app

from .support import csv_bytes, upload

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis]

HEADER = ["reference", "agreement", "title", "description", "area", "strength"]


@pytest.fixture
def redis_worker(transactional_db):
    """An in-process worker consuming from REDIS_URL against the test database (as in dialogues/tests)."""
    assert not celery_app.conf.task_always_eager, "with REDIS_URL set, tasks must go through the broker"
    celery_app.control.purge()
    return lambda: start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30)


def _wait_for(run_id: int, states, timeout=60.0) -> ImportRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ImportRun.objects.get(pk=run_id)
        if run.state in states:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} is still {ImportRun.objects.get(pk=run_id).state}")


def test_a_large_file_is_read_and_applied_by_a_worker_while_the_page_shows_progress(
    redis_worker, client, editor, settings
):
    settings.IMPORT_BACKGROUND_BYTES = 1000
    agreement = AgreementFactory(code="SDP")
    CommitmentFactory(agreement=agreement, reference="SDP §0", title="Before")
    rows = [[f"SDP §{n}", "SDP", f"Title {n}", "Promised.", "space", "explore"] for n in range(1200)]
    content = csv_bytes(HEADER, rows)
    client.force_login(editor)

    response = client.post(
        reverse("imports:import_start"), {"kind": "commitments", "file": upload("big.csv", content)}
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    assert run.state == ImportRun.State.QUEUED  # nobody has read it yet: the worker is not running
    assert "<progress" in client.get(run.get_absolute_url()).content.decode()
    assert client.get(reverse("imports:run_progress", args=[run.pk])).json()["working"] is True

    with redis_worker():
        run = _wait_for(run.pk, {ImportRun.State.PREVIEWED, ImportRun.State.HAS_ERRORS})
        assert (run.rows_new, run.rows_changed, run.rows_total) == (1199, 1, 1200)
        assert run.upload is None
        progress = client.get(reverse("imports:run_progress", args=[run.pk])).json()
        assert progress["phase"] == "reading" and progress["done"] == 1200

        assert client.post(run.get_absolute_url()).status_code == 302
        run = _wait_for(run.pk, {ImportRun.State.APPLIED, ImportRun.State.FAILED, ImportRun.State.CONFLICT})

    assert run.state == ImportRun.State.APPLIED, run.message
    assert run.applied_by == editor
    assert Commitment.objects.count() == 1200
    assert Commitment.objects.get(reference="SDP §0").title == "Title 0"
    assert client.get(reverse("imports:run_progress", args=[run.pk])).json()["percent"] == 100
