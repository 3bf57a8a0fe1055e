"""``/api/v1/webhooks/``: superusers only; bad input is a 400 with nothing written; the secret is never shown."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from commitments.tests.factories import UserFactory
from webhooks.models import Webhook
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "think-tank",
    "target_url": "https://hooks.example.eu/tracker",
    "events": ["status_update.created", "meeting.withdrawn"],
    "secret": "a-long-enough-secret-1234",
}


@pytest.fixture
def admin_api():
    api = APIClient()
    api.force_authenticate(UserFactory(admin=True, username="root"))
    return api


def test_superusers_register_and_list_hooks(admin_api):
    created = admin_api.post("/api/v1/webhooks/", GOOD, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert "secret" not in body and body["events"] == GOOD["events"] and body["active"] is True
    assert created["Location"].endswith(f"/api/v1/webhooks/{body['id']}/")
    assert Webhook.objects.get().secret == GOOD["secret"]
    listed = admin_api.get("/api/v1/webhooks/").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert admin_api.get(f"/api/v1/webhooks/{body['id']}/").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"events": ["commitment.exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"secret": "short"}, "secret"),
        ({"secret": 12345678901234567890}, "secret"),
        ({"target_url": "ftp://hooks.example.eu/"}, "target_url"),
        ({"target_url": "not a url"}, "target_url"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(admin_api, change, field):
    response = admin_api.post("/api/v1/webhooks/", {**GOOD, **change}, format="json")
    assert response.status_code == 400
    assert any(key.split(".")[0] == field for key in response.json()["errors"])
    assert not Webhook.objects.exists()


def test_private_targets_are_refused_unless_allowed(admin_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = admin_api.post("/api/v1/webhooks/", {**GOOD, "target_url": "http://127.0.0.1:8080/x"}, format="json")
    assert response.status_code == 400 and "private" in str(response.json()["errors"]["target_url"])
    assert not Webhook.objects.exists()


def test_nobody_else_may_see_or_register_hooks(editor):
    WebhookFactory()
    anonymous = APIClient()
    assert anonymous.get("/api/v1/webhooks/").status_code == 401
    editor_api = APIClient()
    editor_api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    assert editor_api.get("/api/v1/webhooks/").status_code == 403
    assert editor_api.post("/api/v1/webhooks/", GOOD, format="json").status_code == 403
    assert Webhook.objects.count() == 1
