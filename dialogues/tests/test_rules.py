"""Rules of the dialogue bodies that only show with more than one of a kind, a day other than today, or rows read
back from the database: the sweep over several bodies and flags of different ages, notices retried, reporting
lines that loop in the stored data, meetings removed, moved or recorded with their source."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from commitments.tests.factories import SourceDocumentFactory, UserFactory
from dialogues.choices import BodyState, FlagCloseReason, NotificationKind, NotificationStatus
from dialogues.models import DialogueBody, FlagNotification, Meeting, OverdueFlag, Schedule, body_state
from dialogues.services import (
    MeetingConflict,
    meeting_delete,
    meeting_record,
    meeting_save,
    overdue_sweep,
)
from dialogues.tests.factories import (
    ContactFactory,
    DialogueBodyFactory,
    FlagNotificationFactory,
    MeetingFactory,
    OverdueFlagFactory,
    change_body,
)
from dialogues.tests.test_services import at
from tests.support import assert_clean_errors

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)  # as in test_services


# --- The sweep over several bodies and flags of different ages ---------------------------------------------------


@pytest.fixture
def many_bodies():
    """Six bodies on 27 November 2026, each in a different situation (all 12-monthly with 60 days' grace unless
    said otherwise), each with its own contact:

    ALPHA  overdue since 2026-07-31; its flag opened 65 days ago, opening notice and reminder 1 sent.
    BRAVO  6-monthly, 30 days' grace, last met 2026-03-01: overdue since 2026-10-01 (87 days past due), no open
           flag; an old flag of 2025, closed, had its own opening notice.
    CHARLIE and DELTA  flagged, and both met on 1 November 2026 (recorded outside the services).
    ECHO   flagged, then made inactive (outside the services).
    FOX    flagged, then given a year's grace (outside the services): no longer overdue.
    """
    bodies = {}
    for name in ("ALPHA", "CHARLIE", "DELTA", "ECHO", "FOX"):
        bodies[name] = DialogueBodyFactory(short_name=name, name=f"{name.title()} Dialogue")
        MeetingFactory(body=bodies[name], held_on=dt.date(2025, 6, 1))
    bodies["BRAVO"] = DialogueBodyFactory(short_name="BRAVO", name="Bravo Dialogue", cadence_months=6, grace_days=30)
    MeetingFactory(body=bodies["BRAVO"], held_on=dt.date(2026, 3, 1))
    for name, body in bodies.items():
        body.refresh_from_db()
        ContactFactory(body=body, email=f"{name.lower()}@example.eu")

    def flag(body, opened_days_ago: int, **values) -> OverdueFlag:
        return OverdueFlagFactory(
            body=body,
            due_on=dt.date(2026, 6, 1),
            overdue_since=dt.date(2026, 8, 1),
            opened_at=timezone.now() - dt.timedelta(days=opened_days_ago),
            **values,
        )

    with at(TODAY):
        alpha_flag = flag(bodies["ALPHA"], 65)
        FlagNotificationFactory(flag=alpha_flag, sent=True)
        FlagNotificationFactory(flag=alpha_flag, kind=NotificationKind.REMINDER, sequence=1, sent=True)
        old_bravo = OverdueFlagFactory(
            body=bodies["BRAVO"], due_on=dt.date(2025, 3, 1), overdue_since=dt.date(2025, 4, 1), closed=True
        )
        FlagNotificationFactory(flag=old_bravo, sent=True)
        for name in ("CHARLIE", "DELTA", "ECHO", "FOX"):
            flag(bodies[name], 20)
    for name in ("CHARLIE", "DELTA"):
        MeetingFactory(body=bodies[name], held_on=dt.date(2026, 11, 1))
    DialogueBody.objects.filter(pk=bodies["ECHO"].pk).update(active=False)
    DialogueBody.objects.filter(pk=bodies["FOX"].pk).update(grace_days=365)
    bodies["FOX"].refresh_from_db()
    bodies["FOX"].refresh_schedule()
    return bodies


def test_one_sweep_over_many_bodies_opens_closes_and_tells_each_body_about_its_own_flag(
    many_bodies, django_capture_on_commit_callbacks
):
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()

    assert (summary.on, summary.opened, summary.still_open, summary.closed) == (TODAY, 1, 1, 4)
    assert (summary.opened_bodies, summary.notices_claimed) == (("BRAVO",), 2)

    open_flags = {f.body.short_name: f for f in OverdueFlag.objects.filter(closed_at__isnull=True)}
    assert set(open_flags) == {"ALPHA", "BRAVO"}
    bravo = open_flags["BRAVO"]
    assert (bravo.due_on, bravo.overdue_since, bravo.days_overdue_at_opening) == (
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 2),
        87,
    )

    closed = {
        f.body.short_name: f
        for f in OverdueFlag.objects.filter(closed_at__isnull=False, due_on=dt.date(2026, 6, 1)).select_related(
            "closed_by_meeting__body"
        )
    }
    assert {name: f.close_reason for name, f in closed.items()} == {
        "CHARLIE": FlagCloseReason.MEETING,
        "DELTA": FlagCloseReason.MEETING,
        "ECHO": FlagCloseReason.INACTIVE,
        "FOX": FlagCloseReason.NO_LONGER_OVERDUE,
    }
    # Both met on the same day: each flag names its own body's meeting.
    for name in ("CHARLIE", "DELTA"):
        meeting = closed[name].closed_by_meeting
        assert (meeting.body.short_name, meeting.held_on) == (name, dt.date(2026, 11, 1))
    assert closed["ECHO"].closed_by_meeting is None and closed["FOX"].closed_by_meeting is None

    # ALPHA's flag is 65 days old: its second reminder; BRAVO's new flag: its own opening notice (the one of its
    # old flag does not count).
    notices = {
        (n.flag.body.short_name, n.kind, n.sequence): n.status
        for n in FlagNotification.objects.filter(flag__closed_at__isnull=True).select_related("flag__body")
    }
    assert notices == {
        ("ALPHA", "opened", 0): "sent",
        ("ALPHA", "reminder", 1): "sent",
        ("ALPHA", "reminder", 2): "sent",
        ("BRAVO", "opened", 0): "sent",
    }
    emails = {tuple(m.to): m for m in mail.outbox}
    assert set(emails) == {("alpha@example.eu",), ("bravo@example.eu",)}
    assert emails[("alpha@example.eu",)].subject == "Reminder: Alpha Dialogue is still overdue (179 days past due)"
    assert emails[("bravo@example.eu",)].subject == (
        "Overdue: Bravo Dialogue has not met since its meeting was due on 1 September 2026"
    )
    alpha_reminder = FlagNotification.objects.get(flag=open_flags["ALPHA"], sequence=2)
    assert alpha_reminder.recipients == "alpha@example.eu"
    assert emails[("alpha@example.eu",)].extra_headers["Message-ID"] == (
        f"<overdue-flag-{open_flags['ALPHA'].pk}-reminder-2@127.0.0.1>"
    )


def test_the_sweep_on_a_past_day_judges_that_day(many_bodies, django_capture_on_commit_callbacks):
    # On 15 September 2026 BRAVO was due (1 September) but within its grace (30 days): nothing to open for it.
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep(on=dt.date(2026, 9, 15))
    assert summary.on == dt.date(2026, 9, 15) and summary.opened_bodies == ()


def test_a_notice_that_failed_once_is_sent_by_a_later_sweep_with_the_error_cleared(
    django_capture_on_commit_callbacks, monkeypatch
):
    body = DialogueBodyFactory(short_name="LATE", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body, email="late@example.eu")
    original_send = mail.EmailMessage.send
    failures = iter([smtplib.SMTPServerDisconnected("mail server went away")])

    def flaky(self, fail_silently=False):
        error = next(failures, None)
        if error:
            raise error
        return original_send(self, fail_silently)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    with at(TODAY, hour=5), django_capture_on_commit_callbacks(execute=True):
        overdue_sweep()
    notice = FlagNotification.objects.get()
    assert (notice.status, notice.sent_at, notice.attempts) == (NotificationStatus.PENDING, None, 1)
    assert notice.last_error == "SMTPServerDisconnected: mail server went away"

    with at(TODAY, hour=6), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    notice.refresh_from_db()
    assert summary.notices_claimed == 1 and [m.to for m in mail.outbox] == [["late@example.eu"]]
    assert (notice.status, notice.attempts, notice.last_error) == (NotificationStatus.SENT, 2, "")
    assert notice.sent_at == dt.datetime(2026, 11, 27, 6, tzinfo=dt.UTC)
    assert notice.recipients == "late@example.eu"


def test_a_long_error_is_kept_to_2000_characters_and_the_last_attempt_marks_the_notice_failed(
    django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.OVERDUE_NOTICE_MAX_ATTEMPTS = 1
    body = DialogueBodyFactory(short_name="LATE", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPDataError(554, "x" * 3000)

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        overdue_sweep()
    notice = FlagNotification.objects.get()
    assert notice.status == NotificationStatus.FAILED
    assert len(notice.last_error) == 2000 and notice.last_error.startswith("SMTPDataError: (554")


def test_a_stale_claim_of_one_flag_is_taken_over_without_touching_another_flags_fresh_claim(
    django_capture_on_commit_callbacks,
):
    """Two notices pending: one claimed 40 minutes ago by a run that died (its lease of 30 minutes is over), one
    claimed 10 minutes ago by a run still going. The sweep takes over the first only."""
    stale_body = DialogueBodyFactory(short_name="STALE", established_on=dt.date(2020, 1, 1))
    fresh_body = DialogueBodyFactory(short_name="FRESH", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=stale_body, email="stale@example.eu")
    ContactFactory(body=fresh_body, email="fresh@example.eu")
    now = dt.datetime(2026, 11, 27, 6, tzinfo=dt.UTC)
    stale = FlagNotificationFactory(
        flag=OverdueFlagFactory(body=stale_body), claimed_at=now - dt.timedelta(minutes=40)
    )
    fresh = FlagNotificationFactory(
        flag=OverdueFlagFactory(body=fresh_body), claimed_at=now - dt.timedelta(minutes=10)
    )
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert summary.notices_claimed == 1 and [m.to for m in mail.outbox] == [["stale@example.eu"]]
    assert (stale.status, stale.attempts) == (NotificationStatus.SENT, 2)
    assert (fresh.status, fresh.attempts) == (NotificationStatus.PENDING, 1)


# --- A day other than today ----------------------------------------------------------------------------------------


@pytest.fixture
def late_body():
    """12-monthly, 60 days' grace, last met 15 March 2024: due 15 March 2025, overdue from 15 May 2025."""
    body = DialogueBodyFactory(short_name="LATE", cadence_months=12, grace_days=60)
    MeetingFactory(body=body, held_on=dt.date(2024, 3, 15))
    body.refresh_from_db()
    return body


@pytest.mark.parametrize(
    ("on", "days"),
    [
        (dt.date(2025, 5, 14), None),  # the last day of grace
        (dt.date(2025, 5, 15), 61),
        (dt.date(2026, 3, 15), 365),
    ],
)
def test_days_overdue_on_a_given_day_is_counted_from_the_due_date_whatever_today_is(late_body, on, days):
    for today in (dt.date(2024, 6, 1), dt.date(2027, 1, 1)):  # before it fell due, and long after
        with at(today):
            assert late_body.days_overdue(on=on) == days
            assert late_body.is_overdue(on=on) is (days is not None)
            state = late_body.state(on=on)
            assert (state.code, state.days_overdue, state.due_on, state.assumed) == (
                BodyState.OVERDUE if days else BodyState.DUE,
                days,
                dt.date(2025, 3, 15),
                False,
            )


def test_without_a_day_days_overdue_counts_to_today(late_body):
    with at(dt.date(2025, 5, 20)):
        assert late_body.days_overdue() == 66
        assert late_body.state().label == "Overdue: 66 days past due"


# --- Reporting lines and framework parents that loop in the stored data --------------------------------------------


@pytest.fixture
def loop():
    """A → B → C → A written straight to the database (a restore, an old import), and D reporting to A."""
    a, b, c, d = (DialogueBodyFactory(short_name=name) for name in ("A", "B", "C", "D"))
    DialogueBody.objects.filter(pk=a.pk).update(reports_to=b)
    DialogueBody.objects.filter(pk=b.pk).update(reports_to=c)
    DialogueBody.objects.filter(pk=c.pk).update(reports_to=a)
    DialogueBody.objects.filter(pk=d.pk).update(reports_to=a)
    return {body.short_name: body.pk for body in (a, b, c, d)}


def fresh(pk: int) -> DialogueBody:
    return DialogueBody.objects.get(pk=pk)


def test_a_reporting_line_loaded_from_a_loop_ends_before_coming_back(loop, deadline):
    with deadline():
        assert [b.short_name for b in fresh(loop["A"]).reporting_line()] == ["B", "C"]
        assert [b.short_name for b in fresh(loop["D"]).reporting_line()] == ["A", "B", "C"]


def test_a_body_in_or_under_a_stored_loop_fails_validation(loop, deadline):
    for name in ("A", "D"):
        with deadline(), pytest.raises(ValidationError) as refused:
            fresh(loop[name]).full_clean()
        assert refused.value.message_dict["reports_to"] == ["The reporting line would loop back to this body."]


def test_a_reporting_line_without_a_loop_is_valid_at_every_level(deadline):
    summit = DialogueBodyFactory(short_name="SUMMIT")
    sd = DialogueBodyFactory(short_name="SD", reports_to=summit)
    sdd = DialogueBodyFactory(short_name="SDD", reports_to=sd)
    for body in (summit, sd, sdd):
        with deadline():
            fresh(body.pk).full_clean()  # no error
    assert [b.short_name for b in fresh(sdd.pk).reporting_line()] == ["SD", "SUMMIT"]
    assert fresh(summit.pk).reporting_line() == []


def test_a_new_body_under_an_existing_line_is_valid_and_sees_the_whole_line():
    summit = DialogueBodyFactory(short_name="SUMMIT")
    sd = DialogueBodyFactory(short_name="SD", reports_to=summit)
    new = DialogueBodyFactory.build(short_name="NEW", reports_to=sd, source_document=summit.source_document)
    new.full_clean(exclude=["short_name"])
    assert [b.short_name for b in new.reporting_line()] == ["SD", "SUMMIT"]


# --- Meetings: recorded with their source, moved, removed ----------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_a_recorded_meeting_keeps_its_source_and_what_it_advanced():
    from commitments.tests.factories import CommitmentFactory

    body = DialogueBodyFactory(short_name="SD")
    document = SourceDocumentFactory(key="joint-press-release")
    commitment = CommitmentFactory()
    editor = UserFactory(editor=True)
    meeting = meeting_record(
        body=body,
        held_on=dt.date(2026, 11, 20),
        place="  Tokyo ",
        summary=" Sixth round. ",
        commitments=[commitment],
        recorded_by=editor,
        source_document=document,
        source_locator="paragraph 3",
    )
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.place, stored.summary, stored.recorded_by) == ("Tokyo", "Sixth round.", editor)
    assert (stored.source_document, stored.source_locator) == (document, "paragraph 3")
    assert list(stored.commitments_advanced.all()) == [commitment]
    assert stored.history.first().history_user == editor


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_deleting_the_meeting_that_closed_a_flag_moves_the_schedule_back_and_reopens_the_flag(late_body):
    admin = UserFactory(admin=True)
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    flag.refresh_from_db()
    assert flag.closed_by_meeting == meeting

    meeting_id = meeting.pk
    meeting_delete(meeting=meeting, author=admin)

    assert not Meeting.objects.filter(pk=meeting_id).exists()
    body = fresh(late_body.pk)
    assert (body.last_meeting_on, body.next_due_on) == (dt.date(2024, 3, 15), dt.date(2025, 3, 15))
    flag.refresh_from_db()
    assert flag.is_open and (flag.close_reason, flag.closed_by_meeting) == ("", None)
    assert Meeting.history.filter(id=meeting_id, history_type="-").get().history_user == admin


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_deleting_a_meeting_leaves_other_flags_alone_and_keeps_a_body_that_is_not_overdue_closed(late_body):
    other = DialogueBodyFactory(short_name="OTHER")
    other_flag = OverdueFlagFactory(body=other, closed=True)
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    meeting_record(body=late_body, held_on=dt.date(2026, 1, 10))
    later = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    flag.refresh_from_db()
    assert flag.closed_by_meeting.held_on == dt.date(2026, 1, 10)  # closed by the first: the second closes nothing

    meeting_delete(meeting=later)

    body = fresh(late_body.pk)
    assert (body.last_meeting_on, body.next_due_on) == (dt.date(2026, 1, 10), dt.date(2027, 1, 10))
    flag.refresh_from_db()
    other_flag.refresh_from_db()
    assert not flag.is_open and not other_flag.is_open


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_deleting_a_meeting_whose_body_has_a_new_open_flag_does_not_open_a_second_one(late_body):
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    flag.refresh_from_db()
    newer = OverdueFlagFactory(body=late_body, due_on=dt.date(2027, 11, 20))  # e.g. opened meanwhile
    meeting_delete(meeting=meeting)
    flag.refresh_from_db()
    assert not flag.is_open and OverdueFlag.objects.get(body=late_body, closed_at__isnull=True) == newer


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_moving_a_meeting_to_another_body_recomputes_both_schedules(late_body):
    other = DialogueBodyFactory(short_name="OTHER", cadence_months=6)
    meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    meeting.body = other
    meeting_save(meeting=meeting)
    old, new = fresh(late_body.pk), fresh(other.pk)
    assert (old.last_meeting_on, old.next_due_on) == (dt.date(2024, 3, 15), dt.date(2025, 3, 15))
    assert (new.last_meeting_on, new.next_due_on) == (dt.date(2026, 11, 20), dt.date(2027, 5, 20))


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_correcting_a_meetings_date_keeps_its_body_and_moves_the_schedule(late_body):
    meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    meeting.held_on = dt.date(2026, 10, 1)
    meeting_save(meeting=meeting, commitments=None)
    assert fresh(late_body.pk).next_due_on == dt.date(2027, 10, 1)
    assert Meeting.objects.filter(body=late_body).count() == 2


def test_a_meeting_inserted_between_validation_and_save_is_a_conflict_and_writes_nothing(late_body, monkeypatch):
    """What two people recording the same meeting at once see on SQLite, which serialises writers (the real race on
    PostgreSQL is in tests/reliability): the one-a-day check passed, then the database refuses the second."""
    competing = Meeting(body=late_body, held_on=dt.date(2025, 1, 10), place="Brussels")
    original_full_clean = Meeting.full_clean

    def validate_then_lose_the_race(self, *args, **kwargs):
        original_full_clean(self, *args, **kwargs)
        Meeting.objects.bulk_create([competing])  # committed by the other person in between

    monkeypatch.setattr(Meeting, "full_clean", validate_then_lose_the_race)
    with pytest.raises(MeetingConflict) as conflict:
        meeting_record(body=late_body, held_on=dt.date(2025, 1, 10), place="Osaka")
    assert (conflict.value.body, conflict.value.held_on) == (late_body, dt.date(2025, 1, 10))
    assert str(conflict.value) == (
        f"{late_body.name} already has a meeting recorded on 10 January 2025: nothing was saved."
    )
    assert not Meeting.objects.filter(place="Osaka").exists()


@pytest.mark.parametrize(
    ("established_on", "precision", "held_on", "message"),
    [
        (
            dt.date(2020, 3, 4),
            "day",
            dt.date(2020, 3, 3),
            "SD started on 4 March 2020: a meeting cannot predate its start.",
        ),
        (
            dt.date(2020, 3, 1),
            "month",
            dt.date(2020, 2, 29),
            "SD started in March 2020: a meeting cannot predate its start.",
        ),
        (None, "day", dt.date(1949, 12, 31), "A meeting cannot be dated before 1 January 1950."),
    ],
)
def test_a_meeting_before_the_body_started_is_refused_saying_when_it_started(
    established_on, precision, held_on, message
):
    body = DialogueBodyFactory(short_name="SD", established_on=established_on, established_on_precision=precision)
    with pytest.raises(ValidationError) as refused:
        Meeting(body=body, held_on=held_on).full_clean()
    assert refused.value.message_dict["held_on"] == [message]
    Meeting(body=body, held_on=established_on or dt.date(1950, 1, 1)).clean()  # the first day is fine


@pytest.mark.parametrize(
    ("precision", "held_on", "allowed"),
    [
        ("month", dt.date(2024, 5, 1), True),
        ("month", dt.date(2024, 5, 2), False),
        ("year", dt.date(2024, 2, 1), False),
    ],
)
def test_a_meeting_known_to_the_month_or_year_is_stored_on_its_first_day(precision, held_on, allowed):
    meeting = Meeting(body=DialogueBodyFactory(), held_on=held_on, held_on_precision=precision)
    if allowed:
        meeting.clean()
        return
    with pytest.raises(ValidationError) as refused:
        meeting.clean()
    assert "held_on" in refused.value.message_dict


# --- Sending notices: each outcome recorded on its own notice ------------------------------------------------------


def test_one_send_handles_each_notice_by_its_own_state_and_counts_only_what_went_out(monkeypatch, caplog):
    """Five notices claimed by one run, in this order: the flag closed meanwhile; a body with no contact; a mail
    server that refuses one address; two that go out. Every notice gets its own outcome; none stops the others."""
    import uuid

    from dialogues.services import flag_notices_send

    run = uuid.uuid4()
    closed = FlagNotificationFactory(claim_token=run, flag=OverdueFlagFactory(body=DialogueBodyFactory(), closed=True))
    lonely = FlagNotificationFactory(
        claim_token=run, flag=OverdueFlagFactory(body=DialogueBodyFactory(short_name="LONE"))
    )
    refused_body = DialogueBodyFactory(short_name="REFUSED")
    ContactFactory(body=refused_body, email="refused@example.eu")
    refused = FlagNotificationFactory(claim_token=run, flag=OverdueFlagFactory(body=refused_body))
    sent = []
    for name in ("ONE", "TWO"):
        body = DialogueBodyFactory(short_name=name)
        ContactFactory(body=body, email=f"{name.lower()}@example.eu")
        sent.append(FlagNotificationFactory(claim_token=run, flag=OverdueFlagFactory(body=body)))
    other_run = FlagNotificationFactory(claim_token=uuid.uuid4())  # another run's claim: not this run's to send
    ContactFactory(body=other_run.flag.body)
    original_send = mail.EmailMessage.send

    def refuse_one_address(self, fail_silently=False):
        if self.to == ["refused@example.eu"]:
            raise smtplib.SMTPRecipientsRefused({"refused@example.eu": (550, b"no such user")})
        return original_send(self, fail_silently)

    monkeypatch.setattr(mail.EmailMessage, "send", refuse_one_address)
    with at(TODAY), caplog.at_level("WARNING", logger="dialogues.services"):
        assert flag_notices_send(claim_token=run) == 2

    assert sorted(m.to[0] for m in mail.outbox) == ["one@example.eu", "two@example.eu"]
    outcome = {
        n.pk: (n.status, n.last_error)
        for n in FlagNotification.objects.filter(pk__in=[closed.pk, lonely.pk, refused.pk, *(s.pk for s in sent)])
    }
    assert outcome[closed.pk] == (NotificationStatus.CANCELLED, "The flag closed before sending.")
    assert outcome[lonely.pk] == (
        NotificationStatus.NO_RECIPIENTS,
        "No contact for the body or the body it reports to.",
    )
    assert outcome[refused.pk][0] == NotificationStatus.PENDING
    assert outcome[refused.pk][1].startswith("SMTPRecipientsRefused: {'refused@example.eu'")
    assert [outcome[s.pk] for s in sent] == [(NotificationStatus.SENT, "")] * 2
    assert FlagNotification.objects.get(pk=other_run.pk).status == NotificationStatus.PENDING
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("WARNING", "Overdue flag of LONE: no contact to tell (add contacts in the admin)") in messages
    refused_message = (
        f"Could not send the opening notice for flag {refused.flag_id} (claimed, not sent yet) of REFUSED"
    )
    assert ("ERROR", refused_message) in messages


def test_a_send_with_nothing_claimed_sends_nothing():
    import uuid

    from dialogues.services import flag_notices_send

    FlagNotificationFactory()  # someone else's
    assert flag_notices_send(claim_token=uuid.uuid4()) == 0
    assert mail.outbox == []


def test_an_unreachable_mail_server_sends_nothing_and_says_how_many_notices_wait(settings, caplog):
    import uuid

    from dialogues.services import flag_notices_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    run = uuid.uuid4()
    for _ in range(2):
        ContactFactory(body=FlagNotificationFactory(claim_token=run).flag.body)
    with caplog.at_level("ERROR", logger="dialogues.services"):
        assert flag_notices_send(claim_token=run) == 0
    assert [r.getMessage() for r in caplog.records] == [
        "Could not connect to the mail server; 2 overdue notices stay pending"
    ]
    assert set(FlagNotification.objects.values_list("status", flat=True)) == {NotificationStatus.PENDING}


def test_with_a_reminder_every_day_one_goes_out_each_day(django_capture_on_commit_callbacks, settings):
    settings.OVERDUE_REMINDER_DAYS = 1
    body = DialogueBodyFactory(short_name="DAILY", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body)
    for offset in range(3):
        with at(TODAY + dt.timedelta(days=offset)), django_capture_on_commit_callbacks(execute=True):
            overdue_sweep()
    assert list(FlagNotification.objects.values_list("kind", "sequence")) == [
        ("opened", 0),
        ("reminder", 1),
        ("reminder", 2),
    ]
    assert len(mail.outbox) == 3


def test_a_notice_taken_over_gets_a_fresh_lease(django_capture_on_commit_callbacks, monkeypatch):
    """A notice whose run died is taken over after 30 minutes; if sending fails again, the next sweep ten minutes
    later leaves it alone (the new lease runs), and one after the lease takes it over again."""
    body = DialogueBodyFactory(short_name="LATE", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    attempts = []
    for minute in (0, 31, 41, 62):
        moment = dt.datetime(2026, 11, 27, 5, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            overdue_sweep()
        attempts.append(FlagNotification.objects.get().attempts)
    assert attempts == [1, 2, 2, 3]


def test_the_sweep_logs_what_it_did_naming_at_most_20_bodies(django_capture_on_commit_callbacks, caplog):
    for n in reversed(range(21)):  # created in the reverse of their names' order: the log goes by name
        DialogueBodyFactory(short_name=f"B{n:02}", established_on=dt.date(2020, 1, 1))
    with at(TODAY), django_capture_on_commit_callbacks(execute=True), caplog.at_level("INFO", "dialogues.services"):
        summary = overdue_sweep()
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Overdue sweep")]
    names = [f"B{n:02}" for n in range(20)]
    run = OverdueFlag.objects.values_list("opened_by_sweep", flat=True).distinct().get()
    assert line == (
        f"Overdue sweep {run} for 2026-11-27: 21 opened {[*names, '...']}, 0 still open, 0 closed, "
        "0 of 21 notices sent"
    )
    assert summary.opened == 21 and summary.opened_bodies == tuple(f"B{n:02}" for n in range(21))


def test_the_sweep_log_names_all_of_20_opened_bodies(django_capture_on_commit_callbacks, caplog):
    for n in range(20):
        DialogueBodyFactory(short_name=f"B{n:02}", established_on=dt.date(2020, 1, 1))
    with at(TODAY), django_capture_on_commit_callbacks(execute=True), caplog.at_level("INFO", "dialogues.services"):
        overdue_sweep()
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Overdue sweep")]
    assert f"20 opened {[f'B{n:02}' for n in range(20)]}, 0 still open" in line


def test_the_sweep_closes_flags_of_bodies_without_a_cadence_or_with_a_later_start_as_no_longer_overdue(
    django_capture_on_commit_callbacks,
):
    """Changed outside the services: one body's cadence dropped (no due date at all), another never met and its
    start date corrected to a later one (a later due date, but no meeting)."""
    dropped = DialogueBodyFactory(short_name="DROPPED", established_on=dt.date(2020, 1, 1))
    moved = DialogueBodyFactory(short_name="MOVED", established_on=dt.date(2020, 1, 1))
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        overdue_sweep()
    DialogueBody.objects.filter(pk=dropped.pk).update(cadence_months=None, cadence_basis="", cadence_source=None)
    DialogueBody.objects.filter(pk=moved.pk).update(established_on=dt.date(2026, 6, 1))
    for body in (dropped, moved):
        fresh(body.pk).refresh_schedule()
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    assert summary.closed == 2
    assert sorted(OverdueFlag.objects.values_list("body__short_name", "close_reason", "closed_by_meeting")) == [
        ("DROPPED", FlagCloseReason.NO_LONGER_OVERDUE, None),
        ("MOVED", FlagCloseReason.NO_LONGER_OVERDUE, None),
    ]


# --- The one rule for a body's state -------------------------------------------------------------------------------

D = dt.date
DUE_ON = D(2026, 6, 1)
GRACE_END = D(2026, 7, 31)


@pytest.mark.parametrize(
    ("facts", "on", "expected"),
    [
        ({"active": False, "cadence_months": 12, "last_meeting_on": D(2020, 1, 1)}, TODAY, ("inactive", "Inactive")),
        (
            {"cadence_months": None, "last_meeting_on": None},
            TODAY,
            ("never_met", "No meeting recorded (meets ad hoc)"),
        ),
        ({"cadence_months": None, "last_meeting_on": D(2020, 1, 1)}, TODAY, ("ad_hoc", "Ad hoc")),
        (
            {"last_meeting_on": None, "next_due_on": None, "overdue_after": None},
            TODAY,
            ("cannot_tell", "Cannot tell: no meeting or start date"),
        ),
        ({}, D(2026, 8, 1), ("overdue", "Overdue: 61 days past due", 61, DUE_ON)),
        ({}, GRACE_END, ("due", "Due since 1 Jun 2026", None, DUE_ON)),
        ({}, DUE_ON, ("due", "Due since 1 Jun 2026", None, DUE_ON)),
        ({}, D(2026, 5, 31), ("on_schedule", "Met on schedule", None, DUE_ON)),
        ({"overdue_after": DUE_ON}, D(2026, 6, 2), ("overdue", "Overdue: 1 day past due", 1, DUE_ON)),
        ({"overdue_after": DUE_ON}, D(2026, 6, 3), ("overdue", "Overdue: 2 days past due", 2, DUE_ON)),
        (
            {"last_meeting_on": None},
            D(2026, 8, 1),
            ("overdue", "Overdue: 61 days past due, no meeting recorded", 61, DUE_ON),
        ),
        ({"last_meeting_on": None}, DUE_ON, ("due", "Due since 1 Jun 2026, no meeting recorded", None, DUE_ON)),
        (
            {"last_meeting_on": None},
            D(2026, 5, 1),
            ("never_met", "No meeting recorded: first due by 1 Jun 2026", None, DUE_ON),
        ),
    ],
)
@pytest.mark.parametrize("assumed", [False, True])
def test_a_bodys_state_on_a_day_each_branch_of_the_rule(facts, on, expected, assumed):
    from dialogues.models import BodyStatus, body_state

    values = {
        "active": True,
        "cadence_months": 12,
        "last_meeting_on": D(2025, 6, 1),
        "next_due_on": DUE_ON,
        "overdue_after": GRACE_END,
        **facts,
    }
    code, label, *rest = expected
    days, due_on = rest or (None, None)
    # Only a state with a due date rests on the schedule, so only it can say the schedule is assumed.
    status = BodyStatus(code, label, days, due_on, assumed and due_on is not None)
    assert body_state(on=on, assumed=assumed, **values) == status
    if not assumed:
        assert body_state(on=on, **values) == status  # not assumed unless said


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"established_on": TODAY}, {}),
        (
            {"established_on": TODAY + dt.timedelta(days=1)},
            {"established_on": ["A body's start date cannot be in the future."]},
        ),
        (
            {"established_on": D(2020, 3, 2), "established_on_precision": "month"},
            {"established_on": ["A date known to the month is stored as the 1st of that month."]},
        ),
        ({"established_on": D(2020, 3, 1), "established_on_precision": "month"}, {}),
    ],
)
def test_a_bodys_start_date_is_checked_by_each_rule(values, errors):
    body = DialogueBodyFactory.build(short_name="NEW", source_document=SourceDocumentFactory(), **values)
    with at(TODAY):
        assert_clean_errors(body, errors)


# --- What the services announce ------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_recording_correcting_and_withdrawing_meetings_announce_what_they_did(
    late_body, published, django_capture_on_commit_callbacks
):
    from dialogues.services import meeting_withdraw

    editor = UserFactory(editor=True)
    other = MeetingFactory(body=late_body, held_on=dt.date(2025, 1, 10))
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20), recorded_by=editor)
        meeting.place = "Kyoto"
        meeting_save(meeting=meeting, author=editor)  # a correction: not a new meeting
        meeting_withdraw(meeting=meeting, author=editor, reason="Recorded for the wrong body.")
    assert [(kind, [o.pk for o in objects]) for kind, objects in published] == [
        ("meeting.recorded", [meeting.pk]),
        ("meeting.withdrawn", [meeting.pk]),
    ]
    other.refresh_from_db()
    assert other.withdrawn_at is None  # the body's other meeting is untouched
    stored_meeting = Meeting.objects.get(pk=meeting.pk)
    assert (stored_meeting.withdrawn_by, stored_meeting.withdrawal_reason) == (editor, "Recorded for the wrong body.")
    assert stored_meeting.withdrawn_at == dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)


def test_the_sweep_announces_the_bodies_it_flagged(many_bodies, published, django_capture_on_commit_callbacks):
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        overdue_sweep()
    assert [(kind, [b.short_name for b in objects]) for kind, objects in published] == [("body.overdue", ["BRAVO"])]


# --- Closing and reopening flags touch only the body concerned -----------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_a_meeting_closes_its_own_bodys_flag_only_and_says_it_was_the_meeting_even_for_an_inactive_body(late_body):
    other = DialogueBodyFactory(short_name="OTHER", established_on=dt.date(2020, 1, 1))
    other_flag = OverdueFlagFactory(body=other)
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    DialogueBody.objects.filter(pk=late_body.pk).update(active=False)
    meeting = meeting_record(body=fresh(late_body.pk), held_on=dt.date(2026, 11, 20))
    flag.refresh_from_db()
    other_flag.refresh_from_db()
    assert (flag.close_reason, flag.closed_by_meeting) == (FlagCloseReason.MEETING, meeting)
    assert other_flag.is_open


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_withdrawing_a_meeting_reopens_its_flag_even_while_another_body_has_an_open_flag(late_body):
    from dialogues.services import meeting_withdraw

    OverdueFlagFactory(body=DialogueBodyFactory(short_name="OTHER", established_on=dt.date(2020, 1, 1)))
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    meeting_withdraw(meeting=meeting, author=UserFactory(editor=True), reason="Wrong body.")
    flag.refresh_from_db()
    assert (flag.is_open, flag.close_reason, flag.closed_by_meeting) == (True, "", None)


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_deleting_a_late_meeting_that_closed_nothing_leaves_the_overdue_body_as_it_was(late_body):
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    old = meeting_record(body=late_body, held_on=dt.date(2024, 6, 1))  # entered for the record: still overdue
    flag.refresh_from_db()
    assert flag.is_open
    meeting_delete(meeting=old)
    flag.refresh_from_db()
    assert flag.is_open and OverdueFlag.objects.filter(body=late_body).count() == 1
    assert fresh(late_body.pk).last_meeting_on == dt.date(2024, 3, 15)


def test_changing_a_body_records_who_changed_it(late_body):
    admin = UserFactory(admin=True)
    change_body(late_body, author=admin, cadence_months=6)
    assert late_body.history.first().history_user == admin
    assert (late_body.cadence_months, fresh(late_body.pk).next_due_on) == (6, dt.date(2024, 9, 15))


def test_a_meeting_held_today_is_accepted_and_one_without_a_date_is_told_so():
    body = DialogueBodyFactory(short_name="SD")
    with at(TODAY):
        Meeting(body=body, held_on=TODAY).full_clean()
        with pytest.raises(ValidationError) as refused:
            Meeting(body=body, held_on=TODAY + dt.timedelta(days=1)).full_clean()
        assert refused.value.message_dict["held_on"] == [
            "Record a meeting once it has been held: the date is in the future."
        ]
        with pytest.raises(ValidationError) as refused:
            Meeting(body=body, held_on=None).full_clean()
    assert refused.value.message_dict["held_on"] == ["This field cannot be null."]


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_correcting_a_late_meetings_date_to_a_recent_one_closes_the_flag_naming_that_meeting(late_body):
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    meeting = meeting_record(body=late_body, held_on=dt.date(2024, 6, 1))  # a typo: it was held this month
    flag.refresh_from_db()
    assert flag.is_open
    meeting.held_on = dt.date(2026, 11, 2)
    meeting_save(meeting=meeting)
    flag.refresh_from_db()
    assert (flag.is_open, flag.close_reason, flag.closed_by_meeting) == (False, FlagCloseReason.MEETING, meeting)


def test_a_failure_while_sending_never_undoes_the_flags(django_capture_on_commit_callbacks, monkeypatch, caplog):
    from dialogues import services

    body = DialogueBodyFactory(short_name="LATE", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body)

    def broken(**kwargs):
        raise RuntimeError("the mail step broke")

    monkeypatch.setattr(services, "flag_notices_send", broken)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()  # no exception reaches the caller
    assert summary.opened_bodies == ("LATE",) and OverdueFlag.objects.get().is_open
    assert FlagNotification.objects.get().status == NotificationStatus.PENDING  # the next sweep takes it over
    assert "the mail step broke" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_run_on_its_own_the_sweep_reports_every_email_sent():
    for name in ("ONE", "TWO"):
        ContactFactory(body=DialogueBodyFactory(short_name=name, established_on=dt.date(2020, 1, 1)))
    with at(TODAY):
        summary = overdue_sweep()
    assert (summary.notices_claimed, summary.notices_sent, len(mail.outbox)) == (2, 2, 2)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("  ", "Say why the meeting is withdrawn."),
        ("x" * 1001, "Keep the reason to 1000 characters or fewer."),
    ],
)
def test_a_meeting_withdrawal_without_a_reason_or_with_too_long_a_reason_writes_nothing(late_body, reason, message):
    from dialogues.services import meeting_withdraw

    meeting = Meeting.objects.get(body=late_body)
    with pytest.raises(ValidationError) as refused:
        meeting_withdraw(meeting=meeting, author=None, reason=reason)
    assert refused.value.message_dict == {"reason": [message]}
    assert Meeting.objects.get(pk=meeting.pk).withdrawn_at is None


def test_a_meeting_is_withdrawn_with_a_reason_of_the_longest_length_and_only_once(late_body):
    from dialogues.services import MeetingAlreadyWithdrawn, meeting_withdraw

    meeting = Meeting.objects.get(body=late_body)
    meeting_withdraw(meeting=meeting, author=None, reason=f" {'y' * 1000} ")
    assert Meeting.objects.get(pk=meeting.pk).withdrawal_reason == "y" * 1000
    with pytest.raises(MeetingAlreadyWithdrawn) as refused:
        meeting_withdraw(meeting=Meeting.objects.get(pk=meeting.pk), author=None, reason="Again.")
    assert str(refused.value) == f"The meeting of {late_body.name} on 15 March 2024 was already withdrawn."


def test_the_sweep_closes_any_number_of_flags_in_a_fixed_number_of_queries(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    bodies = [DialogueBodyFactory(short_name=f"B-{n}", established_on=dt.date(2020, 1, 1)) for n in range(30)]
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        assert overdue_sweep().opened == 30
    DialogueBody.objects.update(grace_days=365, established_on=dt.date(2026, 1, 1))
    for body in bodies:
        fresh(body.pk).refresh_schedule()
    with at(TODAY), django_assert_max_num_queries(12), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    assert summary.closed == 30
    assert set(OverdueFlag.objects.values_list("close_reason", flat=True)) == {FlagCloseReason.NO_LONGER_OVERDUE}


def test_a_withdrawal_is_in_the_meetings_audit_history_with_who_and_when(late_body):
    """Not frozen in time: the audit record carries the same instant as the meeting's mark."""
    from dialogues.services import meeting_withdraw

    editor = UserFactory(editor=True)
    meeting = Meeting.objects.get(body=late_body)
    before = meeting.history.count()
    meeting_withdraw(meeting=meeting, author=editor, reason="Wrong body.")
    stored_meeting = Meeting.objects.get(pk=meeting.pk)
    record = stored_meeting.history.first()
    assert stored_meeting.history.count() == before + 1
    assert (record.history_type, record.history_user, record.history_date) == (
        "~",
        editor,
        stored_meeting.withdrawn_at,
    )
    assert (record.withdrawal_reason, record.withdrawn_by) == ("Wrong body.", editor)


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"active": False}, FlagCloseReason.INACTIVE), ({"cadence_months": 36}, FlagCloseReason.NO_LONGER_OVERDUE)],
)
@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_changing_a_body_closes_its_flag_saying_why(late_body, change, reason):
    flag = OverdueFlagFactory(body=late_body, due_on=dt.date(2025, 3, 15))
    change_body(late_body, **change)
    flag.refresh_from_db()
    assert (flag.is_open, flag.close_reason, flag.closed_by_meeting) == (False, reason, None)


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_a_meeting_recorded_with_only_its_body_and_day_has_nothing_else_filled_in(late_body):
    meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    stored_meeting = Meeting.objects.get(pk=meeting.pk)
    assert (stored_meeting.place, stored_meeting.summary, stored_meeting.source_locator) == ("", "", "")
    assert stored_meeting.source_document is None and stored_meeting.recorded_by is None


# --- The sweep's own marks: whether a body has an open flag, when a flag's next notice is due ----------------------


def test_a_body_flagged_closed_by_a_meeting_and_reopened_by_its_withdrawal_is_left_alone_by_the_next_sweeps(
    late_body, django_capture_on_commit_callbacks
):
    """Each service that opens, closes or reopens a flag keeps the body's mark (``has_open_flag``) with it, so the
    daily run, which reads only the marked and unmarked bodies out of line, finds nothing to do after each."""
    from dialogues.services import meeting_withdraw

    ContactFactory(body=late_body)

    def run() -> tuple[int, int, int, int]:
        with at(TODAY), django_capture_on_commit_callbacks(execute=True):
            summary = overdue_sweep()
        return summary.opened, summary.closed, summary.notices_claimed, summary.still_open

    assert run() == (1, 0, 1, 0)
    assert (run(), fresh(late_body.pk).has_open_flag) == ((0, 0, 0, 1), True)
    with at(TODAY):
        meeting = meeting_record(body=late_body, held_on=dt.date(2026, 11, 20))
    assert fresh(late_body.pk).has_open_flag is False  # unmarked by the service itself, before any sweep
    assert (run(), fresh(late_body.pk).has_open_flag) == ((0, 0, 0, 0), False)
    with at(TODAY):
        meeting_withdraw(meeting=meeting, author=UserFactory(editor=True), reason="Recorded for the wrong body.")
    assert fresh(late_body.pk).has_open_flag is True
    assert (run(), fresh(late_body.pk).has_open_flag) == ((0, 0, 0, 1), True)
    assert OverdueFlag.objects.filter(body=late_body).count() == 1 and len(mail.outbox) == 1


def test_a_body_saved_from_a_copy_read_before_the_sweep_still_has_its_flag_closed_and_opened_again(
    late_body, django_capture_on_commit_callbacks
):
    """A form opened before the morning's sweep and saved after it (``dialogue_body_save`` of a copy whose mark is
    out of date) neither hides the open flag from the sweep nor keeps a closed one counted as open."""
    read_before_opening = fresh(late_body.pk)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        assert overdue_sweep().opened == 1
    with at(TODAY):
        change_body(read_before_opening, description="Meets in Brussels and Tokyo in turn.")
    MeetingFactory(body=late_body, held_on=dt.date(2026, 11, 20))  # recorded outside the services
    read_before_closing = fresh(late_body.pk)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        assert overdue_sweep().closed == 1
    with at(TODAY):  # a monthly cadence with 3 days' grace: overdue again since 23 December... of next month
        change_body(read_before_closing, cadence_months=1, grace_days=3)
    later = dt.date(2026, 12, 24)
    with at(later), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    assert (summary.opened_bodies, summary.closed) == (("LATE",), 0)
    assert OverdueFlag.objects.filter(body=late_body, closed_at__isnull=True).count() == 1


def test_deleting_an_open_flag_in_the_admin_lets_the_next_sweep_open_a_new_one(
    admin_client, django_capture_on_commit_callbacks
):
    """One flag deleted from its page, another with the list's bulk action: each body is still overdue, so the next
    sweep opens a new flag for each and tells its people again."""
    from django.urls import reverse

    DialogueBodyFactory(short_name="NEW", established_on=TODAY)  # not overdue: the bodies' ids are not the flags'
    one, other = (DialogueBodyFactory(short_name=name, established_on=dt.date(2020, 1, 1)) for name in ("ONE", "TWO"))
    for body in (one, other):
        ContactFactory(body=body)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        assert overdue_sweep().opened == 2
    flag_one, flag_two = (OverdueFlag.objects.get(body=body) for body in (one, other))
    response = admin_client.post(reverse("admin:dialogues_overdueflag_delete", args=[flag_one.pk]), {"post": "yes"})
    assert response.status_code == 302
    response = admin_client.post(
        reverse("admin:dialogues_overdueflag_changelist"),
        {"action": "delete_selected", "_selected_action": [flag_two.pk], "post": "yes"},
    )
    assert response.status_code == 302 and not OverdueFlag.objects.exists()
    assert not DialogueBody.objects.filter(has_open_flag=True).exists()  # unmarked as they are deleted
    with at(TODAY + dt.timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    assert (summary.opened_bodies, summary.notices_claimed) == (("ONE", "TWO"), 2)
    assert len(mail.outbox) == 4


def test_flags_stored_before_the_upgrade_get_each_next_notice_when_the_old_sweep_would_have_sent_it(
    django_capture_on_commit_callbacks,
):
    """The migration that adds the marks fills them in from the flags and notices already there. A flag with no
    notice yet gets its opening notice at once; one told 40 days ago and never reminded its first reminder at once
    (due on day 30) and its second on day 60; one reminded twice by day 70 its third on day 90. A body whose only
    flag is closed stays unmarked."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("dialogues.migrations.0009_sweep_marks_and_next_notice")
    bodies = {name: DialogueBodyFactory(short_name=name, established_on=dt.date(2020, 1, 1)) for name in "ABC"}
    bodies["D"] = DialogueBodyFactory(short_name="D", established_on=TODAY - dt.timedelta(days=30))
    with at(TODAY):
        flags = {
            name: OverdueFlagFactory(body=bodies[name], opened_at=timezone.now() - dt.timedelta(days=age))
            for name, age in (("A", 0), ("B", 40), ("C", 70))
        }
        OverdueFlagFactory(body=bodies["D"], closed=True)
    FlagNotificationFactory(flag=flags["B"], sent=True)
    FlagNotificationFactory(flag=flags["C"], sent=True)
    FlagNotificationFactory(flag=flags["C"], kind=NotificationKind.REMINDER, sequence=2, sent=True)
    before = set(FlagNotification.objects.values_list("pk", flat=True))
    OverdueFlag.objects.update(next_notice_on=None)  # as the migration finds them
    DialogueBody.objects.update(has_open_flag=False)

    migration.mark_flags_and_notices_due(apps, None)

    marked = set(DialogueBody.objects.filter(has_open_flag=True).values_list("short_name", flat=True))
    assert marked == {"A", "B", "C"}
    for offset in range(0, 21):
        with at(TODAY + dt.timedelta(days=offset)), django_capture_on_commit_callbacks(execute=True):
            overdue_sweep()
    claimed = [
        (
            notice.flag.body.short_name,
            notice.kind,
            notice.sequence,
            (timezone.localdate(notice.claimed_at) - TODAY).days,
        )
        for notice in FlagNotification.objects.exclude(pk__in=before).select_related("flag__body").order_by("pk")
    ]
    assert sorted(claimed) == [
        ("A", "opened", 0, 0),
        ("B", "reminder", 1, 0),
        ("B", "reminder", 2, 20),
        ("C", "reminder", 3, 20),
    ]


def test_a_notice_out_of_attempts_whose_run_died_is_marked_failed_and_left_as_it_was(
    django_capture_on_commit_callbacks, settings
):
    """The takeover of stale notices: one with attempts left is claimed afresh; one out of attempts is failed,
    keeping its claim, claim time and count, and no run sends it."""
    settings.OVERDUE_NOTICE_MAX_ATTEMPTS = 2
    body = DialogueBodyFactory(short_name="LATE", established_on=dt.date(2020, 1, 1))
    ContactFactory(body=body)
    died = dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)
    with time_machine.travel(died, tick=False):
        overdue_sweep()  # claims the opening notice; its e-mail is never sent (the run's commit hook never ran)
    notice = FlagNotification.objects.get()
    FlagNotification.objects.filter(pk=notice.pk).update(attempts=2)
    token = notice.claim_token
    with (
        time_machine.travel(died + dt.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        summary = overdue_sweep()
    notice.refresh_from_db()
    assert (notice.status, notice.claim_token, notice.claimed_at, notice.attempts) == (
        NotificationStatus.FAILED,
        token,
        died,
        2,
    )
    assert summary.notices_claimed == 0 and summary.notices_sent == 0 and mail.outbox == []


def _next_notice_on(body: DialogueBody) -> dt.date:
    return OverdueFlag.objects.get(body=body, closed_at=None).next_notice_on


def test_each_flag_is_read_again_on_the_day_its_next_notice_is_due(
    late_body, settings, django_capture_on_commit_callbacks
):
    """Every 30 days a reminder: the flag opened on 27 November is read again on day 30; a sweep paused until day 65
    sends reminder 2 alone and the flag is next read on day 90; with reminders off, it is read daily."""
    settings.OVERDUE_REMINDER_DAYS = 30
    ContactFactory(body=late_body)

    def sweep_on(day: dt.date):
        with at(day), django_capture_on_commit_callbacks(execute=True):
            return overdue_sweep()

    assert sweep_on(TODAY).opened == 1
    assert _next_notice_on(late_body) == TODAY + dt.timedelta(days=30)
    assert sweep_on(TODAY + dt.timedelta(days=65)).notices_claimed == 1
    assert _next_notice_on(late_body) == TODAY + dt.timedelta(days=90)
    assert list(FlagNotification.objects.order_by("pk").values_list("kind", "sequence")) == [
        ("opened", 0),
        ("reminder", 2),
    ]
    # A second run that read the flag before the first moved its day on (stood in for by moving it back): the
    # reminder it claims again is the first run's already, so it is left to it; nothing is sent twice.
    OverdueFlag.objects.filter(body=late_body).update(next_notice_on=TODAY + dt.timedelta(days=65))
    assert sweep_on(TODAY + dt.timedelta(days=65)).notices_claimed == 0
    assert FlagNotification.objects.count() == 2 and len(mail.outbox) == 2

    settings.OVERDUE_REMINDER_DAYS = 0
    day = TODAY + dt.timedelta(days=100)
    assert sweep_on(day).notices_claimed == 0
    assert _next_notice_on(late_body) == day + dt.timedelta(days=1)


def test_with_reminders_off_a_new_flag_is_read_again_the_next_day(
    late_body, settings, django_capture_on_commit_callbacks
):
    settings.OVERDUE_REMINDER_DAYS = 0
    ContactFactory(body=late_body)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        assert overdue_sweep().opened == 1
    assert _next_notice_on(late_body) == TODAY + dt.timedelta(days=1)


def test_a_body_marked_flagged_without_an_open_flag_is_unmarked_and_nothing_is_closed(
    django_capture_on_commit_callbacks,
):
    """A flag deleted outside the services leaves the mark behind: the next sweep puts it right and closes nothing."""
    body = DialogueBodyFactory(short_name="FINE", established_on=TODAY - dt.timedelta(days=30))
    DialogueBody.objects.filter(pk=body.pk).update(has_open_flag=True)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        summary = overdue_sweep()
    assert (summary.opened, summary.closed, summary.still_open) == (0, 0, 0)
    assert fresh(body.pk).has_open_flag is False


def test_a_bodys_schedule_counts_from_its_stored_last_meeting_and_without_a_cadence_has_no_due_date():
    body = DialogueBodyFactory(short_name="SIX", cadence_months=6, grace_days=10, established_on=dt.date(2020, 1, 1))
    MeetingFactory(body=body, held_on=dt.date(2026, 1, 15))
    body = fresh(body.pk)
    assert body.schedule() == Schedule(dt.date(2026, 1, 15), dt.date(2026, 7, 15), dt.date(2026, 7, 25))
    assert body.schedule(last_meeting_on=None) == Schedule(None, dt.date(2020, 7, 1), dt.date(2020, 7, 11))

    ad_hoc = DialogueBodyFactory(short_name="ADHOC", cadence_months=None, established_on=dt.date(2020, 1, 1))
    MeetingFactory(body=ad_hoc, held_on=dt.date(2026, 3, 2))
    ad_hoc.refresh_schedule()
    assert (ad_hoc.last_meeting_on, ad_hoc.next_due_on, ad_hoc.overdue_after) == (dt.date(2026, 3, 2), None, None)
    stored = fresh(ad_hoc.pk)
    assert (stored.last_meeting_on, stored.next_due_on, stored.overdue_after) == (dt.date(2026, 3, 2), None, None)


def test_the_notices_of_a_run_are_sent_once_however_often_their_sending_is_asked_for(
    late_body, django_capture_on_commit_callbacks
):
    """A retried task or a repeated on-commit call sends nothing more: only pending notices of the run go out."""
    from dialogues.services import flag_notices_send

    ContactFactory(body=late_body)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        overdue_sweep()
    notice = FlagNotification.objects.get()
    assert (notice.status, len(mail.outbox)) == (NotificationStatus.SENT, 1)
    with at(TODAY):
        assert flag_notices_send(claim_token=notice.claim_token) == 0
    assert len(mail.outbox) == 1 and FlagNotification.objects.get().attempts == notice.attempts


def test_a_conflict_with_a_month_precise_meeting_says_its_month_not_a_day(late_body, monkeypatch):
    """A meeting known only as "January 2025" is stored on the 1st: someone entering 1 January 2025 at the same
    moment is told of a meeting in January, which takes the day they entered, not of one on 1 January."""
    competing = Meeting(body=late_body, held_on=dt.date(2025, 1, 1), held_on_precision="month", place="Brussels")
    original_full_clean = Meeting.full_clean

    def validate_then_lose_the_race(self, *args, **kwargs):
        original_full_clean(self, *args, **kwargs)
        Meeting.objects.bulk_create([competing])

    monkeypatch.setattr(Meeting, "full_clean", validate_then_lose_the_race)
    with pytest.raises(MeetingConflict) as conflict:
        meeting_record(body=late_body, held_on=dt.date(2025, 1, 1), place="Osaka")
    assert str(conflict.value) == (
        f"{late_body.name} already has a meeting recorded in January 2025, which takes the date you entered "
        "(1 January 2025): nothing was saved."
    )


def test_a_month_precise_meeting_already_withdrawn_is_named_by_its_month(late_body):
    from dialogues.services import MeetingAlreadyWithdrawn, meeting_withdraw

    meeting = MeetingFactory(body=late_body, held_on=dt.date(2023, 1, 1), held_on_precision="month")
    meeting_withdraw(meeting=meeting, author=None, reason="Wrong body.")
    with pytest.raises(MeetingAlreadyWithdrawn) as refused:
        meeting_withdraw(meeting=Meeting.objects.get(pk=meeting.pk), author=None, reason="Again.")
    assert str(refused.value) == f"The meeting of {late_body.name} in January 2023 was already withdrawn."


def test_a_due_date_known_to_the_month_or_year_is_no_count_of_days():
    """A schedule that counts from "January 2023" (stored on the 1st) is due in January 2024: the state says since
    when, not a count of days from a first of the month the documents never gave; the count stays for sorting."""
    common = {"active": True, "cadence_months": 12, "last_meeting_on": D(2023, 1, 1), "next_due_on": D(2024, 1, 1)}
    overdue = body_state(**common, overdue_after=D(2024, 1, 31), on=D(2026, 12, 7), due_precision="month")
    assert (overdue.code, overdue.label, overdue.days_overdue) == ("overdue", "Overdue: past due since Jan 2024", 1071)
    assert overdue.due_display == "January 2024"
    due = body_state(**common, overdue_after=D(2024, 1, 31), on=D(2024, 1, 15), due_precision="month")
    assert (due.code, due.label) == ("due", "Due since Jan 2024")
    never = {**common, "last_meeting_on": None, "next_due_on": D(2015, 1, 1)}
    waiting = body_state(**never, overdue_after=D(2015, 1, 31), on=D(2014, 6, 1), due_precision="year")
    assert (waiting.code, waiting.label) == ("never_met", "No meeting recorded: first due by 2015")
    late = body_state(**never, overdue_after=D(2015, 1, 31), on=D(2026, 12, 7), due_precision="year")
    assert late.label == "Overdue: past due since 2015, no meeting recorded"
    day_precise = body_state(**common, overdue_after=D(2024, 1, 31), on=D(2026, 12, 7))
    assert day_precise.label == "Overdue: 1,071 days past due"


def test_a_body_overdue_from_its_start_is_said_to_have_no_meeting_recorded_not_a_lateness():
    """Overdue with no meeting in the tracker: the phrase names the missing record and the start it counts from, at
    that date's precision, never a lateness the body may not have (it may have met, undated); once a meeting is
    recorded the phrase counts days again."""
    body = DialogueBodyFactory(
        cadence_months=12, grace_days=60, established_on=dt.date(2014, 1, 1), established_on_precision="year"
    )
    body.refresh_from_db()
    assert body.is_overdue() and body.start_if_never_met == (dt.date(2014, 1, 1), "year")
    assert body.overdue_phrase == "no meeting recorded since it started in 2014"
    DialogueBody.objects.filter(pk=body.pk).update(established_on=dt.date(2020, 3, 5), established_on_precision="day")
    body.refresh_from_db()
    body.refresh_schedule()
    assert body.overdue_phrase == "no meeting recorded since it started on 5 March 2020"
    MeetingFactory(body=body, held_on=dt.date(2022, 3, 5))
    body.refresh_from_db()
    assert body.start_if_never_met is None
    assert body.overdue_phrase.startswith(f"{body.days_overdue():,} days past due")
