"""The commitment list as CSV (``/api/v1/commitments/?format=csv``), for analysts.

The CSV is the *whole* filtered list, not one page: an analyst wants every row matching the filters in one
file. It is streamed, reading the database in chunks, so memory does not grow with the number of rows and the
number of queries does not either (one query; on PostgreSQL a server-side cursor).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

from commitments.models import Commitment

COLUMNS = [
    "id",
    "reference",
    "title",
    "agreement",
    "area",
    "area_label",
    "strength",
    "status",
    "status_label",
    "progress",
    "responsible_body",
    "target_date",
    "status_changed_at",
    "last_reviewed_at",
    "version",
    "source",
    "description",
    "page_url",
]
CHUNK_SIZE = 500
# A cell starting with one of these is a formula to a spreadsheet: a leading apostrophe keeps it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CommitmentCSVRenderer(BaseRenderer):
    """Registers ``text/csv`` for content negotiation; the body itself is streamed by :func:`csv_response`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        # Only a body-less response (304) ever reaches here: rows are streamed and errors are rendered as JSON.
        return b""


class _Echo:
    def write(self, value: str) -> str:
        return value


# Spreadsheets in EU locales split cells on ";" (and tab-separated pastes on tabs): what follows one starts a cell
# of its own, so "x;=1+1" would hold the formula =1+1. A leading apostrophe keeps that part text as well.
FORMULA_AFTER_SEPARATOR = re.compile(r"([;\t]\s*)(?=[=+\-@])")


def _text(value: str) -> str:
    value = FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


def _row(commitment: Commitment, absolute) -> list:
    source = commitment.source_document.key if commitment.source_document_id else ""
    if commitment.source_locator:
        source = f"{source} {commitment.source_locator}".strip()
    return [
        commitment.pk,
        _text(commitment.reference),
        _text(commitment.title),
        commitment.agreement.code,
        commitment.area,
        commitment.get_area_display(),
        commitment.strength,
        commitment.status,
        commitment.get_status_display(),
        "" if commitment.progress is None else commitment.progress,
        commitment.responsible_body.short_name if commitment.responsible_body_id else "",
        _iso(commitment.target_date),
        _iso(commitment.status_changed_at),
        _iso(commitment.last_reviewed_at),
        commitment.version,
        _text(source),
        _text(commitment.description),
        absolute(commitment.get_absolute_url()),
    ]


def csv_rows(queryset: QuerySet[Commitment], absolute) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark tells spreadsheet programs the file is UTF-8 (§ and accented names survive).
    yield "\ufeff" + writer.writerow(COLUMNS)
    for commitment in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow(_row(commitment, absolute))


def csv_response(queryset: QuerySet[Commitment], request) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_rows(queryset, request.build_absolute_uri)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="commitments.csv"'
    return response
