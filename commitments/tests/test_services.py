import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from commitments.choices import PolicyArea, Status, UpdateKind
from commitments.models import StatusUpdate
from commitments.selectors import commitment_edits
from commitments.services import (
    CommitmentConflict,
    CommitmentEditConflict,
    commitment_confirm_unchanged,
    commitment_update,
    commitment_update_status,
)
from commitments.tests.factories import CommitmentFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return UserFactory(editor=True)


def test_update_writes_history_and_current_status_together(author):
    commitment = CommitmentFactory()
    update = commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=30, note="Begun"
    )
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress, commitment.version) == (Status.IN_PROGRESS, 30, 1)
    assert commitment.last_reviewed_at == update.recorded_at == commitment.status_changed_at
    assert update.author == author and update.version == 1 and update.previous_status == Status.NOT_STARTED


def test_stale_version_is_refused_and_reports_what_changed(author):
    commitment = CommitmentFactory()
    other = UserFactory(editor=True, username="other-editor")
    commitment_update_status(commitment=commitment, expected_version=0, author=other, status=Status.STALLED)
    with pytest.raises(CommitmentConflict) as excinfo:
        commitment_update_status(
            commitment=commitment, expected_version=0, author=author, status=Status.ACHIEVED, evidence_reference="doc"
        )
    conflict = excinfo.value
    assert conflict.current.status == Status.STALLED
    assert [u.author.username for u in conflict.newer_updates] == ["other-editor"]
    assert StatusUpdate.objects.filter(commitment=commitment).count() == 1


def test_achieved_requires_evidence_and_writes_nothing_without_it(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(commitment=commitment, expected_version=0, author=author, status=Status.ACHIEVED)
    assert "evidence_reference" in excinfo.value.message_dict
    commitment.refresh_from_db()
    assert commitment.version == 0 and commitment.status == Status.NOT_STARTED
    assert not StatusUpdate.objects.exists()


def test_achieved_implies_full_progress(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(
            commitment=commitment,
            expected_version=0,
            author=author,
            status=Status.ACHIEVED,
            progress=80,
            evidence_url="https://example.eu/signed",
        )
    assert "progress" in excinfo.value.message_dict
    update = commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=author,
        status=Status.ACHIEVED,
        evidence_url="https://example.eu/signed",
    )
    assert update.progress == 100


@pytest.mark.parametrize("progress", [-1, 101])
def test_progress_is_a_percentage(author, progress):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(
            commitment=commitment, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=progress
        )
    assert "progress" in excinfo.value.message_dict


@time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
def test_evidence_date_cannot_be_in_the_future(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_update_status(
            commitment=commitment,
            expected_version=0,
            author=author,
            status=Status.IN_PROGRESS,
            evidence_date=dt.date(2026, 3, 2),
            evidence_reference="Press release",
        )
    assert "evidence_date" in excinfo.value.message_dict
    commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=author,
        status=Status.IN_PROGRESS,
        evidence_date=dt.date(2026, 3, 1),
        evidence_reference="Press release",
    )


def test_confirm_unchanged_resets_staleness_but_keeps_status(author):
    commitment = CommitmentFactory(stale=True)
    commitment_update_status(
        commitment=commitment,
        expected_version=0,
        author=author,
        status=Status.ONGOING,
        progress=50,
        recorded_at=timezone.now() - dt.timedelta(days=500),
    )
    commitment.refresh_from_db()
    changed_at = commitment.status_changed_at
    assert commitment in type(commitment).objects.stale()
    review = commitment_confirm_unchanged(
        commitment=commitment,
        expected_version=1,
        author=author,
        note="Checked with the desk",
        evidence_date=timezone.localdate(),
        evidence_reference="Desk notes",
    )
    commitment.refresh_from_db()
    assert review.kind == UpdateKind.REVIEW and review.status == Status.ONGOING and review.progress == 50
    assert commitment.status == Status.ONGOING and commitment.status_changed_at == changed_at
    assert commitment not in type(commitment).objects.stale()


def test_confirm_unchanged_needs_a_note(author):
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        commitment_confirm_unchanged(commitment=commitment, expected_version=0, author=author, note="  ")
    assert "note" in excinfo.value.message_dict


# -- Editorial edits (commitment_update) ---------------------------------------------------------------------


def test_editorial_edit_changes_the_fields_and_counts_its_own_version(author):
    commitment = CommitmentFactory()
    body = DialogueBodyFactory(name="Cyber Dialogue")
    stored, changed = commitment_update(
        commitment=commitment,
        expected_edit_version=0,
        author=author,
        title="Hold an annual cyber dialogue",
        area=PolicyArea.CYBER,
        responsible_body=body,
        strength=commitment.strength,
    )
    assert changed == ["title", "area", "responsible_body"]
    assert stored.title == "Hold an annual cyber dialogue"
    commitment.refresh_from_db()
    assert (commitment.title, commitment.area, commitment.responsible_body) == (
        "Hold an annual cyber dialogue",
        PolicyArea.CYBER,
        body,
    )
    # Its own counter: the status version (one per status update) is untouched.
    assert (commitment.edit_version, commitment.version) == (1, 0)
    record = commitment.history.first()
    assert record.history_type == "~" and record.history_user == author and record.edit_version == 1


def test_editorial_edit_without_changes_writes_nothing(author):
    commitment = CommitmentFactory()
    before = commitment.history.count()
    _, changed = commitment_update(
        commitment=commitment, expected_edit_version=0, author=author, title=commitment.title
    )
    assert changed == []
    commitment.refresh_from_db()
    assert commitment.edit_version == 0 and commitment.history.count() == before


def test_stale_editorial_edit_is_refused_and_reports_what_changed(author):
    commitment = CommitmentFactory(title="Original title")
    other = UserFactory(editor=True, username="other-editor")
    commitment_update(commitment=commitment, expected_edit_version=0, author=other, title="Their title")
    with pytest.raises(CommitmentEditConflict) as excinfo:
        commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="My title")
    conflict = excinfo.value
    assert conflict.current.title == "Their title"
    [edit] = conflict.newer_edits
    assert edit.author == other
    assert [(c.name, c.old, c.new) for c in edit.changes] == [("title", "Original title", "Their title")]
    commitment.refresh_from_db()
    assert commitment.title == "Their title" and commitment.edit_version == 1


def test_status_updates_and_editorial_edits_do_not_conflict(author):
    """They change different fields: an edit form opened before a status update still saves, and vice versa."""
    commitment = CommitmentFactory()
    commitment_update_status(commitment=commitment, expected_version=0, author=author, status=Status.ONGOING)
    commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Renamed")
    commitment_update_status(commitment=commitment, expected_version=1, author=author, status=Status.STALLED)
    commitment.refresh_from_db()
    assert (commitment.title, commitment.status, commitment.version, commitment.edit_version) == (
        "Renamed",
        Status.STALLED,
        2,
        1,
    )


def test_invalid_editorial_edit_writes_nothing(author):
    commitment = CommitmentFactory(title="Kept")
    with pytest.raises(ValidationError) as excinfo:
        commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="", area="sports")
    assert {"title", "area"} <= set(excinfo.value.message_dict)
    commitment.refresh_from_db()
    assert commitment.title == "Kept" and commitment.edit_version == 0


def test_only_editorial_fields_can_be_edited(author):
    commitment = CommitmentFactory()
    with pytest.raises(TypeError):
        commitment_update(commitment=commitment, expected_edit_version=0, author=author, status=Status.ACHIEVED)


def test_edits_are_read_back_from_the_audit_history(author):
    commitment = CommitmentFactory(target_date=None)
    body = DialogueBodyFactory(name="Summit")
    commitment_update(commitment=commitment, expected_edit_version=0, author=author, target_date=dt.date(2027, 6, 30))
    commitment_update(commitment=commitment, expected_edit_version=1, author=author, responsible_body=body)
    edits = commitment_edits(commitment_id=commitment.pk)
    assert [[(c.label, c.old, c.new) for c in e.changes] for e in edits] == [
        [("Target date", "—", "30 June 2027")],
        [("Responsible body", "—", "Summit")],
    ]
    assert [e.edit_version for e in commitment_edits(commitment_id=commitment.pk, after_edit_version=1)] == [2]


def test_a_new_commitment_is_validated_sorted_naturally_recorded_with_its_author_and_announced(
    author, django_capture_on_commit_callbacks
):
    from commitments.models import Commitment
    from commitments.services import commitment_create
    from core.events import subscribe, unsubscribe

    existing = CommitmentFactory(reference="SDP §9")
    events = []

    def heard(event_type, objects):
        events.append((event_type, list(objects)))

    fields = {
        "agreement": existing.agreement,
        "title": "Cooperate on space situational awareness",
        "description": "Promised.",
        "area": PolicyArea.SPACE,
        "strength": existing.strength,
    }
    subscribe(heard)
    try:
        with pytest.raises(TypeError, match=r"^Not a field a commitment is created with: colour, version$"):
            commitment_create(author=author, reference="SDP §10", version=3, colour="red", **fields)
        with pytest.raises(ValidationError) as excinfo:
            commitment_create(author=author, reference="SDP §9", **fields)
        assert "reference" in excinfo.value.message_dict
        with django_capture_on_commit_callbacks(execute=True):
            created = commitment_create(author=author, reference="SDP §10", **fields)
    finally:
        unsubscribe(heard)
    assert events == [("commitment.changed", [created])]
    assert [c.reference for c in Commitment.objects.order_by("reference_sort_key")] == ["SDP §9", "SDP §10"]
    assert created.history.get().history_user == author


def test_moving_where_a_commitment_was_made_drops_the_document_that_said_so_unless_one_is_given(author):
    from commitments.tests.factories import SourceDocumentFactory
    from dialogues.tests.factories import MeetingFactory

    body = DialogueBodyFactory()
    first, second, third = MeetingFactory.create_batch(3, body=body)  # meetings of the responsible body
    document = SourceDocumentFactory()
    commitment = CommitmentFactory(responsible_body=body, made_at=first, made_at_source=document, made_at_locator="§2")

    _, changed = commitment_update(commitment=commitment, expected_edit_version=0, author=author, title="Renamed")
    assert changed == ["title"]
    commitment.refresh_from_db()
    assert (commitment.made_at_source, commitment.made_at_locator) == (document, "§2")

    _, changed = commitment_update(commitment=commitment, expected_edit_version=1, author=author, made_at=second)
    assert changed == ["made_at", "made_at_source", "made_at_locator"]
    commitment.refresh_from_db()
    assert (commitment.made_at, commitment.made_at_source, commitment.made_at_locator) == (second, None, "")

    other = SourceDocumentFactory()
    _, changed = commitment_update(
        commitment=commitment, expected_edit_version=2, author=author, made_at=third, made_at_source=other
    )
    assert changed == ["made_at", "made_at_source"]
    commitment.refresh_from_db()
    assert (commitment.made_at, commitment.made_at_source, commitment.made_at_locator) == (third, other, "")
    _, changed = commitment_update(
        commitment=commitment, expected_edit_version=3, author=author, made_at=first, made_at_locator="§9"
    )
    assert changed == ["made_at", "made_at_locator"]
    commitment.refresh_from_db()
    assert (commitment.made_at, commitment.made_at_source, commitment.made_at_locator) == (first, other, "§9")
