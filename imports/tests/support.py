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


def xlsx_member_replaced(content: bytes, member: str, replacement: bytes | None) -> bytes:
    """The workbook ``content`` with ``member`` of its archive replaced by ``replacement`` (left out if ``None``)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info, source.read(info))
            elif replacement is not None:
                target.writestr(info, replacement)
    return out.getvalue()


def xlsx_chart_sheet_only() -> bytes:
    """A workbook whose only sheet is a chart sheet: no worksheet, no rows."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    workbook = Workbook()
    data = workbook.active
    data.append([1])
    data.append([2])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=2))
    workbook.create_chartsheet("Chart").add_chart(chart)
    workbook.remove(data)
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
