"""Progress never contradicts the status: 100 % complete means achieved (``states.progress_for_status``), whether the
figure is entered by hand, left over when a party's status lowers the combined one, worked out again after a
withdrawal, or rolled up from milestones (which the pages word as "all milestones done, not achieved")."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments.choices import Actor, Party, ProgressSource, Status
from commitments.models import StatusUpdate
from commitments.services import (
    commitment_set_progress_source,
    commitment_update_party_status,
    commitment_update_status,
    status_update_withdraw,
)
from commitments.states import FULL_PROGRESS_IS_ACHIEVED, progress_for_status, progress_text
from commitments.tests.factories import CommitmentFactory, MilestoneFactory

from .api_support import _fresh_throttle_counters, editor_api

__all__ = ["_fresh_throttle_counters", "editor_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(editor):
    return editor


def fresh(commitment):
    commitment.refresh_from_db()
    return commitment


def test_the_rule_itself():
    assert progress_for_status(status=Status.ACHIEVED, progress=None, rolled_up=False) == 100
    assert progress_for_status(status=Status.STALLED, progress=100, rolled_up=False) is None
    assert progress_for_status(status=Status.STALLED, progress=100, rolled_up=True) == 100
    assert progress_for_status(status=Status.IN_PROGRESS, progress=40, rolled_up=False) == 40
    with pytest.raises(ValidationError) as refused:
        progress_for_status(status=Status.STALLED, progress=100, rolled_up=False, entered=True)
    assert refused.value.message_dict == {"progress": [FULL_PROGRESS_IS_ACHIEVED]}
    assert progress_text(status=Status.STALLED, progress=100) == "all milestones done, not achieved"
    assert progress_text(status=Status.ACHIEVED, progress=100) == "100% complete"
    assert progress_text(status=Status.IN_PROGRESS, progress=40, short=True) == "40%"
    assert progress_text(status=Status.IN_PROGRESS, progress=None) == ""


def test_100_percent_by_hand_with_a_status_other_than_achieved_is_refused_and_nothing_is_written(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as refused:
        commitment_update_status(
            commitment=commitment, expected_version=0, author=author, status=Status.STALLED, progress=100
        )
    assert "progress" in refused.value.message_dict
    assert not StatusUpdate.objects.exists() and fresh(commitment).version == 0


def test_a_party_status_that_lowers_an_achieved_commitment_drops_its_100_percent(author):
    joint = CommitmentFactory(reference="SDP §12(b)", actor=Actor.BOTH)
    commitment_update_status(
        commitment=joint, expected_version=0, author=author, status=Status.ACHIEVED, evidence_reference="Statement"
    )
    assert fresh(joint).progress == 100
    for version, (who, status) in enumerate(((Party.EU, Status.IN_PROGRESS), (Party.JAPAN, Status.STALLED)), 1):
        commitment_update_party_status(
            commitment=joint, expected_version=version, author=author, party=who, status=status
        )
    joint = fresh(joint)
    assert (joint.status, joint.progress) == (Status.STALLED, None)  # not "stalled, 100 %"
    # Withdrawing the lowering entry gives the achieved status back with its 100 %; a replay keeps the rule.
    lowering = StatusUpdate.objects.get(commitment=joint, party=Party.JAPAN)
    status_update_withdraw(update=lowering, expected_version=joint.version, author=author, reason="Wrong report")
    joint = fresh(joint)
    # Japan's status no longer recorded, the combined status is the editor's again: achieved, 100 %.
    assert (joint.status, joint.progress, joint.japan_status) == (Status.ACHIEVED, 100, "")


def test_withdrawing_the_achieved_entry_does_not_leave_100_percent_behind(author):
    commitment = CommitmentFactory()
    commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=60
    )
    achieved = commitment_update_status(
        commitment=commitment, expected_version=1, author=author, status=Status.ACHIEVED, evidence_reference="Law"
    )
    status_update_withdraw(update=achieved, expected_version=2, author=author, reason="Announced, not adopted")
    commitment = fresh(commitment)
    assert (commitment.status, commitment.progress) == (Status.IN_PROGRESS, 60)


def test_every_milestone_done_without_achieved_reads_as_such_on_the_pages(author, reviewer_client):
    commitment = CommitmentFactory(reference="SDP §7")
    commitment_update_status(commitment=commitment, expected_version=0, author=author, status=Status.STALLED)
    commitment_set_progress_source(
        commitment=commitment, expected_version=1, author=author, source=ProgressSource.MILESTONES
    )
    MilestoneFactory(commitment=fresh(commitment), done=True)
    commitment = fresh(commitment)
    assert (commitment.status, commitment.progress) == (Status.STALLED, 100)  # the count of what is done
    page = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    assert "all milestones done, not achieved" in page and "100% complete" not in page
    listing = reviewer_client.get(reverse("commitments:commitment_list")).content.decode()
    assert "all milestones done, not achieved" in listing and ">100%<" not in listing


def test_the_status_form_refuses_100_percent_without_achieved(editor_client):
    commitment = CommitmentFactory()
    response = editor_client.post(
        reverse("commitments:commitment_update_status", args=[commitment.pk]),
        {"status": "in_progress", "progress": 100, "note": "Done, we think", "expected_version": 0},
    )
    assert response.status_code == 400
    assert "100% complete means achieved" in response.content.decode()
    assert fresh(commitment).version == 0


def test_the_api_refuses_100_percent_without_achieved(editor_api):
    commitment = CommitmentFactory()
    response = editor_api.post(
        "/api/v1/status-updates/",
        {"commitment": commitment.pk, "expected_version": 0, "status": "ongoing", "progress": 100},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "100% complete means achieved" in response.content.decode()
    assert fresh(commitment).version == 0
