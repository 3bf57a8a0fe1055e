"""The weekly digest: what it reports, exactly once per user and period, through a real SMTP server, and the
signed one-click unsubscribe."""

from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from commitments.choices import PolicyArea, Status
from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory, OverdueFlagFactory
from subscriptions.choices import DigestStatus, FollowKind
from subscriptions.models import Digest, FollowerSettings
from subscriptions.services import digests_run, follow_add, unsubscribe_token
from subscriptions.tasks import send_weekly_digests
from subscriptions.tests.factories import DigestFactory, FollowerSettingsFactory, FollowFactory
from tests.support import registered_task
from tracker.celery import app as celery_app

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = dt.date(2026, 11, 30)
LAST_WEEK = dt.datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)


def at(day: dt.date, hour: int = 8):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=BRUSSELS), tick=False)


@pytest.fixture
def followers(db):
    """alice follows SDP §7 (achieved last week, with evidence); bob follows the body SDD (met last week) and the
    cyber area (a target date passed); carol follows a commitment where nothing happened; dave has no digest."""
    body = DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue")
    watched = CommitmentFactory(reference="SDP §7", title="Maritime exercises", responsible_body=None)
    quiet = CommitmentFactory(reference="SDP §9", title="Quiet one")
    CommitmentFactory(
        reference="SDP §12", title="Cyber table-top", area=PolicyArea.CYBER, target_date=dt.date(2026, 11, 27)
    )
    alice = UserFactory(username="alice", email="alice@example.eu")
    bob = UserFactory(username="bob", email="bob@example.eu")
    carol = UserFactory(username="carol", email="carol@example.eu")
    dave = UserFactory(username="dave", email="dave@example.eu")
    follow_add(user=alice, kind=FollowKind.COMMITMENT, target=watched)
    follow_add(user=bob, kind=FollowKind.BODY, target=body)
    follow_add(user=bob, kind=FollowKind.AREA, target=PolicyArea.CYBER)
    follow_add(user=carol, kind=FollowKind.COMMITMENT, target=quiet)
    follow_add(user=dave, kind=FollowKind.COMMITMENT, target=watched)
    FollowerSettings.objects.filter(user=dave).update(digest_weekday=None)
    StatusUpdateFactory(
        commitment=watched,
        status=Status.ACHIEVED,
        evidence_url="https://www.mofa.go.jp/press/release/2026/joint.html",
        evidence_reference="Joint press release of 24 November 2026",
        recorded_at=LAST_WEEK,
    )
    StatusUpdateFactory(commitment=quiet, status=Status.IN_PROGRESS, recorded_at=LAST_WEEK - dt.timedelta(days=30))
    meeting = MeetingFactory(body=body, held_on=dt.date(2026, 11, 20), place="Brussels")
    type(meeting).objects.filter(pk=meeting.pk).update(created_at=LAST_WEEK)
    OverdueFlagFactory(body=DialogueBodyFactory(short_name="OTHER"), opened_at=LAST_WEEK)  # nobody follows it
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


def _run(on=MONDAY):
    with at(on):
        return digests_run(on=on)


@pytest.mark.django_db
def test_the_digest_tells_each_follower_what_changed_in_what_they_follow(
    followers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        summary = _run()
    assert summary.claimed == 3  # alice, bob, carol (dave has no digest)
    by_user = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_user) == ["alice@example.eu", "bob@example.eu"]  # nothing to say to carol: no e-mail
    alice = by_user["alice@example.eu"]
    assert "1 change" in alice.subject
    assert "SDP §7 Maritime exercises: Not started -> Achieved" in alice.body
    assert "Joint press release of 24 November 2026" in alice.body
    assert "https://www.mofa.go.jp/press/release/2026/joint.html" in alice.body
    assert "http://127.0.0.1:8000/commitments/" in alice.body
    assert "Cyber" not in alice.body and "Security and Defence Dialogue" not in alice.body
    html, mimetype = alice.alternatives[0]
    assert mimetype == "text/html" and "<strong>Achieved</strong>" in html and 'href="http://127.0.0.1:8000/' in html
    assert alice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/follow/unsubscribe/" in alice.extra_headers["List-Unsubscribe"]
    bob = by_user["bob@example.eu"]
    assert "MEETINGS HELD" in bob.body and "met on 20 November 2026 in Brussels" in bob.body
    assert "TARGET DATES PASSED" in bob.body and "SDP §12 Cyber table-top: due 27 November 2026" in bob.body
    assert "STATUS CHANGES" not in bob.body and "OTHER" not in bob.body
    statuses = dict(Digest.objects.values_list("user__username", "status"))
    assert statuses == {"alice": DigestStatus.SENT, "bob": DigestStatus.SENT, "carol": DigestStatus.EMPTY}


@pytest.mark.django_db
def test_a_meeting_known_by_its_month_is_reported_by_its_month(followers, django_capture_on_commit_callbacks):
    """Entered last week, an old meeting the documents date only as "January 2023" (stored on the 1st)."""
    meeting = MeetingFactory(
        body=DialogueBodyFactory(short_name="SDD"), held_on=dt.date(2023, 1, 1), held_on_precision="month"
    )
    type(meeting).objects.filter(pk=meeting.pk).update(created_at=LAST_WEEK, place="")
    with django_capture_on_commit_callbacks(execute=True):
        _run()
    (bob,) = [message for message in mail.outbox if message.to == ["bob@example.eu"]]
    assert "- Security and Defence Dialogue (SDD) met in January 2023\n" in bob.body
    assert "met on 20 November 2026 in Brussels" in bob.body  # a known day stays a day
    html, _ = bob.alternatives[0]
    assert "</a> met in January 2023</li>" in html
    assert "1 January 2023" not in bob.body and "1 January 2023" not in html


@pytest.mark.django_db
def test_a_second_run_on_the_same_day_sends_nothing_and_next_week_covers_only_the_new(
    followers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _run()
        again = _run()
    assert again.claimed == 0 and len(mail.outbox) == 2
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _run(MONDAY + dt.timedelta(days=7))
    assert mail.outbox == []  # nothing happened since the last digest
    assert Digest.objects.filter(due_on=MONDAY + dt.timedelta(days=7), status=DigestStatus.EMPTY).count() == 3
    first = Digest.objects.get(user=followers["alice"], due_on=MONDAY)
    second = Digest.objects.get(user=followers["alice"], due_on=MONDAY + dt.timedelta(days=7))
    assert second.period_start == first.period_end


@pytest.mark.django_db
def test_only_users_whose_day_it_is_get_one(followers, django_capture_on_commit_callbacks):
    FollowerSettings.objects.filter(user=followers["alice"]).update(digest_weekday=2)  # Wednesday
    with django_capture_on_commit_callbacks(execute=True):
        _run()
    assert [m.to for m in mail.outbox] == [["bob@example.eu"]]


@pytest.mark.django_db
def test_a_digest_claimed_by_a_run_that_died_is_sent_once_after_its_lease(
    followers, settings, django_capture_on_commit_callbacks
):
    """A worker killed between the claim and the send leaves the digest pending; runs within the lease leave it
    alone (the dead run may still be sending), the first run after the lease takes it over and sends it."""
    settings.DIGEST_LEASE_MINUTES = 30
    with at(MONDAY):
        dead = DigestFactory(
            user=followers["alice"],
            due_on=MONDAY,
            period_start=timezone.now() - dt.timedelta(days=7),
            period_end=timezone.now().replace(hour=0),
        )
    with django_capture_on_commit_callbacks(execute=True), at(MONDAY, 8):
        digests_run(on=MONDAY)
    assert "alice@example.eu" not in [m.to[0] for m in mail.outbox]
    with django_capture_on_commit_callbacks(execute=True), at(MONDAY, 9):
        summary = digests_run(on=MONDAY)
    assert summary.claimed == 1
    assert [m.to[0] for m in mail.outbox].count("alice@example.eu") == 1
    dead.refresh_from_db()
    assert dead.status == DigestStatus.SENT and dead.attempts == 2


# --- Through a real SMTP server -------------------------------------------------------------------------------------


@pytest.mark.postgres  # SQLite's in-memory test database locks whole tables across threads
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_one_email_per_user(followers, smtp_server):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(5)
            with at(MONDAY):
                results.append(digests_run(on=MONDAY))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(r.claimed for r in results) == [0, 3]
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["alice@example.eu", "bob@example.eu"]
    assert Digest.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_unsubscribe_link_in_the_email_works_without_signing_in(followers, smtp_server):
    with at(MONDAY):
        digests_run(on=MONDAY)
    [message] = [m for m in smtp_server.wait_for(2) if m["To"] == "alice@example.eu"]
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:8000(/follow/unsubscribe/[^/\s]+/)", text)[1]
    html = message.get_body(("html",)).get_content()
    assert link in html and message["List-Unsubscribe"].strip() == f"<http://127.0.0.1:8000{link}>"
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(link)
    assert page.status_code == 200 and b"Stop the weekly digest" in page.content
    # The mail program's RFC 8058 one-click POST: no session, no CSRF token.
    done = anonymous.post(link, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"no more weekly digests" in done.content
    assert FollowerSettings.objects.get(user=followers["alice"]).digest_weekday is None
    assert FollowerSettings.objects.get(user=followers["bob"]).digest_weekday == 0


@pytest.mark.django_db
def test_an_unsubscribe_link_cannot_be_forged(followers, client):
    bob = followers["bob"]
    genuine = unsubscribe_token(user=followers["alice"])
    payload, signature = genuine.rsplit(":", 1)
    forged = [
        signing.dumps({"u": bob.pk}, salt="another-salt", compress=True),  # signed for something else
        signing.dumps({"u": bob.pk}, key="not-the-secret-key", salt="subscriptions.digest.unsubscribe"),
        f"{payload}:{signature[:-2]}xx",  # tampered signature
        genuine.replace(genuine[1], "A" if genuine[1] != "A" else "B", 1),  # tampered payload
        "garbage",
    ]
    for token in forged:
        assert client.get(f"/follow/unsubscribe/{token}/").status_code == 400, token
        assert client.post(f"/follow/unsubscribe/{token}/").status_code == 400, token
    assert FollowerSettings.objects.filter(digest_weekday=None).count() == 1  # dave, as before


# --- The task, its schedule and a real worker ---------------------------------------------------------------------


@pytest.mark.django_db
def test_beat_runs_the_digest_daily_at_seven_in_brussels():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="subscriptions.tasks.send_weekly_digests")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("7", "0")
    assert str(task.crontab.timezone) == "Europe/Brussels"
    registered = registered_task("subscriptions.tasks.send_weekly_digests")
    assert registered.acks_late and registered.reject_on_worker_lost and registered.time_limit


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_task_sent_twice_to_two_concurrent_workers_emails_once_per_user(followers, smtp_server):
    assert not celery_app.conf.task_always_eager
    celery_app.control.purge()
    first, second = send_weekly_digests.delay(MONDAY.isoformat()), send_weekly_digests.delay(MONDAY.isoformat())
    with start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30):
        summaries = [first.get(timeout=60), second.get(timeout=60)]
    assert sorted(s["claimed"] for s in summaries) == [0, 3]
    assert sorted(s["sent"] for s in summaries) == [0, 2]
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["alice@example.eu", "bob@example.eu"]


@pytest.mark.django_db
def test_the_factories_make_consistent_rows():
    follow = FollowFactory(of_area=True)
    assert follow.kind == FollowKind.AREA and follow.area and follow.commitment is None
    assert FollowerSettingsFactory(user=follow.user).digest_weekday == 0
    assert DigestFactory(sent=True).status == DigestStatus.SENT


@pytest.mark.django_db
def test_an_undated_seeded_assessment_is_no_period_news_in_a_digest(seed_data):
    """The seed records that the 2001 Action Plan stalled from a document that gives no date for it: the moment the
    seed was loaded is no day anything happened, so the digest of that week does not report it."""
    from commitments.models import Commitment
    from subscriptions.selectors import Scope, digest_content

    commitment = Commitment.objects.get(reference="AP-2001 (MARTENS Ever-Closer)")
    loaded = commitment.updates.get().recorded_at
    scope = Scope(agreement_ids=frozenset({commitment.agreement_id}))
    content = digest_content(scope=scope, start=loaded - dt.timedelta(days=7), end=loaded + dt.timedelta(days=1))
    assert commitment.status == Status.STALLED and content.status_changes == []
