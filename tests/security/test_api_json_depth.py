"""Deeply nested JSON is a 400 ``parse_error`` in the API's error shape, wherever the body is first read.

Before the fix ``{"a": [[[[...2,000 deep...]]]]}`` ended in Python's ``RecursionError``: a 500 with a traceback, for
a signed-in session on any API URL (the CSRF check of session authentication reads the body before the view, so
read-only URLs too) and for an editor's token on the write endpoints.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from commitments.tests.api_support import _fresh_throttle_counters, assert_error, editor_api  # noqa: F401
from commitments.tests.factories import CommitmentFactory
from core.api.parsers import MAX_DEPTH, nesting_depth

pytestmark = pytest.mark.django_db

DEEP = '{"a": ' + "[" * 2000 + "]" * 2000 + "}"
READ_ONLY = ["/api/v1/agreements/", "/api/v1/commitments/", "/api/v1/dialogues/", "/api/v1/meetings/1/"]
WRITES = ["/api/v1/status-updates/", "/api/v1/meetings/"]


def assert_parse_error(response):
    body = assert_error(response, 400, "parse_error")
    assert "nested deeper" in body["detail"]
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize("url", READ_ONLY + WRITES)
def test_a_reviewer_session_gets_a_parse_error_before_csrf_or_the_view(url, reviewer):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(reviewer)
    # A browser that has visited the site has a CSRF cookie; with it (and no token) the check reads the body.
    client.cookies["csrftoken"] = "k" * 32
    assert_parse_error(client.post(url, DEEP, content_type="application/json"))


@pytest.mark.parametrize("url", WRITES)
def test_an_editor_token_gets_a_parse_error_on_the_write_endpoints(url, editor_api):  # noqa: F811
    editor_api.raise_request_exception = False
    assert_parse_error(editor_api.post(url, DEEP, content_type="application/json"))


def test_nesting_up_to_the_limit_is_parsed_as_usual(editor_api):  # noqa: F811
    commitment = CommitmentFactory()
    shallow = {"commitment": commitment.pk, "expected_version": commitment.version, "status": "in_progress"}
    assert nesting_depth(json.dumps(shallow)) == 1
    response = editor_api.post("/api/v1/status-updates/", shallow, format="json")
    assert response.status_code == 201, response.content
    at_limit = {
        "commitment": commitment.pk,
        "note": "[" * 40,
        "x": json.loads("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)),
    }
    assert nesting_depth(json.dumps(at_limit)) == MAX_DEPTH  # brackets inside strings do not count
    response = editor_api.post("/api/v1/status-updates/", at_limit, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"  # parsed, then validated


def test_the_depth_is_measured_without_recursion():
    assert nesting_depth("[" * 100_000 + "]" * 100_000) == 100_000
    assert nesting_depth('{"a": "[[[[\\"]]]]", "b": [1, {"c": []}]}') == 4
