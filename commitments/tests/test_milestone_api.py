"""Contract of /api/v1/milestones/ and of the milestones nested in a commitment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from commitments.choices import ProgressSource
from commitments.models import Milestone, StatusUpdate
from commitments.services import commitment_set_progress_source
from commitments.tests.factories import CommitmentFactory, MilestoneFactory

from .api_support import _fresh_throttle_counters, anon_api, assert_error, editor_api, reviewer_api

__all__ = ["_fresh_throttle_counters", "anon_api", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db
URL = "/api/v1/milestones/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        yield


@pytest.fixture
def commitment():
    return CommitmentFactory(reference="SDP §5")


def test_an_editor_adds_a_milestone_and_the_commitment_shows_it_nested(editor_api, reviewer_api, commitment):
    response = editor_api.post(
        URL,
        {
            "commitment": commitment.pk,
            "expected_version": 0,
            "title": "First dialogue held",
            "due_on": "2025-05-01",
            "due_on_precision": "month",
            "weight": 2,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"].endswith(f"{URL}{body['id']}/")
    assert (body["due_by"], body["overdue"], body["done"], body["weight"]) == ("2025-05-31", True, False, 2)
    detail = reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    assert [m["title"] for m in detail["milestones"]] == ["First dialogue held"]
    assert detail["version"] == 1 and detail["progress_source"] == "manual"
    # The list of commitments stays flat.
    assert "milestones" not in reviewer_api.get("/api/v1/commitments/").json()["results"][0]


def test_invalid_milestones_are_400s_with_the_model_messages_and_write_nothing(editor_api, commitment):
    for payload, field in (
        ({"title": "Done", "done_on": "2025-01-01"}, "evidence_reference"),
        ({"title": "Late", "due_on": "2025-05-14", "due_on_precision": "month"}, "due_on"),
        ({"title": "Heavy", "weight": 0}, "weight"),
        ({"title": "Heavy", "weight": "2"}, "weight"),
        ({"title": "Nowhere", "commitment": 999999}, "commitment"),
    ):
        body = assert_error(
            editor_api.post(URL, {"commitment": commitment.pk, "expected_version": 0, **payload}, format="json"), 400
        )
        assert field in body["errors"], (payload, body)
    assert not Milestone.objects.exists() and not StatusUpdate.objects.exists()


def test_an_invalid_evidence_url_is_one_message(editor_api, commitment):
    payload = {"commitment": commitment.pk, "expected_version": 0, "title": "Held", "evidence_url": "htp:/x"}
    body = assert_error(editor_api.post(URL, payload, format="json"), 400)
    assert body["errors"] == {"evidence_url": ["Enter a valid URL."]}


def test_a_stale_version_is_a_409_with_the_current_state(editor_api, commitment):
    MilestoneFactory(commitment=commitment)
    body = assert_error(
        editor_api.post(URL, {"commitment": commitment.pk, "expected_version": 0, "title": "Mine"}, format="json"),
        409,
    )
    assert body["current"]["version"] == 1 and len(body["newer_updates"]) == 1
    assert Milestone.objects.count() == 1


def test_marking_done_by_patch_rolls_up_and_withdrawing_keeps_it_listed(editor_api, commitment, editor):
    commitment_set_progress_source(
        commitment=commitment, expected_version=0, author=editor, source=ProgressSource.MILESTONES
    )
    one = MilestoneFactory(commitment=commitment)
    MilestoneFactory(commitment=commitment)
    response = editor_api.patch(
        f"{URL}{one.pk}/",
        {"expected_version": 3, "done_on": "2026-11-30", "evidence_reference": "Council press release"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["done"] is True
    commitment.refresh_from_db()
    assert commitment.progress == 50
    assert_error(editor_api.patch(f"{URL}{one.pk}/", {"title": "No version"}, format="json"), 400)
    assert editor_api.put(f"{URL}{one.pk}/", {"expected_version": 4, "title": "x"}, format="json").status_code == 405
    response = editor_api.post(f"{URL}{one.pk}/withdraw/", {"expected_version": 4, "reason": "Wrong"}, format="json")
    assert response.status_code == 200 and response.json()["withdrawn"] is True
    commitment.refresh_from_db()
    assert commitment.progress == 0
    assert_error(
        editor_api.post(f"{URL}{one.pk}/withdraw/", {"expected_version": 5, "reason": "x"}, format="json"), 400
    )


def test_reviewers_read_but_cannot_write(reviewer_api, commitment):
    milestone = MilestoneFactory(commitment=commitment)
    assert reviewer_api.get(URL).status_code == 200
    assert_error(reviewer_api.post(URL, {"commitment": commitment.pk, "expected_version": 1, "title": "x"}), 403)
    assert_error(reviewer_api.patch(f"{URL}{milestone.pk}/", {"expected_version": 1, "title": "x"}), 403)


def test_filters_commitment_overdue_due_before_and_after(reviewer_api, commitment):
    other = CommitmentFactory()
    MilestoneFactory(commitment=commitment, title="passed", due_on=dt.date(2026, 3, 1))
    MilestoneFactory(commitment=commitment, title="this month", due_on=dt.date(2026, 12, 1), due_on_precision="month")
    MilestoneFactory(commitment=commitment, title="done", due_on=dt.date(2025, 1, 1), done=True)
    MilestoneFactory(commitment=other, title="next year", due_on=dt.date(2027, 1, 1), due_on_precision="year")

    def titles(query: str) -> list[str]:
        response = reviewer_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles(f"commitment={commitment.pk}") == ["done", "passed", "this month"]
    assert titles("overdue=true") == ["passed"]
    assert "passed" not in titles("overdue=false")
    assert titles("due_before=2026-12-31") == ["done", "passed"]  # "December 2026" runs to the 31st
    assert titles("due_after=2026-11-30") == ["this month", "next year"]
    for query, field in (
        ("overdue=maybe", "overdue"),
        ("due_before=2026-13-01", "due_before"),
        ("commitment=x", "commitment"),
    ):
        assert field in assert_error(reviewer_api.get(f"{URL}?{query}"), 400)["errors"]


def test_the_list_costs_the_same_queries_for_5_or_40_milestones(reviewer_api, django_assert_max_num_queries):
    commitments = [CommitmentFactory() for _ in range(5)]
    for commitment in commitments:
        MilestoneFactory(commitment=commitment)
    with django_assert_max_num_queries(12) as few:
        assert reviewer_api.get(URL).status_code == 200
    for commitment in commitments:
        for _ in range(7):
            MilestoneFactory(commitment=commitment)
    with django_assert_max_num_queries(len(few)):
        assert len(reviewer_api.get(URL).json()["results"]) == 40
    with django_assert_max_num_queries(12):
        assert len(reviewer_api.get(f"/api/v1/commitments/{commitments[0].pk}/").json()["milestones"]) == 8


def test_milestones_are_in_the_openapi_schema_with_examples(reviewer_api):
    schema = reviewer_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/milestones/"])
    post = paths["/api/v1/milestones/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["examples"]
    parameters = {p["name"] for p in paths["/api/v1/milestones/"]["get"]["parameters"]}
    assert {"commitment", "overdue", "due_before", "due_after"} <= parameters
    detail = schema["components"]["schemas"]["CommitmentDetail"]["properties"]
    assert "milestones" in detail and "progress_source" in detail


def test_one_milestone_is_served_with_an_etag_that_moves_when_it_changes(reviewer_api, editor_api, commitment):
    milestone = MilestoneFactory(commitment=commitment)
    url = f"{URL}{milestone.pk}/"
    first = reviewer_api.get(url)
    assert first.status_code == 200 and first.json()["title"] == milestone.title
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    listed = reviewer_api.get(URL)
    done = {"expected_version": 1, "done_on": "2026-12-01", "evidence_reference": "Report"}
    assert editor_api.patch(url, done, format="json").status_code == 200
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    assert reviewer_api.get(URL, HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 200


def test_if_match_guards_every_write_of_a_milestone(editor_api, reviewer_api, commitment):
    """A write sent with If-Match is made only while the milestone is as the client read it (RFC 9110): else 412 and
    nothing is written. The ETag sent back is the one a GET answered (weak, compared as such)."""
    milestone = MilestoneFactory(commitment=commitment, title="First dialogue held")
    url = f"{URL}{milestone.pk}/"
    read = reviewer_api.get(url)["ETag"]
    rename = {"expected_version": 1, "title": "First dialogue"}
    stale = editor_api.patch(url, rename, format="json", HTTP_IF_MATCH='"nope"')
    body = assert_error(stale, 412, "precondition_failed")
    assert body["detail"] == "The precondition given in the request headers does not hold."
    assert Milestone.objects.get(pk=milestone.pk).title == "First dialogue held"
    assert StatusUpdate.objects.count() == 1
    response = editor_api.patch(url, rename, format="json", HTTP_IF_MATCH=f'"other", {read}')
    assert response.status_code == 200, response.content
    # The milestone changed since that ETag was read: the withdrawal based on it is refused.
    withdraw = {"expected_version": 2, "reason": "Duplicate"}
    assert_error(editor_api.post(f"{url}withdraw/", withdraw, format="json", HTTP_IF_MATCH=read), 412)
    assert not Milestone.objects.get(pk=milestone.pk).is_withdrawn
    # So is a new milestone based on the list as it was.
    listed = reviewer_api.get(URL)["ETag"]
    add = {"commitment": commitment.pk, "expected_version": 2, "title": "Second dialogue held"}
    assert editor_api.post(URL, add, format="json", HTTP_IF_MATCH=listed).status_code == 201
    add = {**add, "expected_version": 3, "title": "Third dialogue held"}
    assert_error(editor_api.post(URL, add, format="json", HTTP_IF_MATCH=listed), 412)
    assert Milestone.objects.count() == 2
    # "*": any current representation will do.
    withdraw = {**withdraw, "expected_version": 3}
    assert editor_api.post(f"{url}withdraw/", withdraw, format="json", HTTP_IF_MATCH="*").status_code == 200


def test_if_match_does_not_change_what_a_write_that_cannot_be_made_answers(editor_api, commitment):
    """Preconditions are weighed only for a write that could be made: a method not allowed stays a 405, an unknown
    milestone a 404, a reviewer's write a 403."""
    milestone = MilestoneFactory(commitment=commitment)
    stale = {"HTTP_IF_MATCH": '"nope"'}
    assert_error(editor_api.put(f"{URL}{milestone.pk}/", {"title": "x"}, format="json", **stale), 405)
    assert_error(editor_api.delete(f"{URL}{milestone.pk}/", **stale), 405)
    assert_error(editor_api.patch(f"{URL}987654/", {"title": "x"}, format="json", **stale), 404)


def test_the_commitment_detail_and_the_party_filters_are_in_the_schema_with_an_example(reviewer_api):
    schema = reviewer_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    listing = schema["paths"]["/api/v1/commitments/"]["get"]
    assert {"actor", "eu_status", "japan_status", "deadline_passed"} <= {p["name"] for p in listing["parameters"]}
    detail = schema["paths"]["/api/v1/commitments/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]
    (example,) = detail["examples"].values()
    value = example["value"]
    assert (value["actor"], value["eu_status"], value["japan_status"]) == ("both", "in_progress", "stalled")
    assert value["milestones"][0]["commitment"] == value["id"]
    # Every field of the example is a field of the answer, and the other way round.
    assert set(value) == set(schema["components"]["schemas"]["CommitmentDetail"]["properties"])
