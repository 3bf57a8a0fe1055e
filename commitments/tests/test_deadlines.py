"""Deadlines passed: target dates and milestone due dates gone by without completion, on the overview (today and as
of a past day), in the commitment list and in the API filter."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from commitments.choices import Status
from commitments.models import Commitment
from commitments.services import milestone_update
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, StatusUpdateFactory, UserFactory

from .api_support import _fresh_throttle_counters, reviewer_api

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        yield


@pytest.fixture
def world():
    target = CommitmentFactory(reference="SDP §4", title="Target gone by", target_date=dt.date(2026, 6, 30))
    finished = CommitmentFactory(reference="SDP §5", title="Finished late", target_date=dt.date(2026, 6, 30))
    StatusUpdateFactory(commitment=finished, status=Status.ACHIEVED, evidence_reference="Adopted text")
    late = CommitmentFactory(reference="SDP §6", title="Milestone late")
    MilestoneFactory(commitment=late, title="Exercise held", due_on=dt.date(2026, 10, 1), due_on_precision="month")
    on_time = CommitmentFactory(reference="SDP §7", title="On time", target_date=dt.date(2027, 6, 30))
    MilestoneFactory(commitment=on_time, title="Plan", due_on=dt.date(2026, 12, 1), due_on_precision="month")
    return {"target": target, "late": late, "on_time": on_time, "finished": finished}


def refs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_deadline_passed_on_the_queryset_and_in_the_api_filter(reviewer_api, world):
    assert set(Commitment.objects.deadline_passed().values_list("reference", flat=True)) == {"SDP §4", "SDP §6"}
    assert refs(reviewer_api.get("/api/v1/commitments/?deadline_passed=true")) == {"SDP §4", "SDP §6"}
    assert refs(reviewer_api.get("/api/v1/commitments/?deadline_passed=false")) == {"SDP §5", "SDP §7"}
    assert reviewer_api.get("/api/v1/commitments/?deadline_passed=soon").status_code == 400


def test_a_milestone_done_takes_its_commitment_off_the_list(reviewer_api, world):
    late = world["late"]
    late.refresh_from_db()
    milestone_update(
        milestone=late.milestones.get(),
        expected_version=late.version,
        author=UserFactory(editor=True),
        done_on=dt.date(2026, 11, 2),
        evidence_reference="Exercise report",
    )
    assert refs(reviewer_api.get("/api/v1/commitments/?deadline_passed=true")) == {"SDP §4"}


def test_the_commitment_list_page_filters_on_it_and_shows_the_overdue_milestones(reviewer_client, world):
    response = reviewer_client.get(reverse("commitments:commitment_list"), {"deadline_passed": "true"})
    page = response.content.decode()
    assert "SDP §4" in page and "SDP §6" in page and "SDP §7" not in page
    assert '<span class="badge overdue">1 overdue</span>' in page
    assert "0 of 1 done" in page


def test_the_overview_lists_passed_target_dates_and_overdue_milestones(reviewer_client, world):
    page = reviewer_client.get(reverse("dashboards:home")).content.decode()
    section = page[page.index('id="targets-heading"') :]
    assert "Deadlines passed" in page and "Target gone by" in section
    start = section.index('id="milestones-overdue"')
    milestones = section[start : section.index("</ul>", start)]
    assert "SDP §6" in milestones and "Exercise held" in milestones and "due October 2026" in milestones
    assert "Plan" not in milestones  # due December 2026: not before the end of the month
    assert "?deadline_passed=true" in section


def test_the_overview_as_of_a_past_day_counts_the_milestones_overdue_then(reviewer_client, world):
    late = world["late"]
    late.refresh_from_db()
    recorded_before = MilestoneFactory(
        commitment=late,
        title="Report tabled",
        due_on=dt.date(2026, 9, 1),
        recorded_at=dt.datetime(2026, 8, 1, 9, 0, tzinfo=dt.UTC),
    )
    late.refresh_from_db()
    milestone_update(
        milestone=recorded_before,
        expected_version=late.version,
        author=UserFactory(editor=True),
        done_on=dt.date(2026, 11, 20),
        evidence_reference="Exercise report",
    )
    then = reviewer_client.get(reverse("dashboards:home"), {"as_of": "2026-11-15"}).content.decode()
    listed = then[
        then.index('id="milestones-overdue-heading"') : then.index("</section>", then.index("milestones-overdue"))
    ]
    # Overdue then (done only on 20 November); "Exercise held" was not recorded yet on 15 November.
    assert "Report tabled" in listed and "Exercise held" not in listed
    now = reviewer_client.get(reverse("dashboards:home")).content.decode()
    listed = now[
        now.index('id="milestones-overdue-heading"') : now.index("</section>", now.index("milestones-overdue"))
    ]
    assert "Report tabled" not in listed and "Exercise held" in listed
