"""The contract the README and the schema state, held by the code (issue 13's findings on the contract).

- An empty multiple-choice filter (``status=``, ``area=``, ``strength=``, ``level=``) means no filter, on the web
  lists, the CSV export and the API; before, it was a 400.
- A stored URL is a valid URI (RFC 3986): ``https://example.com/"><script>`` is refused by the API and the form.
- 414 and 431 are answered in the API's error shape and documented for every operation.
- The CSV formula guard also protects what follows a ``;`` or a tab (EU spreadsheets split cells on ``;``).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from commitments.choices import PolicyArea, Status, Strength
from commitments.models import StatusUpdate
from commitments.tests.api_support import _fresh_throttle_counters, assert_error, editor_api, reviewer_api  # noqa: F401
from commitments.tests.factories import CommitmentFactory
from core.exports import guard_formula
from dialogues.choices import Level
from dialogues.tests.factories import DialogueBodyFactory

pytestmark = pytest.mark.django_db

BAD_URL = 'https://example.com/"><script>'


@pytest.fixture
def commitments_():
    return [
        CommitmentFactory(reference="C-1", status=Status.ACHIEVED, area=PolicyArea.CYBER, strength=Strength.IMPLEMENT),
        CommitmentFactory(reference="C-2", status=Status.STALLED, area=PolicyArea.SPACE, strength=Strength.EXPLORE),
    ]


# --- Empty filters are no filter -------------------------------------------------------------------------------

EMPTY = ["status=", "area=", "strength=", "status=&area=&strength=", "status=&area=&strength=&agreement=&body="]


def csv_references(response) -> set[str]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    index = next(i for i, name in enumerate(rows[0]) if name.lower() == "reference")
    return {row[index] for row in rows[1:]}


@pytest.mark.parametrize("query", EMPTY)
def test_empty_commitment_filters_are_no_filter_in_the_api(query, commitments_, reviewer_api):  # noqa: F811
    response = reviewer_api.get(f"/api/v1/commitments/?{query}")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2
    csv_response = reviewer_api.get(f"/api/v1/commitments/?{query}&format=csv")
    assert csv_response.status_code == 200
    assert csv_references(csv_response) == {"C-1", "C-2"}


@pytest.mark.parametrize("query", EMPTY)
def test_empty_commitment_filters_are_no_filter_on_the_page_and_its_csv(query, commitments_, reviewer_client):
    response = reviewer_client.get(f"{reverse('commitments:commitment_list')}?{query}")
    assert response.status_code == 200
    assert {c.reference for c in response.context["object_list"]} == {"C-1", "C-2"}
    export = reviewer_client.get(f"{reverse('commitments:commitment_export_csv')}?{query}")
    assert export.status_code == 200
    assert csv_references(export) == {"C-1", "C-2"}


def test_an_empty_value_beside_a_real_one_filters_by_the_real_one(commitments_, reviewer_api, reviewer_client):  # noqa: F811
    response = reviewer_api.get("/api/v1/commitments/?status=&status=achieved")
    assert [item["reference"] for item in response.json()["results"]] == ["C-1"]
    page = reviewer_client.get(f"{reverse('commitments:commitment_list')}?area=&area=space")
    assert [c.reference for c in page.context["object_list"]] == ["C-2"]
    assert_error(reviewer_api.get("/api/v1/commitments/?status=finished"), 400, "invalid")  # unknown: still a 400


def test_an_empty_level_is_no_filter_for_dialogue_bodies(reviewer_api, reviewer_client):  # noqa: F811
    DialogueBodyFactory(short_name="SOM", level=Level.SENIOR_OFFICIALS)
    DialogueBodyFactory(short_name="MIN", level=Level.MINISTERIAL)
    response = reviewer_api.get("/api/v1/dialogues/?level=")
    assert response.status_code == 200 and response.json()["count"] == 2
    page = reviewer_client.get(f"{reverse('dialogues:body_list')}?level=")
    assert page.status_code == 200
    assert {b.short_name for b in page.context["object_list"]} == {"SOM", "MIN"}


# --- Stored URLs are URIs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [BAD_URL, "https://example.com/a b", "https://example.com/{x}", "https://example.com/\\x", "https://exämple.eu/"],
)
def test_the_api_refuses_an_evidence_url_that_is_no_uri(url, editor_api):  # noqa: F811
    commitment = CommitmentFactory()
    response = editor_api.post(
        "/api/v1/status-updates/",
        {
            "commitment": commitment.pk,
            "expected_version": commitment.version,
            "status": "in_progress",
            "evidence_url": url,
        },
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert "evidence_url" in body["errors"]
    assert not StatusUpdate.objects.exists()


def test_the_form_refuses_an_evidence_url_that_is_no_uri(editor_client):
    commitment = CommitmentFactory()
    url = reverse("commitments:commitment_update_status", args=[commitment.pk])
    data = {"status": Status.IN_PROGRESS, "progress": 10, "evidence_url": BAD_URL, "expected_version": 0}
    response = editor_client.post(url, data)
    assert response.status_code == 400
    assert "evidence_url" in response.context["form"].errors
    assert not StatusUpdate.objects.exists()


def test_a_percent_encoded_url_is_accepted(editor_api):  # noqa: F811
    commitment = CommitmentFactory()
    url = "https://example.com/%22%3E%3Cscript%3E?q=a%20b&lang=ja#p-3"
    response = editor_api.post(
        "/api/v1/status-updates/",
        {
            "commitment": commitment.pk,
            "expected_version": commitment.version,
            "status": "in_progress",
            "evidence_url": url,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert StatusUpdate.objects.get().evidence_url == url


# --- 414 and 431 -----------------------------------------------------------------------------------------------


def test_an_overlong_address_is_a_414_in_the_error_shape(reviewer_api):  # noqa: F811
    body = assert_error(reviewer_api.get("/api/v1/commitments/?search=" + "a" * 5000), 414, "uri_too_long")
    assert "4096" in body["detail"]


def test_oversized_headers_are_a_431_in_the_error_shape(reviewer_api):  # noqa: F811
    response = reviewer_api.get("/api/v1/commitments/", HTTP_X_PADDING="p" * 20_000)
    assert_error(response, 431, "request_header_fields_too_large")


def test_pages_answer_414_with_a_page(reviewer_client):
    response = reviewer_client.get("/commitments/?search=" + "a" * 5000)
    assert response.status_code == 414 and "Address too long" in response.content.decode()


def test_414_and_431_are_documented_for_every_operation(reviewer_api):  # noqa: F811
    schema = reviewer_api.get("/api/v1/schema/").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post"}:
                assert {"414", "431"} <= set(operation["responses"]), (path, method)


# --- CSV formulas after separators -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("x;=1+1", "x;'=1+1"),
        ("a; +SUM(A1)", "a; '+SUM(A1)"),
        ("a\t@cmd", "a\t'@cmd"),
        ("=1+1", "'=1+1"),
        ("SDP §12; see -> annex", "SDP §12; see -> annex"),
        ("plain; text", "plain; text"),
    ],
)
def test_formula_guard_after_separators(cell, written):
    # One guard serves the page export and the API CSV (the test below reads both files).
    assert guard_formula(cell) == written


def test_both_csv_exports_guard_a_title_with_a_formula_after_a_semicolon(reviewer_api, reviewer_client):  # noqa: F811
    CommitmentFactory(reference="F-1", title="Cooperate;=HYPERLINK(1)")
    for response in (
        reviewer_api.get("/api/v1/commitments/?format=csv"),
        reviewer_client.get(reverse("commitments:commitment_export_csv")),
    ):
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert "Cooperate;'=HYPERLINK(1)" in text and "Cooperate;=HYPERLINK" not in text
