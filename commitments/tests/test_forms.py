"""The staff forms reject bad input with a message on the field concerned, using the model rules."""

import datetime as dt

import pytest
import time_machine

from commitments.choices import PolicyArea, Status, Strength
from commitments.forms import STALE_FORM_MESSAGE, CommitmentForm, ConfirmUnchangedForm, StatusUpdateForm
from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory, commitment_edit_data
from dialogues.tests.factories import DialogueBodyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment():
    return CommitmentFactory()


def update_form(commitment, **data):
    values = {"status": Status.IN_PROGRESS, "expected_version": commitment.version, **data}
    return StatusUpdateForm(data={k: v for k, v in values.items() if v is not None}, commitment=commitment)


def test_a_plain_status_change_is_valid(commitment):
    form = update_form(commitment, progress="40", note="Work began")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["progress"] == 40


def test_achieved_needs_evidence_on_the_evidence_field(commitment):
    form = update_form(commitment, status=Status.ACHIEVED)
    assert not form.is_valid()
    assert form.errors["evidence_reference"] == [
        "Evidence (a URL or a document reference) is required to mark it achieved."
    ]
    assert set(form.errors) == {"evidence_reference"}


@pytest.mark.parametrize(
    "evidence", [{"evidence_url": "https://example.eu/statement"}, {"evidence_reference": "Joint statement §4"}]
)
def test_achieved_with_a_url_or_a_reference_is_valid(commitment, evidence):
    form = update_form(commitment, status=Status.ACHIEVED, **evidence)
    assert form.is_valid(), form.errors


def test_achieved_implies_100_percent(commitment):
    form = update_form(commitment, status=Status.ACHIEVED, progress="80", evidence_reference="Signed text")
    assert not form.is_valid()
    assert form.errors["progress"] == ["An achieved commitment is 100% complete."]
    assert update_form(commitment, status=Status.ACHIEVED, progress="100", evidence_reference="x").is_valid()
    # Left empty, achieved is recorded as 100 by the service.
    assert update_form(commitment, status=Status.ACHIEVED, evidence_reference="x").is_valid()


@pytest.mark.parametrize("progress", ["-1", "101", "250"])
def test_progress_outside_0_100_is_refused_on_the_field(commitment, progress):
    form = update_form(commitment, progress=progress)
    assert not form.is_valid()
    assert form.errors["progress"] == ["Progress is a percentage from 0 to 100."]


@pytest.mark.parametrize("progress", ["0", "100"])
def test_progress_bounds_are_accepted(commitment, progress):
    assert update_form(commitment, progress=progress).is_valid()


def test_progress_must_be_a_whole_number(commitment):
    form = update_form(commitment, progress="forty")
    assert not form.is_valid()
    assert form.errors["progress"] == ["Enter progress as a whole number from 0 to 100."]


@time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False)
def test_evidence_date_cannot_be_in_the_future(commitment):
    form = update_form(commitment, evidence_date="2026-03-11", evidence_reference="Press release")
    assert not form.is_valid()
    assert form.errors["evidence_date"] == ["The evidence date cannot be in the future."]
    assert update_form(commitment, evidence_date="2026-03-10", evidence_reference="Press release").is_valid()
    assert form["evidence_date"].field.widget.attrs["max"] == "2026-03-10"


def test_evidence_url_must_be_a_url(commitment):
    form = update_form(commitment, evidence_url="not a link")
    assert not form.is_valid()
    assert list(form.errors) == ["evidence_url"]


def test_unknown_status_is_refused(commitment):
    form = update_form(commitment, status="finished")
    assert not form.is_valid()
    assert list(form.errors) == ["status"]


@pytest.mark.parametrize("version", [None, "", "-1", "abc"])
def test_a_missing_or_forged_version_is_a_form_error(commitment, version):
    form = update_form(commitment, expected_version=version)
    assert not form.is_valid()
    assert form.errors["expected_version"] == [STALE_FORM_MESSAGE]
    # Hidden fields have no place on the page: the summary shows the message without a link.
    assert [(e.message, e.target) for e in form.error_summary()] == [(STALE_FORM_MESSAGE, None)]


def test_the_form_starts_from_the_current_state(commitment):
    StatusUpdateFactory(commitment=commitment, status=Status.STALLED, progress=20)
    commitment.refresh_from_db()
    form = StatusUpdateForm(commitment=commitment)
    assert form["status"].value() == Status.STALLED
    assert form["progress"].value() == 20
    assert form["expected_version"].value() == 1


def test_error_summary_links_each_message_to_its_field(commitment):
    form = update_form(commitment, status=Status.ACHIEVED, progress="50", evidence_url="nope")
    assert not form.is_valid()
    targets = {e.target for e in form.error_summary()}
    assert {"id_progress", "id_evidence_url"} <= targets
    html = str(form["progress"])
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_progress_helptext id_progress_error"' in html


def test_error_summary_links_a_radio_group_to_its_first_option(commitment):
    form = update_form(commitment, status="nonsense")
    assert not form.is_valid()
    assert [e.target for e in form.error_summary()] == ["id_status_0"]


# -- Confirm unchanged ---------------------------------------------------------------------------------------


def confirm_form(commitment, **data):
    values = {"expected_version": commitment.version, **data}
    return ConfirmUnchangedForm(data=values, commitment=commitment)


def test_confirm_unchanged_needs_a_note(commitment):
    form = confirm_form(commitment, note="   ")
    assert not form.is_valid()
    assert form.errors["note"] == ["Say briefly what was reviewed."]
    assert confirm_form(commitment, note="Checked the 2025 Summit statement").is_valid()


@time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False)
def test_confirm_unchanged_evidence_date_cannot_be_in_the_future(commitment):
    form = confirm_form(commitment, note="Checked", evidence_date="2027-01-01")
    assert not form.is_valid()
    assert form.errors["evidence_date"] == ["The evidence date cannot be in the future."]


def test_confirm_unchanged_does_not_need_evidence_even_when_achieved():
    commitment = CommitmentFactory(achieved=True)
    commitment.refresh_from_db()
    assert confirm_form(commitment, note="Still in force").is_valid()


# -- Editorial fields ----------------------------------------------------------------------------------------


def commitment_form(commitment, **data):
    return CommitmentForm(data=commitment_edit_data(commitment, **data), instance=commitment)


def test_commitment_form_accepts_editorial_changes(commitment):
    body = DialogueBodyFactory()
    form = commitment_form(
        commitment,
        title="A clearer title",
        area=PolicyArea.CYBER,
        strength=Strength.IMPLEMENT,
        responsible_body=body.pk,
        target_date="2027-06-30",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["responsible_body"] == body


def test_commitment_form_reports_each_bad_field(commitment):
    form = commitment_form(commitment, title="", area="sports", responsible_body="999999", target_date="31/31/2026")
    assert not form.is_valid()
    assert set(form.errors) == {"title", "area", "responsible_body", "target_date"}


def test_commitment_form_offers_only_the_editorial_fields(commitment):
    assert set(CommitmentForm(instance=commitment).fields) == {
        "title",
        "description",
        "area",
        "strength",
        "actor",
        "responsible_body",
        "target_date",
        "target_date_precision",
        "made_at",
        "expected_edit_version",
    }


def test_commitment_form_starts_from_the_edit_version(commitment):
    form = CommitmentForm(instance=commitment)
    assert form["expected_edit_version"].value() == 0
    assert form["title"].value() == commitment.title
