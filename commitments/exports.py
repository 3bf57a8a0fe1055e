"""The commitment list as CSV, one file for the web page (``/commitments/export.csv``) and the API
(``/api/v1/commitments/?format=csv``): the columns, the rows and the streamed response.

The file is the *whole* filtered list, not one page. It is read from the database in chunks by one query (on
PostgreSQL a server-side cursor): the latest note and evidence come from correlated subqueries on the status
history, so neither memory nor the number of queries grows with the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from core.exports import csv_response, xlsx_response
from core.models import DatePrecision
from core.templatetags.facts import approx_iso

from .models import Commitment

COLUMNS = (
    "id",
    "reference",
    "title",
    "description",
    "agreement",
    "agreement_title",
    "area",
    "area_label",
    "strength",
    "strength_label",
    "actor",
    "status",
    "status_label",
    "state",
    "state_label",
    "progress",
    "responsible_body",
    "target_date",
    "status_changed_at",
    "last_reviewed_at",
    "version",
    "latest_note",
    "latest_evidence_url",
    "latest_evidence_reference",
    "progress_source",
    "milestones",
    "milestones_done",
    "milestones_overdue",
    "next_milestone",
    "next_milestone_due",
    "source",
    "page_url",
)
CHUNK_SIZE = 2000


def _iso(value: date | datetime | None) -> str:
    """ISO 8601; a moment in Brussels time with its offset, so a spreadsheet reader sees the local clock."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return value.isoformat()


def _moment(value: datetime | None, precision: str) -> str:
    """A moment to the precision known: the full moment (:func:`_iso`) to the day, "2020-05" or "2020" for a date a
    document gives only to the month or the year."""
    if value is None or precision == DatePrecision.DAY:
        return _iso(value)
    return approx_iso(timezone.localtime(value).date(), precision)


def commitment_row(commitment: Commitment, absolute: Callable[[str], str], today: date | None = None) -> list:
    """One CSV row (in the order of :data:`COLUMNS`) of a commitment read by ``CommitmentQuerySet.for_export``;
    its state is ``Commitment.state`` on ``today`` (the one rule the pages and the API use)."""
    source = commitment.source_document.key if commitment.source_document_id else ""
    if commitment.source_locator:
        source = f"{source} {commitment.source_locator}".strip()
    body = commitment.responsible_body
    state = commitment.state(on=today)
    return [
        commitment.pk,
        commitment.reference,
        commitment.title,
        commitment.description,
        commitment.agreement.code,
        commitment.agreement.title,
        commitment.area,
        commitment.get_area_display(),
        commitment.strength,
        commitment.get_strength_display(),
        commitment.actor,
        commitment.status,
        commitment.get_status_display(),
        state.code,
        state.text,
        "" if commitment.progress is None else commitment.progress,
        body.short_name if body else "",
        # As far as it is known: "2023" for a target in the course of 2023 (the import reads it back as a year).
        commitment.target_date_iso,
        # To the precision known: "2020-05" for a status a document dates to May 2020, never its stored noon.
        _moment(commitment.status_changed_at, commitment.status_changed_precision),
        _moment(commitment.last_reviewed_at, commitment.last_reviewed_precision),
        commitment.version,
        commitment.latest_note or "",
        commitment.latest_evidence_url or "",
        commitment.latest_evidence_reference or "",
        commitment.progress_source,
        commitment.milestones_total,
        commitment.milestones_done,
        commitment.milestones_overdue,
        commitment.next_milestone_title or "",
        # As far as it is known: "2025-05" for May 2025, "2025" for a year, never an invented day.
        approx_iso(commitment.next_milestone_due_on, commitment.next_milestone_due_on_precision),
        source,
        absolute(commitment.get_absolute_url()),
    ]


def commitment_csv_rows(queryset: QuerySet[Commitment], absolute: Callable[[str], str]) -> Iterator[list]:
    """The rows of ``queryset`` (filtered and ordered by the caller), read in chunks of :data:`CHUNK_SIZE`."""
    today = timezone.localdate()
    for commitment in queryset.for_export().iterator(chunk_size=CHUNK_SIZE):
        yield commitment_row(commitment, absolute, today)


def commitment_csv_response(queryset: QuerySet[Commitment], request: HttpRequest) -> StreamingHttpResponse:
    """The streamed CSV attachment of ``queryset``, with absolute links to each commitment's page."""
    return csv_response(
        COLUMNS,
        commitment_csv_rows(queryset, request.build_absolute_uri),
        filename=f"commitments-{timezone.localdate():%Y-%m-%d}.csv",
    )


def commitment_export_response(queryset: QuerySet[Commitment], request: HttpRequest, fmt: str = "csv"):
    """The export as CSV (streamed) or XLSX: the same columns and rows, which the bulk import reads back as is."""
    if fmt != "xlsx":
        return commitment_csv_response(queryset, request)
    return xlsx_response(
        COLUMNS,
        commitment_csv_rows(queryset, request.build_absolute_uri),
        filename=f"commitments-{timezone.localdate():%Y-%m-%d}.xlsx",
        title="Commitments",
    )
