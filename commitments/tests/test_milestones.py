"""Milestones: the model's rules, the roll-up, and the services that write them into the status history."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commitments.choices import ProgressSource, Status, UpdateKind
from commitments.models import Commitment, Milestone, StatusUpdate, due_period_end, rolled_up_progress
from commitments.services import (
    CommitmentConflict,
    commitment_set_progress_source,
    commitment_update_status,
    milestone_add,
    milestone_update,
    milestone_withdraw,
    status_update_withdraw,
)
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, SourceDocumentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        yield


@pytest.fixture
def author():
    return UserFactory(editor=True)


def rolled_up(commitment: Commitment) -> Commitment:
    commitment_set_progress_source(
        commitment=commitment, expected_version=commitment.version, author=None, source=ProgressSource.MILESTONES
    )
    commitment.refresh_from_db()
    return commitment


def achieved_with_one_done_milestone(author) -> Commitment:
    """A commitment whose progress is rolled up from its one milestone, done, and which is marked achieved."""
    commitment = rolled_up(CommitmentFactory())
    MilestoneFactory(commitment=commitment, done=True)
    commitment.refresh_from_db()
    commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=author,
        status=Status.ACHIEVED,
        evidence_reference="Summit statement",
    )
    commitment.refresh_from_db()
    return commitment


# -- the model ------------------------------------------------------------------------------------------------


def test_a_due_date_known_to_the_month_or_year_is_due_by_the_last_day_of_it():
    assert due_period_end(dt.date(2025, 2, 1), "month") == dt.date(2025, 2, 28)
    assert due_period_end(dt.date(2024, 2, 1), "month") == dt.date(2024, 2, 29)
    assert due_period_end(dt.date(2025, 1, 1), "year") == dt.date(2025, 12, 31)
    assert due_period_end(dt.date(2025, 3, 14), "day") == dt.date(2025, 3, 14)
    assert due_period_end(None, "day") is None


def test_the_database_refuses_a_done_milestone_without_evidence_and_a_zero_weight():
    milestone = MilestoneFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(done_on=dt.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(weight=0)


def test_plain_mean_without_weights_and_weighted_mean_with_them():
    class M:
        def __init__(self, done, weight=None, withdrawn=False):
            self.done_on = dt.date(2025, 1, 1) if done else None
            self.weight = weight
            self.withdrawn_at = dt.datetime(2025, 1, 1) if withdrawn else None

    assert rolled_up_progress([]) is None
    assert rolled_up_progress([M(True), M(False), M(False)]) == 33
    assert rolled_up_progress([M(True, 3), M(False, 1)]) == 75
    # A withdrawn milestone does not count; one not done keeps it below 100.
    assert rolled_up_progress([M(True), M(False, withdrawn=True)]) == 100
    assert rolled_up_progress([M(True, 999), M(False, 1)]) == 99


# -- the services ---------------------------------------------------------------------------------------------


def test_adding_a_milestone_is_one_entry_of_the_status_history_under_the_version(author):
    commitment = CommitmentFactory()
    milestone = milestone_add(
        commitment=commitment,
        expected_version=0,
        author=author,
        title="First Security and Defence Dialogue",
        due_on=dt.date(2025, 5, 1),
        due_on_precision="month",
    )
    commitment.refresh_from_db()
    entry = StatusUpdate.objects.get(commitment=commitment)
    assert commitment.version == 1 and entry.version == 1
    assert entry.kind == UpdateKind.MILESTONE and entry.milestone == milestone and entry.author == author
    assert entry.note == "Milestone added: “First Security and Defence Dialogue”, due May 2025."
    assert milestone.due_by == dt.date(2025, 5, 31)
    assert commitment.last_reviewed_at == entry.recorded_at


def test_a_stale_version_adds_no_milestone(author):
    commitment = CommitmentFactory()
    commitment_update_status(commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS)
    with pytest.raises(CommitmentConflict):
        milestone_add(commitment=commitment, expected_version=0, author=author, title="Late")
    assert not Milestone.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"done_on": dt.date(2025, 1, 10)}, "evidence_reference"),
        ({"done_on": dt.date(2026, 12, 8), "evidence_reference": "x"}, "done_on"),
        ({"due_on": dt.date(2025, 5, 14), "due_on_precision": "month"}, "due_on"),
        ({"weight": 0}, "weight"),
        ({"evidence_url": "https://example.eu/a b"}, "evidence_url"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_milestones_are_refused_and_nothing_is_written(author, fields, error_field):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        milestone_add(commitment=commitment, expected_version=0, author=author, **{"title": "Launch", **fields})
    assert error_field in excinfo.value.message_dict
    commitment.refresh_from_db()
    assert commitment.version == 0 and not Milestone.objects.exists() and not StatusUpdate.objects.exists()


def test_roll_up_without_weights_is_the_plain_mean(author):
    commitment = rolled_up(CommitmentFactory())
    MilestoneFactory(commitment=commitment, done=True)
    MilestoneFactory(commitment=commitment)
    MilestoneFactory(commitment=commitment)
    commitment.refresh_from_db()
    assert commitment.progress == 33


def test_roll_up_with_weights_is_the_weighted_mean_and_moves_when_a_milestone_is_done(author):
    commitment = rolled_up(CommitmentFactory())
    MilestoneFactory(commitment=commitment, done=True, weight=1)
    open_one = MilestoneFactory(commitment=commitment, weight=3)
    commitment.refresh_from_db()
    assert commitment.progress == 25
    milestone_update(
        milestone=open_one,
        expected_version=commitment.version,
        author=author,
        done_on=dt.date(2026, 11, 30),
        evidence_url="https://example.eu/statement",
    )
    commitment.refresh_from_db()
    assert commitment.progress == 100
    latest = StatusUpdate.objects.newest_first().first()
    assert latest.progress == 100 and latest.evidence_url == "https://example.eu/statement"
    assert latest.note.startswith("Milestone done:")


def test_withdrawing_a_milestone_keeps_it_struck_through_and_rolls_up_without_it(author):
    commitment = rolled_up(CommitmentFactory())
    MilestoneFactory(commitment=commitment, done=True)
    mistake = MilestoneFactory(commitment=commitment)
    commitment.refresh_from_db()
    assert commitment.progress == 50
    entry = milestone_withdraw(
        milestone=mistake, expected_version=commitment.version, author=author, reason="Belongs to SDP §12"
    )
    commitment.refresh_from_db()
    mistake.refresh_from_db()
    assert commitment.progress == 100 and entry.milestone == mistake
    assert mistake.is_withdrawn and mistake.withdrawn_by == author
    assert mistake.withdrawal_reason == "Belongs to SDP §12"
    with pytest.raises(ValidationError):
        milestone_withdraw(milestone=mistake, expected_version=commitment.version, author=author, reason="again")
    with pytest.raises(ValidationError):
        milestone_update(milestone=mistake, expected_version=commitment.version, author=author, title="New")


def test_a_withdrawal_needs_a_reason_and_a_current_version(author):
    milestone = MilestoneFactory()
    commitment = milestone.commitment
    commitment.refresh_from_db()
    with pytest.raises(ValidationError):
        milestone_withdraw(milestone=milestone, expected_version=commitment.version, author=author, reason="  ")
    with pytest.raises(CommitmentConflict):
        milestone_withdraw(milestone=milestone, expected_version=commitment.version - 1, author=author, reason="x")
    milestone.refresh_from_db()
    assert not milestone.is_withdrawn


def test_a_rolled_up_commitment_takes_no_progress_by_hand_and_is_achieved_only_with_every_milestone_done(author):
    commitment = rolled_up(CommitmentFactory())
    milestone = MilestoneFactory(commitment=commitment)
    commitment.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(
            commitment=commitment, expected_version=commitment.version, author=author, status="stalled", progress=4
        )
    assert "progress" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(
            commitment=commitment,
            expected_version=commitment.version,
            author=author,
            status=Status.ACHIEVED,
            evidence_reference="Summit statement",
        )
    assert excinfo.value.message_dict["status"] == [
        "Its progress is rolled up from its milestones and 0 of 1 are done: an achieved commitment has every"
        " milestone done."
    ]
    milestone_update(
        milestone=milestone,
        expected_version=commitment.version,
        author=author,
        done_on=dt.date(2026, 12, 1),
        evidence_reference="Council press release",
    )
    commitment.refresh_from_db()
    update = commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=author,
        status=Status.ACHIEVED,
        evidence_reference="Summit statement",
    )
    assert update.progress == 100
    # An open milestone would take an achieved commitment below 100 %: refused.
    commitment.refresh_from_db()
    with pytest.raises(ValidationError):
        milestone_add(commitment=commitment, expected_version=commitment.version, author=author, title="More")


def test_switching_to_milestones_rolls_up_at_once_and_back_keeps_the_figure(author):
    commitment = CommitmentFactory()
    commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=80
    )
    MilestoneFactory(commitment=commitment)
    commitment.refresh_from_db()
    assert commitment.progress == 80  # by hand: a milestone does not move it
    rolled_up(commitment)
    assert commitment.progress == 0 and commitment.progress_source == ProgressSource.MILESTONES
    entry = StatusUpdate.objects.newest_first().first()
    assert entry.kind == UpdateKind.PROGRESS_SOURCE
    assert entry.note == "Progress from now on: rolled up from milestones."
    commitment_set_progress_source(
        commitment=commitment, expected_version=commitment.version, author=author, source=ProgressSource.MANUAL
    )
    commitment.refresh_from_db()
    assert commitment.progress == 0 and commitment.progress_source == ProgressSource.MANUAL


def test_a_milestone_entry_is_not_withdrawn_as_an_entry(author):
    milestone = MilestoneFactory()
    entry = milestone.entries.get()
    with pytest.raises(ValidationError) as excinfo:
        status_update_withdraw(update=entry, expected_version=1, author=author, reason="mistake")
    assert excinfo.value.messages == [
        "An entry about a milestone is corrected by withdrawing the milestone (or by changing where the progress"
        " comes from), not the entry."
    ]


def test_withdrawing_a_status_update_of_a_rolled_up_commitment_keeps_the_rolled_up_progress(author):
    commitment = rolled_up(CommitmentFactory())
    MilestoneFactory(commitment=commitment, done=True)
    MilestoneFactory(commitment=commitment)
    commitment.refresh_from_db()
    update = commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=author, status=Status.STALLED
    )
    status_update_withdraw(update=update, expected_version=commitment.version, author=author, reason="wrong one")
    commitment.refresh_from_db()
    assert commitment.status == Status.NOT_STARTED and commitment.progress == 50


def test_overdue_milestones_are_open_and_past_their_due_period():
    commitment = CommitmentFactory()
    past = MilestoneFactory(commitment=commitment, due_on=dt.date(2026, 12, 6))
    MilestoneFactory(commitment=commitment, due_on=dt.date(2026, 12, 1), due_on_precision="month")  # to 31 Dec
    MilestoneFactory(commitment=commitment, due_on=dt.date(2026, 1, 1), done=True)
    MilestoneFactory(commitment=commitment, due_on=None)
    assert list(Milestone.objects.overdue()) == [past]
    assert past.is_overdue() and list(Milestone.objects.overdue(on=dt.date(2026, 12, 6))) == []


def test_a_milestone_can_be_added_to_an_achieved_commitment_whose_progress_is_entered_by_hand(author):
    commitment = CommitmentFactory()
    commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.ACHIEVED, evidence_reference="Text"
    )
    milestone_add(commitment=commitment, expected_version=1, author=author, title="Follow-up report")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress, commitment.version) == (Status.ACHIEVED, 100, 2)


# -- what an editor is told, and what the history records -----------------------------------------------------------


def test_a_milestone_done_then_reopened_then_changed_says_so_in_the_history_with_who_and_when(author):
    milestone = MilestoneFactory(title="Launch", due_on=dt.date(2026, 3, 1), due_on_precision="month")
    commitment = milestone.commitment
    commitment.refresh_from_db()
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    done, changed = milestone_update(
        milestone=milestone,
        expected_version=commitment.version,
        author=author,
        recorded_at=at,
        done_on=dt.date(2026, 11, 30),
        evidence_reference="Joint statement",
    )
    assert done is milestone and changed == ["done_on", "evidence_reference"]
    # The caller's object is the stored one now.
    assert milestone.done_on == dt.date(2026, 11, 30) and milestone.evidence_reference == "Joint statement"
    entry = StatusUpdate.objects.filter(commitment=commitment).latest("version")
    assert entry.note == "Milestone done: “Launch” on 30 November 2026."
    assert entry.author == author and entry.recorded_at == at and entry.evidence_reference == "Joint statement"

    commitment.refresh_from_db()
    milestone_update(milestone=milestone, expected_version=commitment.version, author=author, done_on=None)
    entry = StatusUpdate.objects.filter(commitment=commitment).latest("version")
    assert entry.note == "Milestone no longer done: “Launch”, due March 2026."
    assert milestone.done_on is None and Milestone.objects.get(pk=milestone.pk).done_on is None

    commitment.refresh_from_db()
    _, changed = milestone_update(
        milestone=milestone, expected_version=commitment.version, author=author, title="Launch event", weight=2
    )
    entry = StatusUpdate.objects.filter(commitment=commitment).latest("version")
    assert changed == ["title", "weight"]
    assert entry.note == "Milestone changed: “Launch event” (title, weight)."
    assert (milestone.title, milestone.weight) == ("Launch event", 2)


def test_a_change_to_nothing_writes_nothing_and_an_unknown_field_is_a_programming_error(author):
    milestone = MilestoneFactory(title="Launch")
    commitment = milestone.commitment
    commitment.refresh_from_db()
    version = commitment.version
    assert milestone_update(milestone=milestone, expected_version=version, author=author, title="Launch") == (
        milestone,
        [],
    )
    with pytest.raises(TypeError, match=r"^Not a field of a milestone: colour, size$"):
        milestone_update(milestone=milestone, expected_version=version, author=author, size=1, colour="red")
    commitment.refresh_from_db()
    assert commitment.version == version


def test_a_withdrawn_milestone_tells_the_editor_it_cannot_be_changed(author):
    milestone = MilestoneFactory()
    commitment = milestone.commitment
    commitment.refresh_from_db()
    stale = Milestone.objects.get(pk=milestone.pk)
    milestone_withdraw(milestone=milestone, expected_version=commitment.version, author=author, reason="Duplicate")
    commitment.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        milestone_update(milestone=milestone, expected_version=commitment.version, author=author, title="New")
    assert excinfo.value.messages == ["A withdrawn milestone cannot be changed."]
    # A page loaded before the withdrawal: refused under the lock, nothing written.
    with pytest.raises(ValidationError) as excinfo:
        milestone_update(milestone=stale, expected_version=commitment.version, author=author, title="New")
    assert excinfo.value.messages == ["A withdrawn milestone cannot be changed."]
    with pytest.raises(ValidationError) as excinfo:
        milestone_withdraw(milestone=stale, expected_version=commitment.version, author=author, reason="Again")
    assert excinfo.value.messages == ["This milestone has already been withdrawn."]
    assert Milestone.objects.get(pk=milestone.pk).title == stale.title
    assert StatusUpdate.objects.filter(commitment=commitment).count() == commitment.version


def test_a_withdrawal_reason_is_required_and_at_most_1000_characters(author):
    milestone = MilestoneFactory()
    commitment = milestone.commitment
    commitment.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        milestone_withdraw(milestone=milestone, expected_version=commitment.version, author=author, reason=" ")
    assert excinfo.value.message_dict == {"reason": ["Say why the milestone is withdrawn."]}
    with pytest.raises(ValidationError) as excinfo:
        milestone_withdraw(milestone=milestone, expected_version=commitment.version, author=author, reason="x" * 1001)
    assert excinfo.value.message_dict == {"reason": ["Keep the reason to 1000 characters or fewer."]}
    at = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    entry = milestone_withdraw(
        milestone=milestone,
        expected_version=commitment.version,
        author=author,
        reason=" " + "y" * 1000,
        recorded_at=at,
    )
    milestone.refresh_from_db()
    assert milestone.withdrawal_reason == "y" * 1000 and milestone.withdrawn_at == at
    assert entry.recorded_at == at and entry.author == author
    assert entry.note == f"Milestone withdrawn: “{milestone.title}”. Reason: {'y' * 1000}"


def test_saving_some_fields_keeps_the_due_by_date_in_line_with_the_stored_due_date():
    milestone = MilestoneFactory(due_on=dt.date(2026, 3, 1), due_on_precision="month")
    stale = Milestone.objects.get(pk=milestone.pk)
    title = milestone.title
    milestone.due_on, milestone.title = dt.date(2026, 6, 1), "Not to be saved"
    milestone.save(update_fields=["due_on"])
    assert Milestone.objects.values_list("due_on", "due_by", "title").get(pk=milestone.pk) == (
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 30),
        title,  # only the fields named (and the due-by date) are written
    )
    # A save of another field from a copy read before leaves the due date and its end alone.
    stale.title = "Renamed"
    stale.save(update_fields=["title"])
    assert Milestone.objects.values_list("title", "due_on", "due_by").get(pk=milestone.pk) == (
        "Renamed",
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 30),
    )
    milestone.due_on_precision = "day"
    milestone.save(update_fields=["due_on_precision"])
    assert Milestone.objects.get(pk=milestone.pk).due_by == dt.date(2026, 6, 1)


def test_what_an_editor_is_told_about_a_milestone_done_in_the_future_or_without_evidence():
    milestone = MilestoneFactory.build(done_on=TODAY, evidence_reference="Statement")
    milestone.clean()  # done today: fine
    milestone.done_on = TODAY + dt.timedelta(days=1)
    milestone.evidence_reference = ""
    with pytest.raises(ValidationError) as excinfo:
        milestone.clean()
    assert excinfo.value.message_dict == {
        "done_on": ["A milestone cannot be done in the future."],
        "evidence_reference": ["Evidence (a URL or a document reference) is required to mark it done."],
    }
    milestone.done_on, milestone.evidence_url = TODAY, "not a url"
    with pytest.raises(ValidationError) as excinfo:
        milestone.clean()
    assert excinfo.value.message_dict == {"evidence_url": ["Enter a valid URL."]}


def test_a_milestone_added_as_done_says_when_and_one_without_a_due_date_says_none(author):
    commitment = CommitmentFactory()
    milestone_add(
        commitment=commitment,
        expected_version=0,
        author=author,
        title="Signed",
        done_on=dt.date(2026, 11, 3),
        evidence_reference="Council decision",
    )
    milestone_add(commitment=commitment, expected_version=1, author=author, title="Ratified")
    notes = list(StatusUpdate.objects.filter(commitment=commitment).order_by("version").values_list("note", flat=True))
    assert notes == ["Milestone added: “Signed”, done on 3 November 2026.", "Milestone added: “Ratified”."]


def test_a_milestone_added_keeps_its_author_source_date_precision_and_time_and_its_entry_says_who_and_when(author):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS)
    document = SourceDocumentFactory()
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    milestone = milestone_add(
        commitment=commitment,
        expected_version=0,
        author=author,
        title="Launch",
        due_on=dt.date(2026, 3, 14),
        due_on_precision="",
        done_on=dt.date(2026, 11, 30),
        evidence_url="https://example.eu/launch",
        evidence_reference="Press release",
        source_document=document,
        source_locator="§ 4",
        recorded_at=at,
    )
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.commitment_id, stored.author, stored.source_document, stored.source_locator) == (
        commitment.pk,
        author,
        document,
        "§ 4",
    )
    assert (stored.due_on_precision, stored.due_by, stored.created_at) == ("day", dt.date(2026, 3, 14), at)
    entry = StatusUpdate.objects.get(commitment=commitment)
    assert (entry.author, entry.recorded_at, entry.status, entry.previous_status) == (
        author,
        at,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
    )
    assert (entry.evidence_url, entry.evidence_reference, entry.evidence_date) == (
        "https://example.eu/launch",
        "Press release",
        dt.date(2026, 11, 30),
    )
    plain = milestone_add(commitment=commitment, expected_version=1, author=author, title="Plain")
    assert Milestone.objects.get(pk=plain.pk).source_locator == ""


def test_an_open_milestone_is_refused_under_an_achieved_rolled_up_commitment_and_a_done_one_accepted(author):
    commitment = achieved_with_one_done_milestone(author)
    version = commitment.version
    with pytest.raises(ValidationError) as excinfo:
        milestone_add(commitment=commitment, expected_version=version, author=author, title="Open")
    assert excinfo.value.message_dict == {
        "__all__": [
            "Its progress is rolled up from its milestones and 1 of 2 are done: an achieved commitment has every"
            " milestone done."
        ]
    }
    assert Milestone.objects.filter(commitment=commitment).count() == 1
    milestone_add(
        commitment=commitment,
        expected_version=version,
        author=author,
        title="Also done",
        done_on=dt.date(2026, 12, 1),
        evidence_reference="Statement",
    )
    commitment.refresh_from_db()
    assert (commitment.version, commitment.progress, commitment.status) == (version + 1, 100, Status.ACHIEVED)


def test_a_progress_source_change_is_refused_clearly_and_recorded_with_its_author_and_time(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_set_progress_source(commitment=commitment, expected_version=0, author=author, source="guesswork")
    assert excinfo.value.message_dict == {"progress_source": ["Not a progress source: 'guesswork'."]}
    at = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    read_before = Commitment.objects.get(pk=commitment.pk)
    entry = commitment_set_progress_source(
        commitment=commitment, expected_version=0, author=author, source=ProgressSource.MILESTONES, recorded_at=at
    )
    assert (entry.author, entry.recorded_at, entry.evidence_url, entry.evidence_reference, entry.evidence_date) == (
        author,
        at,
        "",
        "",
        None,
    )
    # A page read before that change sends the same switch again with the version it was told since.
    with pytest.raises(ValidationError) as excinfo:
        commitment_set_progress_source(
            commitment=read_before, expected_version=1, author=author, source=ProgressSource.MILESTONES
        )
    assert excinfo.value.message_dict == {"progress_source": ["It already says so."]}
    assert StatusUpdate.objects.filter(commitment=commitment).count() == 1


def test_a_milestone_withdrawal_entry_carries_no_evidence(author):
    milestone = MilestoneFactory(done=True)
    entry = milestone_withdraw(milestone=milestone, expected_version=1, author=author, reason="Recorded twice")
    assert (entry.evidence_url, entry.evidence_reference, entry.evidence_date) == ("", "", None)
    assert entry.note == f"Milestone withdrawn: “{milestone.title}”. Reason: Recorded twice"


def test_withdrawing_an_update_is_refused_when_it_would_leave_an_achieved_commitment_with_an_open_milestone(author):
    commitment = achieved_with_one_done_milestone(author)
    reopened = commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=author, status=Status.IN_PROGRESS
    )
    commitment.refresh_from_db()
    open_one = milestone_add(commitment=commitment, expected_version=commitment.version, author=author, title="Open")
    commitment.refresh_from_db()
    version = commitment.version
    with pytest.raises(ValidationError) as excinfo:
        status_update_withdraw(update=reopened, expected_version=version, author=author, reason="Entered by mistake")
    assert excinfo.value.messages == [
        "Withdrawing it would leave the commitment achieved with milestones not done: record its status first."
    ]
    commitment.refresh_from_db()
    assert (commitment.version, commitment.status, commitment.progress) == (version, Status.IN_PROGRESS, 50)

    milestone_withdraw(milestone=open_one, expected_version=version, author=author, reason="Not a milestone")
    status_update_withdraw(update=reopened, expected_version=version + 1, author=author, reason="Entered by mistake")
    commitment.refresh_from_db()
    assert (commitment.version, commitment.status, commitment.progress) == (version + 2, Status.ACHIEVED, 100)


def test_a_milestone_without_a_done_date_is_recorded_without_evidence(author):
    commitment = CommitmentFactory()
    milestone_add(
        commitment=commitment,
        expected_version=0,
        author=author,
        title="Planned",
        evidence_url="https://example.eu/plan",
        evidence_reference="Work plan",
    )
    entry = StatusUpdate.objects.get(commitment=commitment)
    assert (entry.evidence_url, entry.evidence_reference, entry.evidence_date) == ("", "", None)
