"""A JSON body holding a lone surrogate (``"\\ud800"``: an escape that names half of a UTF-16 pair, which is no
character) is a 400 ``parse_error`` in the API's error shape, with nothing written, wherever it sits.

Before the fix Python's ``json`` decoded it into a string that cannot be encoded as UTF-8: a choice field's 400
repeated the bad value and rendering that answer failed (a 500 with a traceback); a free-text field reached the
database, which cannot store it either. A valid pair (``"\\ud83d\\ude00"``, one character) is accepted as before.

Query strings and form fields are decoded by Django with replacement characters, so they cannot carry one: checked
at the end.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from commitments.tests.api_support import _fresh_throttle_counters, assert_error, editor_api  # noqa: F401
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, UserFactory
from core.api.exceptions import error_body
from tracker.backup import snapshot

pytestmark = pytest.mark.django_db

LONE = "\\ud800"  # as it appears in the JSON text: a backslash, "u", four hex digits


def _body(**fields) -> str:
    """``fields`` as JSON text, where the value ``"LONE"`` stands for a lone surrogate escape."""
    return json.dumps(fields).replace('"LONE"', f'"{LONE}"')


def refused(client, method: str, url: str, text: str) -> dict:
    """``text`` sent as ``application/json`` is a 400 parse error that names the surrogate; nothing is written."""
    client.raise_request_exception = False
    before = snapshot()
    response = getattr(client, method)(url, text.encode(), content_type="application/json")
    body = assert_error(response, 400, "parse_error")
    assert "surrogate" in body["detail"], body
    assert body["errors"] == {"non_field_errors": [body["detail"]]}
    assert snapshot() == before
    return body


@pytest.fixture
def commitment():
    return CommitmentFactory()


@pytest.mark.parametrize("field", ["status", "kind", "party", "note", "evidence_reference"])
def test_a_lone_surrogate_in_a_status_update_is_a_parse_error(editor_api, commitment, field):  # noqa: F811
    text = _body(commitment=commitment.pk, expected_version=commitment.version, status="in_progress")
    text = text[:-1] + f', "{field}": "x{LONE}y"}}'
    body = refused(editor_api, "post", "/api/v1/status-updates/", text)
    assert f'"{field}"' in body["detail"]


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_lone_surrogate_in_a_milestone_is_a_parse_error(editor_api, commitment, method):  # noqa: F811
    milestone = MilestoneFactory(commitment=commitment, title="First")
    commitment.refresh_from_db()
    url = "/api/v1/milestones/" if method == "post" else f"/api/v1/milestones/{milestone.pk}/"
    for field in ("kind", "due_on_precision", "title"):
        fields = {"commitment": commitment.pk, "expected_version": commitment.version, "title": "T", field: "LONE"}
        text = _body(**fields)
        refused(editor_api, method, url, text)


def test_a_lone_surrogate_nested_in_a_list_or_in_a_key_is_a_parse_error(commitment):
    admin = APIClient()
    admin.force_authenticate(UserFactory(admin=True, username="root"))
    hook = {"name": "n", "target_url": "https://hooks.example.eu/", "secret": "a-long-enough-secret-1234"}
    body = refused(admin, "post", "/api/v1/webhooks/", _body(**hook, events=["LONE"]))
    assert '"events.0"' in body["detail"]
    # A low half alone, in upper case, and a high half followed by something other than its low half.
    for lone in ("\\uDFFF", "\\ud800\\u0041", "\\udbff\\ud800"):
        refused(admin, "post", "/api/v1/webhooks/", _body(**hook, events=["LONE"]).replace(LONE, lone))
    # In a key, nested: the key is named with the surrogate escaped, so that the answer itself can be encoded.
    refused(admin, "post", "/api/v1/webhooks/", _body(**hook, events=[{"LONE": 1}]))
    text = '{"commitment": %d, "expected_version": %d, "extra": {"a": [1, {"%s": 2}]}}'
    body = refused(admin, "post", "/api/v1/status-updates/", text % (commitment.pk, commitment.version, LONE))
    assert '"extra.a.1.\\ud800"' in body["detail"]


def test_valid_surrogate_pairs_and_escaped_backslashes_are_accepted(editor_api, commitment):  # noqa: F811
    text = _body(commitment=commitment.pk, expected_version=commitment.version, status="in_progress", note="NOTE")
    text = text.replace('"NOTE"', '"\\ud83d\\ude00 and \\\\ud800 as text"')
    response = editor_api.post("/api/v1/status-updates/", text.encode(), content_type="application/json")
    assert response.status_code == 201, response.content
    commitment.refresh_from_db()
    assert commitment.updates.latest("pk").note == "\U0001f600 and \\ud800 as text"


def test_an_error_body_holding_a_surrogate_still_encodes(editor_api, commitment, monkeypatch):  # noqa: F811
    """Defence in depth: whatever an error message repeats, the answer is valid UTF-8 JSON."""
    body = error_body(status_code=400, code="invalid", detail="bad \ud800", errors={"k\udfff": ["v\ud800"]})
    assert json.dumps(body, ensure_ascii=False).encode()
    assert body["detail"] == "bad \ufffd" and body["errors"] == {"k\ufffd": ["v\ufffd"]}
    # With the parser's check switched off, the choice field's message repeats the value: still a readable 400.
    monkeypatch.setattr("core.api.parsers.lone_surrogate_at", lambda data: None)
    text = _body(commitment=commitment.pk, expected_version=commitment.version, status="LONE")
    before = snapshot()
    response = editor_api.post("/api/v1/status-updates/", text.encode(), content_type="application/json")
    assert assert_error(response, 400, "invalid")["errors"]["status"] == ['"\ufffd" is not a valid choice.']
    assert snapshot() == before


# --- Query strings and form fields: Django decodes them with replacement characters --------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/commitments/?search=%ED%A0%80",
        "/api/v1/commitments/?format=csv&search=%ED%A0%80",
        "/api/v1/dialogues/?search=%ED%A0%80",
        "/commitments/?q=%ED%A0%80",
        "/commitments/?search=%ED%A0%80",
        "/commitments/export.csv?search=%ED%A0%80",
    ],
)
def test_an_encoded_surrogate_in_a_query_string_is_replaced_not_a_500(url, editor_api, commitment):  # noqa: F811
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(editor=True, username="query-editor"))
    response = (editor_api if url.startswith("/api/") else client).get(url)
    assert response.status_code == 200, (url, response.status_code)
    request_get = response.wsgi_request.GET
    name = "q" if "q=" in url else "search"
    assert request_get[name] == "\ufffd" * 3


def test_an_encoded_surrogate_in_a_web_form_arrives_as_replacement_characters(commitment):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(editor=True, username="form-editor"))
    url = reverse("commitments:commitment_update_status", args=[commitment.pk])
    body = f"expected_version={commitment.version}&status=in_progress&progress=10&note=a%ED%A0%80b"
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302, response.content[:300]
    assert commitment.updates.latest("pk").note == "a\ufffd\ufffd\ufffdb"
