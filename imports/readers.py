"""Reading an uploaded CSV or XLSX file one row at a time, refusing a bad file with a message a person can act on.

Streamed: a CSV is decoded and parsed as it is read, an XLSX is opened by openpyxl in read-only mode (rows are
parsed from the sheet's XML as they are asked for). Neither keeps the file, nor a parsed copy of it, in memory:
the caller keeps what it needs of each row. This is tablib's own reading (``csv.reader``, openpyxl) without its
``Dataset``, which holds every row and reads an XLSX with ``data_only=True``: that shows a formula's cached
result instead of the formula, so a formula cell could not be recognised and refused.

What is refused before a row is read (:class:`ImportFileError`): a file over ``IMPORT_MAX_BYTES``, an empty file,
a name that is neither ``.csv`` nor ``.xlsx``, a CSV that is not UTF-8 or whose columns are separated by something
else than commas, an XLSX that is not a zip archive or whose members would unpack to more than
``IMPORT_XLSX_MAX_UNCOMPRESSED`` bytes (or compress suspiciously well: a zip bomb), an XLSX without a worksheet
(chart sheets only, or the sheet missing from the archive), a header with a column twice or an empty column name.
A worksheet that openpyxl cannot parse is refused as a whole when the damage is met, as a CSV is at a bad byte.
A cell that is read as a formula is refused row by row (:func:`formula_problem`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import IO

from django.conf import settings

from core.exports import FORMULA_PREFIXES

FORMATS = ("csv", "xlsx")
# A spreadsheet compresses well, but not like this: a member that unpacks to more than this many times its packed
# size is a zip bomb (legitimate workbooks measured here: 4-30x).
MAX_COMPRESSION_RATIO = 200
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
# The exporter (core.exports.guard_formula) writes a leading apostrophe before text a spreadsheet would read as a
# formula, at the start of a cell or after a separator: the reader takes it off again, so a file re-imports as it
# was exported.
_GUARDED_AFTER_SEPARATOR = re.compile(r"([;\t]\s*)'(?=[=+\-@])")


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing is imported, and the message says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """An opened file: its column names and its data rows, read on demand.

    ``rows`` yields ``(row_number, cells)``: the number as a spreadsheet shows it (the header is row 1), the cells
    as text. Blank rows and rows whose first cell starts with ``#`` (the templates' line of help) are skipped.
    ``fraction_read`` tells how far through the file the rows are (0 to 1), for a progress bar.
    """

    format: str
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    fraction_read: Callable[[], float]
    close: Callable[[], None]


def file_format(name: str) -> str:
    suffix = PurePath(name or "").suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ImportFileError(
            f"“{name}” is neither a CSV nor an XLSX file. Save the spreadsheet as CSV UTF-8 (.csv) or as an Excel "
            "workbook (.xlsx) and upload that."
        )
    return suffix


def open_table(file: IO[bytes], name: str, size: int) -> Table:
    """Open ``file`` (binary, seekable) of ``size`` bytes called ``name``; :class:`ImportFileError` if it is bad."""
    fmt = file_format(name)
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            f"The file is {_megabytes(size)}; the limit is {_megabytes(limit)}. Split it into smaller files."
        )
    if size == 0:
        raise ImportFileError("The file is empty: it has no header row and no data.")
    file.seek(0)
    table = _open_xlsx(file) if fmt == "xlsx" else _open_csv(file, size)
    _check_headers(table.headers)
    return table


def cell_text(value: str) -> str:
    """A cell as the tracker reads it: surrounding white space removed, the exporter's formula guard taken off."""
    value = value.strip()
    if value[:2] in {"'=", "'+", "'-", "'@"}:
        value = value[1:]
    return _GUARDED_AFTER_SEPARATOR.sub(r"\1", value)


def formula_problem(raw: str) -> str | None:
    """Why ``raw`` (a cell as found in the file) is refused as a formula, or ``None``."""
    stripped = raw.lstrip(" ")
    if stripped.startswith(FORMULA_PREFIXES) and stripped.strip():
        first = stripped[0] if stripped[0] not in "\t\r" else "a tab"
        return (
            f"Starts with “{first}”, which spreadsheet programs run as a formula: formulas are not imported. "
            f"If it is text, put an apostrophe before it (“'{stripped.strip()[:20]}”)."
        )
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _check_headers(headers: list[str]) -> None:
    if not headers or not any(headers):
        raise ImportFileError("The first row is empty: it must name the columns (download the template to see them).")
    seen = set()
    for position, name in enumerate(headers, start=1):
        if not name:
            raise ImportFileError(f"Column {position} of the header row has no name.")
        if name in seen:
            raise ImportFileError(f"The column “{name}” appears twice in the header row.")
        seen.add(name)


def _skip(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#")


# --- CSV --------------------------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """Passes bytes through and counts them (how far through the file the parser is)."""

    def __init__(self, file: IO[bytes]):
        self.file, self.count = file, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def _not_utf8(exc: UnicodeDecodeError, offset: int = 0) -> ImportFileError:
    return ImportFileError(
        f"The file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {offset + exc.start} cannot "
        "be read). In your spreadsheet program choose “Save as” → “CSV UTF-8 (comma delimited)” and upload it again."
    )


def _open_csv(file: IO[bytes], size: int) -> Table:
    head = file.read(64 * 1024)
    file.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) == size)
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc) from exc
    counter = _CountingReader(file)
    text = io.TextIOWrapper(io.BufferedReader(counter, 64 * 1024), encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, strict=True)
    try:
        headers = [cell.strip() for cell in next(reader, [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _csv_error(exc) from exc
    if len(headers) == 1:
        for delimiter, label in OTHER_DELIMITERS.items():
            if delimiter in headers[0]:
                raise ImportFileError(
                    f"The columns are separated by {label}, not commas. Save the file as “CSV UTF-8 (comma "
                    "delimited)” and upload it again."
                )

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for cells in reader:
                number += 1
                if not _skip(cells):
                    yield number, cells
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _csv_error(exc, number + 1) from exc

    return Table(
        format="csv",
        headers=headers,
        rows=rows(),
        fraction_read=lambda: min(counter.count / size, 1.0),
        close=text.detach,
    )


def _csv_error(exc: Exception, row: int | None = None) -> ImportFileError:
    if isinstance(exc, UnicodeDecodeError):
        return _not_utf8(exc)
    where = f" at row {row}" if row else ""
    return ImportFileError(f"The file is not valid CSV{where}: {exc}. Check the quotes around that row's cells.")


# --- XLSX -------------------------------------------------------------------------------------------------------


def _check_zip(file: IO[bytes]) -> None:
    if not zipfile.is_zipfile(file):
        raise ImportFileError("The file is not a valid XLSX workbook. Save it again from your spreadsheet program.")
    file.seek(0)
    limit = settings.IMPORT_XLSX_MAX_UNCOMPRESSED
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        ratio = max((m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 1_000_000), default=0)
    if total > limit or ratio > MAX_COMPRESSION_RATIO:
        raise ImportFileError(
            f"The workbook would unpack to {_megabytes(total)} (limit {_megabytes(limit)}"
            f"{', packed ' + str(int(ratio)) + ' times' if ratio > MAX_COMPRESSION_RATIO else ''}): it is refused "
            "unopened, as it may be a zip bomb. Save only the data you want to import in a new workbook."
        )
    file.seek(0)


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_xlsx(file: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    _check_zip(file)
    try:
        # data_only=False: a formula cell is read as its formula ("=SUM(A1:A3)"), so that it can be refused.
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise ImportFileError(
            "The file is not a valid XLSX workbook. Save it again from your spreadsheet program."
        ) from exc
    if not workbook.worksheets:  # a chart sheet only, or a worksheet listed but missing from the archive
        workbook.close()
        raise ImportFileError(
            "The workbook has no worksheet to read (only chart sheets, or a sheet missing from the file). Put the "
            "rows in a worksheet, save the workbook again from your spreadsheet program and upload that."
        )
    sheet = workbook.worksheets[0]
    position = {"row": 1}
    try:  # read-only mode parses the sheet as it is read: a damaged sheet fails here, not in load_workbook
        total = sheet.max_row or 0
        lines = sheet.iter_rows(values_only=True)
        headers = [_xlsx_text(value).strip() for value in next(lines, ())]
    except Exception as exc:
        workbook.close()
        raise _sheet_error() from exc
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for values in lines:
                position["row"] += 1
                cells = [_xlsx_text(value) for value in values]
                if not _skip(cells or [""]):
                    yield position["row"], cells
        except Exception as exc:
            raise _sheet_error() from exc

    return Table(
        format="xlsx",
        headers=headers,
        rows=rows(),
        fraction_read=lambda: min(position["row"] / total, 1.0) if total else 0.0,
        close=workbook.close,
    )


def _sheet_error() -> ImportFileError:
    # No row number: openpyxl parses the XML in chunks, ahead of the rows handed out, so it would often be wrong.
    return ImportFileError(
        "The workbook's first worksheet cannot be read: the file is damaged. Save it again from your spreadsheet "
        "program and upload that."
    )
