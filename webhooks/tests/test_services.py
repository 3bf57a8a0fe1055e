"""Webhook services without a worker: events become deliveries after commit only, the payload is the API's
representation, attempts are logged, and private targets are refused when saved and when sent."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from commitments.choices import Status
from commitments.services import commitment_update, commitment_update_status
from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory, UserFactory
from core.events import dispatch, publish_on_commit
from dialogues.services import meeting_record, overdue_sweep
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from webhooks import services
from webhooks.addresses import TargetRefused, check_target_url, is_public, resolve_target
from webhooks.choices import AttemptOutcome, DeliveryStatus, EventType
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from webhooks.services import envelope_bytes, retry_delay, sign, webhook_delivery_attempt
from webhooks.tests.factories import WebhookAttemptFactory, WebhookDeliveryFactory, WebhookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """The delivery ids handed to the broker (the task itself is tested with a real worker in test_tasks.py)."""
    sent: list[int] = []
    monkeypatch.setattr(services, "_enqueue", sent.extend)
    return sent


def test_the_signature_is_the_hex_hmac_sha256_of_the_body():
    body = b'{"id":"1"}'
    assert sign(body, "k" * 16) == "sha256=" + hmac.new(b"k" * 16, body, hashlib.sha256).hexdigest()


def test_backoff_is_exponential_and_capped(settings):
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS, settings.WEBHOOK_RETRY_BACKOFF_MAX_SECONDS = 30, 100
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_a_status_update_makes_one_delivery_per_interested_hook_after_commit(
    enqueued, django_capture_on_commit_callbacks
):
    wants = WebhookFactory(events=[EventType.STATUS_UPDATE_CREATED])
    WebhookFactory(events=[EventType.MEETING_RECORDED])
    WebhookFactory(events=[EventType.STATUS_UPDATE_CREATED], active=False)
    commitment = CommitmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        update = commitment_update_status(
            commitment=commitment, expected_version=0, author=UserFactory(), status=Status.IN_PROGRESS, progress=20
        )
        assert not WebhookDelivery.objects.exists()  # nothing before the commit
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == wants and enqueued == [delivery.pk]
    assert delivery.payload["object"]["id"] == update.pk and delivery.payload["object"]["progress"] == 20


def test_a_rolled_back_write_publishes_nothing(enqueued, django_capture_on_commit_callbacks):
    WebhookFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        commitment_update_status(
            commitment=CommitmentFactory(), expected_version=0, author=None, status=Status.IN_PROGRESS
        )
        raise RuntimeError("the caller's transaction fails after the service")
    assert not WebhookDelivery.objects.exists() and enqueued == []


def test_each_domain_service_publishes_its_event(enqueued, django_capture_on_commit_callbacks):
    WebhookFactory(events=list(EventType.values))
    body = DialogueBodyFactory(short_name="SDD", established_on=date(2020, 1, 1))
    commitment = CommitmentFactory(responsible_body=body)
    with django_capture_on_commit_callbacks(execute=True):
        commitment_update(commitment=commitment, expected_edit_version=0, author=None, title="A new title")
    with django_capture_on_commit_callbacks(execute=True):
        overdue_sweep(on=date(2026, 11, 27))
    with django_capture_on_commit_callbacks(execute=True):
        meeting_record(body=body, held_on=date(2026, 11, 20), place="Tokyo", commitments=[commitment])
    by_type = {d.event_type: d.payload for d in WebhookDelivery.objects.all()}
    assert set(by_type) == {"commitment.changed", "body.overdue", "meeting.recorded"}
    assert by_type["commitment.changed"]["object"]["title"] == "A new title"
    assert by_type["body.overdue"]["object_type"] == "dialogue_body"
    assert by_type["body.overdue"]["object"]["short_name"] == "SDD"
    assert by_type["meeting.recorded"]["object"]["dialogue"] == "SDD"
    assert by_type["meeting.recorded"]["object"]["place"] == "Tokyo"


@pytest.mark.parametrize(
    ("event_type", "object_type"),
    [("status_update.withdrawn", "status_update"), ("meeting.withdrawn", "meeting")],
)
def test_withdrawal_events_are_delivered_to_hooks_that_want_them(
    event_type, object_type, enqueued, django_capture_on_commit_callbacks
):
    """The withdrawal services come from another branch; publishing their events directly shows the hooks are
    ready for them."""
    WebhookFactory(events=[event_type])
    WebhookFactory(events=[EventType.STATUS_UPDATE_CREATED])
    obj = StatusUpdateFactory() if object_type == "status_update" else MeetingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit(event_type, obj)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == event_type
    assert delivery.payload["object_type"] == object_type and delivery.payload["object"]["id"] == obj.pk


def test_an_unknown_event_type_or_no_object_makes_nothing(enqueued):
    WebhookFactory()
    dispatch("commitment.exploded", [CommitmentFactory()])
    publish_on_commit("commitment.changed")
    assert not WebhookDelivery.objects.exists()


def test_a_failing_subscriber_never_breaks_the_write(monkeypatch, django_capture_on_commit_callbacks):
    WebhookFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("serialiser bug")

    monkeypatch.setattr(services, "serialise", broken)
    with django_capture_on_commit_callbacks(execute=True):
        update = commitment_update_status(
            commitment=CommitmentFactory(), expected_version=0, author=None, status=Status.STALLED
        )
    assert update.pk and not WebhookDelivery.objects.exists()


# --- One attempt, against a real local receiver ------------------------------------------------------------------


def test_an_attempt_posts_the_frozen_envelope_and_logs_the_answer(receiver):
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url))
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.status == DeliveryStatus.SUCCEEDED and result.retry_in is None
    [request] = receiver.requests
    assert request.body == envelope_bytes(delivery.payload)
    assert json.loads(request.body)["id"] == str(delivery.event_id)
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.outcome, attempt.status_code, attempt.response_excerpt) == (
        1,
        AttemptOutcome.SUCCESS,
        200,
        "status 200",
    )
    # Settled: a redelivered task does nothing.
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1


def test_a_failed_attempt_asks_for_a_retry_until_the_limit(make_receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    failing = make_receiver(default=502)
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=failing.url))
    first = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert first.status == DeliveryStatus.PENDING and first.retry_in == settings.WEBHOOK_RETRY_BACKOFF_SECONDS
    second = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert second.status == DeliveryStatus.FAILED and second.retry_in is None
    assert Webhook.objects.get().consecutive_failures == 2


def test_a_connection_refused_is_a_logged_failure(settings):
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url="http://127.0.0.1:9/closed"))
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.outcome == AttemptOutcome.CONNECTION_ERROR and result.retry_in is not None
    assert "Connection" in WebhookAttempt.objects.get().error


def test_a_disabled_hook_cancels_its_pending_deliveries(receiver):
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url, disabled=True))
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.CANCELLED
    assert receiver.requests == []


def test_the_attempt_log_factory_makes_a_success():
    assert WebhookAttemptFactory().succeeded


# --- Private and loopback targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1"],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address):
    assert not is_public(address)


def test_public_addresses_are_public():
    assert is_public("193.0.6.139") and is_public("2001:67c:2e8:22::c100:68b")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]/hook", "http://10.0.0.5/x"]
)
def test_private_targets_are_refused_when_saved(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError) as error:
        Webhook(name="x", target_url=url, events=["meeting.recorded"], secret="s" * 20).full_clean()
    assert "private, loopback or reserved" in str(error.value.message_dict["target_url"])


@pytest.mark.parametrize("url", ["ftp://example.eu/x", "http://user:pw@example.eu/", "http:///nohost"])
def test_malformed_targets_are_refused(url):
    with pytest.raises(TargetRefused):
        check_target_url(url)


def test_a_host_that_resolves_to_loopback_at_send_time_is_refused_and_not_called(receiver, settings):
    """Saved while allowed (or while its name pointed elsewhere), it is checked again before each POST."""
    delivery = WebhookDeliveryFactory(
        webhook=WebhookFactory(target_url=receiver.url.replace("127.0.0.1", "localhost"))
    )
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.outcome == AttemptOutcome.REFUSED and result.status == DeliveryStatus.FAILED
    assert receiver.requests == []
    assert "refused" in WebhookAttempt.objects.get().error


def test_resolution_returns_every_address_when_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    scheme, host, port, addresses = resolve_target("http://localhost:8123/x")
    assert (scheme, host, port) == ("http", "localhost", 8123) and "127.0.0.1" in addresses


def test_the_delivery_record_names_its_event():
    delivery = WebhookDeliveryFactory(event_type=EventType.MEETING_WITHDRAWN)
    assert "meeting.withdrawn" in str(delivery)


def test_without_a_broker_a_failed_delivery_is_tried_once_not_retried_inline(make_receiver, settings):
    """Eager (embedded) mode must not hold the web request through every retry."""
    from webhooks.tasks import deliver_webhook

    failing = make_receiver(default=500)
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=failing.url))
    result = deliver_webhook.apply(args=[delivery.pk]).get()
    assert result["status"] == DeliveryStatus.PENDING and len(failing.requests) == 1
