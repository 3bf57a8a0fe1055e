"""Rules of the status history that the everyday tests do not reach: the services' race branches, the arguments
that only some callers pass (evidence on a review, a source, a recording time), corrections replayed over a mixed
history, and framework parents that loop in the stored data."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import F

from commitments.choices import Status, UpdateKind
from commitments.models import EVIDENCE_DATE_ALONE, Agreement, Commitment, HistoryIsAppendOnly, Milestone, StatusUpdate
from commitments.services import (
    CommitmentConflict,
    CommitmentEditConflict,
    commitment_confirm_unchanged,
    commitment_update,
    commitment_update_status,
    milestone_add,
    status_update_withdraw,
)
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    SourceDocumentFactory,
    StatusUpdateFactory,
    UserFactory,
)
from core.models import WITHDRAWAL_REASON_MAX_LENGTH
from dialogues.tests.factories import DialogueBodyFactory
from tests.support import assert_clean_errors

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)


@pytest.fixture
def author():
    return UserFactory(editor=True, username="desk-officer")


def stored(commitment: Commitment) -> dict:
    """What a reader of the commitment sees in the database."""
    return Commitment.objects.values(
        "status", "progress", "version", "status_changed_at", "last_reviewed_at", "edit_version"
    ).get(pk=commitment.pk)


# --- Race branches -------------------------------------------------------------------------------------------------


def _history_ahead_of_the_counter(commitment: Commitment) -> StatusUpdate:
    """A history row at the next version while the commitment's counter still says the previous one: what another
    writer leaves between its insert and the commit of its version (or a restore of the history without the
    counter). Written straight to the table."""
    (row,) = StatusUpdate.objects.bulk_create(
        [
            StatusUpdate(
                commitment=commitment,
                version=commitment.version + 1,
                status=Status.STALLED,
                previous_status=commitment.status,
                note="the other writer's update",
                recorded_at=NOW,
            )
        ]
    )
    return row


def _write_at_version_1(write: str, *, commitment: Commitment, first: StatusUpdate, author) -> None:
    """A status update, a review, the withdrawal of ``first`` or a milestone, by a writer who read version 1."""
    if write == "status":
        commitment_update_status(commitment=commitment, expected_version=1, author=author, status=Status.ONGOING)
    elif write == "review":
        commitment_confirm_unchanged(commitment=commitment, expected_version=1, author=author, note="Checked.")
    elif write == "milestone":
        milestone_add(commitment=commitment, expected_version=1, author=author, title="Launch")
    else:
        status_update_withdraw(update=first, expected_version=1, author=author, reason="Wrong commitment.")


@pytest.mark.parametrize("write", ["status", "review", "withdrawal", "milestone"])
def test_an_insert_that_hits_the_next_version_is_a_conflict_showing_the_other_update(author, write):
    commitment = CommitmentFactory()
    first = StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, progress=20, author=author)
    further_along = CommitmentFactory(reference="OTHER §1")  # another commitment, with more history
    for status in (Status.IN_PROGRESS, Status.ONGOING, Status.STALLED):
        StatusUpdateFactory(status=status, commitment=further_along)
    commitment.refresh_from_db()
    before = stored(commitment)
    other = _history_ahead_of_the_counter(commitment)

    with pytest.raises(CommitmentConflict) as conflict:
        _write_at_version_1(write, commitment=commitment, first=first, author=author)

    assert conflict.value.expected_version == 1
    assert [u.pk for u in conflict.value.newer_updates] == [other.pk]
    assert stored(commitment) == before  # the counter did not move: the whole write was undone
    assert list(StatusUpdate.objects.filter(commitment=commitment).values_list("pk", flat=True).order_by("pk")) == [
        first.pk,
        other.pk,
    ]
    assert commitment.version == 1  # the caller's object is not moved either
    assert not Milestone.objects.filter(commitment=commitment).exists()


@pytest.fixture
def another_writer_between_read_and_write(monkeypatch):
    """Another writer's update lands after the service read the version and before it writes: stood in for by
    writing it (straight to the database, on the same connection) when the service validates its entry, which is
    what it does between the two. On PostgreSQL the row lock makes this impossible and on SQLite the write lock
    does; the version condition in the UPDATE is the guard for any database where neither holds."""
    original = StatusUpdate.full_clean
    others = []

    def validate_while_another_writer_commits(self, *args, **kwargs):
        original(self, *args, **kwargs)
        commitment_id = self.commitment_id
        current = Commitment.objects.get(pk=commitment_id)
        Commitment.objects.filter(pk=commitment_id).update(version=F("version") + 1, status=Status.STALLED)
        others.extend(
            StatusUpdate.objects.bulk_create(
                [
                    StatusUpdate(
                        commitment_id=commitment_id,
                        version=current.version + 1,
                        status=Status.STALLED,
                        note="the other writer's update",
                        recorded_at=NOW,
                    )
                ]
            )
        )

    monkeypatch.setattr(StatusUpdate, "full_clean", validate_while_another_writer_commits)
    return others


@pytest.mark.parametrize("write", ["status", "review", "withdrawal"])
def test_a_version_moved_between_read_and_write_is_a_conflict_and_writes_nothing(
    author, another_writer_between_read_and_write, write
):
    commitment = CommitmentFactory()
    first = StatusUpdate.objects.bulk_create(
        [StatusUpdate(commitment=commitment, version=1, status=Status.IN_PROGRESS, note="first", recorded_at=NOW)]
    )[0]
    Commitment.objects.filter(pk=commitment.pk).update(version=1, status=Status.IN_PROGRESS)
    commitment.refresh_from_db()
    before = stored(commitment)

    with pytest.raises(CommitmentConflict) as conflict:
        _write_at_version_1(write, commitment=commitment, first=first, author=author)

    (other,) = another_writer_between_read_and_write
    assert (conflict.value.current.version, conflict.value.current.status) == (2, Status.STALLED)
    assert [u.note for u in conflict.value.newer_updates] == [other.note]
    # The exception undid the whole transaction, the stand-in writer's work included: nothing of ours is stored.
    assert stored(commitment) == before
    assert list(StatusUpdate.objects.filter(commitment=commitment).values_list("note", flat=True)) == ["first"]


def test_a_stale_edit_read_before_another_edit_is_a_conflict_naming_the_other_edit(author):
    commitment = CommitmentFactory(title="Old title", description="Old description")
    commitment_update(commitment=commitment, expected_edit_version=0, author=author, description="Read by both")
    commitment_update(commitment=commitment, expected_edit_version=1, author=author, title="Their title")
    with pytest.raises(CommitmentEditConflict) as conflict:
        commitment_update(
            commitment=Commitment.objects.get(pk=commitment.pk), expected_edit_version=1, author=author, title="Mine"
        )
    assert conflict.value.current.title == "Their title" and conflict.value.current.edit_version == 2
    assert [[(c.name, c.new) for c in edit.changes] for edit in conflict.value.newer_edits] == [
        [("title", "Their title")]
    ]
    assert str(conflict.value) == f"{commitment.reference} was edited by someone else (edit 1 was read, 2 is current)."


def test_an_edit_of_a_commitment_deleted_meanwhile_says_so():
    commitment = CommitmentFactory()
    ghost = Commitment(pk=commitment.pk + 1000)
    gone = rf"^Commitment {ghost.pk} no longer exists\.$"
    with pytest.raises(Commitment.DoesNotExist, match=gone):
        commitment_update(commitment=ghost, expected_edit_version=0, author=None, title="x")
    with pytest.raises(Commitment.DoesNotExist, match=gone):
        commitment_update_status(commitment=ghost, expected_version=0, author=None, status=Status.ONGOING)
    orphan = StatusUpdate(pk=1, commitment_id=ghost.pk, kind=UpdateKind.STATUS_CHANGE)
    with pytest.raises(Commitment.DoesNotExist, match=gone):
        status_update_withdraw(update=orphan, expected_version=0, author=None, reason="Gone.")


# --- Arguments that only some callers pass -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_review_keeps_its_evidence_and_moves_only_the_review_date(author):
    commitment = CommitmentFactory()
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, progress=30, author=author)
    commitment.refresh_from_db()
    changed_at = commitment.status_changed_at
    reviewed_at = NOW + dt.timedelta(hours=1)

    review = commitment_confirm_unchanged(
        commitment=commitment,
        expected_version=1,
        author=author,
        note=" Checked with the desk. ",
        evidence_date=dt.date(2026, 11, 20),
        evidence_url=" https://example.eu/minutes ",
        evidence_reference=" Minutes of 20 November ",
        recorded_at=reviewed_at,
    )

    entry = StatusUpdate.objects.get(pk=review.pk)
    assert (entry.kind, entry.status, entry.previous_status, entry.progress) == (
        UpdateKind.REVIEW,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        30,
    )
    assert (entry.note, entry.evidence_url, entry.evidence_reference, entry.evidence_date) == (
        "Checked with the desk.",
        "https://example.eu/minutes",
        "Minutes of 20 November",
        dt.date(2026, 11, 20),
    )
    assert (entry.author, entry.recorded_at, entry.version) == (author, reviewed_at, 2)
    assert stored(commitment) | {"edit_version": 0} == {
        "status": Status.IN_PROGRESS,
        "progress": 30,
        "version": 2,
        "status_changed_at": changed_at,
        "last_reviewed_at": reviewed_at,
        "edit_version": 0,
    }
    assert (commitment.version, commitment.last_reviewed_at) == (2, reviewed_at)  # the caller's object follows


@time_machine.travel(NOW, tick=False)
def test_a_review_with_evidence_dated_in_the_future_is_refused_and_writes_nothing(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as refused:
        commitment_confirm_unchanged(
            commitment=commitment,
            expected_version=0,
            author=author,
            note="Checked.",
            evidence_date=dt.date(2026, 11, 28),
            evidence_reference="Desk notes",
        )
    assert refused.value.message_dict["evidence_date"] == ["The evidence date cannot be in the future."]
    assert stored(commitment)["version"] == 0 and not StatusUpdate.objects.exists()
    commitment_confirm_unchanged(
        commitment=commitment,
        expected_version=0,
        author=author,
        note="Checked.",
        evidence_date=dt.date(2026, 11, 27),
        evidence_reference="Desk notes",
    )  # today is fine


@time_machine.travel(NOW, tick=False)
def test_a_status_update_keeps_its_source_and_recording_time(author):
    commitment = CommitmentFactory()
    document = SourceDocumentFactory(key="progress-report-2026")
    when = NOW - dt.timedelta(days=2)
    update = commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=author,
        status=Status.IN_PROGRESS,
        progress=10,
        recorded_at=when,
        source_document=document,
        source_locator="annex II, row 4",
    )
    entry = StatusUpdate.objects.get(pk=update.pk)
    assert (entry.source_document, entry.source_locator, entry.recorded_at) == (document, "annex II, row 4", when)
    assert entry.source_reference == f"{document.title}, annex II, row 4"
    assert (stored(commitment)["status_changed_at"], stored(commitment)["last_reviewed_at"]) == (when, when)


@time_machine.travel(NOW, tick=False)
def test_the_status_date_moves_only_when_the_status_changes(author):
    commitment = CommitmentFactory()
    first = NOW - dt.timedelta(days=10)
    commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=author,
        status=Status.IN_PROGRESS,
        progress=10,
        recorded_at=first,
    )
    commitment_update_status(
        commitment=commitment,
        expected_version=1,
        author=author,
        status=Status.IN_PROGRESS,
        progress=50,
        recorded_at=NOW,
    )
    assert (stored(commitment)["status_changed_at"], stored(commitment)["last_reviewed_at"]) == (first, NOW)
    assert stored(commitment)["progress"] == 50


@pytest.mark.parametrize(
    ("extra", "accepted"),
    [
        ({}, False),
        ({"note": "   "}, False),
        ({"evidence_url": "  "}, False),
        ({"note": "Talks resumed."}, True),
        ({"evidence_reference": "Joint statement"}, True),
        ({"evidence_url": "https://example.eu/a"}, True),
        ({"evidence_date": dt.date(2026, 1, 5), "evidence_reference": "Minutes"}, True),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_an_update_repeating_the_status_and_progress_needs_a_note_or_evidence(author, extra, accepted):
    commitment = CommitmentFactory()
    commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=40
    )
    repeat = {"commitment": commitment, "expected_version": 1, "author": author, "status": Status.IN_PROGRESS}
    if accepted:
        commitment_update_status(progress=40, **repeat, **extra)
        assert stored(commitment)["version"] == 2
        return
    with pytest.raises(ValidationError) as refused:
        commitment_update_status(progress=40, **repeat, **extra)
    assert refused.value.message_dict["status"][0].startswith("Nothing changed")
    assert stored(commitment)["version"] == 1
    commitment_update_status(progress=41, **repeat)  # another progress is a change


def test_achieved_without_a_progress_is_stored_as_100(author):
    commitment = CommitmentFactory()
    commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.ACHIEVED, evidence_reference="Act"
    )
    assert (stored(commitment)["status"], stored(commitment)["progress"]) == (Status.ACHIEVED, 100)
    assert StatusUpdate.objects.get().progress == 100


# --- Corrections replayed over a mixed history ---------------------------------------------------------------------


@pytest.fixture
def history(author):
    """Day 1 in progress (20 %), day 2 reviewed, day 3 in progress (60 %), day 4 stalled, day 5 reviewed."""
    commitment = CommitmentFactory()
    entries = []
    for day, kind, status, progress in (
        (1, UpdateKind.STATUS_CHANGE, Status.IN_PROGRESS, 20),
        (2, UpdateKind.REVIEW, None, None),
        (3, UpdateKind.STATUS_CHANGE, Status.IN_PROGRESS, 60),
        (4, UpdateKind.STATUS_CHANGE, Status.STALLED, 60),
        (5, UpdateKind.REVIEW, None, None),
    ):
        when = dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC)
        if kind == UpdateKind.REVIEW:
            entry = commitment_confirm_unchanged(
                commitment=commitment, expected_version=len(entries), author=author, note="Checked.", recorded_at=when
            )
        else:
            entry = commitment_update_status(
                commitment=commitment,
                expected_version=len(entries),
                author=author,
                status=status,
                progress=progress,
                recorded_at=when,
            )
        entries.append(entry)
    return commitment, entries


def day(n: int) -> dt.datetime:
    return dt.datetime(2026, 11, n, 9, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_withdrawing_the_last_status_change_replays_the_history_before_it(history, author):
    commitment, entries = history
    withdrawal = status_update_withdraw(update=entries[3], expected_version=5, author=author, reason="Not stalled.")
    assert stored(commitment) | {"edit_version": 0} == {
        "status": Status.IN_PROGRESS,
        "progress": 60,
        "version": 6,
        "status_changed_at": day(1),  # in progress since day 1: day 3 changed the progress, not the status
        "last_reviewed_at": day(5),  # the review of day 5 still counts
        "edit_version": 0,
    }
    assert (withdrawal.status, withdrawal.progress, withdrawal.previous_status) == (Status.IN_PROGRESS, 60, "stalled")
    assert (withdrawal.recorded_at, withdrawal.author, withdrawal.version) == (NOW, author, 6)


@time_machine.travel(NOW, tick=False)
def test_withdrawing_the_last_review_moves_the_review_date_back_to_the_entry_before(history, author):
    commitment, entries = history
    status_update_withdraw(update=entries[4], expected_version=5, author=author, reason="Not reviewed after all.")
    values = stored(commitment)
    assert (values["status"], values["progress"], values["status_changed_at"], values["last_reviewed_at"]) == (
        Status.STALLED,
        60,
        day(4),
        day(4),
    )


@time_machine.travel(NOW, tick=False)
def test_a_withdrawal_updates_the_commitment_its_caller_holds(history, author):
    _, entries = history
    update = StatusUpdate.objects.select_related("commitment").get(pk=entries[3].pk)
    status_update_withdraw(update=update, expected_version=5, author=author, reason="Not stalled.")
    assert (update.commitment.status, update.commitment.version) == (Status.IN_PROGRESS, 6)
    assert update.is_withdrawn and update.withdrawal_entry.note == "Not stalled."
    assert not StatusUpdate.objects.get(pk=entries[2].pk).is_withdrawn
    assert StatusUpdate.objects.get(pk=entries[2].pk).withdrawal_entry is None


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("   ", "Say why the entry is withdrawn."),
        (
            "x" * (WITHDRAWAL_REASON_MAX_LENGTH + 1),
            f"Keep the reason to {WITHDRAWAL_REASON_MAX_LENGTH} characters or fewer.",
        ),
    ],
)
def test_a_withdrawal_without_a_reason_or_with_too_long_a_reason_writes_nothing(history, author, reason, message):
    commitment, entries = history
    with pytest.raises(ValidationError) as refused:
        status_update_withdraw(update=entries[3], expected_version=5, author=author, reason=reason)
    assert refused.value.message_dict["reason"] == [message]
    assert stored(commitment)["version"] == 5


def test_a_reason_of_the_longest_length_is_accepted_and_kept_without_its_spaces(history, author):
    _, entries = history
    reason = "y" * WITHDRAWAL_REASON_MAX_LENGTH
    withdrawal = status_update_withdraw(update=entries[3], expected_version=5, author=author, reason=f"  {reason} ")
    assert StatusUpdate.objects.get(pk=withdrawal.pk).note == reason


def test_a_withdrawal_cannot_be_withdrawn_and_an_entry_is_withdrawn_once(history, author):
    commitment, entries = history
    withdrawal = status_update_withdraw(update=entries[3], expected_version=5, author=author, reason="Not stalled.")
    with pytest.raises(ValidationError) as refused:
        status_update_withdraw(update=withdrawal, expected_version=6, author=author, reason="Undo.")
    assert refused.value.messages == ["A withdrawal cannot itself be withdrawn."]
    with pytest.raises(ValidationError) as refused:
        status_update_withdraw(update=entries[3], expected_version=6, author=author, reason="Again.")
    assert refused.value.messages == ["This entry has already been withdrawn."]
    with pytest.raises(CommitmentConflict):
        status_update_withdraw(update=entries[2], expected_version=5, author=author, reason="Stale.")
    assert stored(commitment)["version"] == 6


# --- The history is append-only ------------------------------------------------------------------------------------


def test_a_status_update_cannot_be_edited_or_deleted_through_the_model():
    update = StatusUpdateFactory(note="as recorded")
    update.note = "rewritten"
    with pytest.raises(HistoryIsAppendOnly, match=r"^Status updates are never edited\.$"):
        update.save()
    with pytest.raises(HistoryIsAppendOnly, match=r"^Status updates are never deleted\.$"):
        update.delete()
    assert StatusUpdate.objects.get(pk=update.pk).note == "as recorded"


# --- Commitments and frameworks ------------------------------------------------------------------------------------


def test_saving_only_the_reference_keeps_the_natural_order_key_in_step():
    first = CommitmentFactory(reference="SPA §10")
    second = CommitmentFactory(reference="SPA §9", agreement=first.agreement)
    assert list(Commitment.objects.filter(agreement=first.agreement).values_list("reference", flat=True)) == [
        "SPA §9",
        "SPA §10",
    ]
    second.reference = "SPA §11"
    second.title = "Not saved"
    second.save(update_fields=["reference"])
    assert Commitment.objects.get(pk=second.pk).title != "Not saved"
    assert list(Commitment.objects.filter(agreement=first.agreement).values_list("reference", flat=True)) == [
        "SPA §10",
        "SPA §11",
    ]
    second.reference = "SPA §1"  # not saved: saving the title only leaves the stored reference and its key
    second.title = "New title"
    second.save(update_fields=["title"])
    assert list(Commitment.objects.filter(agreement=first.agreement).values_list("reference", flat=True)) == [
        "SPA §10",
        "SPA §11",
    ]


def test_a_target_date_before_the_framework_was_signed_is_refused_naming_the_signature():
    agreement = AgreementFactory(code="SPA", signed_on=dt.date(2018, 7, 1), signed_on_precision="month")
    commitment = CommitmentFactory.build(agreement=agreement, target_date=dt.date(2018, 6, 30))
    with pytest.raises(ValidationError) as refused:
        commitment.clean()
    assert refused.value.message_dict["target_date"] == [
        "The target date cannot predate the signature of SPA (July 2018)."
    ]
    commitment.target_date = dt.date(2018, 7, 1)
    commitment.clean()  # the first day of the month it was signed in is fine


def test_frameworks_whose_stored_parents_loop_fail_validation_and_a_proper_chain_passes(deadline):
    spa, epa, sub = (AgreementFactory(code=code) for code in ("SPA", "EPA", "SUB"))
    Agreement.objects.filter(pk=sub.pk).update(parent=epa)
    Agreement.objects.filter(pk=epa.pk).update(parent=spa)
    with deadline():
        Agreement.objects.get(pk=sub.pk).full_clean()  # SUB under EPA under SPA: fine
    Agreement.objects.filter(pk=spa.pk).update(parent=sub)  # now SPA → SUB → EPA → SPA
    for agreement in (spa, epa, sub):
        with deadline(), pytest.raises(ValidationError) as refused:
            Agreement.objects.get(pk=agreement.pk).full_clean()
        assert refused.value.message_dict["parent"] == ["A framework cannot sit under itself, directly or indirectly."]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"in_force_on": dt.date(2019, 1, 31)},
            "in_force_on",
            "An agreement cannot enter into force before it is signed.",
        ),
        (
            {"signed_on": dt.date(2019, 2, 2), "signed_on_precision": "month"},
            "signed_on",
            "A date known to the month is stored as the 1st of that month.",
        ),
        (
            {"in_force_on": dt.date(2020, 2, 1), "in_force_on_precision": "year", "in_force_on_basis": "stated"},
            "in_force_on",
            "A date known to the year is stored as 1 January of that year.",
        ),
        (
            {"signed_on_basis": "assumed", "signed_on_source": None},
            "signed_on_reason",
            "Say why the signed on is assumed.",
        ),
        ({"in_force_on": dt.date(2019, 2, 1), "in_force_on_basis": "stated"}, None, None),
    ],
)
def test_an_agreements_dates_are_checked_each_by_its_rule(values, field, message):
    agreement = AgreementFactory(code="SPA", signed_on=dt.date(2019, 2, 1))
    for name, value in values.items():
        setattr(agreement, name, value)
    if agreement.in_force_on and agreement.in_force_on_basis == "stated":
        agreement.in_force_on_source = agreement.source_document
    if field is None:
        agreement.full_clean()  # in force the day it was signed
        return
    with pytest.raises(ValidationError) as refused:
        agreement.full_clean()
    assert refused.value.message_dict[field] == [message]


# --- The status history's record rules, one case each --------------------------------------------------------------

ACHIEVED = {"status": Status.ACHIEVED, "progress": 100}
EVIDENCE_NEEDED = "Evidence (a URL or a document reference) is required to mark it achieved."


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"evidence_date": dt.date(2026, 11, 28)}, {"evidence_date": ["The evidence date cannot be in the future."]}),
        ({"evidence_date": dt.date(2026, 11, 27), "evidence_url": "https://example.eu/a"}, {}),
        ({"evidence_date": dt.date(2026, 11, 27)}, {"evidence_date": [EVIDENCE_DATE_ALONE]}),
        (
            {**ACHIEVED, "progress": 99, "evidence_reference": "Act"},
            {"progress": ["An achieved commitment is 100% complete."]},
        ),
        ({**ACHIEVED, "progress": None, "evidence_reference": "Act"}, {}),
        ({**ACHIEVED}, {"evidence_reference": [EVIDENCE_NEEDED]}),
        ({**ACHIEVED, "evidence_url": "https://example.eu/act"}, {}),
        ({**ACHIEVED, "evidence_reference": "Act"}, {}),
        ({"kind": UpdateKind.REVIEW, "status": Status.ACHIEVED, "progress": 90, "note": "Checked."}, {}),
        ({"kind": UpdateKind.REVIEW, "note": "  "}, {"note": ["Say briefly what was reviewed."]}),
        ({"kind": UpdateKind.WITHDRAWAL, "note": " "}, {"note": ["Say why the entry is withdrawn."]}),
        ({"kind": UpdateKind.WITHDRAWAL, "note": "Wrong commitment."}, {}),
        ({"note": ""}, {}),
        ({"status": Status.IN_PROGRESS, "progress": 100}, {}),
        (
            {"evidence_url": "https://example.eu/a b"},
            {"evidence_url": ["Enter a valid URL."]},
        ),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_a_history_entry_is_checked_by_each_rule_and_only_where_it_applies(values, errors):
    entry = StatusUpdate(
        commitment=CommitmentFactory.build(),
        version=1,
        **{"kind": UpdateKind.STATUS_CHANGE, "status": Status.IN_PROGRESS, "progress": 10, "note": "", **values},
    )
    assert_clean_errors(entry, errors)


# --- What the services announce, and that they touch only their own commitment -------------------------------------


def test_each_write_announces_itself_once_committed_and_leaves_other_commitments_alone(
    author, published, django_capture_on_commit_callbacks
):
    commitment = CommitmentFactory()
    bystander = CommitmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = commitment_update_status(
            commitment=commitment, expected_version=0, author=author, status=Status.ONGOING
        )
        StatusUpdateFactory(commitment=bystander, status=Status.ONGOING)  # the bystander is at version 1 too
    before = stored(bystander), bystander.title
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        review = commitment_confirm_unchanged(
            commitment=commitment, expected_version=1, author=author, note="Checked."
        )
        withdrawal = status_update_withdraw(update=review, expected_version=2, author=author, reason="Not checked.")
        edited, changed = commitment_update(
            commitment=commitment, expected_edit_version=0, author=author, title="A clearer title"
        )
    assert [(kind, [o.pk for o in objects]) for kind, objects in published] == [
        ("status_update.created", [review.pk]),
        ("status_update.withdrawn", [review.pk]),
        ("commitment.changed", [commitment.pk]),
    ]
    assert withdrawal.withdraws_id == review.pk and first.version == 1
    assert (changed, edited.title, commitment.title, commitment.edit_version) == (
        ["title"],
        "A clearer title",
        "A clearer title",
        1,
    )
    assert Commitment.history.filter(id=commitment.pk, title="A clearer title").get().history_user == author
    bystander.refresh_from_db()
    assert (stored(bystander), bystander.title) == before


def test_a_rejected_write_announces_nothing(author, published, django_capture_on_commit_callbacks):
    commitment = CommitmentFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommitmentConflict):
        commitment_update_status(commitment=commitment, expected_version=3, author=author, status=Status.ONGOING)
    assert published == []


@time_machine.travel(NOW, tick=False)
def test_a_new_status_moves_the_status_date_again(author):
    commitment = CommitmentFactory()
    for version, (status, when) in enumerate(
        [(Status.IN_PROGRESS, NOW - dt.timedelta(days=9)), (Status.ONGOING, NOW - dt.timedelta(days=2))]
    ):
        commitment_update_status(
            commitment=commitment, expected_version=version, author=author, status=status, recorded_at=when
        )
    assert stored(commitment)["status_changed_at"] == NOW - dt.timedelta(days=2)


@time_machine.travel(NOW, tick=False)
def test_withdrawing_two_entries_replays_only_what_still_counts(history, author):
    commitment, entries = history
    status_update_withdraw(update=entries[3], expected_version=5, author=author, reason="Not stalled.")
    status_update_withdraw(update=entries[2], expected_version=6, author=author, reason="Not 60 % either.")
    values = stored(commitment)
    assert (values["status"], values["progress"], values["status_changed_at"], values["last_reviewed_at"]) == (
        Status.IN_PROGRESS,
        20,
        day(1),
        day(5),
    )


def test_a_target_date_needs_no_agreement_and_no_target_date_needs_no_check():
    signed = AgreementFactory(code="SPA", signed_on=dt.date(2018, 7, 1))
    CommitmentFactory.build(agreement=signed, target_date=None).clean()
    CommitmentFactory.build(agreement=None, target_date=dt.date(2000, 1, 1)).clean()
    CommitmentFactory.build(
        agreement=AgreementFactory(code="MOU", signed_on=None), target_date=dt.date(2000, 1, 1)
    ).clean()


@time_machine.travel(NOW, tick=False)
def test_an_edit_is_dated_and_its_refusal_names_the_fields_that_cannot_be_edited(author):
    commitment = CommitmentFactory()
    Commitment.objects.filter(pk=commitment.pk).update(updated_at=NOW - dt.timedelta(days=30))
    commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Dated")
    assert Commitment.objects.get(pk=commitment.pk).updated_at == NOW
    assert commitment.history.first().history_date == NOW
    with pytest.raises(TypeError, match=r"^Not an editorial field of a commitment: progress, status$"):
        commitment_update(commitment=commitment, expected_edit_version=1, author=author, status="x", progress=1)


def test_a_conflict_carries_what_its_page_shows_without_further_queries(author, django_assert_num_queries):
    body = DialogueBodyFactory(short_name="SD")
    commitment = CommitmentFactory(responsible_body=body)
    StatusUpdateFactory(commitment=commitment, author=author)
    with pytest.raises(CommitmentConflict) as conflict:
        commitment_update_status(commitment=commitment, expected_version=0, author=author, status=Status.ONGOING)
    commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Theirs")
    with pytest.raises(CommitmentEditConflict) as edit_conflict:
        commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Mine")
    with django_assert_num_queries(0):
        current = conflict.value.current
        assert (current.agreement.code, current.responsible_body.short_name) == (commitment.agreement.code, "SD")
        assert [u.author.username for u in conflict.value.newer_updates] == ["desk-officer"]
        current = edit_conflict.value.current
        assert (current.agreement.code, current.responsible_body.short_name) == (commitment.agreement.code, "SD")


def test_a_review_without_evidence_records_none(author):
    commitment = CommitmentFactory()
    review = commitment_confirm_unchanged(commitment=commitment, expected_version=0, author=author, note="Checked.")
    entry = StatusUpdate.objects.get(pk=review.pk)
    assert (entry.evidence_url, entry.evidence_reference, entry.evidence_date) == ("", "", None)


def test_an_edit_returns_and_records_one_moment(author):
    """Not frozen in time: the stored edit, the object returned, the caller's object and the audit record all carry
    the same instant."""
    commitment = CommitmentFactory()
    edited, _ = commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Now")
    stored_at = Commitment.objects.get(pk=commitment.pk).updated_at
    assert edited.updated_at == commitment.updated_at == stored_at
    assert commitment.history.first().history_date == stored_at


def test_an_edit_whose_counter_moved_between_read_and_write_is_a_conflict_and_writes_nothing(author, monkeypatch):
    """Another editor's edit lands after the service read the counter and before it writes (stood in for by a write
    when the service validates, on the same connection; the row lock makes it impossible for real)."""
    commitment = CommitmentFactory(title="Old title")
    original = Commitment.full_clean

    def validate_while_another_editor_commits(self, *args, **kwargs):
        original(self, *args, **kwargs)
        Commitment.objects.filter(pk=self.pk).update(edit_version=F("edit_version") + 1, title="Their title")

    monkeypatch.setattr(Commitment, "full_clean", validate_while_another_editor_commits)
    with pytest.raises(CommitmentEditConflict) as conflict:
        commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Mine")
    assert (conflict.value.current.title, conflict.value.current.edit_version) == ("Their title", 1)
    assert conflict.value.expected_edit_version == 0
    stored_commitment = Commitment.objects.get(pk=commitment.pk)
    assert (stored_commitment.title, stored_commitment.edit_version) == ("Old title", 0)  # all undone


def test_a_withdrawal_is_recorded_when_said_and_moves_only_its_own_commitment(author):
    commitment, bystander = CommitmentFactory(), CommitmentFactory()
    for target in (commitment, bystander):  # both at version 2
        for status in (Status.IN_PROGRESS, Status.ONGOING):
            StatusUpdateFactory(commitment=target, status=status, author=author)
    before = stored(bystander)
    when = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    latest = StatusUpdate.objects.get(commitment=commitment, version=2)
    withdrawal = status_update_withdraw(
        update=latest, expected_version=2, author=author, reason="No.", recorded_at=when
    )
    assert StatusUpdate.objects.get(pk=withdrawal.pk).recorded_at == when
    assert stored(bystander) == before


def test_a_status_update_keeps_its_evidence_date_and_has_no_source_place_unless_given(author):
    commitment = CommitmentFactory()
    update = commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=author,
        status=Status.IN_PROGRESS,
        progress=30,
        evidence_reference="Joint statement",
        evidence_date=dt.date(2026, 11, 2),
    )
    stored_update = StatusUpdate.objects.get(pk=update.pk)
    assert (stored_update.evidence_reference, stored_update.evidence_date) == ("Joint statement", dt.date(2026, 11, 2))
    assert (stored_update.source_document, stored_update.source_locator) == (None, "")


def test_an_edit_naming_a_meeting_of_an_unrelated_body_as_where_it_was_made_is_refused(author):
    from commitments.models import MADE_AT_REFUSED
    from dialogues.tests.factories import MeetingFactory

    own_body, unrelated = DialogueBodyFactory(short_name="OWN"), DialogueBodyFactory(short_name="ELSEWHERE")
    commitment = CommitmentFactory(responsible_body=own_body)
    with pytest.raises(ValidationError) as excinfo:
        commitment_update(
            commitment=commitment,
            expected_edit_version=0,
            author=author,
            made_at=MeetingFactory(body=unrelated, held_on=dt.date(2025, 5, 1)),
        )
    assert excinfo.value.message_dict == {"made_at": [MADE_AT_REFUSED]}
    assert Commitment.objects.get(pk=commitment.pk).made_at is None
    own = MeetingFactory(body=own_body, held_on=dt.date(2025, 6, 1))
    commitment_update(commitment=commitment, expected_edit_version=0, author=author, made_at=own)
    assert Commitment.objects.get(pk=commitment.pk).made_at == own


def test_a_figure_of_100_entered_with_a_status_short_of_achieved_is_refused(author):
    from commitments.states import FULL_PROGRESS_IS_ACHIEVED

    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(
            commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=100
        )
    assert excinfo.value.message_dict == {"progress": [FULL_PROGRESS_IS_ACHIEVED]}
    assert not StatusUpdate.objects.filter(commitment=commitment).exists()


def test_a_review_names_no_source_place(author):
    commitment = CommitmentFactory()
    review = commitment_confirm_unchanged(commitment=commitment, expected_version=0, author=author, note="Checked.")
    assert StatusUpdate.objects.values_list("source_locator", flat=True).get(pk=review.pk) == ""
