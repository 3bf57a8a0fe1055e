"""The commitment list as CSV, for spreadsheets: the columns, the formula guard and the streamed lines."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone

from .models import Commitment

CSV_COLUMNS = (
    "reference",
    "title",
    "framework",
    "framework title",
    "policy area",
    "strength",
    "responsible body",
    "status",
    "progress (%)",
    "target date",
    "status changed",
    "last update",
    "source",
    "page",
)
# A cell starting with one of these is read as a formula by spreadsheet programs; it is exported as text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns the line, so ``csv.writer`` can feed a streamed response."""

    def write(self, value: str) -> str:
        return value


# Spreadsheets in EU locales split cells on ";" (and tab-separated pastes on tabs): what follows one starts a cell
# of its own, so "x;=1+1" would hold the formula =1+1. A leading apostrophe keeps that part text as well.
FORMULA_AFTER_SEPARATOR = re.compile(r"([;\t]\s*)(?=[=+\-@])")


def _text(value: str) -> str:
    value = FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def commitment_csv_lines(commitments: Iterable[Commitment], *, base_url: str) -> Iterator[str]:
    """The CSV lines of ``commitments`` (header first), one at a time, with a byte-order mark for spreadsheets."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for c in commitments:
        body = c.responsible_body
        yield writer.writerow(
            [
                _text(c.reference),
                _text(c.title),
                c.agreement.code,
                _text(c.agreement.title),
                c.get_area_display(),
                c.get_strength_display(),
                body.short_name if body else "",
                c.get_status_display(),
                "" if c.progress is None else c.progress,
                c.target_date.isoformat() if c.target_date else "",
                _moment(c.status_changed_at),
                _moment(c.last_reviewed_at),
                _text(c.source_locator),
                base_url + c.get_absolute_url(),
            ]
        )
