"""Webhook services without a worker: events become deliveries after commit only, the payload is the API's
representation, attempts are logged, and private targets are refused when saved and when sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import subprocess
import time
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

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


# --- Handing deliveries to the worker, and disabling a failing hook --------------------------------------------------


def test_after_commit_each_delivery_goes_to_the_worker_and_reaches_the_receiver(
    receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """Without a broker the task runs in the process (eager): the receiver gets the POST once the write commits."""
    from tracker.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    hook = WebhookFactory(target_url=receiver.url, events=[EventType.STATUS_UPDATE_CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        commitment_update_status(
            commitment=CommitmentFactory(), expected_version=0, author=None, status=Status.STALLED
        )
        assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(webhook=hook)
    [request] = receiver.requests
    assert request.headers["X-Tracker-Delivery"] == str(delivery.event_id)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_broker_that_is_down_leaves_the_deliveries_pending_and_the_write_made(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from webhooks.tasks import deliver_webhook

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_webhook, "delay", down)
    WebhookFactory.create_batch(2, events=[EventType.STATUS_UPDATE_CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        update = commitment_update_status(
            commitment=CommitmentFactory(), expected_version=0, author=None, status=Status.STALLED
        )
    assert update.pk
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.status for d in deliveries] == [DeliveryStatus.PENDING, DeliveryStatus.PENDING]
    logged = [r.getMessage() for r in caplog.records if "Could not enqueue" in r.getMessage()]
    assert logged == [f"Could not enqueue webhook delivery {d.pk} (it stays pending)" for d in deliveries]


def test_a_hook_failing_the_configured_times_in_a_row_is_disabled_and_the_administrators_told(
    make_receiver, settings, mailoutbox
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    settings.ADMINS = [("Operations", "ops@example.eu")]
    UserFactory(username="root", email="root@example.eu", admin=True)
    UserFactory(username="gone", email="gone@example.eu", admin=True, is_active=False)
    UserFactory(username="nomail", email="", admin=True)
    UserFactory(username="editor", email="editor@example.eu", editor=True)
    failing = make_receiver(default=503)
    hook = WebhookFactory(name="ministry-feed", target_url=failing.url)
    first, second, third = WebhookDeliveryFactory.create_batch(3, webhook=hook)

    assert webhook_delivery_attempt(delivery_id=first.pk).status == DeliveryStatus.PENDING
    hook.refresh_from_db()
    assert hook.active and hook.consecutive_failures == 1 and mailoutbox == []

    result = webhook_delivery_attempt(delivery_id=second.pk)
    hook.refresh_from_db()
    assert not hook.active and hook.disabled_at is not None
    assert hook.disabled_reason == "2 consecutive failed deliveries (last: http_error)."
    # The hook is off: the failed delivery is not retried, and the others are cancelled when their turn comes.
    assert result.status == DeliveryStatus.CANCELLED and result.retry_in is None
    assert WebhookDelivery.objects.get(pk=second.pk).status == DeliveryStatus.CANCELLED
    assert webhook_delivery_attempt(delivery_id=third.pk).status == DeliveryStatus.CANCELLED
    assert len(failing.requests) == 2

    to_admins, to_superusers = mailoutbox
    assert to_admins.to == ["ops@example.eu"] and "Webhook ministry-feed disabled" in to_admins.subject
    assert to_superusers.to == ["root@example.eu"]
    assert to_superusers.subject == "[Tracker] Webhook ministry-feed disabled"
    for message in (to_admins, to_superusers):
        assert f"The webhook ministry-feed ({failing.url}) was disabled on " in message.body
        assert "2 consecutive failed deliveries (last: http_error)." in message.body
        assert f"{settings.SITE_URL}/admin/webhooks/webhook/{hook.pk}/change/" in message.body
        assert "tick 'active' again to resume deliveries" in message.body


def test_a_hook_is_disabled_once_and_the_administrators_told_once(settings, mailoutbox):
    settings.ADMINS = [("Operations", "ops@example.eu")]
    hook = WebhookFactory(name="feed")
    assert services.webhook_disable(webhook=hook, reason="r" * 400) is True
    assert services.webhook_disable(webhook=hook, reason="again") is False
    hook.refresh_from_db()
    assert not hook.active and hook.disabled_reason == "r" * 300
    assert len(mailoutbox) == 1


def test_a_mail_server_that_is_down_does_not_keep_a_failing_hook_active(settings, monkeypatch, caplog):
    settings.ADMINS = [("Operations", "ops@example.eu")]

    def down(*args, **kwargs):
        raise ConnectionRefusedError("no SMTP")

    monkeypatch.setattr(services, "mail_admins", down)
    hook = WebhookFactory(name="feed")
    assert services.webhook_disable(webhook=hook, reason="too many failures") is True
    assert not Webhook.objects.get(pk=hook.pk).active
    assert any("Could not tell the administrators that webhook feed" in r.getMessage() for r in caplog.records)


# --- What the receiver gets, and what the attempt log says ---------------------------------------------------------


def _headers(request) -> dict[str, str]:
    """Header names are case-insensitive (RFC 9110)."""
    return {name.lower(): value for name, value in request.headers.items()}


class _Clock:
    """``time.monotonic`` for the service: 100 s, then 101.5 s (an attempt that takes 1,500 ms)."""

    def __init__(self) -> None:
        self.readings = iter([100.0, 101.5])

    def monotonic(self) -> float:
        return next(self.readings)


def test_the_receiver_gets_the_sorted_compact_signed_envelope_at_the_hooks_path_and_the_attempt_is_logged(
    make_receiver, monkeypatch
):
    receiver = make_receiver(default=202, payload=b"\xffok " + b"x" * 4999)
    hook = WebhookFactory(target_url=receiver.url + "/a/b?next=http://example.eu/c")
    delivery = WebhookDeliveryFactory(
        webhook=hook,
        event_type=EventType.MEETING_RECORDED,
        payload={"type": "meeting.recorded", "object": {"title": "Café", "id": 7}, "id": "e-1"},
    )
    monkeypatch.setattr(services, "time", _Clock())
    before = timezone.now()
    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    [request] = receiver.requests
    assert request.path == "/hooks/tracker/a/b?next=http://example.eu/c"
    assert request.body == b'{"id":"e-1","object":{"id":7,"title":"Caf\\u00e9"},"type":"meeting.recorded"}'
    headers = _headers(request)
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "EU-Japan-tracker-webhooks/1"
    assert headers["x-tracker-event"] == "meeting.recorded"
    assert headers["x-tracker-delivery"] == str(delivery.event_id)
    expected = "sha256=" + hmac.new(hook.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert headers["x-tracker-signature"] == expected

    assert result == services.AttemptResult(
        delivery_id=delivery.pk,
        status=DeliveryStatus.SUCCEEDED,
        attempt=1,
        outcome=AttemptOutcome.SUCCESS,
        status_code=202,
    )
    assert result.as_dict() == {
        "delivery": delivery.pk,
        "status": "succeeded",
        "attempt": 1,
        "outcome": "success",
        "status_code": 202,
    }
    attempt = WebhookAttempt.objects.get()
    assert attempt.delivery == delivery and attempt.number == 1 and attempt.duration_ms == 1500
    assert before <= attempt.started_at <= request.on  # when the POST began, not when it was logged
    # The first 1,000 characters of the answer, an undecodable byte shown as such.
    assert attempt.response_excerpt == "\ufffdok " + "x" * 996 and attempt.error == ""
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert before <= delivery.completed_at <= timezone.now()


def test_a_target_without_a_path_is_posted_at_the_root(receiver):
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url.removesuffix("/hooks/tracker")))
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert [request.path for request in receiver.requests] == ["/"]


def test_the_post_goes_to_the_address_checked_and_names_the_host(make_receiver, monkeypatch):
    """The address resolved and checked is the one connected to (no second lookup that DNS could change)."""
    receiver = make_receiver(host="127.0.0.2")
    port = receiver.server.server_address[1]
    monkeypatch.setattr(services, "resolve_target", lambda url: ("http", "hooks.example.eu", port, ["127.0.0.2"]))
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=f"http://hooks.example.eu:{port}/in"))
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert request.path == "/in" and _headers(request)["host"] == f"hooks.example.eu:{port}"


def test_a_redirect_is_a_failure_and_is_not_followed(make_receiver):
    receiver = make_receiver(default=300)
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url))
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert (result.outcome, result.status_code, result.status) == (AttemptOutcome.HTTP_ERROR, 300, "pending")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("stall", ["before answering", "after 4,000 bytes of the answer"])
def test_a_receiver_that_stalls_is_a_timeout_after_the_configured_seconds(make_receiver, settings, stall):
    """Only the first 4,000 bytes of an answer are read: a receiver that stalls after them is no timeout."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    if stall == "before answering":
        receiver = make_receiver(hang=True, hang_seconds=3)
    else:
        receiver = make_receiver(payload=b"y" * 4000, withheld=1000, hang_seconds=3)
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url))
    started = time.monotonic()
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert time.monotonic() - started < 2.5
    attempt = WebhookAttempt.objects.get()
    if stall == "before answering":
        assert result.outcome == AttemptOutcome.TIMEOUT and result.status_code is None
        assert attempt.error.startswith("No answer within 0.3 s (")
        assert result.retry_in == settings.WEBHOOK_RETRY_BACKOFF_SECONDS
    else:
        assert result.outcome == AttemptOutcome.SUCCESS and attempt.response_excerpt == "y" * 1000


def test_a_missing_a_settled_or_a_raced_delivery_is_left_alone(monkeypatch):
    assert webhook_delivery_attempt(delivery_id=999_999) == services.AttemptResult(
        delivery_id=999_999, status="missing"
    )
    settled = WebhookDeliveryFactory(status=DeliveryStatus.SUCCEEDED)
    assert webhook_delivery_attempt(delivery_id=settled.pk) == services.AttemptResult(
        delivery_id=settled.pk, status=DeliveryStatus.SUCCEEDED
    )
    # Another worker took attempt 1 between this one's read and its claim.
    raced = WebhookDeliveryFactory()
    bystander = WebhookDeliveryFactory(webhook=raced.webhook)
    original = WebhookDelivery.objects.filter

    def race_then_claim(**conditions):
        if "attempts" in conditions:  # the claim: the other worker got there first
            original(pk=raced.pk).update(attempts=1)
        return original(**conditions)

    monkeypatch.setattr(WebhookDelivery.objects, "filter", race_then_claim)
    assert webhook_delivery_attempt(delivery_id=raced.pk) == services.AttemptResult(
        delivery_id=raced.pk, status="claimed-elsewhere"
    )
    assert WebhookDelivery.objects.get(pk=raced.pk).attempts == 1
    assert WebhookDelivery.objects.get(pk=bystander.pk).attempts == 0 and not WebhookAttempt.objects.exists()


def test_a_disabled_hooks_delivery_is_cancelled_alone(receiver):
    hook = WebhookFactory(target_url=receiver.url, disabled=True)
    delivery, other = WebhookDeliveryFactory.create_batch(2, webhook=hook)
    elsewhere = WebhookDeliveryFactory()
    before = timezone.now()
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == services.AttemptResult(
        delivery_id=delivery.pk, status=DeliveryStatus.CANCELLED
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED and before <= delivery.completed_at <= timezone.now()
    assert delivery.attempts == 0 and not WebhookAttempt.objects.exists() and receiver.requests == []
    for untouched in (other, elsewhere):
        untouched.refresh_from_db()
        assert untouched.status == DeliveryStatus.PENDING and untouched.completed_at is None


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"events": []}, {"events": ["Choose at least one event."]}),
        ({"events": "meeting.recorded"}, {"events": ["Choose at least one event."]}),
        (
            {"events": ["meeting.recorded", "commitment.exploded", "body.vanished"]},
            {"events": ["Unknown event type: body.vanished, commitment.exploded."]},
        ),
        ({"secret": "s" * 15}, {"secret": ["The secret needs at least 16 characters."]}),
        ({"secret": "s" * 16}, {}),
    ],
)
def test_a_hook_needs_known_events_and_a_secret_of_16_characters(changes, errors):
    hook = Webhook(name="x", target_url="https://hooks.example.eu/in", events=["meeting.recorded"], secret="s" * 20)
    for name, value in changes.items():
        setattr(hook, name, value)
    if errors:
        with pytest.raises(ValidationError) as excinfo:
            hook.clean()
        assert excinfo.value.message_dict == errors
    else:
        hook.clean()


def _certificate_authority(folder) -> tuple[str, ssl.SSLContext]:
    """A throw-away CA (its file, to trust) and a server context with its certificate for hooks.example.eu."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)  # noqa: S603, S607

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")  # quick to make, unlike RSA
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    openssl("req", *ec, "-keyout", "hook.key", "-out", "hook.csr",
            "-subj", "/CN=hooks.example.eu")  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=DNS:hooks.example.eu\n")
    openssl("x509", "-req", "-in", "hook.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "hook.pem", "-days", "2", "-extfile", "san.cnf")  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "hook.pem", folder / "hook.key")
    return str(folder / "ca.pem"), server


@pytest.fixture(scope="module")
def certificate_authority(tmp_path_factory):
    return _certificate_authority(tmp_path_factory.mktemp("ca"))


def test_an_https_target_is_reached_at_the_checked_address_with_its_certificate_checked_for_its_name(
    make_receiver, monkeypatch, certificate_authority
):
    ca, server = certificate_authority
    receiver = make_receiver(tls=server, host="127.0.0.2")  # not the default address: the one checked is used
    port = receiver.server.server_address[1]
    monkeypatch.setenv("SSL_CERT_FILE", ca)  # the client trusts the test CA (read when its context is made)

    def resolve(url):  # both names point at the receiver, as a checked lookup would say
        return "https", url.split("/")[2].split(":")[0], port, ["127.0.0.2"]

    monkeypatch.setattr(services, "resolve_target", resolve)
    good = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=f"https://hooks.example.eu:{port}/in"))
    assert webhook_delivery_attempt(delivery_id=good.pk).status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert request.path == "/in" and _headers(request)["host"] == f"hooks.example.eu:{port}"

    # The same server under a name its certificate does not cover: refused by the client, nothing posted.
    wrong = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=f"https://elsewhere.example.eu:{port}/in"))
    result = webhook_delivery_attempt(delivery_id=wrong.pk)
    assert result.outcome == AttemptOutcome.CONNECTION_ERROR and len(receiver.requests) == 1
    assert "SSLCertVerificationError" in WebhookAttempt.objects.get(delivery=wrong).error


# --- What operators see when deliveries fail, and what one hook's failures leave alone ------------------------------


def test_a_success_clears_the_hooks_count_of_failures_in_a_row(receiver):
    hook = WebhookFactory(target_url=receiver.url, consecutive_failures=3)
    other = WebhookFactory(consecutive_failures=2)
    delivery = WebhookDeliveryFactory(webhook=hook)
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 0
    assert Webhook.objects.get(pk=other.pk).consecutive_failures == 2


def test_a_failed_attempt_is_logged_for_the_operators_with_its_hook_delivery_number_and_error(caplog):
    hook = WebhookFactory(name="ministry-feed", target_url="http://127.0.0.1:9/closed")
    delivery = WebhookDeliveryFactory(webhook=hook)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_excerpt == "" and attempt.status_code is None  # no answer, so no excerpt
    [record] = [r for r in caplog.records if r.name == "webhooks.services"]
    assert record.levelname == "WARNING"
    assert record.getMessage() == (
        f"Webhook {hook}, delivery {delivery.pk}, attempt 1: {AttemptOutcome.CONNECTION_ERROR} {attempt.error}"
    )


def test_a_delivery_given_up_or_cancelled_is_completed_at_that_moment(make_receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    failing = make_receiver(default=500)
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=failing.url))
    before = timezone.now()
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and before <= delivery.completed_at <= timezone.now()

    settings.WEBHOOK_MAX_ATTEMPTS, settings.WEBHOOK_DISABLE_AFTER_FAILURES = 5, 1
    cancelled = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=failing.url))
    assert webhook_delivery_attempt(delivery_id=cancelled.pk).status == DeliveryStatus.CANCELLED
    cancelled.refresh_from_db()
    assert cancelled.status == DeliveryStatus.CANCELLED and before <= cancelled.completed_at <= timezone.now()


def test_one_failing_hook_is_disabled_alone_and_its_delivery_cancelled_while_others_stay_active(
    make_receiver, settings, caplog
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    failing = make_receiver(default=503)
    hook = WebhookFactory(name="ministry-feed", target_url=failing.url)
    healthy = WebhookFactory(name="press-feed")
    delivery = WebhookDeliveryFactory(webhook=hook)
    waiting = WebhookDeliveryFactory(webhook=healthy)
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.status == DeliveryStatus.CANCELLED and result.retry_in is None
    assert Webhook.objects.get(pk=hook.pk).active is False
    healthy.refresh_from_db()
    assert healthy.active and healthy.disabled_at is None and healthy.disabled_reason == ""
    assert WebhookDelivery.objects.get(pk=waiting.pk).status == DeliveryStatus.PENDING
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == ["Webhook ministry-feed disabled: 1 consecutive failed deliveries (last: http_error)."]


def test_the_disabling_e_mail_tells_how_to_resume(settings, mailoutbox):
    settings.ADMINS = [("Operations", "ops@example.eu")]
    hook = WebhookFactory(name="feed")
    services.webhook_disable(webhook=hook, reason="too many failures")
    [message] = mailoutbox
    assert message.body.endswith("change/\nFix the receiver, then tick 'active' again to resume deliveries.")


def test_a_mail_server_that_refuses_the_administrators_e_mail_is_logged(settings, caplog):
    """A real SMTP connection to a closed port: mail_admins must not swallow the failure."""
    settings.ADMINS = [("Operations", "ops@example.eu")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    hook = WebhookFactory(name="feed")
    assert services.webhook_disable(webhook=hook, reason="too many failures") is True
    assert not Webhook.objects.get(pk=hook.pk).active
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert logged == [f"Could not tell the administrators that webhook {hook} was disabled"]


def test_each_object_of_an_event_is_one_event_with_its_own_id_and_envelope(
    enqueued, django_capture_on_commit_callbacks
):
    first, second = WebhookFactory.create_batch(2, events=[EventType.MEETING_RECORDED])
    meetings = MeetingFactory.create_batch(2)
    occurred_at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        created = services.webhook_events_record(EventType.MEETING_RECORDED, meetings, occurred_at=occurred_at)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert len(deliveries) == 4 and created == [d.pk for d in deliveries] and enqueued == created
    for delivery in deliveries:
        assert set(delivery.payload) == {"id", "type", "created_at", "object_type", "object"}
        assert delivery.payload["id"] == str(delivery.event_id)
        assert delivery.payload["type"] == "meeting.recorded" and delivery.event_type == "meeting.recorded"
        assert delivery.payload["created_at"] == occurred_at.isoformat()
    by_event = {}
    for delivery in deliveries:
        by_event.setdefault(delivery.event_id, []).append(delivery)
    assert len(by_event) == 2  # one event per meeting, delivered to both hooks
    for same_event in by_event.values():
        assert {d.webhook for d in same_event} == {first, second}
        assert len({d.payload["object"]["id"] for d in same_event}) == 1
    assert {d.payload["object"]["id"] for d in deliveries} == {m.pk for m in meetings}


def test_a_delivery_settled_by_another_worker_after_it_was_read_is_not_sent_nor_overwritten(receiver, monkeypatch):
    """A stand-in for another worker: the delivery changes between this worker's read and its conditional write."""
    original = WebhookDelivery.objects.filter
    cancelled_meanwhile = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url))
    succeeded_meanwhile = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=receiver.url, disabled=True))

    def settle_first(**conditions):
        if "status" in conditions and conditions.get("pk") == cancelled_meanwhile.pk:
            original(pk=cancelled_meanwhile.pk).update(status=DeliveryStatus.CANCELLED)
        if "status" in conditions and conditions.get("pk") == succeeded_meanwhile.pk:
            original(pk=succeeded_meanwhile.pk).update(status=DeliveryStatus.SUCCEEDED)
        return original(**conditions)

    monkeypatch.setattr(WebhookDelivery.objects, "filter", settle_first)
    assert webhook_delivery_attempt(delivery_id=cancelled_meanwhile.pk).status == "claimed-elsewhere"
    assert receiver.requests == [] and not WebhookAttempt.objects.exists()
    cancelled_meanwhile.refresh_from_db()
    assert cancelled_meanwhile.status == DeliveryStatus.CANCELLED and cancelled_meanwhile.attempts == 0

    webhook_delivery_attempt(delivery_id=succeeded_meanwhile.pk)
    succeeded_meanwhile.refresh_from_db()
    assert succeeded_meanwhile.status == DeliveryStatus.SUCCEEDED and succeeded_meanwhile.completed_at is None


def test_an_https_receiver_that_stalls_is_a_timeout_after_the_configured_seconds(
    make_receiver, monkeypatch, certificate_authority, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    ca, server = certificate_authority
    receiver = make_receiver(tls=server, hang=True, hang_seconds=3)
    port = receiver.server.server_address[1]
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    monkeypatch.setattr(services, "resolve_target", lambda url: ("https", "hooks.example.eu", port, ["127.0.0.1"]))
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(target_url=f"https://hooks.example.eu:{port}/in"))
    started = time.monotonic()
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert time.monotonic() - started < 2.5
    assert result.outcome == AttemptOutcome.TIMEOUT and len(receiver.requests) == 1
    assert WebhookAttempt.objects.get().error.startswith("No answer within 0.3 s (")
