"""The commitment CSV: one file for the web export and the API, guarded against formulas, in bounded queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.choices import Status, UpdateKind
from commitments.exports import COLUMNS

from . import api_support
from .factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db

# The API fixtures: a reviewer's token client, throttle counters fresh for each test.
reviewer_api = api_support.reviewer_api
_fresh_throttle_counters = api_support._fresh_throttle_counters

WEB = reverse("commitments:commitment_export_csv")
API = "/api/v1/commitments/?format=csv"


def lines(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def rows(response) -> list[dict]:
    header, *body = lines(response)
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture
def history():
    """A commitment whose latest update has no note and no evidence, after earlier ones that had both."""
    commitment = CommitmentFactory(
        agreement=AgreementFactory(code="SDP"), reference="SDP §1", description="Hold joint naval exercises."
    )
    StatusUpdateFactory(commitment=commitment, note="Old note", evidence_url="https://example.eu/old")
    StatusUpdateFactory(
        commitment=commitment,
        status=Status.ACHIEVED,
        progress=100,
        note="Exercise held",
        evidence_url="https://example.eu/report",
        evidence_reference="Joint report 2026",
    )
    StatusUpdateFactory(commitment=commitment, kind=UpdateKind.REVIEW, note="Checked, unchanged")
    return commitment


def test_web_and_api_csv_have_the_same_header_row(reviewer_client, reviewer_api, history):
    web, api = lines(reviewer_client.get(WEB)), lines(reviewer_api.get(API))
    assert web[0] == api[0] == list(COLUMNS)
    assert web[1:] == api[1:]


def test_description_latest_note_and_latest_evidence_are_columns(reviewer_client, history):
    (row,) = rows(reviewer_client.get(WEB))
    assert row["description"] == "Hold joint naval exercises."
    assert row["latest_note"] == "Checked, unchanged"
    # The review gave no evidence: the latest evidence is the one the achievement was recorded with.
    assert (row["latest_evidence_url"], row["latest_evidence_reference"]) == (
        "https://example.eu/report",
        "Joint report 2026",
    )
    assert (row["status"], row["status_label"], row["progress"]) == ("achieved", "Achieved", "100")


def test_a_commitment_without_history_has_empty_note_and_evidence(reviewer_client, db):
    CommitmentFactory(reference="SPA art. 1")
    (row,) = rows(reviewer_client.get(WEB))
    assert (row["latest_note"], row["latest_evidence_url"], row["latest_evidence_reference"]) == ("", "", "")


@pytest.mark.parametrize("url", [WEB, API])
def test_formula_cells_are_guarded_on_both_paths(request, url, db):
    client = request.getfixturevalue("reviewer_client" if url == WEB else "reviewer_api")
    commitment = CommitmentFactory(
        reference="@SPA X", title='=HYPERLINK("http://evil")', description="+1 attack", source_locator="-2"
    )
    StatusUpdateFactory(commitment=commitment, note="=cmd|' /C calc'!A0", evidence_reference="@report")
    (row,) = rows(client.get(url))
    for column in ("reference", "title", "description", "latest_note", "latest_evidence_reference"):
        assert row[column].startswith("'"), column
    assert row["title"] == '\'=HYPERLINK("http://evil")'


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        lines(client.get(url))
    return len(captured)


@pytest.mark.parametrize("url", [WEB, API])
def test_query_count_is_constant_in_the_number_of_rows(request, url, history):
    client = request.getfixturevalue("reviewer_client" if url == WEB else "reviewer_api")
    few = _count_queries(client, url)
    for _ in range(25):
        commitment = CommitmentFactory(with_body=True)
        StatusUpdateFactory(commitment=commitment, evidence_reference="Report")
        StatusUpdateFactory(commitment=commitment, kind=UpdateKind.REVIEW, note="Reviewed")
    many = _count_queries(client, url)
    assert many == few
    assert few <= 8


def test_milestones_are_counted_and_the_next_one_named_to_its_precision(reviewer_client, db):
    import datetime as dt

    import time_machine

    from .factories import MilestoneFactory

    commitment = CommitmentFactory(reference="SDP §5")
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        MilestoneFactory(commitment=commitment, title="Held", due_on=dt.date(2025, 1, 1), done=True)
        MilestoneFactory(commitment=commitment, title="Late", due_on=dt.date(2026, 3, 1), due_on_precision="month")
        MilestoneFactory(commitment=commitment, title="Later", due_on=dt.date(2027, 1, 1), due_on_precision="year")
        (row,) = rows(reviewer_client.get(WEB))
    assert (row["milestones"], row["milestones_done"], row["milestones_overdue"]) == ("3", "1", "1")
    assert (row["next_milestone"], row["next_milestone_due"]) == ("Late", "2026-03")
    assert row["progress_source"] == "manual"


@pytest.mark.parametrize("url", [WEB, API])
def test_a_status_a_document_dates_to_the_month_is_exported_as_that_month(request, url, db):
    """The stored noon of the month's first day is no fact: the CSV gives "2020-05", on both paths."""
    import datetime as dt

    from django.utils import timezone

    from commitments.services import commitment_update_status

    from .factories import SourceDocumentFactory

    client = request.getfixturevalue("reviewer_client" if url == WEB else "reviewer_api")
    commitment = CommitmentFactory()
    commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=None,
        status=Status.ONGOING,
        note="From the document.",
        evidence_reference="A document, p. 3",
        evidence_date=dt.date(2020, 5, 1),
        evidence_date_precision="month",
        recorded_at=timezone.make_aware(dt.datetime(2020, 5, 1, 12)),
        source_document=SourceDocumentFactory(),
    )
    (row,) = rows(client.get(url))
    assert (row["status_changed_at"], row["last_reviewed_at"]) == ("2020-05", "2020-05")
