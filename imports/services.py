"""Bulk import: a dry run that previews every row, and the application of exactly that preview, all or nothing.

1. :func:`import_run_create` records the upload (:class:`~imports.models.ImportRun`: file name, who, kind).
2. :func:`import_preview` reads the file row by row (``imports.readers``: refused as a whole if it is not a CSV or
   XLSX that can be read), in batches of :data:`BATCH_SIZE`: the records a batch touches are loaded in a few
   queries, each row is checked with the web form's rules and compared with its record (``imports.kinds``). The
   result is the plan: each row *new*, *changed* (field, old → new), *unchanged* or *error* (row, column, message),
   with a fingerprint of the touched records' versions. Nothing is written but the run.
3. :func:`import_apply` writes the plan's new and changed rows through the domain services in ONE transaction,
   after checking that the fingerprint still matches (else :class:`ImportConflict`: someone saved since the
   preview). A refusal by any service rolls back every row. The run records the outcome.

Tasks (``imports.tasks``) and the command (``import_records``) call these same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainConflict

from .kinds import CHANGED, ERROR, NEW, UNCHANGED, RowResult, fingerprint, get_kind, messages_of
from .models import ImportedEntry, ImportRun
from .readers import ImportFileError, cell_text, formula_problem, open_table

BATCH_SIZE = 500
PREVIEW_FAILED = (
    "An unexpected error stopped the reading of the file. Nothing was imported: upload it again, and if this happens "
    "again tell an administrator."
)
State = ImportRun.State
Progress = Callable[[int, int], None]


@dataclass
class ImportConflict(DomainConflict):
    """A record the file touches was changed after the preview: nothing was written."""

    run: ImportRun
    detail: str = ""

    def __str__(self) -> str:
        return (
            "Someone changed records in this file after the preview"
            f"{': ' + self.detail if self.detail else ''}. Nothing was imported: upload the file again to see a "
            "fresh preview."
        )


def progress_key(run_id: int) -> str:
    return f"imports:progress:{run_id}"


def report_progress(run_id: int, phase: str, done: int, total: int) -> None:
    """Where a run is (shared through the cache, so that a page can follow a worker; losing it loses no data)."""
    cache.set(progress_key(run_id), {"phase": phase, "done": done, "total": total}, 60 * 60)


def import_run_create(*, kind: str, file_name: str, file_size: int, user, dry_run: bool = False) -> ImportRun:
    """Record an upload before it is read (the audit record of the import)."""
    get_kind(kind)
    return ImportRun.objects.create(
        kind=kind, file_name=file_name[:255], file_size=file_size, created_by=user, dry_run=dry_run
    )


def _batches(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _header_problems(kind, headers: list[str]) -> str | None:
    known = set(kind.column_names)
    unknown = [name for name in headers if name not in known]
    missing = [column.name for column in kind.columns if column.required and column.name not in headers]
    problems = []
    if missing:
        problems.append(f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    if unknown:
        problems.append(f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
    if not problems:
        return None
    return (
        " ".join(problems)
        + f" A {kind.label.lower()} file has the columns {', '.join(kind.column_names)}"
        + f" (required: {', '.join(c.name for c in kind.columns if c.required)}). Download the template to see them."
    )


def _read_rows(kind, table, headers: list[str]) -> Iterator[tuple[RowResult, dict[str, str]]]:
    """Each row as a result to fill in and its cells by column; file-level checks of cells done here."""
    width = len(headers)
    first_seen: dict[str, int] = {}
    key_label = " and ".join(kind.key_columns)
    for number, cells in table.rows:
        raw = dict(zip(headers, cells, strict=False))
        result = RowResult(row=number, key="")
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            result.error("", f"This row has {len(cells)} cells; the header row names {width} columns.")
        for column in headers:
            raw.setdefault(column, "")
            problem = formula_problem(raw[column])
            if problem:
                result.error(column, problem)
        values = {column: cell_text(value) for column, value in raw.items()}
        result.key = kind.key(values)
        for column in kind.key_columns:
            if not values.get(column):
                result.error(column, "This field is required: it identifies the record.")
        if result.key and all(values.get(c) for c in kind.key_columns):
            if result.key in first_seen:
                result.error(
                    kind.key_columns[0],
                    f"The same {key_label} as row {first_seen[result.key]}: a record may appear once per file.",
                )
            else:
                first_seen[result.key] = number
        yield result, values


def import_preview(*, run: ImportRun, file: IO[bytes], progress: Progress | None = None) -> ImportRun:
    """Read ``file`` for ``run`` (a dry run: nothing but the run is written) and store its plan and counts.

    A file that cannot be read leaves the run ``refused`` with the reason in ``message``; an unexpected error leaves
    it ``failed`` with :data:`PREVIEW_FAILED` in ``message``, and is raised.
    """
    kind = get_kind(run.kind)()
    plan: list[dict] = []
    states: list[tuple[str, object]] = []
    counts = dict.fromkeys((NEW, CHANGED, UNCHANGED, ERROR), 0)
    table = None
    try:
        table = open_table(file, run.file_name, run.file_size)
        problem = _header_problems(kind, table.headers)
        if problem:
            raise ImportFileError(problem)
        for batch in _batches(_read_rows(kind, table, table.headers), BATCH_SIZE):
            kind.prepare([values for _, values in batch])
            keys = [result.key for result, _ in batch if result.action != ERROR]
            records = kind.load(keys) if keys else {}
            for result, values in batch:
                if result.action != ERROR:
                    record = records.get(result.key)
                    kind.check(result, values, record)
                    states.append((result.key, kind.state(record)))
                counts[result.action] += 1
                plan.append(result.as_json())
            if progress:
                progress(len(plan), max(int(len(plan) / max(table.fraction_read(), 0.01)), len(plan)))
    except ImportFileError as exc:
        run.state, run.message, run.plan = State.REFUSED, exc.message, None
    except Exception:
        # Not a refusal the reader foresaw: the run still ends (failed, its bytes dropped), never left queued for a
        # page that would wait for it forever; the error goes on to be logged.
        run.state, run.message, run.plan, run.upload = State.FAILED, PREVIEW_FAILED, None, None
        run.save(update_fields=["state", "message", "plan", "upload"])
        raise
    else:
        if not plan:
            run.state, run.message = State.REFUSED, "The file has a header row but no data rows."
        else:
            run.state = State.HAS_ERRORS if counts[ERROR] else State.PREVIEWED
            run.message = ""
        run.plan = plan or None
        run.fingerprint = fingerprint(states)
    finally:
        if table is not None:
            table.close()
    run.rows_total = len(plan)
    run.rows_new, run.rows_changed = counts[NEW], counts[CHANGED]
    run.rows_unchanged, run.rows_error = counts[UNCHANGED], counts[ERROR]
    run.previewed_at = timezone.now()
    run.upload = None
    run.save()
    return run


def _current_fingerprint(kind, plan: list[dict]) -> str:
    states = []
    for batch in _batches((entry for entry in plan if entry["action"] != ERROR), BATCH_SIZE):
        kind.prepare([])
        records = kind.load([entry["key"] for entry in batch])
        states.extend((entry["key"], kind.state(records.get(entry["key"]))) for entry in batch)
    return fingerprint(states)


def _row_message(entry: dict, error: ValidationError) -> str:
    parts = [
        f"{'' if name == '__all__' else name + ': '}{message}"
        for name, messages in messages_of(error).items()
        for message in messages
    ]
    return f"Row {entry['row']} ({entry['key']}): {' '.join(parts)} Nothing was imported."


def import_apply_claim(*, run: ImportRun) -> None:
    """Mark ``run`` as being applied; ``ValidationError`` if it cannot be. Of two confirmations (a double click, two
    tabs, a background worker and a page), only one claims it."""
    if run.dry_run or run.state != State.PREVIEWED:
        raise ValidationError(f"This import cannot be applied: it is {run.get_state_display().lower()}.")
    if not ImportRun.objects.filter(pk=run.pk, state=State.PREVIEWED).update(state=State.APPLYING):
        raise ValidationError("This import is already being applied.")
    run.state = State.APPLYING


def import_apply(*, run: ImportRun, author, progress: Progress | None = None, claimed: bool = False) -> ImportRun:
    """Apply ``run``'s previewed plan on behalf of ``author``: every new and changed row, through the domain
    services, in one transaction, or nothing.

    Raises :class:`ImportConflict` (run marked ``conflict``) when a touched record changed since the preview, and
    ``ValidationError`` when the run cannot be applied (not previewed, has errors, already applied, a dry run;
    ``claimed``: :func:`import_apply_claim` was called already, by the page that sent the task) or
    a service refused a row (run marked ``failed``, with the row and the message). Nothing is written then.
    """
    if not claimed:
        import_apply_claim(run=run)
    elif run.state != State.APPLYING:
        raise ValidationError(f"This import cannot be applied: it is {run.get_state_display().lower()}.")
    kind = get_kind(run.kind)()
    plan = run.plan or []
    writes = [entry for entry in plan if entry["action"] in (NEW, CHANGED)]
    try:
        with transaction.atomic():
            if _current_fingerprint(kind, plan) != run.fingerprint:
                raise ImportConflict(run=run)
            recorded = []
            for done, entry in enumerate(writes, start=1):
                try:
                    entry_made = kind.apply(entry, author)
                except ValidationError as exc:
                    raise ValidationError(_row_message(entry, exc)) from exc
                except DomainConflict as exc:
                    raise ImportConflict(run=run, detail=f"row {entry['row']}, {exc}") from exc
                if entry_made is not None:
                    recorded.append(ImportedEntry(run=run, status_update=entry_made))
                if progress and (done % 100 == 0 or done == len(writes)):
                    progress(done, len(writes))
            # The timeline of each commitment says which of its entries this run recorded.
            ImportedEntry.objects.bulk_create(recorded, batch_size=BATCH_SIZE)
    except ImportConflict as conflict:
        _finish(run, State.CONFLICT, str(conflict))
        raise
    except ValidationError as exc:
        _finish(run, State.FAILED, " ".join(exc.messages))
        raise
    except Exception:
        _finish(run, State.FAILED, "An unexpected error stopped the import. Nothing was imported.")
        raise
    run.applied_by = author
    _finish(run, State.APPLIED, "")
    return run


def _finish(run: ImportRun, state: str, message: str) -> None:
    run.state, run.message = state, message
    run.applied_at = timezone.now() if state == State.APPLIED else None
    run.save(update_fields=["state", "message", "applied_at", "applied_by"])
