"""Withdrawing a milestone added by mistake is a correction, not news: the commitment's last review is dated again from
the entries that still count (as after a status update's withdrawal), so a stale commitment that the mistake made
"moving" reads stale again; neither the milestone's own entries nor the withdrawal date a review, then or later."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.choices import CommitmentState, Status
from commitments.models import Commitment, StatusUpdate
from commitments.services import milestone_update, milestone_withdraw, status_update_withdraw
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db

LAST_REVIEW = dt.datetime(2023, 7, 13, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def stale(editor):
    """A commitment in progress, last reviewed on 13 July 2023: stale today."""
    commitment = CommitmentFactory(reference="CABLE-MOC (EP-IDA §2.6)", stale=True)
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, recorded_at=LAST_REVIEW, author=editor)
    commitment.refresh_from_db()
    assert commitment.state().code == CommitmentState.STALE
    return commitment


def withdraw_on_the_page(client, commitment, milestone, reason="Added to the wrong commitment"):
    commitment.refresh_from_db()
    url = reverse("commitments:milestone_withdraw", kwargs={"pk": commitment.pk, "milestone_pk": milestone.pk})
    response = client.post(url, {"reason": reason, "expected_version": commitment.version})
    assert response.status_code == 302
    commitment.refresh_from_db()


def test_withdrawing_a_mistaken_milestone_makes_a_stale_commitment_stale_again(editor_client, stale):
    mistake = MilestoneFactory(commitment=stale, title="Lay the Arctic cable")
    stale.refresh_from_db()
    assert stale.state().code == CommitmentState.MOVING  # the mistake read as news
    withdraw_on_the_page(editor_client, stale, mistake, reason="mistake")
    assert (stale.last_reviewed_at, stale.last_reviewed_precision) == (LAST_REVIEW, "day")
    assert stale.state().code == CommitmentState.STALE
    page = editor_client.get(stale.get_absolute_url()).content.decode()
    assert "<dt>Last update or review</dt>\n  <dd>13 July 2023</dd>" in page
    assert ">Stale</span>" in page and ">Moving</span>" not in page
    listed = editor_client.get(reverse("commitments:commitment_list"), {"search": "CABLE-MOC"}).content.decode()
    assert ">13 Jul 2023</time>" in listed


def test_a_mistaken_milestone_that_was_also_marked_done_counts_for_nothing_once_withdrawn(
    editor_client, editor, stale
):
    mistake = MilestoneFactory(commitment=stale)
    stale.refresh_from_db()
    milestone_update(
        milestone=mistake,
        expected_version=stale.version,
        author=editor,
        done_on=timezone.localdate(),
        evidence_reference="Press release",
    )
    withdraw_on_the_page(editor_client, stale, mistake)
    assert stale.last_reviewed_at == LAST_REVIEW and stale.state().code == CommitmentState.STALE


def test_a_commitment_never_reviewed_before_the_mistake_is_never_reviewed_after(editor):
    commitment = CommitmentFactory()
    mistake = MilestoneFactory(commitment=commitment)
    commitment.refresh_from_db()
    assert commitment.last_reviewed_at is not None
    milestone_withdraw(milestone=mistake, expected_version=commitment.version, author=editor, reason="Duplicate")
    commitment.refresh_from_db()
    assert commitment.last_reviewed_at is None and commitment.last_review_display == "never"


def test_a_milestone_that_stands_still_dates_the_review(editor, stale):
    kept = MilestoneFactory(commitment=stale, title="Survey the route")
    mistake = MilestoneFactory(commitment=stale, title="Lay the Arctic cable")
    stale.refresh_from_db()
    milestone_withdraw(milestone=mistake, expected_version=stale.version, author=editor, reason="Duplicate")
    stale.refresh_from_db()
    assert stale.last_reviewed_at == StatusUpdate.objects.get(milestone=kept).recorded_at
    assert stale.state().code == CommitmentState.MOVING


def test_withdrawing_a_status_update_later_does_not_count_the_withdrawn_milestone_either(editor, stale):
    mistake = MilestoneFactory(commitment=stale)
    stale.refresh_from_db()
    milestone_withdraw(milestone=mistake, expected_version=stale.version, author=editor, reason="Duplicate")
    stale.refresh_from_db()
    wrong = StatusUpdateFactory(commitment=stale, status=Status.STALLED, author=editor)
    stale.refresh_from_db()
    status_update_withdraw(update=wrong, expected_version=stale.version, author=editor, reason="Wrong commitment")
    stale = Commitment.objects.get(pk=stale.pk)
    assert stale.status == Status.IN_PROGRESS and stale.last_reviewed_at == LAST_REVIEW
    assert stale.state().code == CommitmentState.STALE
