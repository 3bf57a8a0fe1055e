"""Bounds on commitments and their history, through the forms and the API, with the database unchanged on refusal:
a status update that changes nothing, notes and descriptions over the length limit, a target date before the
agreement was signed; and agreement dates shown to the precision the documents give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from commitments.choices import Status
from commitments.models import Commitment, StatusUpdate
from commitments.services import NOTHING_CHANGED
from commitments.tests.api_support import _fresh_throttle_counters, assert_error, editor_api, reviewer_api
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    SourceDocumentFactory,
    commitment_edit_data,
)
from core.models import LONG_TEXT_MAX

__all__ = ["_fresh_throttle_counters", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment():
    agreement = AgreementFactory(code="SDP", signed_on=dt.date(2024, 11, 1))
    return CommitmentFactory(agreement=agreement, reference="SDP §12(b)", description="Joint exercises.")


def status_url(commitment):
    return reverse("commitments:commitment_update_status", kwargs={"pk": commitment.pk})


def post_api(api, commitment, **data):
    payload = {"commitment": commitment.pk, "expected_version": commitment.version, **data}
    return api.post("/api/v1/status-updates/", payload, format="json")


def test_a_status_update_that_changes_nothing_is_refused_pointing_to_confirm_unchanged(
    editor_client, editor_api, commitment
):
    response = editor_client.post(status_url(commitment), {"status": Status.NOT_STARTED, "expected_version": 0})
    assert response.status_code == 400
    assert "Confirm unchanged" in response.content.decode()
    api = post_api(editor_api, commitment, status=Status.NOT_STARTED)
    assert assert_error(api, 400)["errors"]["status"] == [NOTHING_CHANGED]
    assert not StatusUpdate.objects.exists()
    commitment.refresh_from_db()
    assert (commitment.version, commitment.last_reviewed_at) == (0, None)


def test_the_same_status_with_a_note_is_an_update(editor_api, commitment):
    response = post_api(editor_api, commitment, status=Status.NOT_STARTED, note="Talks postponed to 2027")
    assert response.status_code == 201


def test_a_note_over_the_limit_is_refused_by_the_form_and_the_api(editor_client, editor_api, commitment):
    too_long = "n" * (LONG_TEXT_MAX + 1)
    form = editor_client.get(status_url(commitment)).content.decode()
    assert f'maxlength="{LONG_TEXT_MAX}"' in form
    response = editor_client.post(
        status_url(commitment), {"status": Status.IN_PROGRESS, "note": too_long, "expected_version": 0}
    )
    assert response.status_code == 400
    api = post_api(editor_api, commitment, status=Status.IN_PROGRESS, note=too_long)
    assert "note" in assert_error(api, 400)["errors"]
    assert not StatusUpdate.objects.exists()


def edit_data(commitment, **changes):
    return commitment_edit_data(commitment, responsible_body="", **changes)


def test_a_description_over_the_limit_is_refused_and_nothing_changes(editor_client, commitment):
    url = reverse("commitments:commitment_edit", kwargs={"pk": commitment.pk})
    response = editor_client.post(url, edit_data(commitment, description="d" * (LONG_TEXT_MAX + 1)))
    assert response.status_code == 400
    commitment.refresh_from_db()
    assert (commitment.description, commitment.edit_version) == ("Joint exercises.", 0)


def test_a_target_date_before_the_agreements_signature_is_refused(editor_client, commitment):
    url = reverse("commitments:commitment_edit", kwargs={"pk": commitment.pk})
    response = editor_client.post(url, edit_data(commitment, target_date="2024-10-31"))
    assert response.status_code == 400
    assert "The target date cannot predate the signature of SDP (1 November 2024)." in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.target_date is None
    ok = editor_client.post(url, edit_data(commitment, target_date="2024-11-01"))
    assert ok.status_code == 302
    assert Commitment.objects.get(pk=commitment.pk).target_date == dt.date(2024, 11, 1)


def test_an_agreement_known_to_the_month_is_shown_without_a_day_and_names_both_sources(reviewer_client, reviewer_api):
    source = SourceDocumentFactory(key="EP-IDA-2024")
    AgreementFactory(
        code="STI-LOI",
        signed_on=dt.date(2020, 5, 1),
        signed_on_precision="month",
        source_document=source,
        date_note="Section 2.3 says May 2020; fn 50 dates it 26 May 2021.",
    )
    page = reviewer_client.get(reverse("dashboards:agreement_detail", kwargs={"code": "STI-LOI"})).content.decode()
    assert "May 2020" in page and "1 May 2020" not in page
    assert "Section 2.3 says May 2020; fn 50 dates it 26 May 2021." in page
    assert "stated in EP-IDA-2024" in page
    data = reviewer_api.get("/api/v1/agreements/STI-LOI/").json()
    assert (data["signed_on"], data["signed_on_precision"]) == ("2020-05-01", "month")
    assert data["signed_on_basis"]["basis"] == "stated" and data["in_force_on_basis"]["basis"] is None
    assert data["date_note"].startswith("Section 2.3")


def test_an_assumed_agreement_date_says_assumed(reviewer_client):
    AgreementFactory(code="OLD", signed_on=dt.date(1991, 1, 1), signed_on_precision="year", assumed_signature=True)
    page = reviewer_client.get(reverse("dashboards:agreement_detail", kwargs={"code": "OLD"})).content.decode()
    assert "1991" in page and "1 January 1991" not in page and "<strong>assumed</strong>" in page
