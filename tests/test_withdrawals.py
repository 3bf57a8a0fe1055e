"""Corrections that keep the history: withdrawing a mistaken status update or meeting, with a reason.

The entry stays (marked withdrawn, with the reason), everything derived from it is worked out again, the write is
conflict-safe, and bad input writes nothing; through the services, the staff pages and the API alike.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import strip_tags

from commitments.choices import Status, UpdateKind
from commitments.models import Commitment, StatusUpdate
from commitments.services import CommitmentConflict, milestone_withdraw, status_update_withdraw
from commitments.tests.api_support import token_client
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, StatusUpdateFactory, UserFactory
from dashboards.selectors import cells_as_of, overdue_bodies_as_of
from dialogues.models import DialogueBody, Meeting, OverdueFlag
from dialogues.services import MeetingAlreadyWithdrawn, meeting_record, meeting_withdraw
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mistaken(editor):
    """A commitment in progress (40 %) and then, by mistake, marked achieved."""
    commitment = CommitmentFactory(reference="SDP §7")
    first = StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, progress=40, author=editor)
    wrong = StatusUpdateFactory(
        commitment=commitment, status=Status.ACHIEVED, evidence_reference="Wrong file", author=editor
    )
    commitment.refresh_from_db()
    return commitment, first, wrong


def snapshot(commitment):
    return Commitment.objects.values().get(pk=commitment.pk), StatusUpdate.objects.count()


# -- Status updates ------------------------------------------------------------------------------------------


def test_withdrawing_an_update_restores_the_status_and_keeps_the_entry(mistaken, editor):
    commitment, first, wrong = mistaken
    assert (commitment.status, commitment.version) == (Status.ACHIEVED, 2)

    withdrawal = status_update_withdraw(update=wrong, expected_version=2, author=editor, reason="Wrong commitment")

    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress, commitment.version) == (Status.IN_PROGRESS, 40, 3)
    assert commitment.status_changed_at == first.recorded_at
    assert StatusUpdate.objects.get(pk=wrong.pk).is_withdrawn  # still there, marked
    assert (withdrawal.kind, withdrawal.withdraws_id, withdrawal.note) == (
        UpdateKind.WITHDRAWAL,
        wrong.pk,
        "Wrong commitment",
    )
    assert list(commitment.updates.effective().values_list("pk", flat=True)) == [first.pk]


def test_withdrawing_the_only_update_leaves_it_not_started_and_never_reviewed(editor):
    update = StatusUpdateFactory(status=Status.STALLED)
    status_update_withdraw(update=update, expected_version=1, author=editor, reason="Entered twice")
    commitment = Commitment.objects.get(pk=update.commitment_id)
    assert (commitment.status, commitment.progress, commitment.last_reviewed_at) == (Status.NOT_STARTED, None, None)


def test_a_stale_or_repeated_withdrawal_is_refused_and_writes_nothing(mistaken, editor):
    commitment, _first, wrong = mistaken
    before = snapshot(commitment)
    with pytest.raises(CommitmentConflict):
        status_update_withdraw(update=wrong, expected_version=1, author=editor, reason="Stale form")
    with pytest.raises(ValidationError):
        status_update_withdraw(update=wrong, expected_version=2, author=editor, reason="   ")
    assert snapshot(commitment) == before
    withdrawal = status_update_withdraw(update=wrong, expected_version=2, author=editor, reason="Wrong file")
    with pytest.raises(ValidationError, match="already been withdrawn"):
        status_update_withdraw(update=wrong, expected_version=3, author=editor, reason="Again")
    with pytest.raises(ValidationError, match="cannot itself be withdrawn"):
        status_update_withdraw(update=withdrawal, expected_version=3, author=editor, reason="Undo")


def test_the_timeline_strikes_the_withdrawn_entry_through_and_shows_why(mistaken, editor_client):
    commitment, _first, wrong = mistaken
    url = reverse("commitments:status_update_withdraw", args=[commitment.pk, wrong.pk])
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert url in page  # reachable from the timeline
    response = editor_client.post(url, {"reason": "Marked achieved by mistake", "expected_version": 2})
    assert response.status_code == 302
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert '<del class="withdrawn-entry">' in page
    # The reason is said once, next to the entry it withdrew; the withdrawal's own line links to that entry.
    assert page.count("Marked achieved by mistake") == 1
    assert f'<a href="#entry-{wrong.pk}">status update of' in page and f'id="entry-{wrong.pk}"' in page
    assert Commitment.objects.get(pk=commitment.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    "data", [{"reason": "", "expected_version": 2}, {"reason": "x" * 1001, "expected_version": 2}, {"reason": "ok"}]
)
def test_bad_withdrawal_forms_are_400_and_write_nothing(mistaken, editor_client, data):
    commitment, _first, wrong = mistaken
    before = snapshot(commitment)
    url = reverse("commitments:status_update_withdraw", args=[commitment.pk, wrong.pk])
    assert editor_client.post(url, data).status_code == 400
    assert snapshot(commitment) == before


def test_a_stale_withdrawal_form_gets_the_conflict_page(mistaken, editor_client, editor):
    commitment, _first, wrong = mistaken
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, progress=60, author=editor)
    url = reverse("commitments:status_update_withdraw", args=[commitment.pk, wrong.pk])
    response = editor_client.post(url, {"reason": "Wrong file", "expected_version": 2})
    assert response.status_code == 409
    assert "Nothing was withdrawn" in response.content.decode()
    assert not StatusUpdate.objects.get(pk=wrong.pk).is_withdrawn


def _withdrawn_page(client, url):
    """The withdraw page of a record already withdrawn: what it says, and whether it offers a form."""
    response = client.get(url)
    html = response.content.decode()
    return response.status_code, " ".join(strip_tags(html).split()), 'name="reason"' in html


def test_the_withdraw_page_of_a_withdrawn_entry_says_so_at_once_without_a_form(mistaken, editor_client):
    commitment, _first, wrong = mistaken
    other = UserFactory(editor=True, first_name="Keiko", last_name="Sato")
    status_update_withdraw(update=wrong, expected_version=2, author=other, reason="Marked achieved by mistake")
    url = reverse("commitments:status_update_withdraw", args=[commitment.pk, wrong.pk])
    status, text, has_form = _withdrawn_page(editor_client, url)
    on = date_format(timezone.localdate(), "j F Y")
    assert (status, has_form) == (200, False)
    assert f"Already withdrawn on {on} by Keiko Sato: “Marked achieved by mistake”." in text
    assert "Withdraw this entry if" not in text
    # A form sent from an older tab writes nothing and says the same.
    before = snapshot(commitment)
    response = editor_client.post(url, {"reason": "Again", "expected_version": 3})
    assert response.status_code == 409 and "Already withdrawn on" in response.content.decode()
    assert snapshot(commitment) == before


def test_an_entry_withdrawn_in_another_tab_is_not_offered_again_after_the_conflict(mistaken, editor_client):
    commitment, _first, wrong = mistaken
    url = reverse("commitments:status_update_withdraw", args=[commitment.pk, wrong.pk])
    assert editor_client.post(url, {"reason": "First tab", "expected_version": 2}).status_code == 302
    # The second tab's form was opened on version 2 as well: the page says what happened, with no form.
    response = editor_client.post(url, {"reason": "Second tab", "expected_version": 2})
    assert response.status_code == 409
    html = response.content.decode()
    assert "by you: “First tab”" in html and 'name="reason"' not in html


def test_the_withdraw_page_of_a_withdrawn_milestone_says_so_instead_of_404(editor_client, editor):
    milestone = MilestoneFactory(title="Route survey")
    commitment = Commitment.objects.get(pk=milestone.commitment_id)
    milestone_withdraw(milestone=milestone, expected_version=commitment.version, author=editor, reason="Elsewhere")
    url = reverse("commitments:milestone_withdraw", args=[commitment.pk, milestone.pk])
    status, text, has_form = _withdrawn_page(editor_client, url)
    assert (status, has_form) == (200, False)
    assert "Already withdrawn on" in text and "by you: “Elsewhere”." in text


def test_reviewers_cannot_withdraw(mistaken, reviewer_client):
    commitment, _first, wrong = mistaken
    url = reverse("commitments:status_update_withdraw", args=[commitment.pk, wrong.pk])
    assert reviewer_client.post(url, {"reason": "No", "expected_version": 2}).status_code == 403
    assert not StatusUpdate.objects.get(pk=wrong.pk).is_withdrawn


def test_the_api_withdraws_and_the_change_feed_carries_it(mistaken, editor):
    commitment, first, wrong = mistaken
    api = token_client(editor)
    response = api.post(
        f"/api/v1/status-updates/{wrong.pk}/withdraw/", {"reason": "Wrong file", "expected_version": 2}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "withdrawal" and response.json()["withdraws"] == wrong.pk
    assert response.json()["status"] == "in_progress"

    feed = api.get("/api/v1/status-updates/", {"commitment": commitment.pk}).json()["results"]
    by_id = {entry["id"]: entry for entry in feed}
    assert by_id[wrong.pk]["withdrawn"] is True
    assert by_id[wrong.pk]["withdrawal_reason"] == "Wrong file"
    assert by_id[first.pk]["withdrawn"] is False and by_id[first.pk]["withdrawal_reason"] is None
    assert feed[-1]["id"] == response.json()["id"]  # appended at the end of the feed
    assert api.get(f"/api/v1/commitments/{commitment.pk}/").json()["status"] == "in_progress"


def test_the_api_refuses_stale_and_bad_withdrawals_writing_nothing(mistaken, editor, reviewer):
    commitment, _first, wrong = mistaken
    before = snapshot(commitment)
    url = f"/api/v1/status-updates/{wrong.pk}/withdraw/"
    stale = token_client(editor).post(url, {"reason": "Wrong", "expected_version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    for body in ({"expected_version": 2}, {"reason": "x" * 1001, "expected_version": 2}, {"reason": "ok"}):
        assert token_client(editor).post(url, body, format="json").status_code == 400
    assert token_client(reviewer).post(url, {"reason": "No", "expected_version": 2}, format="json").status_code == 403
    assert snapshot(commitment) == before


def test_as_of_views_ignore_withdrawn_updates(mistaken, editor):
    commitment, _first, wrong = mistaken
    status_update_withdraw(update=wrong, expected_version=2, author=editor, reason="Wrong file")
    cells, _ = cells_as_of(dt.date.today())
    statuses = {cell.status: cell.n for cell in cells if cell.agreement_id == commitment.agreement_id}
    assert statuses == {Status.IN_PROGRESS: 1}


# -- Meetings ------------------------------------------------------------------------------------------------


@pytest.fixture
def late_body(editor):
    """A yearly body that was overdue until a meeting (recorded by mistake) closed its flag."""
    body = DialogueBodyFactory(short_name="SDD", cadence_months=12, grace_days=60)
    MeetingFactory(body=body, held_on=dt.date(2022, 3, 1))
    body.refresh_schedule()
    flag = OverdueFlag.objects.create(
        body=body, due_on=body.next_due_on, overdue_since=body.overdue_after, days_overdue_at_opening=100
    )
    mistaken = meeting_record(body=body, held_on=dt.date.today() - dt.timedelta(days=10), recorded_by=editor)
    flag.refresh_from_db()
    assert flag.closed_at is not None and flag.closed_by_meeting == mistaken
    return body, mistaken, flag


def test_withdrawing_a_meeting_moves_the_due_date_back_and_reopens_the_flag(late_body, editor):
    body, mistaken, flag = late_body
    meeting_withdraw(meeting=mistaken, author=editor, reason="It was the working group")
    body = DialogueBody.objects.get(pk=body.pk)
    assert (body.last_meeting_on, body.next_due_on) == (dt.date(2022, 3, 1), dt.date(2023, 3, 1))
    assert body.is_overdue()
    assert OverdueFlag.objects.get(pk=flag.pk).closed_at is None
    stored = Meeting.objects.get(pk=mistaken.pk)
    assert stored.is_withdrawn and stored.withdrawal_reason == "It was the working group"
    assert stored.history.first().history_user == editor  # audited with its author
    assert [b.body.pk for b in overdue_bodies_as_of(dt.date.today())] == [body.pk]
    # The day is free again for the right meeting.
    meeting_record(body=body, held_on=mistaken.held_on, recorded_by=editor)


def test_a_meeting_is_withdrawn_once(late_body, editor):
    _body, mistaken, _flag = late_body
    meeting_withdraw(meeting=mistaken, author=editor, reason="Wrong body")
    with pytest.raises(MeetingAlreadyWithdrawn):
        meeting_withdraw(meeting=Meeting.objects.get(pk=mistaken.pk), author=editor, reason="Again")
    assert Meeting.objects.get(pk=mistaken.pk).withdrawal_reason == "Wrong body"


def test_the_body_page_withdraws_a_meeting_and_strikes_it_through(late_body, editor_client, reviewer):
    body, mistaken, _flag = late_body
    url = reverse("dialogues:meeting_withdraw", args=[mistaken.pk])
    assert url in editor_client.get(body.get_absolute_url()).content.decode()
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    assert reviewer_client.post(url, {"reason": "No"}).status_code == 403
    assert editor_client.post(url, {"reason": ""}).status_code == 400
    assert editor_client.post(url, {"reason": "x" * 1001}).status_code == 400
    assert not Meeting.objects.get(pk=mistaken.pk).is_withdrawn
    response = editor_client.post(url, {"reason": "Recorded for the wrong body"}, follow=True)
    page = response.content.decode()
    assert "overdue again" in page
    assert "<del>" in page and "Recorded for the wrong body" in page
    assert editor_client.post(url, {"reason": "Twice"}).status_code == 409


def test_the_withdraw_page_of_a_withdrawn_meeting_says_so_at_once_without_a_form(late_body, editor_client):
    _body, mistaken, _flag = late_body
    other = UserFactory(editor=True, first_name="Keiko", last_name="Sato")
    meeting_withdraw(meeting=mistaken, author=other, reason="It was the working group")
    url = reverse("dialogues:meeting_withdraw", args=[mistaken.pk])
    status, text, has_form = _withdrawn_page(editor_client, url)
    on = date_format(timezone.localdate(), "j F Y")
    assert (status, has_form) == (200, False)
    assert f"Already withdrawn on {on} by Keiko Sato: “It was the working group”." in text
    response = editor_client.post(url, {"reason": "Twice"})
    assert response.status_code == 409 and 'name="reason"' not in response.content.decode()
    assert Meeting.objects.get(pk=mistaken.pk).withdrawal_reason == "It was the working group"


def test_the_api_withdraws_a_meeting(late_body, editor, reviewer):
    body, mistaken, _flag = late_body
    url = f"/api/v1/meetings/{mistaken.pk}/withdraw/"
    assert token_client(reviewer).post(url, {"reason": "No"}, format="json").status_code == 403
    assert token_client(editor).post(url, {}, format="json").status_code == 400
    response = token_client(editor).post(url, {"reason": "Wrong body"}, format="json")
    assert response.status_code == 200
    assert response.json()["withdrawn"] is True and response.json()["withdrawal_reason"] == "Wrong body"
    dialogue = token_client(editor).get(f"/api/v1/dialogues/{body.short_name}/").json()
    assert dialogue["last_meeting_on"] == "2022-03-01"
    again = token_client(editor).post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
