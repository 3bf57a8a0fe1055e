"""The bulk import measured: the dry run and the application of a commitment file, time and peak memory.

For each number of rows (``ImportCase.rows``, 2,000 and 10,000 by default) a CSV is written to a temporary file:
half of it corrects the title of existing (synthetic) commitments, the rest adds new ones (as many corrections as the
data set has commitments). It is previewed (``imports.services.import_preview``, read from the file on disk, as the
command does) and applied (``import_apply``, every row through ``commitment_update`` / ``commitment_create``) in a
transaction that is rolled back afterwards, so the data set is left as it was.

Peak memory is Python's own allocations during a step (``tracemalloc``), measured in a second run because tracing
slows Python down (the times are untraced), next to the size of the file and of the preview it produced: the
reading is streamed, so the peak per row stays about the same from the small file to the large one, and what grows
with the file is the preview itself (one small entry per row).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import time
import tracemalloc
from typing import Any

from django.db import transaction

from commitments.models import Agreement, Commitment
from dialogues.models import DialogueBody

# The application is traced for memory up to this many rows (tracing doubles its time; its memory is the plan's).
PEAK_OF_APPLY_UP_TO = 2_000
HEADER = ["reference", "agreement", "title", "description", "area", "strength", "responsible_body", "target_date"]


class _Rollback(Exception):
    pass


def write_file(path: str, rows: int) -> dict[str, int]:
    """A commitment file of ``rows`` rows: corrections of existing commitments, then new ones."""
    existing = list(
        Commitment.objects.order_by("pk")
        .select_related("agreement", "responsible_body")
        .only(*HEADER[:6], "agreement__code", "responsible_body__short_name", "target_date")[: rows // 2]
        .iterator(chunk_size=2000)
    )
    agreement = Agreement.objects.order_by("pk").values_list("code", flat=True).first()
    body = DialogueBody.objects.order_by("pk").values_list("short_name", flat=True).first() or ""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for c in existing:
            writer.writerow(
                [
                    c.reference,
                    c.agreement.code,
                    f"{c.title[:180]} (corrected)",
                    c.description,
                    c.area,
                    c.strength,
                    c.responsible_body.short_name if c.responsible_body else "",
                    c.target_date.isoformat() if c.target_date else "",
                ]
            )
        for n in range(rows - len(existing)):
            writer.writerow(
                [
                    f"IMPORT-BENCH §{n}",
                    agreement,
                    f"Imported commitment {n}",
                    "What was promised, paraphrased in a sentence or two as staff write it in a spreadsheet.",
                    "space",
                    "develop",
                    body,
                    "",
                ]
            )
    return {"changed": len(existing), "new": rows - len(existing)}


def _timed(step) -> tuple[Any, float]:
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def _peak(step) -> tuple[Any, int]:
    """``step``'s result and the peak of Python's allocations while it ran (tracing slows it: timed apart)."""
    tracemalloc.start()
    try:
        result = step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def measure_import(rows: int, *, apply: bool = True) -> dict[str, Any]:
    """Time and peak memory of the dry run (and the application) of a commitment file of ``rows`` rows."""
    from imports.models import ImportRun
    from imports.services import import_apply, import_preview, import_run_create

    handle, path = tempfile.mkstemp(prefix="tracker-import-", suffix=".csv")
    os.close(handle)
    out: dict[str, Any] = {"rows": rows}
    try:
        out.update(write_file(path, rows))
        out["file_bytes"] = os.path.getsize(path)
        run = import_run_create(kind="commitments", file_name="bench.csv", file_size=out["file_bytes"], user=None)

        def preview():
            with open(path, "rb") as file:
                return import_preview(run=run, file=file)

        run, seconds = _timed(preview)
        run.state = ImportRun.State.QUEUED
        run, peak = _peak(preview)
        out["dry_run"] = {"seconds": round(seconds, 2), "peak_mb": round(peak / 1e6, 1)}
        out["preview_bytes"] = len(json.dumps(run.plan))
        out["peak_bytes_per_row"] = round(peak / rows)
        out["outcome"] = {"new": run.rows_new, "changed": run.rows_changed, "error": run.rows_error}
        if run.rows_error:
            out["errors"] = [entry for entry in run.plan if entry["action"] == "error"][:3]
        if apply and run.state == ImportRun.State.PREVIEWED:

            def apply_and_roll_back():
                run.refresh_from_db()  # previewed again: the last application was rolled back
                try:
                    with transaction.atomic():
                        import_apply(run=run, author=None)
                        raise _Rollback
                except _Rollback:
                    return run

            _, seconds = _timed(apply_and_roll_back)
            out["apply"] = {"seconds": round(seconds, 2)}
            if rows <= PEAK_OF_APPLY_UP_TO:
                _, peak = _peak(apply_and_roll_back)
                out["apply"]["peak_mb"] = round(peak / 1e6, 1)
        ImportRun.objects.filter(pk=run.pk).delete()
    finally:
        os.unlink(path)
    return out


def memory_growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Peak memory per row of the largest file against the smallest: about 1 when memory follows the rows."""
    if len(results) < 2:
        return {}
    small, large = results[0], results[-1]
    return {
        "rows": f"{small['rows']} → {large['rows']}",
        "peak_per_row_ratio": round(large["peak_bytes_per_row"] / small["peak_bytes_per_row"], 2),
        "peak_vs_file_ratio": round(large["dry_run"]["peak_mb"] * 1e6 / large["file_bytes"], 2),
    }
