"""Helpers shared by the API contract tests of both apps (imported by their ``test_api.py``)."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

ERROR_KEYS = {"status", "code", "detail", "errors"}


@pytest.fixture(autouse=True)
def _fresh_throttle_counters(monkeypatch):
    """Every test counts its requests under its own throttle keys.

    The counters live in the cache, which is Redis when REDIS_URL is set: shared by parallel test processes
    (whose users have the same ids), kept between runs, and also Celery's broker, so flushing it is not an option.
    """
    monkeypatch.setattr(SimpleRateThrottle, "cache_format", f"test-{uuid.uuid4().hex}-throttle_%(scope)s_%(ident)s")


def token_client(user) -> APIClient:
    """A client of a system using ``user``'s API token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def editor_api(editor) -> APIClient:
    return token_client(editor)


@pytest.fixture
def reviewer_api(reviewer) -> APIClient:
    return token_client(reviewer)


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


def assert_error(response, status_code: int, code: str | None = None) -> dict:
    """``response`` is the API's error of ``status_code`` in the one shared shape; returns its body."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == status_code
    assert isinstance(body["errors"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body
