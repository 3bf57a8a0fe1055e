"""Webhook deliveries through a REAL Celery worker on Redis to a REAL local HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.core import mail

from commitments.choices import Status
from commitments.services import commitment_update_status
from commitments.tests.factories import CommitmentFactory, UserFactory
from tests.support import registered_task
from webhooks.choices import AttemptOutcome, DeliveryStatus, EventType
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from webhooks.tests.factories import WebhookFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis]

SECRET = "a-receiver-secret-of-some-length"


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 0.2
    settings.WEBHOOK_RETRY_BACKOFF_MAX_SECONDS = 1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


def _record_status(commitment, **extra):
    return commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=UserFactory(),
        status=Status.ACHIEVED,
        evidence_url="https://www.consilium.europa.eu/en/press/2026/joint-statement/",
        **extra,
    )


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _settled(delivery_id) -> bool:
    return WebhookDelivery.objects.filter(pk=delivery_id).exclude(status=DeliveryStatus.PENDING).exists()


def test_a_status_update_reaches_the_receiver_signed(receiver, redis_worker, fast_retries):
    hook = WebhookFactory(target_url=receiver.url, events=[EventType.STATUS_UPDATE_CREATED], secret=SECRET)
    WebhookFactory(name="meetings-only", target_url=receiver.url, events=[EventType.MEETING_RECORDED])
    commitment = CommitmentFactory(reference="SDP §7")
    with redis_worker():
        update = _record_status(commitment)
        [request] = receiver.wait_for(1)
        assert _wait(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists())
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Tracker-Signature"], expected)
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == "/hooks/tracker"
    payload = json.loads(request.body)
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == hook and delivery.attempts == 1
    assert payload["id"] == str(delivery.event_id) == request.headers["X-Tracker-Delivery"]
    assert payload["type"] == "status_update.created" == request.headers["X-Tracker-Event"]
    assert payload["created_at"]
    assert payload["object_type"] == "status_update"
    assert payload["object"]["id"] == update.pk
    assert payload["object"]["status"] == "achieved"
    assert payload["object"]["commitment_reference"] == "SDP §7"
    assert payload["object"]["url"].startswith("http://127.0.0.1:8000/api/v1/status-updates/")
    assert len(receiver.requests) == 1  # the meetings-only hook got nothing


def test_a_receiver_that_fails_twice_gets_three_attempts_and_one_success(make_receiver, redis_worker, fast_retries):
    receiver = make_receiver(script=[500, 503])
    WebhookFactory(target_url=receiver.url, events=[EventType.STATUS_UPDATE_CREATED], secret=SECRET)
    with redis_worker():
        _record_status(CommitmentFactory())
        assert _wait(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists())
    delivery = WebhookDelivery.objects.get()
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.outcome, a.status_code) for a in attempts] == [
        (1, AttemptOutcome.HTTP_ERROR, 500),
        (2, AttemptOutcome.HTTP_ERROR, 503),
        (3, AttemptOutcome.SUCCESS, 200),
    ]
    assert attempts[0].response_excerpt == "status 500"
    assert delivery.attempts == 3 and delivery.completed_at is not None
    assert len(receiver.requests) == 3
    # Every retry sends the same bytes, the same signature, the same event id.
    assert len({r.body for r in receiver.requests}) == 1
    assert len({r.headers["X-Tracker-Signature"] for r in receiver.requests}) == 1
    # Exponential backoff: the second gap is longer than the first.
    first, second, third = (r.at for r in receiver.requests)
    assert second - first >= 0.15 and third - second >= 0.35
    assert Webhook.objects.get().consecutive_failures == 0


def test_a_receiver_that_never_answers_does_not_hold_the_worker(make_receiver, redis_worker, fast_retries):
    fast_retries.WEBHOOK_TIMEOUT_SECONDS = 1
    fast_retries.WEBHOOK_MAX_ATTEMPTS = 1
    silent = make_receiver(hang=True)
    healthy = make_receiver()
    WebhookFactory(name="silent", target_url=silent.url, events=[EventType.STATUS_UPDATE_CREATED])
    with redis_worker():  # one solo worker: it can only reach the second hook once the first attempt gave up
        started = time.monotonic()
        _record_status(CommitmentFactory())
        assert _wait(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).exists(), timeout=20)
        elapsed = time.monotonic() - started
        WebhookFactory(name="healthy", target_url=healthy.url, events=[EventType.STATUS_UPDATE_CREATED])
        Webhook.objects.filter(name="silent").update(active=False)
        _record_status(CommitmentFactory())
        assert healthy.wait_for(1, timeout=20)
    attempt = WebhookAttempt.objects.get(delivery__webhook__name="silent")
    assert attempt.outcome == AttemptOutcome.TIMEOUT
    assert 900 <= attempt.duration_ms < 5000
    assert elapsed < 10
    assert len(silent.requests) == 1


def test_the_hook_disables_itself_after_the_configured_failures(make_receiver, redis_worker, fast_retries):
    fast_retries.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    fast_retries.WEBHOOK_MAX_ATTEMPTS = 6
    fast_retries.ADMINS = [("Ops", "ops@example.eu")]
    UserFactory(admin=True, username="root", email="root@example.eu")
    broken = make_receiver(default=500)
    hook = WebhookFactory(target_url=broken.url, events=[EventType.STATUS_UPDATE_CREATED])
    with redis_worker():
        _record_status(CommitmentFactory())
        assert _wait(lambda: _settled(WebhookDelivery.objects.get().pk))
        time.sleep(0.5)  # no further attempt comes
    hook.refresh_from_db()
    assert not hook.active and hook.disabled_at is not None
    assert hook.consecutive_failures == 3 and "3 consecutive failed" in hook.disabled_reason
    assert len(broken.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.CANCELLED and delivery.attempts == 3
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["ops@example.eu", "root@example.eu"]
    assert all("disabled" in message.subject for message in mail.outbox)


def test_the_delivery_task_is_acknowledged_late_and_time_limited():
    task = registered_task("webhooks.tasks.deliver_webhook")
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit and task.time_limit
