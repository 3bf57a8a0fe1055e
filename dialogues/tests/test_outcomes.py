"""Where a commitment was made: the meeting that produced it, the meeting's page listing its outcomes with their status
today and a one-line summary, ``outcomes`` on the meeting in the API, and the seed data's links."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from commitments.choices import Status
from commitments.models import Commitment
from commitments.selectors import status_summary
from commitments.services import commitment_update
from commitments.tests.api_support import _fresh_throttle_counters, reviewer_api
from commitments.tests.factories import CommitmentFactory, SourceDocumentFactory, StatusUpdateFactory, UserFactory
from dialogues.models import Meeting
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def summit():
    meeting = MeetingFactory(body=DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit"), place="Brussels")
    source = SourceDocumentFactory(key="PRESS", title="Press report of the summit")
    made = [
        CommitmentFactory(reference=f"JS §{n}", made_at=meeting, made_at_source=source, made_at_locator=f"¶{n}")
        for n in range(1, 5)
    ]
    StatusUpdateFactory(commitment=made[0], status=Status.ACHIEVED, evidence_reference="Regulation")
    StatusUpdateFactory(commitment=made[1], status=Status.IN_PROGRESS)
    StatusUpdateFactory(commitment=made[2], status=Status.IN_PROGRESS)
    return meeting


def test_the_summary_line_counts_each_status_in_order():
    assert status_summary(["in_progress", "achieved", "not_started", "in_progress"]) == (
        "4 commitments: 1 achieved, 2 in progress, 1 not started"
    )
    assert status_summary(["achieved"]) == "1 commitment: 1 achieved"
    assert status_summary([]) == "No commitments recorded."


def test_a_source_for_where_it_was_made_needs_the_meeting(summit):
    commitment = Commitment.objects.filter(made_at=summit).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(made_at=None)


def test_changing_the_meeting_by_the_edit_service_drops_the_old_source_and_is_audited(summit):
    commitment = Commitment.objects.filter(made_at=summit).first()
    other = MeetingFactory(body=summit.body)
    summit.body.agreements.add(commitment.agreement)  # a dialogue body of its framework: a meeting it may be made at
    editor = UserFactory(editor=True)
    _, changed = commitment_update(commitment=commitment, expected_edit_version=0, author=editor, made_at=other)
    assert set(changed) == {"made_at", "made_at_source", "made_at_locator"}
    commitment.refresh_from_db()
    assert (commitment.made_at, commitment.made_at_source, commitment.made_at_locator) == (other, None, "")
    assert commitment.history.first().history_user == editor


def test_the_meeting_page_lists_its_outcomes_with_their_status_today(reviewer_client, summit):
    page = reviewer_client.get(reverse("dialogues:meeting_detail", args=[summit.pk])).content.decode()
    assert "4 commitments: 1 achieved, 2 in progress, 1 not started" in page
    for n in range(1, 5):
        assert f"JS §{n}" in page
    assert "Press report of the summit, ¶1" in page
    assert reviewer_client.get(reverse("dialogues:meeting_detail", args=[999999])).status_code == 404


def test_the_meeting_page_costs_the_same_queries_for_4_or_20_outcomes(
    reviewer_client, summit, django_assert_max_num_queries
):
    url = reverse("dialogues:meeting_detail", args=[summit.pk])
    with django_assert_max_num_queries(10) as few:
        reviewer_client.get(url)
    for n in range(5, 21):
        CommitmentFactory(reference=f"JS §{n}", made_at=summit)
    with django_assert_max_num_queries(len(few)):
        assert "20 commitments" in reviewer_client.get(url).content.decode()


def test_the_commitment_page_names_the_meeting_it_was_made_at(reviewer_client, summit):
    commitment = Commitment.objects.filter(made_at=summit).first()
    page = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    assert summit.get_absolute_url() in page and "EU–Japan Summit" in page


def test_outcomes_on_the_meeting_in_the_api_and_made_at_on_the_commitment(reviewer_api, summit):
    body = reviewer_api.get(f"/api/v1/meetings/{summit.pk}/").json()
    assert body["outcomes_summary"] == "4 commitments: 1 achieved, 2 in progress, 1 not started"
    assert [o["reference"] for o in body["outcomes"]] == ["JS §1", "JS §2", "JS §3", "JS §4"]
    assert body["outcomes"][0]["status"] == "achieved"
    assert "outcomes" not in reviewer_api.get("/api/v1/meetings/").json()["results"][0]
    commitment = Commitment.objects.get(reference="JS §1")
    detail = reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    assert detail["made_at"] == summit.pk and detail["made_at_url"].endswith(f"/api/v1/meetings/{summit.pk}/")


def test_a_status_update_changes_the_meetings_etag(reviewer_api, summit):
    url = f"/api/v1/meetings/{summit.pk}/"
    etag = reviewer_api.get(url)["ETag"]
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    StatusUpdateFactory(commitment=Commitment.objects.get(reference="JS §4"), status=Status.IN_PROGRESS)
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_seed_ties_the_2023_summits_statement_to_the_summit(seed_data, reviewer_client):
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    outcomes = Commitment.objects.filter(made_at=summit)
    assert outcomes.count() == 19 and set(outcomes.values_list("agreement__code", flat=True)) == {"JS-2023"}
    assert all(c.made_at_source_id and c.made_at_locator for c in outcomes)
    page = reviewer_client.get(summit.get_absolute_url()).content.decode()
    assert "JS-2023 (PRESS ¶4)" in page and "Launch an annual Strategic Dialogue" in page
    statuses = [c.get_status_display() for c in outcomes]
    assert "19 commitments: " in page
    for label in set(statuses):
        assert f"{statuses.count(label)} {label.lower()}" in page
    # Only what the documents state: the Green Alliance at the 2021 summit, the Digital Partnership at the 2022 one.
    assert set(Commitment.objects.filter(made_at__held_on="2021-05-27").values_list("agreement__code", flat=True)) == {
        "GA"
    }
    assert Commitment.objects.filter(made_at__isnull=False).count() == 32


def test_the_api_documentation_example_of_a_meetings_outcomes_is_what_the_seed_answers(seed_data, reviewer_api):
    """The OpenAPI example of ``GET /api/v1/meetings/{id}/`` quotes the seeded 13 July 2023 summit: every field it
    shows (but the ids, which depend on the database) is what the API answers for that meeting."""
    schema = reviewer_api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    content = schema["paths"]["/api/v1/meetings/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]
    (example,) = [example["value"] for example in content["examples"].values()]
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    answer = reviewer_api.get(f"/api/v1/meetings/{summit.pk}/").json()
    ids = {"id", "url"}
    assert {key: value for key, value in example.items() if key not in ids | {"outcomes"}} == {
        key: answer[key] for key in example if key not in ids | {"outcomes"}
    }
    answered = {outcome["reference"]: outcome for outcome in answer["outcomes"]}
    for shown in example["outcomes"]:
        assert {key: value for key, value in shown.items() if key not in ids} == {
            key: answered[shown["reference"]][key] for key in shown if key not in ids
        }
