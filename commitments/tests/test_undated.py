"""An entry taken from a document that gives no date (``StatusUpdate.is_undated``) moves the status but dates
nothing; one taken from a document that gives a month is dated to the month; staff entries keep their time."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from commitments.choices import Actor, Party, Status
from commitments.models import Commitment, StatusUpdate
from commitments.services import (
    commitment_confirm_unchanged,
    commitment_update_party_status,
    commitment_update_status,
    status_update_withdraw,
)
from commitments.tests import api_support
from commitments.tests.factories import CommitmentFactory, SourceDocumentFactory, UserFactory

pytestmark = pytest.mark.django_db

# The API fixtures: a reviewer's token client, throttle counters fresh for each test.
reviewer_api = api_support.reviewer_api
_fresh_throttle_counters = api_support._fresh_throttle_counters


def _from_sources(commitment, *, status, evidence_date=None, precision="day", note="From the document."):
    """What the seed loader writes: no author, a source document, the evidence date as recorded_at (noon)."""
    recorded_at = None
    if evidence_date is not None:
        recorded_at = timezone.make_aware(dt.datetime.combine(evidence_date, dt.time(12)))
    return commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=None,
        status=status,
        note=note,
        evidence_reference="A document, p. 3",
        evidence_date=evidence_date,
        evidence_date_precision=precision,
        recorded_at=recorded_at,
        source_document=SourceDocumentFactory(),
    )


def test_an_undated_entry_moves_the_status_but_dates_neither_the_change_nor_a_review():
    commitment = CommitmentFactory()
    entry = _from_sources(commitment, status=Status.STALLED)
    commitment.refresh_from_db()
    assert entry.is_undated and commitment.status == Status.STALLED
    assert commitment.status_changed_at is None and commitment.last_reviewed_at is None
    assert commitment.status_since_display == "date not given in the source"
    assert commitment.last_review_display == "date not given in the source"
    # The state rule then counts from when it was entered, as for a commitment never updated.
    entered = timezone.localdate(commitment.created_at)
    assert commitment.state(on=entered + dt.timedelta(days=400)).code == "stale"
    assert Commitment.objects.stale(on=entered + dt.timedelta(days=400)).filter(pk=commitment.pk).exists()


def test_a_dated_entry_after_an_undated_one_with_the_same_status_does_not_say_since_when():
    """It was stalled before the staff's entry (the undated one said so): "since <the staff's day>" would be false."""
    commitment = CommitmentFactory()
    _from_sources(commitment, status=Status.STALLED)
    commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=UserFactory(),
        status=Status.STALLED,
        note="Still stalled.",
    )
    commitment.refresh_from_db()
    assert commitment.last_reviewed_at is not None  # a dated review
    assert commitment.status_changed_at is None and commitment.status_date_unknown


def test_withdrawing_a_later_entry_replays_an_undated_one_without_a_date():
    commitment = CommitmentFactory()
    _from_sources(commitment, status=Status.STALLED)
    editor = UserFactory(editor=True)
    later = commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.IN_PROGRESS
    )
    status_update_withdraw(update=later, expected_version=commitment.version, author=editor, reason="Wrong one.")
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED
    assert commitment.status_changed_at is None and commitment.last_reviewed_at is None


def test_a_month_from_a_document_dates_the_commitment_to_the_month():
    commitment = CommitmentFactory()
    entry = _from_sources(commitment, status=Status.ONGOING, evidence_date=dt.date(2020, 5, 1), precision="month")
    commitment.refresh_from_db()
    assert entry.when_display == "May 2020" and entry.when_machine == "2020-05"
    assert commitment.status_since_display == "May 2020" and commitment.last_review_short == "May 2020"


def test_a_day_given_with_a_month_precision_is_refused_and_writes_nothing():
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as refused:
        _from_sources(commitment, status=Status.ONGOING, evidence_date=dt.date(2020, 5, 17), precision="month")
    assert refused.value.message_dict == {
        "evidence_date": ["A date known to the month is stored as the 1st of that month."]
    }
    commitment.refresh_from_db()
    assert (commitment.version, commitment.status) == (0, Status.NOT_STARTED)
    assert not StatusUpdate.objects.filter(commitment=commitment).exists()


def test_a_staff_entry_after_a_month_from_a_document_dates_the_change_and_the_review_to_the_day():
    commitment = CommitmentFactory()
    _from_sources(commitment, status=Status.ONGOING, evidence_date=dt.date(2020, 5, 1), precision="month")
    author = UserFactory()
    commitment_confirm_unchanged(
        commitment=commitment,
        expected_version=commitment.version,
        author=author,
        note="Checked with the desk.",
        recorded_at=timezone.make_aware(dt.datetime(2024, 3, 5, 14, 5)),
    )
    commitment.refresh_from_db()
    assert commitment.last_review_short == "5 Mar 2024" and commitment.status_since_display == "May 2020"
    commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=author,
        status=Status.STALLED,
        recorded_at=timezone.make_aware(dt.datetime(2024, 4, 9, 10, 0)),
    )
    commitment.refresh_from_db()
    assert commitment.status_since_display == "9 April 2024" and commitment.last_review_short == "9 Apr 2024"


def test_a_first_dated_entry_that_keeps_the_status_says_since_when():
    """A commitment never updated has no status date; the first dated entry gives one, even with the same status."""
    commitment = CommitmentFactory()
    first = commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=UserFactory(),
        status=Status.NOT_STARTED,
        note="Nothing has begun yet.",
        recorded_at=timezone.make_aware(dt.datetime(2024, 3, 5, 14, 5)),
    )
    commitment.refresh_from_db()
    assert commitment.status_changed_at == first.recorded_at and commitment.status_since_display == "5 March 2024"

    # Replayed after a withdrawal, the same entry still dates it.
    editor = UserFactory(editor=True)
    later = commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.IN_PROGRESS
    )
    status_update_withdraw(update=later, expected_version=commitment.version, author=editor, reason="Wrong one.")
    commitment.refresh_from_db()
    assert commitment.status == Status.NOT_STARTED and commitment.status_changed_at == first.recorded_at


def test_a_replayed_history_keeps_an_undated_partys_status_undated():
    """Both parties' statuses from a document that gives no date make the combined status; a staff entry with the
    same status afterwards does not date it, before or after another entry is withdrawn."""
    commitment = CommitmentFactory(actor=Actor.BOTH)
    source = SourceDocumentFactory()
    for party in (Party.EU, Party.JAPAN):
        commitment_update_party_status(
            commitment=commitment,
            expected_version=commitment.version,
            author=None,
            party=party,
            status=Status.IN_PROGRESS,
            note="From the document.",
            evidence_reference="A document, p. 3",
            source_document=source,
        )
    editor = UserFactory(editor=True)
    commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=editor,
        status=Status.IN_PROGRESS,
        note="Still.",
    )
    mistaken = commitment_confirm_unchanged(
        commitment=commitment, expected_version=commitment.version, author=editor, note="Checked."
    )
    status_update_withdraw(update=mistaken, expected_version=commitment.version, author=editor, reason="Wrong one.")
    commitment.refresh_from_db()
    assert commitment.status == Status.IN_PROGRESS
    assert commitment.status_changed_at is None and commitment.status_since_display == "date not given in the source"


def test_a_staff_entry_keeps_its_date_and_time_and_a_document_entry_its_day_only():
    commitment = CommitmentFactory()
    seeded = _from_sources(commitment, status=Status.ONGOING, evidence_date=dt.date(2023, 7, 13))
    moment = timezone.make_aware(dt.datetime(2024, 3, 5, 14, 5))
    staff = commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=UserFactory(),
        status=Status.STALLED,
        recorded_at=moment,
    )
    assert seeded.when_display == "13 July 2023" and seeded.when_short == "13 Jul 2023"
    assert staff.when_display == "5 March 2024, 14:05" and staff.when_short == "5 Mar 2024"


def test_the_migration_undates_what_an_earlier_loader_dated_with_the_moment_of_loading():
    """A database seeded before: the commitment's dates are still the undated entry's time, and become none; a
    commitment whose later dated entry moved them is left alone."""
    loaded_before = CommitmentFactory()
    entry = _from_sources(loaded_before, status=Status.STALLED)
    Commitment.objects.filter(pk=loaded_before.pk).update(
        status_changed_at=entry.recorded_at, last_reviewed_at=entry.recorded_at
    )
    moved_on = CommitmentFactory()
    old = _from_sources(moved_on, status=Status.STALLED)
    staff_time = timezone.now()
    Commitment.objects.filter(pk=moved_on.pk).update(status_changed_at=old.recorded_at, last_reviewed_at=staff_time)

    migration = importlib.import_module("commitments.migrations.0021_undated_entries_date_nothing")
    migration.undate(apps, None)

    loaded_before.refresh_from_db()
    moved_on.refresh_from_db()
    assert loaded_before.status_changed_at is None and loaded_before.last_reviewed_at is None
    assert moved_on.last_reviewed_at == staff_time and moved_on.status_changed_at is None


def test_the_api_says_how_much_of_the_status_and_review_dates_is_known(reviewer_api):
    commitment = CommitmentFactory()
    _from_sources(commitment, status=Status.ONGOING, evidence_date=dt.date(2020, 5, 1), precision="month")
    data = reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    assert (data["status_changed_precision"], data["last_reviewed_precision"]) == ("month", "month")
    assert data["status_changed_at"].startswith("2020-05-01")
    listed = reviewer_api.get("/api/v1/commitments/").json()["results"][0]
    assert (listed["status_changed_precision"], listed["last_reviewed_precision"]) == ("month", "month")


def test_a_month_from_a_document_that_keeps_the_status_dates_it_to_the_month():
    """A commitment never updated has no status date; a document of May 2020 saying it had not started dates that
    status to May 2020, not to a day of it."""
    commitment = CommitmentFactory()
    _from_sources(commitment, status=Status.NOT_STARTED, evidence_date=dt.date(2020, 5, 1), precision="month")
    commitment.refresh_from_db()
    assert commitment.status_changed_precision == "month" and commitment.status_since_display == "May 2020"


def test_a_replayed_history_keeps_an_undated_status_undated_under_a_later_entry_with_the_same_status():
    commitment = CommitmentFactory()
    _from_sources(commitment, status=Status.STALLED)
    editor = UserFactory(editor=True)
    commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.STALLED, note="Still."
    )
    mistaken = commitment_confirm_unchanged(
        commitment=commitment, expected_version=commitment.version, author=editor, note="Checked."
    )
    status_update_withdraw(update=mistaken, expected_version=commitment.version, author=editor, reason="Wrong one.")
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED and commitment.last_reviewed_at is not None
    assert commitment.status_changed_at is None and commitment.status_since_display == "date not given in the source"
