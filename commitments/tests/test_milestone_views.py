"""The milestone forms and the milestones on a commitment's page, as a browser sees them (without JavaScript)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from commitments.choices import ProgressSource, UpdateKind
from commitments.models import Milestone, StatusUpdate
from commitments.services import commitment_set_progress_source, milestone_add
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        yield


@pytest.fixture
def commitment():
    return CommitmentFactory(reference="SDP §12(b)", title="Joint naval exercises")


def add_url(commitment):
    return reverse("commitments:milestone_add", kwargs={"pk": commitment.pk})


def test_an_editor_adds_a_milestone_known_to_the_month_and_sees_it_on_the_page(editor_client, commitment):
    response = editor_client.post(
        add_url(commitment),
        {
            "title": "First joint exercise",
            "due_on": "2025-05-01",
            "due_on_precision": "month",
            "expected_version": 0,
        },
    )
    milestone = Milestone.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#milestone-{milestone.pk}")
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "First joint exercise" in page and "May 2025" in page
    assert 'class="badge overdue">overdue' in page  # due by 31 May 2025, open on 7 December 2026
    assert "Milestone added: “First joint exercise”, due May 2025." in page  # on the timeline


def test_invalid_input_is_a_400_with_the_errors_and_writes_nothing(editor_client, commitment):
    response = editor_client.post(
        add_url(commitment),
        {"title": "X", "due_on_precision": "day", "done_on": "2025-01-10", "weight": "0", "expected_version": 0},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "weight" in errors
    response = editor_client.post(
        add_url(commitment),
        {"title": "Exercise", "due_on_precision": "day", "done_on": "2025-01-10", "expected_version": 0},
    )
    assert response.status_code == 400
    assert "Evidence (a URL or a document reference) is required to mark it done." in response.content.decode()
    assert not Milestone.objects.exists() and not StatusUpdate.objects.exists()


def test_a_stale_form_is_a_409_that_shows_what_changed_and_writes_nothing(editor_client, commitment):
    milestone_add(commitment=commitment, expected_version=0, author=UserFactory(editor=True), title="Theirs")
    response = editor_client.post(
        add_url(commitment), {"title": "Mine", "due_on_precision": "day", "expected_version": 0}
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Milestone added: “Theirs”" in content and "Mine" in content
    assert list(Milestone.objects.values_list("title", flat=True)) == ["Theirs"]


def test_marking_a_milestone_done_rolls_the_progress_up(editor_client, commitment, editor):
    commitment_set_progress_source(
        commitment=commitment, expected_version=0, author=editor, source=ProgressSource.MILESTONES
    )
    first = MilestoneFactory(commitment=commitment, title="Plan", weight=1)
    MilestoneFactory(commitment=commitment, title="Exercise", weight=3)
    commitment.refresh_from_db()
    url = reverse("commitments:milestone_edit", kwargs={"pk": commitment.pk, "milestone_pk": first.pk})
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(
        url,
        {
            "title": "Plan",
            "due_on": "2025-06-30",
            "due_on_precision": "day",
            "done_on": "2025-06-20",
            "evidence_url": "https://example.eu/plan",
            "weight": "1",
            "expected_version": commitment.version,
        },
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.progress == 25
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "Milestone done: “Plan” on 20 June 2025." in page and "progress 25%" in page


def test_a_withdrawn_milestone_stays_struck_through_with_its_reason(editor_client, commitment):
    milestone = MilestoneFactory(commitment=commitment, title="Wrong step")
    commitment.refresh_from_db()
    url = reverse("commitments:milestone_withdraw", kwargs={"pk": commitment.pk, "milestone_pk": milestone.pk})
    assert editor_client.post(url, {"reason": "", "expected_version": commitment.version}).status_code == 400
    response = editor_client.post(url, {"reason": "Belongs to §13", "expected_version": commitment.version})
    assert response.status_code == 302
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert '<del><span class="visually-hidden">Withdrawn: </span>Wrong step</del>' in page
    assert "Belongs to §13" in page
    # A withdrawn milestone has no forms any more: its withdraw page says it is withdrawn, its edit page is gone.
    again = editor_client.get(url)
    assert again.status_code == 200 and 'name="reason"' not in again.content.decode()
    assert "Already withdrawn on" in again.content.decode()
    edit = reverse("commitments:milestone_edit", kwargs={"pk": commitment.pk, "milestone_pk": milestone.pk})
    assert editor_client.get(edit).status_code == 404


def test_reviewers_get_403_on_the_milestone_forms(reviewer_client, commitment):
    milestone = MilestoneFactory(commitment=commitment)
    for url in (
        add_url(commitment),
        reverse("commitments:milestone_edit", kwargs={"pk": commitment.pk, "milestone_pk": milestone.pk}),
        reverse("commitments:milestone_withdraw", kwargs={"pk": commitment.pk, "milestone_pk": milestone.pk}),
        reverse("commitments:progress_source", kwargs={"pk": commitment.pk}),
    ):
        assert reviewer_client.get(url).status_code == 403
        assert reviewer_client.post(url, {"title": "x", "expected_version": 1}).status_code == 403
    assert Milestone.objects.count() == 1


def test_the_progress_source_form_switches_and_records_it(editor_client, commitment):
    url = reverse("commitments:progress_source", kwargs={"pk": commitment.pk})
    response = editor_client.post(url, {"progress_source": "milestones", "expected_version": 0})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.progress_source == ProgressSource.MILESTONES
    assert StatusUpdate.objects.get().kind == UpdateKind.PROGRESS_SOURCE
    # Asking again for what is already so changes nothing; a change based on the old version is a conflict.
    assert editor_client.post(url, {"progress_source": "milestones", "expected_version": 0}).status_code == 302
    assert editor_client.post(url, {"progress_source": "manual", "expected_version": 0}).status_code == 409
    assert StatusUpdate.objects.count() == 1


def test_the_commitment_page_costs_the_same_queries_with_many_milestones(
    editor_client, commitment, django_assert_max_num_queries
):
    for n in range(3):
        MilestoneFactory(commitment=commitment, title=f"Step {n}")
    with django_assert_max_num_queries(12) as few:
        editor_client.get(commitment.get_absolute_url())
    for n in range(3, 12):
        MilestoneFactory(commitment=commitment, title=f"Step {n}")
    with django_assert_max_num_queries(len(few)):
        editor_client.get(commitment.get_absolute_url())


def test_milestone_entries_appear_in_what_changed(reviewer_client, commitment):
    MilestoneFactory(commitment=commitment, title="Exercise plan", due_on=dt.date(2027, 1, 1), due_on_precision="year")
    page = reviewer_client.get(reverse("dashboards:changes"), {"since": "2026-12-01"}).content.decode()
    assert "Progress updates, milestones and reviews" in page
    assert "Milestone added: “Exercise plan”, due 2027." in page
