"""Building import files in tests: CSV and XLSX bytes from rows, and an uploaded-file object."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile


def csv_bytes(header: list[str], rows: list[list], *, bom: bool = True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return rows[0], rows[1:]


def run_import(kind: str, name: str, content: bytes, user=None, *, apply: bool = False):
    """Preview (and with ``apply`` confirm) a file through the services, as the page and the command do."""
    from imports.services import import_apply, import_preview, import_run_create

    run = import_run_create(kind=kind, file_name=name, file_size=len(content), user=user)
    run = import_preview(run=run, file=io.BytesIO(content))
    if apply:
        import_apply(run=run, author=user)
    return run


def by_row(run) -> dict[int, dict]:
    return {entry["row"]: entry for entry in run.plan or []}
