"""Celery tasks of the bulk import: thin wrappers around ``imports.services``, taking ids, never objects."""

from __future__ import annotations

import contextlib
import io
import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import ImportRun
from .services import ImportConflict, import_apply, import_preview, report_progress

logger = logging.getLogger(__name__)
LIMITS = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 14 * 60, "time_limit": 15 * 60}


@shared_task(name="imports.tasks.preview_import", **LIMITS)
def preview_import(run_id: int) -> dict:
    """Read the file kept with run ``run_id`` and store its preview (:func:`imports.services.import_preview`).

    Idempotent: a run already read (a redelivery) is left as it is. An unexpected error is logged here and ends the
    run as failed (``import_preview`` records it), so the page following the run stops waiting and says so."""
    run = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).first()
    if run is None or run.upload is None:
        return {"run": run_id, "state": "already read"}
    try:
        run = import_preview(
            run=run,
            file=io.BytesIO(bytes(run.upload)),
            progress=lambda done, total: report_progress(run_id, "reading", done, total),
        )
    except Exception:
        logger.exception("Reading import run %s failed", run_id)
        return {"run": run_id, "state": ImportRun.State.FAILED}
    return {"run": run_id, "state": run.state, "rows": run.rows_total}


@shared_task(name="imports.tasks.apply_import", **LIMITS)
def apply_import(run_id: int, user_id: int | None) -> dict:
    """Apply the previewed run ``run_id`` on behalf of user ``user_id`` (:func:`imports.services.import_apply`);
    the run records the outcome (applied, conflict or failed: all or nothing)."""
    run = ImportRun.objects.get(pk=run_id)
    author = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    with contextlib.suppress(ImportConflict, ValidationError):  # recorded on the run, which the page shows
        import_apply(
            run=run,
            author=author,
            claimed=True,
            progress=lambda done, total: report_progress(run_id, "applying", done, total),
        )
    run.refresh_from_db()
    return {"run": run_id, "state": run.state}


def enqueue_on_commit(task, *args) -> None:
    """Send ``task`` once the current transaction commits (at once outside one; run in-process when tasks are
    eager, the embedded default). A broker outage is logged, never raised to the person who uploaded."""

    def send():
        try:
            task.delay(*args)
        except Exception:
            logger.exception("Could not enqueue %s%s", task.name, args)

    transaction.on_commit(send)
