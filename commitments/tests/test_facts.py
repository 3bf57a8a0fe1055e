"""Confirming an assumed date of an agreement by naming its source: the service (with its version check), the
form page, and refusals that leave the database as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments.models import Agreement
from commitments.tests.factories import AgreementFactory, SourceDocumentFactory
from core.exceptions import FactConflict
from core.services import provenance_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def loi():
    """Signed in May 2020 by the EP analysis's text; no document is recorded as stating it yet."""
    return AgreementFactory(
        code="STI-LOI", signed_on=dt.date(2020, 5, 1), signed_on_precision="month", assumed_signature=True
    )


def url(agreement):
    return reverse("commitments:agreement_confirm_fact", kwargs={"code": agreement.code})


def seen(agreement, fact="signed_on"):
    return f"{fact}={agreement.fact(fact).fingerprint}"


def snapshot(agreement) -> dict:
    return Agreement.objects.filter(pk=agreement.pk).values().get()


# --- The service --------------------------------------------------------------------------------------------------


def test_the_service_confirms_an_assumed_date_and_records_who(loi, editor):
    source = SourceDocumentFactory(key="EP-IDA-2024")
    saved = provenance_confirm(
        record=loi,
        fact="signed_on",
        source_document=source,
        locator="section 3.1",
        expected_fingerprint=loi.fact("signed_on").fingerprint,
        user=editor,
    )
    loi.refresh_from_db()
    assert (
        saved.fact("signed_on").is_stated and loi.fact("signed_on").basis_text == "stated in EP-IDA-2024, section 3.1"
    )
    assert (loi.signed_on_reason, loi.signed_on_assumed_by) == ("", "")
    assert loi.signed_on == dt.date(2020, 5, 1) and loi.signed_on_precision == "month"  # the date itself is kept
    assert loi.history.first().history_user == editor


def test_the_service_refuses_a_stale_version_and_writes_nothing(loi, editor):
    opened = loi.fact("signed_on").fingerprint
    Agreement.objects.filter(pk=loi.pk).update(signed_on=dt.date(2021, 5, 26), signed_on_precision="day")
    before = snapshot(loi)
    with pytest.raises(FactConflict) as conflict:
        provenance_confirm(
            record=loi,
            fact="signed_on",
            source_document=SourceDocumentFactory(),
            locator="fn 12",
            expected_fingerprint=opened,
            user=editor,
        )
    assert "the signature date was changed after you opened the form" in conflict.value.message
    assert snapshot(loi) == before


@pytest.mark.parametrize(
    ("fact", "locator", "field"),
    [("signed_on", "  ", "locator"), ("title", "§1", "fact"), ("in_force_on", "§1", "fact")],
)
def test_the_service_refuses_bad_input_and_writes_nothing(loi, editor, fact, locator, field):
    before = snapshot(loi)
    expected = loi.fact(fact).fingerprint if fact in loi.PROVENANCE_FACTS else ""
    with pytest.raises(ValidationError) as error:
        provenance_confirm(
            record=loi,
            fact=fact,
            source_document=SourceDocumentFactory(),
            locator=locator,
            expected_fingerprint=expected,
            user=editor,
        )
    assert field in error.value.message_dict
    assert snapshot(loi) == before


# --- The form page ------------------------------------------------------------------------------------------------


def test_an_editor_confirms_an_agreements_date_through_the_form(editor_client, loi):
    source = SourceDocumentFactory(key="EP-IDA-2024")
    page = editor_client.get(loi.get_absolute_url()).content.decode()
    assert url(loi) in page and "Confirm an assumed date" in page
    form = editor_client.get(url(loi)).content.decode()
    assert (
        "Signature date: May 2020 (assumed by the tracker&#x27;s editors: placeholder: the documents give no date)"
        in form
    )
    response = editor_client.post(
        url(loi), {"fact": "signed_on", "source_document": source.pk, "locator": "3.1", "seen": seen(loi)}
    )
    assert response.status_code == 302 and response["Location"] == loi.get_absolute_url()
    page = editor_client.get(loi.get_absolute_url()).content.decode()
    assert "stated in EP-IDA-2024, 3.1" in page and "Confirm an assumed date" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source_document": None}, "This field is required."),
        ({"locator": ""}, "This field is required."),
        ({"source_document": 999999}, "Select a valid choice."),
        ({"fact": "in_force_on"}, "Select a valid choice."),
        ({"fact": "title"}, "Select a valid choice."),
        ({"locator": "x" * 201}, "at most 200 characters"),
        ({"seen": ""}, "This form is out of date"),
    ],
)
def test_a_bad_confirmation_is_refused_with_400_and_nothing_changes(editor_client, loi, change, message):
    post = {"fact": "signed_on", "source_document": SourceDocumentFactory().pk, "locator": "3.1", "seen": seen(loi)}
    post.update(change)
    before = snapshot(loi)
    response = editor_client.post(url(loi), {k: v for k, v in post.items() if v is not None})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot(loi) == before


def test_a_confirmation_of_a_date_changed_meanwhile_is_a_conflict_page(editor_client, loi):
    opened = seen(loi)
    Agreement.objects.filter(pk=loi.pk).update(signed_on=dt.date(2021, 5, 1))
    before = snapshot(loi)
    source = SourceDocumentFactory(key="PRESS-2023")
    response = editor_client.post(
        url(loi), {"fact": "signed_on", "source_document": source.pk, "locator": "p. 2", "seen": opened}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "the signature date was changed after you opened the form" in page
    assert "You had named PRESS-2023, p. 2" in page
    assert f'value="{seen(Agreement.objects.get(pk=loi.pk))}"' in page  # the fresh form is on the current fact
    assert snapshot(loi) == before


def test_a_reviewer_gets_403_and_no_button(reviewer_client, loi):
    assert "Confirm an assumed date" not in reviewer_client.get(loi.get_absolute_url()).content.decode()
    before = snapshot(loi)
    response = reviewer_client.post(
        url(loi),
        {"fact": "signed_on", "source_document": SourceDocumentFactory().pk, "locator": "1", "seen": seen(loi)},
    )
    assert response.status_code == 403
    assert snapshot(loi) == before


def test_an_agreement_with_nothing_assumed_says_so(editor_client):
    stated = AgreementFactory(code="SDP")
    page = editor_client.get(url(stated)).content.decode()
    assert "Every known fact of SDP is stated by a document: there is nothing to confirm." in page
