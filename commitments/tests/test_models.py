import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commitments.choices import Status
from commitments.models import Agreement, Commitment, HistoryIsAppendOnly, StatusUpdate
from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db


def test_new_commitment_has_not_started_and_no_history():
    commitment = CommitmentFactory()
    assert commitment.status == Status.NOT_STARTED
    assert commitment.version == 0
    assert not commitment.updates.exists()


def test_current_status_follows_the_latest_update():
    commitment = CommitmentFactory()
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, progress=40)
    StatusUpdateFactory(commitment=commitment, status=Status.STALLED, progress=40)
    commitment.refresh_from_db()
    latest = commitment.updates.order_by("-version").first()
    assert commitment.status == latest.status == Status.STALLED
    assert commitment.version == 2
    assert latest.previous_status == Status.IN_PROGRESS


def test_status_update_cannot_be_edited():
    update = StatusUpdateFactory()
    update.note = "rewritten"
    with pytest.raises(HistoryIsAppendOnly):
        update.save()
    assert StatusUpdate.objects.get(pk=update.pk).note != "rewritten"


def test_status_update_cannot_be_deleted_one_by_one_or_in_bulk():
    update = StatusUpdateFactory()
    with pytest.raises(HistoryIsAppendOnly):
        update.delete()
    with pytest.raises(HistoryIsAppendOnly):
        StatusUpdate.objects.all().delete()
    with pytest.raises(HistoryIsAppendOnly):
        StatusUpdate.objects.filter(pk=update.pk).update(note="x")
    assert StatusUpdate.objects.filter(pk=update.pk).exists()


def test_commitment_with_history_cannot_be_deleted():
    update = StatusUpdateFactory()
    with pytest.raises(Exception):  # noqa: B017 - ProtectedError from the database layer
        update.commitment.delete()
    assert Commitment.objects.filter(pk=update.commitment_id).exists()


def test_database_refuses_two_updates_with_the_same_version():
    update = StatusUpdateFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusUpdate.objects.create(commitment=update.commitment, version=update.version, status=Status.STALLED)


def test_database_refuses_achieved_without_full_progress():
    commitment = CommitmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusUpdate.objects.create(
            commitment=commitment, version=1, status=Status.ACHIEVED, progress=50, evidence_reference="x"
        )


def test_agreement_cannot_enter_into_force_before_signature():
    agreement = AgreementFactory.build(code="XX", signed_on=dt.date(2019, 2, 1), in_force_on=dt.date(2018, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert "in_force_on" in excinfo.value.message_dict


def test_agreement_parent_chain_cannot_loop():
    spa = AgreementFactory(code="SPA")
    sdp = AgreementFactory(code="SDP", parent=spa)
    spa.parent = sdp
    with pytest.raises(ValidationError) as excinfo:
        spa.full_clean()
    assert "parent" in excinfo.value.message_dict


def test_agreement_code_must_be_a_short_uppercase_code():
    agreement = AgreementFactory.build(code="spa lower")
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert "code" in excinfo.value.message_dict


def test_commitment_references_are_unique():
    CommitmentFactory(reference="SDP §1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentFactory(reference="SDP §1")


def test_agreement_counts_are_annotated_in_one_query(django_assert_num_queries):
    agreement = AgreementFactory()
    CommitmentFactory.create_batch(2, agreement=agreement)
    CommitmentFactory(agreement=agreement, achieved=True)
    with django_assert_num_queries(1):
        row = Agreement.objects.with_commitment_counts().get(pk=agreement.pk)
    assert (row.commitment_count, row.achieved_count) == (3, 1)
