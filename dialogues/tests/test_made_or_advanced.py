"""A commitment made at a meeting (``Commitment.made_at``) is one of the meeting's outcomes, never one it advanced,
though a document (and so the seed) may name it among the meeting's commitments: the body's page counts the
commitments made and lists those advanced apart; the meeting's page, the commitment's page, What changed and the API
say "advanced" only of the others (``Meeting.advanced_commitments``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from commitments.models import Commitment
from commitments.tests.api_support import _fresh_throttle_counters, reviewer_api
from commitments.tests.factories import CommitmentFactory
from dialogues.models import Meeting
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from tests.support import page_sections

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def summit():
    """The 13 July 2023 summit: two commitments made at it (both also named among its commitments, as the seed
    does), and one earlier commitment it advanced."""
    body = DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit")
    meeting = MeetingFactory(body=body, held_on=dt.date(2023, 7, 13), place="Brussels")
    made = [CommitmentFactory(reference=f"JS-2023 (PRESS ¶{n})", made_at=meeting) for n in (4, 26)]
    advanced = CommitmentFactory(reference="CRM-AA (EP-IDA §3.1)")
    meeting.commitments_advanced.set([*made, advanced])
    return meeting


def row_of(page: str, meeting: Meeting) -> str:
    row = page[page.index(f'<tr id="meeting-{meeting.pk}"') :]
    return row[: row.index("</tr>")]


def test_the_body_page_counts_the_commitments_made_apart_from_those_advanced(reviewer_client, summit):
    page = reviewer_client.get(summit.body.get_absolute_url()).content.decode()
    assert '<th scope="col">Commitments made</th><th scope="col">Commitments advanced</th>' in page
    row = row_of(page, summit)
    made = row[row.index('data-label="Commitments made"') : row.index('data-label="Commitments advanced"')]
    advanced = row[row.index('data-label="Commitments advanced"') :]
    assert f'href="{summit.get_absolute_url()}#outcomes">2 commitments<' in made
    assert ">CRM-AA (EP-IDA §3.1)</a>" in advanced and "PRESS" not in advanced


def test_the_meeting_page_lists_as_advanced_only_what_it_did_not_make(reviewer_client, summit):
    sections = page_sections(reviewer_client.get(summit.get_absolute_url()).content.decode())
    assert [row[0] for row in sections["Commitments made at this meeting"].rows] == [
        "JS-2023 (PRESS ¶4)",
        "JS-2023 (PRESS ¶26)",
    ]
    assert [row[0] for row in sections["Commitments advanced at this meeting"].rows] == ["CRM-AA (EP-IDA §3.1)"]


def test_the_commitment_page_does_not_call_the_meeting_that_made_it_one_that_advanced_it(reviewer_client, summit):
    made = Commitment.objects.get(reference="JS-2023 (PRESS ¶26)")
    page = reviewer_client.get(made.get_absolute_url()).content.decode()
    assert "<dt>Made at</dt>" in page and "EU–Japan Summit, 13 July 2023" in page
    assert "Meetings that advanced it" not in page
    advanced = Commitment.objects.get(reference="CRM-AA (EP-IDA §3.1)")
    page = reviewer_client.get(advanced.get_absolute_url()).content.decode()
    assert "Meetings that advanced it" in page


def test_what_changed_counts_only_the_commitments_advanced(reviewer_client, summit):
    MeetingFactory(body=summit.body, held_on=dt.date(2023, 7, 20))  # none made, none advanced
    changes = reviewer_client.get(reverse("dashboards:changes"), {"since": "2023-07-01"}).context["changes"]
    assert [(m.held_on.day, m.advanced_count) for m in changes.meetings] == [(20, 0), (13, 1)]


def test_the_api_lists_as_advanced_only_what_the_meeting_did_not_make(reviewer_api, summit):
    detail = reviewer_api.get(f"/api/v1/meetings/{summit.pk}/").json()
    assert [c["reference"] for c in detail["commitments_advanced"]] == ["CRM-AA (EP-IDA §3.1)"]
    assert [c["reference"] for c in detail["outcomes"]] == ["JS-2023 (PRESS ¶4)", "JS-2023 (PRESS ¶26)"]
    (listed,) = reviewer_api.get("/api/v1/meetings/").json()["results"]
    assert [c["reference"] for c in listed["commitments_advanced"]] == ["CRM-AA (EP-IDA §3.1)"]


def test_the_seeded_2023_summit_made_press_26_and_did_not_advance_it(seed_data, reviewer_client):
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    page = reviewer_client.get(summit.body.get_absolute_url()).content.decode()
    row = row_of(page, summit)
    advanced = row[row.index('data-label="Commitments advanced"') :]
    made = Commitment.objects.filter(made_at=summit)
    assert f">{made.count()} commitments<" in row
    assert "JS-2023 (PRESS ¶26)" not in advanced and "JS-2023 (SDP §2)" not in advanced
    assert "CRM-AA (EP-IDA §3.1)" in advanced
