"""Each kind of bad file is refused with its message, and nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest

from commitments.models import Commitment
from commitments.tests.factories import AgreementFactory, CommitmentFactory
from imports.models import ImportRun

from .support import by_row, csv_bytes, run_import, xlsx_bytes, xlsx_chart_sheet_only, xlsx_member_replaced

pytestmark = pytest.mark.django_db

HEADER = ["reference", "agreement", "title", "description", "area", "strength"]


@pytest.fixture
def commitment():
    return CommitmentFactory(agreement=AgreementFactory(code="SDP"), reference="SDP §1", title="Title 1")


def _row(**changes):
    values = {
        "reference": "SDP §1",
        "agreement": "SDP",
        "title": "Title 1",
        "description": "Promised.",
        "area": "space",
        "strength": "explore",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def _refused(name: str, content: bytes) -> str:
    before = list(Commitment.objects.values())
    run = run_import("commitments", name, content)
    assert run.state == ImportRun.State.REFUSED, run.plan
    assert list(Commitment.objects.values()) == before
    return run.message


def _zip_bomb() -> bytes:
    """A valid-looking workbook one of whose members unpacks to 300 MB of zeros (packed to about 300 kB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * 1_000_000
            for _ in range(300):
                member.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin1.csv", "reference,title\nSDP §1,Caf\u00e9\n".encode("latin-1"), "The file is not UTF-8 text"),
        ("semicolons.csv", b"reference;agreement;title\nSDP 1;SDP;x\n", "separated by semicolons, not commas"),
        ("tabs.csv", b"reference\tagreement\ttitle\nSDP 1\tSDP\tx\n", "separated by tabs, not commas"),
        ("empty.csv", b"", "The file is empty"),
        ("header-only.csv", b"reference,agreement,title,description,area,strength\n", "no data rows"),
        ("missing.csv", b"reference,title\nSDP 1,x\n", "Missing columns: description, agreement, area, strength."),
        ("unknown.csv", csv_bytes([*HEADER, "colour"], [[*_row(), "blue"]]), "Unknown column: colour."),
        ("twice.csv", b"reference,reference\nx,y\n", "The column \u201creference\u201d appears twice"),
        ("notes.txt", b"reference\nx\n", "neither a CSV nor an XLSX file"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a valid XLSX workbook"),
        ("bomb.xlsx", _zip_bomb(), "it is refused unopened, as it may be a zip bomb"),
    ],
)
def test_a_bad_file_is_refused_with_its_message(commitment, name, content, message):
    assert message in _refused(name, content)


def test_a_workbook_without_a_worksheet_is_refused_with_its_message(commitment):
    # The sheet's XML left out of the archive (still listed in the workbook), or a chart sheet alone.
    missing = xlsx_member_replaced(xlsx_bytes(HEADER, [_row()]), "xl/worksheets/sheet1.xml", None)
    for name, content in [("missing-sheet.xlsx", missing), ("chart-only.xlsx", xlsx_chart_sheet_only())]:
        assert _refused(name, content) == (
            "The workbook has no worksheet to read (only chart sheets, or a sheet missing from the file). Put the "
            "rows in a worksheet, save the workbook again from your spreadsheet program and upload that."
        ), name


def test_a_workbook_whose_worksheet_is_damaged_is_refused_as_a_whole(commitment):
    # openpyxl parses a sheet's XML as its rows are read, after the workbook opened: the damage shows there.
    start = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:F3000"/>'
        "<sheetData>"
    )
    header = '<row r="1">' + "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in HEADER) + "</row>"
    content = xlsx_bytes(HEADER, [_row()])
    rows = "".join(f'<row r="{n}"><c t="inlineStr"><is><t>SDP §{n}</t></is></c></row>' for n in range(2, 3000))
    for name, sheet in [
        ("cut-header.xlsx", start + '<row r="1"><c t="inl'),
        ("cut-row.xlsx", start + header + '<row r="2"><c t="inlineStr"><is><t>SDP'),
        ("cut-far.xlsx", start + header + rows + '<row r="3000"><c t="inlineStr"><is><t>SDP'),
    ]:
        damaged = xlsx_member_replaced(content, "xl/worksheets/sheet1.xml", sheet.encode())
        assert _refused(name, damaged) == (
            "The workbook's first worksheet cannot be read: the file is damaged. Save it again from your spreadsheet "
            "program and upload that."
        ), name


def test_a_file_over_the_size_limit_is_refused_unread(commitment, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = csv_bytes(HEADER, [_row(title=f"Title {n}") for n in range(40)])
    assert len(content) > 1000
    assert _refused("large.csv", content) == (
        f"The file is {len(content) / 1e6:.1f} MB; the limit is 0.0 MB. Split it into smaller files."
    )


def test_a_bad_byte_far_into_the_file_is_still_refused_as_a_whole(commitment):
    rows = [_row(title=f"Title {n}") for n in range(3000)]
    content = csv_bytes(HEADER, rows) + "SDP §1,SDP,Caf\u00e9,x,space,explore\n".encode("latin-1")
    assert len(content) > 64 * 1024
    assert "The file is not UTF-8 text" in _refused("late.csv", content)


def test_formula_cells_are_refused_row_by_row_and_guarded_text_is_read_as_text(commitment):
    content = csv_bytes(
        HEADER,
        [
            _row(title='=HYPERLINK("http://evil.example")'),
            _row(reference="SDP §2", title="+1", description="@SUM(A1)"),
            _row(reference="SDP §3", title="'-5 per cent", description="'=not a formula"),
        ],
    )
    run = run_import("commitments", "formulas.csv", content)
    rows = by_row(run)
    assert run.state == ImportRun.State.HAS_ERRORS
    assert rows[2]["errors"][0][0] == "title"
    assert "run as a formula" in rows[2]["errors"][0][1]
    assert [column for column, _ in rows[3]["errors"]] == ["title", "description"]
    assert rows[4]["action"] == "new"
    assert ["title", "", "-5 per cent"] in rows[4]["changes"]
    assert ["description", "", "=not a formula"] in rows[4]["changes"]


def test_a_formula_cell_in_a_workbook_is_refused(commitment):
    content = xlsx_bytes(HEADER, [_row(title="=1+1")])
    run = run_import("commitments", "formula.xlsx", content)
    assert by_row(run)[2]["errors"][0][0] == "title"


def test_duplicate_keys_within_the_file_are_refused(commitment):
    content = csv_bytes(HEADER, [_row(title="First"), _row(reference="SDP §2"), _row(title="Again")])
    run = run_import("commitments", "twice.csv", content)
    assert by_row(run)[4]["errors"] == [
        ["reference", "The same reference as row 2: a record may appear once per file."]
    ]
    assert run.rows_error == 1


def test_a_row_with_more_cells_than_columns_is_an_error(commitment):
    content = csv_bytes(HEADER, [[*_row(title="x"), "extra"]])
    run = run_import("commitments", "wide.csv", content)
    assert by_row(run)[2]["errors"][0][1] == "This row has 7 cells; the header row names 6 columns."


COLUMNS_HELP = (
    " A commitments file has the columns id, reference, title, description, agreement, agreement_title, area,"
    " area_label, strength, strength_label, actor, status, status_label, state, state_label, progress,"
    " responsible_body, target_date, status_changed_at, last_reviewed_at, version, latest_note, latest_evidence_url,"
    " latest_evidence_reference, progress_source, milestones, milestones_done, milestones_overdue, next_milestone,"
    " next_milestone_due, source, page_url (required: reference, title, description, agreement, area, strength)."
    " Download the template to see them."
)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            ["reference", "title", "colour"],
            "Missing columns: description, agreement, area, strength. Unknown column: colour.",
        ),
        (["reference", "agreement", "title", "description"], "Missing columns: area, strength."),
        (
            ["reference", "agreement", "title", "description", "area", "colour", "size"],
            "Missing column: strength. Unknown columns: colour, size.",
        ),
    ],
)
def test_a_header_row_that_does_not_fit_is_refused_with_the_whole_explanation(commitment, header, message):
    assert _refused("bad-header.csv", csv_bytes(header, [["x"] * len(header)])) == message + COLUMNS_HELP


def test_extra_cells_are_an_error_of_the_row_only_when_they_hold_something(commitment):
    content = csv_bytes(HEADER, [[*_row(), "", " "], [*_row(reference="SDP §2"), "", "extra"]])
    plan = by_row(run_import("commitments", "wide.csv", content))
    assert plan[2]["action"] != "error" and "errors" not in plan[2]
    assert plan[3]["errors"] == [["", "This row has 8 cells; the header row names 6 columns."]]


def test_a_short_row_reads_its_missing_trailing_cells_as_empty(commitment):
    CommitmentFactory(
        agreement=commitment.agreement,
        reference="SDP §2",
        title="Title 2",
        description="Promised.",
        area="space",
        strength="explore",
        target_date=None,
    )
    header = [*HEADER, "target_date"]
    rows = [_row(reference="SDP §2", title="Title 2")]  # six cells: no target_date cell at all
    content = b"\xef\xbb\xbf" + ",".join(header).encode() + b"\r\n" + ",".join(rows[0]).encode() + b"\r\n"
    plan = by_row(run_import("commitments", "short.csv", content))
    assert plan[2]["action"] == "unchanged", plan[
        2
    ]  # a target date read as anything but "" would be a change or an error


def test_a_row_missing_part_of_its_key_is_refused_for_that_alone_not_as_a_duplicate():
    run = run_import("meetings", "keyless.csv", b"body,held_on,place\n,2026-01-01,x\n,2026-01-01,y\nSDD,,z\n")
    assert [(entry["row"], entry["errors"]) for entry in run.plan] == [
        (2, [["body", "This field is required: it identifies the record."]]),
        (3, [["body", "This field is required: it identifies the record."]]),
        (4, [["held_on", "This field is required: it identifies the record."]]),
    ]
    assert run.rows_error == 3
