"""The overdue sweep: which bodies it flags, which flags it closes, whom it tells, and that it does so only once."""

import datetime as dt
import smtplib
import threading
import time
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.template.loader import render_to_string

from dialogues import services
from dialogues.choices import FlagCloseReason, NotificationKind, NotificationStatus
from dialogues.models import DialogueBody, FlagNotification, OverdueFlag
from dialogues.selectors import open_flags_for
from dialogues.services import meeting_record, overdue_sweep
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory, MeetingFactory, OverdueFlagFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)


def at(day: dt.date, hour: int = 6):
    """Freeze the clock at ``hour`` o'clock on ``day`` (Brussels is UTC+1 in winter, +2 in summer: 06:00 UTC is
    the same calendar day in Brussels)."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def bodies():
    """A small reporting line on 27 November 2026, with a contact for each body.

    SUMMIT (12 months) last met 1 July 2026: due 1 July 2027, fine.
    SD reports to SUMMIT (12 months, 60 days' grace) last met 1 June 2025: due 1 June 2026, overdue after
    31 July 2026, so overdue on 27 Nov 2026 by 179 days past the due date.
    CYBER (12 months) last met 10 Jan 2026: fine. ADHOC has no cadence; OLD is inactive; neither is ever overdue.
    """
    summit = DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit", cadence_months=12)
    sd = DialogueBodyFactory(short_name="SD", name="Strategic Dialogue", cadence_months=12, reports_to=summit)
    cyber = DialogueBodyFactory(short_name="CYBER", name="Cyber Dialogue", cadence_months=12)
    adhoc = DialogueBodyFactory(short_name="ADHOC", ad_hoc=True, established_on=dt.date(2000, 1, 1))
    old = DialogueBodyFactory(short_name="OLD", inactive=True, established_on=dt.date(2000, 1, 1))
    MeetingFactory(body=summit, held_on=dt.date(2026, 7, 1))
    MeetingFactory(body=sd, held_on=dt.date(2025, 6, 1))
    MeetingFactory(body=cyber, held_on=dt.date(2026, 1, 10))
    ContactFactory(body=summit, email="sherpa@example.eu")
    ContactFactory(body=sd, email="sd-desk@example.eu")
    ContactFactory(body=sd, email="sd-deputy@example.eu")
    ContactFactory(body=cyber, email="cyber-desk@example.eu")
    return {b.short_name: b for b in [summit, sd, cyber, adhoc, old]}


def sweep(on=TODAY, capture=None):
    """Run the sweep and then its on-commit e-mails (the test runs inside a transaction that never commits, so
    they go out after the sweep returned: its ``notices_sent`` is 0 here; the e-mails are in ``mail.outbox``)."""
    with capture(execute=True):
        return overdue_sweep(on=on)


def test_sweep_opens_a_flag_for_the_overdue_body_and_emails_its_contacts_and_those_above_it(
    bodies, django_capture_on_commit_callbacks
):
    summary = sweep(capture=django_capture_on_commit_callbacks)

    assert summary.as_dict() == {
        "on": "2026-11-27",
        "opened": 1,
        "still_open": 0,
        "closed": 0,
        "notices_claimed": 1,
        "notices_sent": 0,  # sent on commit, after the service returned (see sweep() above)
        "opened_bodies": ["SD"],
    }
    flag = OverdueFlag.objects.get()
    assert flag.body == bodies["SD"] and flag.is_open
    assert (flag.due_on, flag.overdue_since, flag.days_overdue_at_opening) == (
        dt.date(2026, 6, 1),
        dt.date(2026, 8, 1),
        179,
    )
    (email,) = mail.outbox
    assert sorted(email.to) == ["sd-deputy@example.eu", "sd-desk@example.eu", "sherpa@example.eu"]
    assert email.subject == "Overdue: Strategic Dialogue has not met since its meeting was due on 1 June 2026"
    assert "http://127.0.0.1:8000/dialogues/SD/" in email.body
    assert "It last met on 1 June 2025" in email.body
    assert "179 days past the due date" in email.body
    assert "or of EU–Japan Summit, to which it reports" in email.body
    assert email.extra_headers["Message-ID"] == f"<overdue-flag-{flag.pk}-opened-0@127.0.0.1>"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"  # RFC 3834: no auto-replies, please
    notice = FlagNotification.objects.get()
    assert notice.claimed_at == flag.opened_at  # the sweep's moment, for the flag and the notice it claims
    assert (notice.kind, notice.status, notice.attempts) == (NotificationKind.OPENED, NotificationStatus.SENT, 1)
    assert notice.recipients == "sd-deputy@example.eu, sd-desk@example.eu, sherpa@example.eu"


def test_the_notice_of_a_body_last_met_in_a_month_names_the_month_not_a_day(
    bodies, django_capture_on_commit_callbacks
):
    """SD's last meeting is known only as "June 2025" (stored on the 1st): the notice must not say 1 June."""
    bodies["SD"].meetings.update(held_on_precision="month")
    sweep(capture=django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert "It last met in June 2025" in email.body and "1 June 2025" not in email.body
    # Nor a day for the due date that counts from it, nor a count of days from that day.
    assert "its next meeting was due in June 2026" in email.body and "1 June 2026" not in email.body
    assert "days past the due date" not in email.body
    assert email.subject.startswith("Overdue: ") and "was due in June 2026" in email.subject


def test_the_link_uses_site_url(bodies, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://tracker.example.eu"
    sweep(capture=django_capture_on_commit_callbacks)
    assert "https://tracker.example.eu/dialogues/SD/" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["Message-ID"].endswith("@tracker.example.eu>")


def test_without_a_host_in_site_url_the_message_id_names_localhost(
    bodies, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = ""
    sweep(capture=django_capture_on_commit_callbacks)
    flag = OverdueFlag.objects.get()
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<overdue-flag-{flag.pk}-opened-0@localhost>"


def test_running_the_sweep_again_opens_nothing_and_sends_nothing(bodies, django_capture_on_commit_callbacks):
    sweep(capture=django_capture_on_commit_callbacks)
    again = sweep(capture=django_capture_on_commit_callbacks)
    assert (again.opened, again.still_open, again.closed, again.notices_claimed) == (0, 1, 0, 0)
    assert OverdueFlag.objects.count() == 1 and FlagNotification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_body_overdue_from_its_start_is_flagged_and_says_no_meeting_is_on_record(django_capture_on_commit_callbacks):
    body = DialogueBodyFactory(short_name="NEW", cadence_months=6, grace_days=0, established_on=dt.date(2026, 1, 15))
    ContactFactory(body=body)
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert summary.opened_bodies == ("NEW",)
    assert OverdueFlag.objects.get().due_on == dt.date(2026, 7, 15)
    assert "It has no meeting on record since it started (15 January 2026)" in mail.outbox[0].body
    assert "assumed" not in mail.outbox[0].body.lower()  # its cadence and start are stated
    # The subject says what is known, that no meeting is on record, not that the body has not met.
    assert (
        mail.outbox[0].subject == "Overdue: Dialogue NEW has no meeting on record; its first was due on 15 July 2026"
    )


def test_an_overdue_notice_on_an_assumed_cadence_says_so(django_capture_on_commit_callbacks):
    body = DialogueBodyFactory(short_name="GUESS", assumed_cadence=True, established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body)
    sweep(capture=django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.subject.endswith("(on an assumed cadence)")
    assert "an ASSUMED cadence, not stated by any of the tracker's documents" in message.body
    assert "assumed by the tracker (its default): dialogues meet annually" in message.body
    assert "This flag rests on an assumption" in message.body


def test_the_day_before_and_the_last_day_of_grace_flag_nothing_the_day_after_does(
    bodies, django_capture_on_commit_callbacks
):
    # SD's grace ends on 31 July 2026.
    for day in (dt.date(2026, 7, 30), dt.date(2026, 7, 31)):
        assert sweep(on=day, capture=django_capture_on_commit_callbacks).opened == 0
    assert sweep(on=dt.date(2026, 8, 1), capture=django_capture_on_commit_callbacks).opened_bodies == ("SD",)
    assert OverdueFlag.objects.get().days_overdue_at_opening == 61


def test_a_meeting_recorded_outside_the_service_is_caught_by_the_next_sweep(
    bodies, django_capture_on_commit_callbacks
):
    sweep(capture=django_capture_on_commit_callbacks)
    meeting = MeetingFactory(body=bodies["SD"], held_on=dt.date(2026, 11, 20))  # e.g. entered in the admin
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert (summary.opened, summary.still_open, summary.closed) == (0, 0, 1)
    flag = OverdueFlag.objects.get()
    assert not flag.is_open
    assert (flag.close_reason, flag.closed_by_meeting) == (FlagCloseReason.MEETING, meeting)


def test_a_meeting_recorded_through_the_service_closes_the_flag_at_once(bodies, django_capture_on_commit_callbacks):
    sweep(capture=django_capture_on_commit_callbacks)
    with at(TODAY):
        meeting_record(body=bodies["SD"], held_on=dt.date(2026, 11, 26), place="Tokyo")
    assert not OverdueFlag.objects.filter(closed_at__isnull=True).exists()
    assert sweep(capture=django_capture_on_commit_callbacks).closed == 0


def test_deactivating_or_dropping_the_cadence_closes_the_flag_saying_why(bodies, django_capture_on_commit_callbacks):
    extra = DialogueBodyFactory(short_name="EXTRA", cadence_months=12, established_on=dt.date(2020, 1, 1))
    sweep(capture=django_capture_on_commit_callbacks)
    assert OverdueFlag.objects.filter(closed_at__isnull=True).count() == 2
    DialogueBody.objects.filter(pk=bodies["SD"].pk).update(active=False)
    extra.cadence_months = None
    extra.save()
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert summary.closed == 2
    reasons = dict(OverdueFlag.objects.values_list("body__short_name", "close_reason"))
    assert reasons == {"SD": FlagCloseReason.INACTIVE, "EXTRA": FlagCloseReason.NO_LONGER_OVERDUE}


def test_a_body_overdue_again_after_its_flag_closed_gets_a_new_flag_and_a_new_email(
    bodies, django_capture_on_commit_callbacks
):
    sweep(capture=django_capture_on_commit_callbacks)
    MeetingFactory(body=bodies["SD"], held_on=dt.date(2026, 1, 5))  # due 5 Jan 2027, overdue after 6 Mar 2027
    sweep(capture=django_capture_on_commit_callbacks)
    summary = sweep(on=dt.date(2027, 3, 7), capture=django_capture_on_commit_callbacks)
    assert summary.opened_bodies == ("SD",) and "SUMMIT" not in summary.opened_bodies
    assert OverdueFlag.objects.filter(body=bodies["SD"]).count() == 2
    assert len(mail.outbox) == 2


def test_a_reminder_every_30_days_while_the_flag_stays_open(bodies, django_capture_on_commit_callbacks):
    opened = dt.date(2026, 11, 27)
    sent_on = {}
    for offset in (0, 1, 29, 30, 31, 59, 60, 61):
        day = opened + dt.timedelta(days=offset)
        with at(day):
            before = len(mail.outbox)
            sweep(on=None, capture=django_capture_on_commit_callbacks)
            sent_on[offset] = [m.subject for m in mail.outbox[before:]]
    assert [offset for offset, subjects in sent_on.items() if subjects] == [0, 30, 60]
    assert sent_on[30] == ["Reminder: Strategic Dialogue is still overdue (209 days past due)"]
    notices = list(FlagNotification.objects.values_list("kind", "sequence", "status"))
    assert notices == [("opened", 0, "sent"), ("reminder", 1, "sent"), ("reminder", 2, "sent")]


def test_after_a_pause_only_the_latest_reminder_goes_out(bodies, django_capture_on_commit_callbacks):
    with at(TODAY):
        sweep(on=None, capture=django_capture_on_commit_callbacks)
    with at(TODAY + dt.timedelta(days=100)):  # the sweep did not run for three months
        summary = sweep(on=None, capture=django_capture_on_commit_callbacks)
    assert summary.notices_claimed == 1 and len(mail.outbox) == 2
    assert list(FlagNotification.objects.filter(kind="reminder").values_list("sequence", flat=True)) == [3]


def test_reminders_can_be_switched_off(bodies, django_capture_on_commit_callbacks, settings):
    settings.OVERDUE_REMINDER_DAYS = 0
    for offset in (0, 30, 60):
        with at(TODAY + dt.timedelta(days=offset)):
            sweep(on=None, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_reminders_switched_on_again_reach_a_flag_opened_while_they_were_off(
    bodies, django_capture_on_commit_callbacks, settings
):
    settings.OVERDUE_REMINDER_DAYS = 0
    for offset in (0, 1, 20):
        with at(TODAY + dt.timedelta(days=offset)):
            sweep(on=None, capture=django_capture_on_commit_callbacks)
    settings.OVERDUE_REMINDER_DAYS = 30
    with at(TODAY + dt.timedelta(days=29)):
        sweep(on=None, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1  # the flag is 29 days old: no reminder due yet
    with at(TODAY + dt.timedelta(days=30)):
        sweep(on=None, capture=django_capture_on_commit_callbacks)
    reminder = "Reminder: Strategic Dialogue is still overdue (209 days past due)"
    assert [m.subject for m in mail.outbox][1:] == [reminder]
    assert list(FlagNotification.objects.filter(kind="reminder").values_list("sequence", flat=True)) == [1]


def test_a_crash_between_claim_and_send_is_sent_once_by_the_next_sweep_after_the_lease(
    bodies, django_capture_on_commit_callbacks
):
    with at(TODAY, hour=5):
        # The process dies after committing its claim and before sending: the on-commit send never runs.
        with django_capture_on_commit_callbacks(execute=False):
            first = overdue_sweep(on=TODAY)
        assert first.notices_claimed == 1 and mail.outbox == []
        assert FlagNotification.objects.get().status == NotificationStatus.PENDING
    with time_machine.travel(dt.datetime(2026, 11, 27, 5, 20, tzinfo=dt.UTC), tick=False):
        # Within the lease (30 minutes) the claim still belongs to the first run: no one else sends it.
        assert sweep(capture=django_capture_on_commit_callbacks).notices_claimed == 0
    with time_machine.travel(dt.datetime(2026, 11, 27, 5, 31, tzinfo=dt.UTC), tick=False):
        taken_over = sweep(capture=django_capture_on_commit_callbacks)
    assert taken_over.notices_claimed == 1 and len(mail.outbox) == 1
    notice = FlagNotification.objects.get()
    assert (notice.status, notice.attempts) == (NotificationStatus.SENT, 2)
    with at(TODAY, hour=7):
        assert sweep(capture=django_capture_on_commit_callbacks).notices_claimed == 0
    assert len(mail.outbox) == 1


def test_a_mail_server_failure_keeps_the_notice_pending_then_gives_up(
    bodies, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.OVERDUE_NOTICE_MAX_ATTEMPTS = 3

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    for hour in (5, 6, 7, 8):  # one sweep an hour, past each lease
        with at(TODAY, hour=hour):
            sweep(capture=django_capture_on_commit_callbacks)
    notice = FlagNotification.objects.get()
    assert (notice.status, notice.attempts) == (NotificationStatus.FAILED, 3)
    assert "mail server went away" in notice.last_error
    assert mail.outbox == []


def test_an_unreachable_mail_server_leaves_everything_pending(
    bodies, django_capture_on_commit_callbacks, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert summary.opened == 1 and mail.outbox == []  # the flag stays even so
    notice = FlagNotification.objects.get()
    assert notice.status == NotificationStatus.PENDING and "ConnectionRefusedError" in notice.last_error
    assert "Could not connect to the mail server" in caplog.text


def test_a_body_without_any_contact_is_flagged_and_the_notice_recorded_as_unsendable(
    django_capture_on_commit_callbacks, caplog
):
    DialogueBodyFactory(short_name="LONELY", established_on=dt.date(2020, 1, 1))
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert summary.opened_bodies == ("LONELY",) and mail.outbox == []
    assert FlagNotification.objects.get().status == NotificationStatus.NO_RECIPIENTS
    assert "no contact to tell" in caplog.text
    assert sweep(capture=django_capture_on_commit_callbacks).notices_claimed == 0  # not retried every day


def test_a_notice_whose_flag_closed_before_sending_is_cancelled(bodies, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        overdue_sweep(on=TODAY)
    OverdueFlag.objects.update(closed_at=dt.datetime(2026, 11, 27, 7, tzinfo=dt.UTC), close_reason="meeting")
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert FlagNotification.objects.get().status == NotificationStatus.CANCELLED


def test_a_person_in_both_bodies_gets_one_copy(bodies, django_capture_on_commit_callbacks):
    ContactFactory(body=bodies["SUMMIT"], email="sd-desk@example.eu")
    sweep(capture=django_capture_on_commit_callbacks)
    assert sorted(mail.outbox[0].to) == ["sd-deputy@example.eu", "sd-desk@example.eu", "sherpa@example.eu"]


def test_the_sweep_runs_a_fixed_number_of_queries_whatever_the_number_of_bodies(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for n in range(40):
        DialogueBodyFactory(short_name=f"B-{n}", established_on=dt.date(2020, 1, 1))
    DialogueBodyFactory.create_batch(10, established_on=dt.date(2026, 10, 1))  # not overdue
    # Savepoints included; 1 + 10 bodies would need the same. One of them is the webhooks' subscriber reading the
    # active hooks after the commit (core.events: the flagged bodies are read only if a hook wants them), one the
    # count of open flags (the set-based run no longer reads every overdue body into Python to count them), one
    # marks the bodies flagged (has_open_flag).
    with django_assert_max_num_queries(16):
        summary = sweep(capture=django_capture_on_commit_callbacks)
    assert summary.opened == 40
    # The next day's run: savepoints, two empty reads of bodies out of line, one of notices due, the take-over of
    # stale notices and the count.
    with django_assert_max_num_queries(7):
        assert sweep(capture=django_capture_on_commit_callbacks).still_open == 40


def test_an_existing_open_flag_from_before_gets_its_opening_notice(bodies, django_capture_on_commit_callbacks):
    OverdueFlagFactory(body=bodies["SD"], due_on=dt.date(2026, 6, 1))
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert (summary.opened, summary.still_open, summary.notices_claimed) == (0, 1, 1)
    assert len(mail.outbox) == 1


def test_flags_and_notices_already_there_are_not_duplicated_even_when_a_run_read_before_they_were(
    bodies, django_capture_on_commit_callbacks
):
    """A run that reads a body as unflagged while it has an open flag (its mark lost, as if the flag had been
    opened outside the services) still inserts none: the insert ignores the conflict with the database's
    one-open-flag constraint, the run counts only its own, and it puts the mark back."""
    sweep(capture=django_capture_on_commit_callbacks)
    DialogueBody.objects.update(has_open_flag=False)
    summary = sweep(capture=django_capture_on_commit_callbacks)
    assert (summary.opened, summary.still_open, summary.notices_claimed) == (0, 1, 0)
    assert OverdueFlag.objects.count() == 1 and FlagNotification.objects.count() == 1
    assert len(mail.outbox) == 1
    assert list(DialogueBody.objects.filter(has_open_flag=True).values_list("short_name", flat=True)) == ["SD"]


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_open_one_flag_and_send_one_email_per_body(monkeypatch):
    """Two sweeps in two threads on PostgreSQL. The first holds its transaction open, the three bodies locked,
    until the second is blocked behind it: the second's query for bodies to flag started before the first
    committed, waits on their rows, and re-reads them as the first left them (flagged), so it opens nothing. (A
    run that did read them as unflagged is stopped by the database constraints: the test above.)"""
    for name in ("ALPHA", "BETA", "GAMMA"):
        ContactFactory(body=DialogueBodyFactory(short_name=name, established_on=dt.date(2020, 1, 1)))
    read_flags = services._bodies_to_flag
    seen, lock = [], threading.Lock()

    def hold_until_the_other_run_waits(overdue):
        to_flag = read_flags(overdue)
        with lock:
            first = not seen
            seen.append(len(to_flag))
        if first:
            deadline = time.monotonic() + 20
            while not _waiting_on_a_lock() and time.monotonic() < deadline:
                time.sleep(0.05)
        return to_flag

    monkeypatch.setattr(services, "_bodies_to_flag", hold_until_the_other_run_waits)
    results, errors = [], []

    def run():
        try:
            results.append(overdue_sweep(on=TODAY))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert seen == [3], "the second run should have found the three bodies flagged once the first committed"
    assert sorted(r.opened for r in results) == [0, 3]
    assert sorted(r.still_open for r in results) == [0, 3]
    assert sum(r.notices_sent for r in results) == 3
    assert OverdueFlag.objects.count() == 3
    assert FlagNotification.objects.count() == 3
    assert len(mail.outbox) == 3
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_racing_a_meeting_being_recorded_waits_for_it_and_opens_no_flag(bodies):
    """The meeting's transaction has moved SD's due date but not committed when the sweep starts: the sweep waits
    on SD's row and, once the meeting commits, re-reads it as no longer overdue."""
    recorded, release, outcome = threading.Event(), threading.Event(), {}

    def record_meeting():
        try:
            with transaction.atomic():
                meeting_record(body=bodies["SD"], held_on=dt.date(2026, 11, 20), place="Brussels")
                recorded.set()
                release.wait(20)
        finally:
            connection.close()

    def run_sweep():
        try:
            outcome["summary"] = overdue_sweep(on=TODAY)
        finally:
            connection.close()

    recorder = threading.Thread(target=record_meeting)
    recorder.start()
    assert recorded.wait(20)
    sweeper = threading.Thread(target=run_sweep)
    sweeper.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _waiting_on_a_lock(), "the sweep should be waiting for the meeting's transaction"
    release.set()
    recorder.join(30)
    sweeper.join(30)
    assert outcome["summary"].opened == 0
    assert not OverdueFlag.objects.exists() and mail.outbox == []


# --- What the pages show ------------------------------------------------------------------------------------------


def test_open_flags_for_gives_days_overdue_and_notices_in_one_query(
    bodies, django_capture_on_commit_callbacks, django_assert_num_queries
):
    extra = DialogueBodyFactory(short_name="EXTRA", name="Extra Dialogue", established_on=dt.date(2020, 1, 1))
    sweep(capture=django_capture_on_commit_callbacks)
    with django_assert_num_queries(1):
        flags = open_flags_for(on=dt.date(2026, 12, 1))
        assert [(f.body.short_name, f.days_overdue, f.notices_sent) for f in flags] == [
            ("EXTRA", 2160, 0),  # due 1 Jan 2021; no contact: flagged, nobody e-mailed
            ("SD", 183, 1),
        ]
        assert flags[1].body.reports_to.short_name == "SUMMIT"
    assert [f.body for f in open_flags_for(bodies=[extra])] == [extra]
    assert [f.body for f in open_flags_for(bodies=[bodies["SD"].pk])] == [bodies["SD"]]
    assert open_flags_for(bodies=[bodies["CYBER"]]) == []


def test_the_include_shows_each_open_flag(bodies, django_capture_on_commit_callbacks):
    sweep(capture=django_capture_on_commit_callbacks)
    html = render_to_string("dialogues/_overdue_flag.html", {"flags": open_flags_for(on=TODAY), "show_body": True})
    assert 'href="/dialogues/SD/"' in html and "Strategic Dialogue" in html
    assert '<time datetime="2026-06-01">1 June 2026</time>, 179 days ago' in html
    assert "Contacts e-mailed 1 time" in html
    body_page = render_to_string("dialogues/_overdue_flag.html", {"flags": open_flags_for(bodies=[bodies["SD"]])})
    assert "Strategic Dialogue" not in body_page and "Overdue." in body_page
    assert render_to_string("dialogues/_overdue_flag.html", {"flags": []}).strip() == ""


# --- The management command ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_command_runs_the_same_sweep_synchronously(bodies):
    out = StringIO()
    call_command("flag_overdue_dialogues", "--date", "2026-11-27", stdout=out)
    assert out.getvalue().strip() == (
        "Overdue sweep for 2026-11-27: 1 flag(s) opened (SD), 0 still open, 0 closed; 1 of 1 e-mail notice(s) sent."
    )
    assert len(mail.outbox) == 1


def test_the_command_refuses_a_bad_date_and_writes_nothing(bodies):
    with pytest.raises(CommandError, match="'27/11/2026' is not a date in the form YYYY-MM-DD"):
        call_command("flag_overdue_dialogues", "--date", "27/11/2026")
    assert not OverdueFlag.objects.exists()


# --- The seed data ------------------------------------------------------------------------------------------------

# Worked out by hand from fixtures/seed/03_bodies.yaml and 05_meetings.yaml (every cadence there is 12 months with
# 60 days' grace): the due date is 12 months after the last seeded meeting, or after the body's start if none. A
# date known only to the month or year counts from the last day it can mean: the body is due by the end of the
# month (or year) 12 months on.
SEED_OVERDUE_ON_27_NOV_2026 = {
    "CYBER": dt.date(2015, 12, 31),  # no meeting recorded; started in 2014 (EP-IDA 2.4, a year); cadence ASSUMED
    "SPACE": dt.date(2024, 1, 31),  # last met in January 2023 (a month); cadence ASSUMED
    "HLD-ENV": dt.date(2024, 1, 23),  # last met 23 Jan 2023; cadence ASSUMED
    "HLED": dt.date(2024, 6, 30),  # last met in June 2023 (a month); cadence ASSUMED
    "DPC": dt.date(2024, 7, 3),  # last met 3 Jul 2023; cadence ASSUMED
    "SUMMIT": dt.date(2024, 7, 13),  # last met 13 Jul 2023; annual (SDP §5)
    "SD": dt.date(2024, 7, 13),  # never met; launch decided 13 Jul 2023; annual (SDP §5)
    "SDD": dt.date(2025, 11, 1),  # never met; started 1 Nov 2024 (grace ended 31 Dec 2025); annual (SDP §5)
}
SEED_FLAGS_ON_ASSUMED_CADENCE = {"CYBER", "SPACE", "HLD-ENV", "HLED", "DPC"}
# Not flagged: NPD and HLD-CLIMATE have a cadence but neither a meeting nor a start date (cannot tell); SD-CONS is
# annual but inactive (upgraded into the SDD); ATALANTA-JMSDF, DEF-CONS, REG-DLG, JFRF, ENERGY-DLG, LNG-DLG,
# EUJ-CENTRE, SDP-THEMATIC, EP-DIET, ASEP and SP-2003-DLG have no cadence that a document gives or the tracker assumes.


def test_with_the_seed_data_on_27_november_2026_the_sweep_flags_exactly_the_bodies_past_cadence_and_grace(
    seed_data, django_capture_on_commit_callbacks
):
    with at(TODAY):
        summary = sweep(on=None, capture=django_capture_on_commit_callbacks)
    assert summary.on == TODAY
    assert summary.opened_bodies == ("CYBER", "DPC", "HLD-ENV", "HLED", "SD", "SDD", "SPACE", "SUMMIT")
    assert dict(OverdueFlag.objects.values_list("body__short_name", "due_on")) == SEED_OVERDUE_ON_27_NOV_2026
    on_assumption = {
        flag.body.short_name for flag in OverdueFlag.objects.all() if flag.body.schedule_rests_on_assumption
    }
    assert on_assumption == SEED_FLAGS_ON_ASSUMED_CADENCE
    summit = OverdueFlag.objects.get(body__short_name="SUMMIT")
    assert (summit.overdue_since, summit.days_overdue_at_opening) == (dt.date(2024, 9, 12), 867)
    # The seed names no contact: the flags are open, and the admin shows their notices as unsendable.
    assert set(FlagNotification.objects.values_list("status", flat=True)) == {NotificationStatus.NO_RECIPIENTS}
    assert mail.outbox == []
