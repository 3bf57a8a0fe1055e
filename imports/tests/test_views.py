"""The staff pages: who may import, upload → preview → confirm, conflicts (409), refusals (400), templates."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from commitments.models import Commitment, StatusUpdate
from commitments.services import commitment_update, commitment_update_status
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from imports.kinds import KINDS, tracker_examples
from imports.models import ImportRun

from .support import csv_bytes, read_csv, run_import, upload, xlsx_bytes, xlsx_member_replaced

pytestmark = pytest.mark.django_db

HEADER = ["reference", "agreement", "title", "description", "area", "strength"]
START = reverse("imports:import_start")


@pytest.fixture
def commitments():
    agreement = AgreementFactory(code="SDP")
    return [
        CommitmentFactory(
            agreement=agreement,
            reference=f"SDP §{n}",
            title=f"Title {n}",
            description="Promised.",
            area="space",
            strength="explore",
        )
        for n in range(1, 4)
    ]


@pytest.fixture
def eager_tasks():
    """Tasks run in-process, as in the embedded default, even when the test run has a broker (REDIS_URL)."""
    from tracker.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _file(rows) -> bytes:
    return csv_bytes(HEADER, [[f"SDP §{n}", "SDP", title, "Promised.", "space", "explore"] for n, title in rows])


def _upload(client, content: bytes, kind="commitments", name="file.csv"):
    return client.post(START, {"kind": kind, "file": upload(name, content)})


def test_only_editors_reach_the_import_pages(client, reviewer, editor, commitments):
    run = ImportRun.objects.create(kind="commitments", file_name="x.csv")
    urls = [
        START,
        run.get_absolute_url(),
        reverse("imports:run_progress", args=[run.pk]),
        reverse("imports:template_download", args=["meetings", "csv"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url
    client.force_login(reviewer)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert _upload(client, _file([(1, "x")])).status_code == 403
    assert client.post(run.get_absolute_url()).status_code == 403
    client.force_login(editor)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_upload_preview_confirm_and_the_change_is_on_the_commitment_page(editor_client, editor, commitments):
    two = commitments[1]
    response = _upload(editor_client, _file([(1, "Title 1"), (2, "Imported title"), (9, "A new one")]))
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert response.url == run.get_absolute_url()
    assert (run.created_by, run.state) == (editor, ImportRun.State.PREVIEWED)

    page = editor_client.get(run.get_absolute_url()).content.decode()
    assert "Confirm and import" in page
    assert "Imported title" in page and "Title 2" in page
    assert Commitment.objects.get(pk=two.pk).title == "Title 2"  # nothing written by the preview

    response = editor_client.post(run.get_absolute_url(), follow=True)
    assert response.status_code == 200
    assert "Imported from file.csv: 1 record added, 1 changed." in response.content.decode()
    detail = editor_client.get(two.get_absolute_url()).content.decode()
    assert "Imported title" in detail
    assert Commitment.objects.filter(reference="SDP §9").exists()
    run.refresh_from_db()
    assert run.state == ImportRun.State.APPLIED and run.applied_by == editor
    # The audit list on the start page names the file, who and the counts.
    start = editor_client.get(START).content.decode()
    assert "file.csv" in start and "Applied" in start


def test_the_confirmation_counts_its_rows_in_words(editor_client, commitments):
    _upload(editor_client, _file([(1, "One new title")]))
    page = editor_client.get(ImportRun.objects.latest("pk").get_absolute_url()).content.decode()
    assert "Confirming saves this row exactly as previewed" in page and "these 1 rows" not in page
    _upload(editor_client, _file([(1, "A title"), (2, "Another")]))
    page = editor_client.get(ImportRun.objects.latest("pk").get_absolute_url()).content.decode()
    assert "Confirming saves these 2 rows exactly as previewed" in page


def test_a_status_import_previews_what_it_adds_and_its_entries_say_where_they_came_from(
    editor_client, editor, reviewer, commitments
):
    one = commitments[0]
    commitment_update_status(
        commitment=one, expected_version=0, author=editor, status="in_progress", note="The first workshop was held"
    )
    content = csv_bytes(
        ["reference", "status", "progress", "note", "evidence_url"],
        [[one.reference, "in_progress", "60", "The second workshop was held", "https://example.eu/second"]],
    )
    _upload(editor_client, content, kind="status_updates", name="statuses.csv")
    run = ImportRun.objects.get()
    page = editor_client.get(run.get_absolute_url()).content.decode()
    text = html.unescape(" ".join(strip_tags(page).split()))
    # The earlier note stays: the preview adds the new one beside it, it strikes nothing out but the figure that moves.
    assert "The first workshop was held" not in page
    assert "A new status update on the commitment's timeline; its earlier entries stay as they are:" in text
    assert "note: added: The second workshop was held" in text
    assert re.findall(r"<del>(.*?)</del>", page) == ["(empty)"]  # the progress, from nothing to 60
    assert "Confirming adds this status update to its commitment's timeline exactly as previewed" in text
    assert f'<a href="{one.get_absolute_url()}">{one.reference}</a>' in page

    response = editor_client.post(run.get_absolute_url(), follow=True)
    applied = response.content.decode()
    assert "Imported from statuses.csv: 1 status update added." in applied
    assert f'<a href="{one.get_absolute_url()}">{one.reference}</a>' in applied  # the run links what it changed
    assert list(one.updates.values_list("note", flat=True).order_by("version")) == [
        "The first workshop was held",
        "The second workshop was held",
    ]
    # On the commitment's timeline, the imported entry says where it came from; an editor may open the run.
    entries = re.findall(
        r'<li class="timeline-entry.*?</li>', editor_client.get(one.get_absolute_url()).content.decode(), re.S
    )
    assert f'<a href="{run.get_absolute_url()}">from the bulk import of statuses.csv</a>' in entries[0]
    assert "bulk import" not in entries[1]  # the entry recorded by the form
    reader = Client()
    reader.force_login(reviewer)
    seen = reader.get(one.get_absolute_url()).content.decode()
    assert "from the bulk import of statuses.csv" in seen and run.get_absolute_url() not in seen
    assert reader.get(run.get_absolute_url()).status_code == 403


def test_a_change_between_preview_and_confirm_is_a_409_and_writes_nothing(editor_client, commitments):
    one = commitments[0]
    _upload(editor_client, _file([(1, "From the file")]))
    run = ImportRun.objects.get()
    commitment_update(commitment=one, expected_edit_version=0, author=UserFactory(), title="A colleague's title")

    response = editor_client.post(run.get_absolute_url())

    assert response.status_code == 409
    assert "Not imported: changed by someone else" in response.content.decode()
    one.refresh_from_db()
    assert one.title == "A colleague's title"


def test_a_refused_file_shows_the_form_again_with_the_reason(editor_client, commitments):
    response = _upload(editor_client, b"reference;title\nx;y\n")
    assert response.status_code == 400
    assert "separated by semicolons, not commas" in response.content.decode()
    assert ImportRun.objects.get().state == ImportRun.State.REFUSED


def test_a_file_with_errors_cannot_be_confirmed(editor_client, commitments):
    _upload(editor_client, _file([(1, "")]))
    run = ImportRun.objects.get()
    page = editor_client.get(run.get_absolute_url()).content.decode()
    assert "Confirm and import" not in page
    assert "This field is required." in page
    response = editor_client.post(run.get_absolute_url())
    assert response.status_code == 400
    assert Commitment.objects.get(reference="SDP §1").title == "Title 1"


def test_a_large_file_goes_through_the_task_with_progress(
    editor_client, editor, commitments, settings, django_capture_on_commit_callbacks, eager_tasks
):
    # The embedded default (no REDIS_URL): the task runs in-process once the upload is committed. (With a broker, a
    # real worker runs it: test_tasks.py.)
    settings.IMPORT_BACKGROUND_BYTES = 100
    content = _file([(1, "Background title"), (2, "Title 2")])
    assert len(content) > 100
    with django_capture_on_commit_callbacks(execute=True) as sent:
        response = _upload(editor_client, content)
    assert len(sent) == 1  # the task is sent once the upload is committed
    run = ImportRun.objects.get()
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == ImportRun.State.PREVIEWED and run.upload is None
    progress = editor_client.get(reverse("imports:run_progress", args=[run.pk])).json()
    assert progress["state"] == "previewed" and progress["working"] is False
    with django_capture_on_commit_callbacks(execute=True):
        assert editor_client.post(run.get_absolute_url()).status_code == 302
    run.refresh_from_db()
    assert run.state == ImportRun.State.APPLIED
    assert Commitment.objects.get(reference="SDP §1").title == "Background title"


NO_WORKSHEET = "The workbook has no worksheet to read"
STATUS_HEADER = ["reference", "status", "progress", "note", "evidence_url", "evidence_reference", "evidence_date"]


def _status_workbook_without_worksheet(rows: int) -> bytes:
    lines = [["SDP §1", "ongoing", str(n % 100), f"Note {n}.", "", "", ""] for n in range(rows)]
    content = xlsx_bytes(STATUS_HEADER, lines)
    return xlsx_member_replaced(content, "xl/worksheets/sheet1.xml", None)


def _domain_rows():
    return list(Commitment.objects.order_by("pk").values()), StatusUpdate.objects.count()


def _ended(client, run: ImportRun) -> str:
    """The run's page, once the run has ended: no progress bar left waiting, the JSON says it is not working."""
    progress = client.get(reverse("imports:run_progress", args=[run.pk])).json()
    assert progress["working"] is False and progress["state"] == run.state
    page = client.get(run.get_absolute_url()).content.decode()
    assert "<progress" not in page
    return page


def test_a_workbook_without_a_worksheet_is_refused_on_the_form(editor_client, commitments):
    before = _domain_rows()
    response = _upload(editor_client, _status_workbook_without_worksheet(2), kind="status_updates", name="s.xlsx")
    assert response.status_code == 400
    assert NO_WORKSHEET in response.content.decode()
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.REFUSED and run.message.startswith(NO_WORKSHEET)
    assert NO_WORKSHEET in _ended(editor_client, run)
    assert _domain_rows() == before


def test_a_large_workbook_without_a_worksheet_is_refused_by_the_task(
    editor_client, commitments, settings, django_capture_on_commit_callbacks, eager_tasks
):
    settings.IMPORT_BACKGROUND_BYTES = 1000
    content = _status_workbook_without_worksheet(200)
    assert len(content) > 1000
    before = _domain_rows()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(editor_client, content, kind="status_updates", name="large.xlsx")
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    run.refresh_from_db()
    assert run.state == ImportRun.State.REFUSED and run.message.startswith(NO_WORKSHEET)
    assert run.upload is None
    assert NO_WORKSHEET in _ended(editor_client, run)
    assert _domain_rows() == before


def test_an_unexpected_failure_while_reading_in_the_background_fails_the_run_with_a_message(
    editor_client, commitments, settings, django_capture_on_commit_callbacks, eager_tasks, monkeypatch, caplog
):
    from imports.services import PREVIEW_FAILED

    def crash(*args, **kwargs):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr("imports.services.open_table", crash)
    settings.IMPORT_BACKGROUND_BYTES = 100
    before = _domain_rows()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(editor_client, _file([(1, "Background title"), (2, "Title 2")]))
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert (run.state, run.message, run.upload) == (ImportRun.State.FAILED, PREVIEW_FAILED, None)
    page = _ended(editor_client, run)
    assert "Not applied: stopped by an error" in page and "An unexpected error stopped the reading" in page
    assert "Confirm and import" not in page
    assert _domain_rows() == before
    assert any(
        record.getMessage() == f"Reading import run {run.pk} failed" and record.exc_info for record in caplog.records
    )


def test_a_working_run_shows_a_progress_bar_fed_by_the_json_endpoint(editor_client, commitments):
    from imports.services import report_progress

    run = ImportRun.objects.create(kind="commitments", file_name="big.csv", state=ImportRun.State.QUEUED)
    page = editor_client.get(run.get_absolute_url()).content.decode()
    assert "<progress" in page and "import-progress.js" in page
    report_progress(run.pk, "reading", 250, 1000)
    data = editor_client.get(reverse("imports:run_progress", args=[run.pk])).json()
    assert data == {
        "state": "queued",
        "state_label": "Waiting to be read",
        "working": True,
        "phase": "reading",
        "done": 250,
        "total": 1000,
        "percent": 25,
    }


@pytest.mark.parametrize("kind", ["commitments", "status_updates", "meetings"])
def test_each_template_has_the_columns_and_a_line_of_help_that_the_import_skips(editor_client, kind, commitments):
    response = editor_client.get(reverse("imports:template_download", args=[kind, "csv"]))
    header, rows = read_csv(response.content)
    assert response["Content-Disposition"].endswith('-template.csv"')
    assert len(rows) == 1 and rows[0][0].startswith("# ")
    # The template as downloaded is a valid (empty) file of its kind: its columns are known, its help skipped.
    response = _upload(editor_client, response.content, kind=kind, name="template.csv")
    assert "no data rows" in response.content.decode()
    xlsx = editor_client.get(reverse("imports:template_download", args=[kind, "xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[1]] == header


def _example_base(kind: str, found: dict[str, str]) -> dict[str, str]:
    """A valid row of ``kind`` on the seed data, from the tracker's own example values."""
    if kind == "commitments":
        commitment = Commitment.objects.get(reference=found["reference"])
        return {
            "reference": found["reference"],
            "agreement": found["agreement"],
            **{name: getattr(commitment, name) for name in ("title", "description", "area", "strength")},
        }
    if kind == "status_updates":
        return {"reference": found["reference"], "status": "in_progress", "evidence_reference": "Desk note 14"}
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    return {"body": found["body"], "held_on": yesterday}


@pytest.mark.parametrize("kind", ["commitments", "status_updates", "meetings"])
def test_every_value_a_templates_help_quotes_is_one_the_import_accepts(seed_data, editor_client, editor, kind):
    """The help once said “e.g. security”, a policy area that does not exist: the examples are now the model's own
    codes and records of the tracker, and each is imported here (a dry run on the seed data)."""
    found = tracker_examples()
    assert set(found) == {"reference", "agreement", "body"}
    header, rows = read_csv(editor_client.get(reverse("imports:template_download", args=[kind, "csv"])).content)
    helps = dict(zip(header, rows[0], strict=True))
    base = _example_base(kind, found)
    tried = 0
    for column in KINDS[kind].columns:
        for value in [] if column.read_only else column.examples(found):
            assert value in helps[column.name], (column.name, value)
            row = {**base, column.name: value}
            run = run_import(kind, "example.csv", csv_bytes(list(row), [list(row.values())]), editor)
            assert run.rows_error == 0, (column.name, value, run.plan)
            tried += 1
    assert tried >= {"commitments": 27, "status_updates": 9, "meetings": 5}[kind]


def test_the_preview_page_runs_few_queries_whatever_the_file(
    editor_client, commitments, django_assert_max_num_queries
):
    for count in (5, 400):
        _upload(editor_client, _file([(n, f"Title {n}") for n in range(1, count)]))
        run = ImportRun.objects.latest("pk")
        with django_assert_max_num_queries(8):
            assert editor_client.get(run.get_absolute_url() + "?show=new").status_code == 200
        with django_assert_max_num_queries(8):
            assert editor_client.get(START).status_code == 200
