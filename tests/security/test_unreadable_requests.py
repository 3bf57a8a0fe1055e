"""A request Django refuses to read (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields, multipart without a boundary) is a client's mistake: under ``/api/`` the
API's JSON error (413 for the size, 400 otherwise), a page elsewhere; nothing written, and one warning line in the
log, not an ERROR with a traceback.

Before the fix every one of them was Django's HTML 400 page, even under /api/, logged by ``django.security`` (or
``django.request``) with the exception's traceback. They are met wherever the body or the query string is first
read: the API's parser (a token), the CSRF check of a session (which reads ``request.POST``), the request guard
middleware (which reads the query string before any view).
"""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from commitments.tests.api_support import _fresh_throttle_counters, assert_error, editor_api  # noqa: F401
from commitments.tests.factories import CommitmentFactory, UserFactory
from tracker.backup import snapshot

pytestmark = pytest.mark.django_db

# Short enough to stay under the 4,096 characters of an address (a longer one is a 414 before anything is read).
TOO_MANY_FIELDS = "&".join(["f"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
NO_BOUNDARY = "multipart/form-data"
TOO_LARGE = "The request body is larger than 2.5 MB (2,621,440 bytes), the most the tracker accepts."
TOO_MANY = "The request has more than 1,000 fields (query parameters or form fields), the most the tracker accepts."


@pytest.fixture
def commitment():
    return CommitmentFactory()


def _too_big_json(commitment) -> str:
    note = "n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    return json.dumps({"commitment": commitment.pk, "expected_version": commitment.version, "note": note})


@pytest.fixture
def session():
    """A signed-in browser with a CSRF cookie: the CSRF check reads the form body before the view does."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(UserFactory(editor=True, username="body-editor"))
    client.cookies["csrftoken"] = "k" * 32
    return client


def assert_logged_as_a_client_mistake(caplog):
    for record in caplog.records:
        assert record.levelno < logging.ERROR, (record.name, record.getMessage())
        assert record.exc_info is None, (record.name, record.getMessage())
    assert any(record.levelno == logging.WARNING for record in caplog.records)


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    """Either way: with DEBUG on, Django answers these with its debug page instead of ``handler400`` (the probe's
    server ran so), so under /api/ they must be answered before they reach Django's handler."""
    settings.DEBUG = request.param
    return request.param


def test_a_json_body_too_large_is_a_413_in_the_api_shape(editor_api, commitment, caplog, debug):  # noqa: F811
    editor_api.raise_request_exception = False
    before = snapshot()
    with caplog.at_level(logging.INFO):
        response = editor_api.post(
            "/api/v1/status-updates/", _too_big_json(commitment), content_type="application/json"
        )
    body = assert_error(response, 413, "content_too_large")
    assert body["detail"] == TOO_LARGE
    assert body["errors"] == {}
    assert snapshot() == before
    assert_logged_as_a_client_mistake(caplog)


def test_a_session_meets_the_same_413_in_its_csrf_check(session, commitment, caplog, debug):
    before = snapshot()
    with caplog.at_level(logging.INFO):
        response = session.post("/api/v1/status-updates/", _too_big_json(commitment), content_type="application/json")
    assert assert_error(response, 413, "content_too_large")["detail"] == TOO_LARGE
    assert snapshot() == before
    assert_logged_as_a_client_mistake(caplog)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", "big"),
        ("application/x-www-form-urlencoded", TOO_MANY_FIELDS),
        (NO_BOUNDARY, "--x\r\n"),
    ],
)
def test_the_api_reads_no_form_body_at_all(session, editor_api, commitment, content_type, data):  # noqa: F811
    """The API parses JSON only: a form body, however broken, is its 415, for a token and (in the CSRF check,
    which reads ``request.POST`` through DRF's parsers) for a session alike."""
    data = "note=" + "n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) if data == "big" else data
    before = snapshot()
    for client in (session, editor_api):
        response = client.post("/api/v1/status-updates/", data, content_type=content_type)
        assert_error(response, 415, "unsupported_media_type")
    assert snapshot() == before


def test_too_many_query_parameters_is_a_json_400(editor_api, commitment, caplog, debug):  # noqa: F811
    editor_api.raise_request_exception = False
    for url in ("/api/v1/commitments/", f"/api/v1/commitments/{commitment.pk}/"):
        with caplog.at_level(logging.INFO):
            response = editor_api.get(f"{url}?{TOO_MANY_FIELDS}")
        body = assert_error(response, 400, "invalid")
        assert (body["detail"], body["errors"]) == (TOO_MANY, {"non_field_errors": [TOO_MANY]})
    assert_logged_as_a_client_mistake(caplog)


def test_the_web_answers_a_page_and_logs_no_traceback(commitment, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(editor=True, username="form-editor"))
    url = reverse("commitments:commitment_update_status", args=[commitment.pk])
    before = snapshot()
    with caplog.at_level(logging.INFO):
        big = "note=" + "n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        too_big_form = client.post(url, big, content_type="application/x-www-form-urlencoded")
        many = client.post(url, TOO_MANY_FIELDS, content_type="application/x-www-form-urlencoded")
        unbounded = client.post(url, "--x\r\n", content_type=NO_BOUNDARY)
    assert too_big_form.status_code == 413 and b"larger than 2.5 MB" in too_big_form.content
    assert many.status_code == 400 and b"more than 1,000 fields" in many.content
    assert unbounded.status_code == 400 and b"multipart/form-data body cannot be read" in unbounded.content
    for response in (too_big_form, many, unbounded):
        assert response["Content-Type"].startswith("text/html")
    assert snapshot() == before
    assert_logged_as_a_client_mistake(caplog)


def test_another_bad_request_under_the_api_is_json_and_keeps_its_security_log_line(editor_api, caplog):  # noqa: F811
    editor_api.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        response = editor_api.get("/api/v1/commitments/", HTTP_HOST="evil.example")
    assert assert_error(response, 400, "invalid")["detail"] == "The request could not be understood."
    assert any(record.name == "django.security.DisallowedHost" for record in caplog.records)
