"""CSV for spreadsheets, streamed: a writer that keeps cells from being read as formulas, and the response.

Hand-written because the standard library's ``csv`` has no formula guard and no streaming response; both are a
few lines here, shared by every export (the web page and the API answer with the same file).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence

from django.http import FileResponse, StreamingHttpResponse

# A cell starting with one of these is read as a formula by spreadsheet programs (CSV injection): a leading
# apostrophe keeps it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets in EU locales split cells on ";" (and tab-separated pastes on tabs): what follows one starts a cell
# of its own, so "x;=1+1" would hold the formula =1+1. A leading apostrophe keeps that part text as well.
FORMULA_AFTER_SEPARATOR = re.compile(r"([;\t]\s*)(?=[=+\-@])")
BYTE_ORDER_MARK = "\ufeff"


def guard_formula(value: object) -> object:
    """``value`` as a spreadsheet should show it: text that would start a formula, at the start of the cell or
    after a separator a spreadsheet may split on, gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    value = FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


class _Echo:
    """A file-like object whose ``write`` returns the line, so ``csv.writer`` can feed a streamed response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV lines of ``rows`` under ``header``, one at a time, every text cell guarded against formulas.

    The first line starts with a byte-order mark, so that spreadsheet programs read the file as UTF-8 (§ and
    accented names survive).
    """
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow(header)
    for row in rows:
        yield writer.writerow([guard_formula(value) for value in row])


def csv_response(header: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str) -> StreamingHttpResponse:
    """A streamed ``text/csv`` attachment: rows are read (and written) one at a time, never all in memory."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str, title: str = "Export"
) -> FileResponse:
    """An XLSX attachment of ``rows`` under ``header``, with the CSV's cells (guarded the same way, so that both
    files re-import alike). openpyxl's write-only mode spools the rows to a temporary file as they come: memory does
    not grow with the number of rows."""
    import tempfile

    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", guard_formula(v)) if isinstance(v, str) else v for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
