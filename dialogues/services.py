"""Writes with rules for dialogue bodies: recording, correcting or withdrawing a meeting (and changing a body)
moves the body's schedule and its flag; the overdue sweep opens and closes flags against the cadence rule and tells
the people responsible.

Schedules: every service here that can move one calls the one recomputation, ``DialogueBody.refresh_schedule``,
in its own transaction; ``save()`` and ``delete()`` have no such side effect.

The overdue sweep, exactly once (this is the one place that tells the whole story; the model, the task and the
command point here):

1. **Flags.** :func:`overdue_sweep` finds the bodies overdue without an open flag (and the flagged ones no longer
   overdue) in one query each, locking only them ``FOR NO KEY UPDATE``, so that a meeting being recorded either
   waits for the run or is seen by it, and a second run waits for the first and finds the bodies flagged. Each
   body's ``has_open_flag`` says whether it has an open flag; every service that opens, closes, reopens or deletes
   flags sets it under the same row lock. It inserts flags with ``ON CONFLICT DO NOTHING`` against the "one open
   flag per body" partial unique index, so that even a run that read a body as unflagged never opens a second
   flag; each run recognises the flags it created by its run token (``opened_by_sweep``).
2. **Claims before sends.** A notice (:class:`~dialogues.models.FlagNotification`: the opening notice, then one
   reminder every ``OVERDUE_REMINDER_DAYS``; the flag's ``next_notice_on`` says when the next is due) is a row
   inserted, again with ``ON CONFLICT DO NOTHING``, against the unique key (flag, kind, sequence) *before* anything
   is sent; only the run whose ``claim_token`` it carries sends it, after its transaction commits (``on_commit``,
   robust: a failed send never undoes the flags).
3. **Crashes.** A run that dies between claim and send leaves the notice ``pending``; once its lease
   (``OVERDUE_NOTICE_LEASE_MINUTES``) has run out the next run takes it over by a conditional UPDATE (of two runs,
   only one wins), and after ``OVERDUE_NOTICE_MAX_ATTEMPTS`` it is marked failed. :func:`flag_notices_send` marks
   each notice ``sent`` right after the mail server accepted it, so the only duplicate possible is one message
   after a crash in that instant; it goes out with the same ``Message-ID``, which mail systems recognise. We
   prefer that to losing a notice.
4. **Redelivery.** The Celery task (``acks_late``, retried on database errors) and the management command call
   the same service, so a redelivered or repeated run finds nothing new to open or claim.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.template.loader import render_to_string
from django.utils import timezone

from core.events import publish_on_commit
from core.exceptions import DomainConflict
from core.models import DatePrecision
from core.templatetags.facts import format_approx_date, format_approx_date_on

from .choices import FlagCloseReason, NotificationKind, NotificationStatus
from .models import Contact, DialogueBody, FlagNotification, Meeting, OverdueFlag

logger = logging.getLogger(__name__)


@dataclass
class MeetingConflict(DomainConflict):
    """Another meeting of ``body`` on ``held_on`` was recorded at the same moment (the one-a-day constraint).

    ``precision``: how much of that stored meeting's date the documents give. A meeting known only as "January
    2025" is stored on 1 January and so takes that day: the message says the month, not a day it does not know."""

    body: DialogueBody
    held_on: date
    precision: str = DatePrecision.DAY
    recorded_by: object = None  # who recorded the meeting that took the day, if known

    @property
    def authors(self) -> tuple:
        return (self.recorded_by,) if self.recorded_by is not None else ()

    def __str__(self) -> str:
        held = format_approx_date_on(self.held_on, self.precision)
        if self.precision != DatePrecision.DAY:
            held += f", which takes the date you entered ({format_approx_date(self.held_on)})"
        return f"{self.body.name} already has a meeting recorded {held}: nothing was saved."


@dataclass
class MeetingAlreadyWithdrawn(DomainConflict):
    """Someone else withdrew the meeting since the caller read it."""

    meeting: Meeting

    @property
    def authors(self) -> tuple:
        return (self.meeting.withdrawn_by,) if self.meeting.withdrawn_by_id is not None else ()

    def __str__(self) -> str:
        held = format_approx_date_on(self.meeting.held_on, self.meeting.held_on_precision)
        return f"The meeting of {self.meeting.body.name} {held} was already withdrawn."


def _save_meeting(meeting: Meeting, *, author) -> None:
    """Save ``meeting`` (validated by the caller); a concurrent meeting of the same body and day is a conflict."""
    if author is not None:
        # The audit trail names who made the change even outside a web request (a command, a job).
        meeting._history_user = author
    try:
        with transaction.atomic():
            meeting.save()
    except IntegrityError as exc:
        # full_clean() found no meeting that day, but one was committed in between: the unique constraint.
        stored = (
            Meeting.objects.held()
            .filter(body=meeting.body, held_on=meeting.held_on)
            .select_related("recorded_by")
            .first()
        )
        raise MeetingConflict(
            body=meeting.body,
            held_on=meeting.held_on,
            precision=stored.held_on_precision if stored else DatePrecision.DAY,
            recorded_by=stored.recorded_by if stored else None,
        ) from exc


def _schedule_moved(*, body: DialogueBody, meeting: Meeting | None = None) -> None:
    """After a change to ``body``'s meetings or cadence: store its schedule again and close its open overdue flag
    if it is no longer overdue (the one recomputation, called by every service that can move a schedule)."""
    body.refresh_schedule()
    overdue_flags_close_for_body(body=body, meeting=meeting)


def meeting_record(
    *,
    body: DialogueBody,
    held_on: date,
    held_on_precision: str = DatePrecision.DAY,
    place: str = "",
    summary: str = "",
    commitments: Iterable = (),
    recorded_by=None,
    source_document=None,
    source_locator: str = "",
) -> Meeting:
    """Record a meeting that was held, update the body's next due date at once and close its overdue flag.
    ``held_on_precision``: how much of ``held_on`` is known (a month-precise date is the 1st of the month).

    Raises ``ValidationError`` (a future date, a second meeting of the body that day, a month-precise date not on
    the 1st, ...) and :class:`MeetingConflict` (the same meeting recorded by someone else at the same moment), with
    nothing written.
    """
    meeting = Meeting(
        body=body,
        held_on=held_on,
        held_on_precision=held_on_precision,
        place=place.strip(),
        summary=summary.strip(),
        recorded_by=recorded_by,
        source_document=source_document,
        source_locator=source_locator,
    )
    return meeting_save(meeting=meeting, author=recorded_by, commitments=commitments)


def meeting_save(*, meeting: Meeting, author=None, commitments: Iterable | None = None) -> Meeting:
    """Store a new or corrected meeting (its fields set by the caller: a service, the admin's form, the seed
    loader) and, if given, the commitments it advanced; recompute the schedule of its body (of both bodies, if it
    moved to another) and close the body's overdue flag if it is no longer overdue, all in one transaction.

    ``ValidationError`` / :class:`MeetingConflict` as for :func:`meeting_record`, with nothing written.
    """
    with transaction.atomic():
        meeting.full_clean()
        is_new, old_body_id = meeting.pk is None, None
        if not is_new:
            old_body_id = Meeting.objects.filter(pk=meeting.pk).values_list("body_id", flat=True).first()
        _save_meeting(meeting, author=author)
        if commitments is not None:
            meeting.commitments_advanced.set(list(commitments))
        if old_body_id is not None and old_body_id != meeting.body_id:
            _schedule_moved(body=DialogueBody.objects.get(pk=old_body_id))
        _schedule_moved(body=meeting.body, meeting=meeting)
        if is_new:
            publish_on_commit("meeting.recorded", meeting)
    return meeting


def meeting_delete(*, meeting: Meeting, author=None) -> None:
    """Delete a meeting (administrators only; editors withdraw instead, which keeps it in the history) and
    recompute its body's schedule in the same transaction."""
    with transaction.atomic():
        body = meeting.body
        closed = OverdueFlag.objects.filter(closed_by_meeting=meeting).order_by("-closed_at").first()
        if author is not None:
            meeting._history_user = author
        meeting.delete()
        _schedule_moved(body=body)
        _reopen_flag_if_overdue(body=body, flag=closed)


def meeting_withdraw(*, meeting: Meeting, author, reason: str) -> Meeting:
    """Withdraw a meeting recorded by mistake, saying why; it stays listed, marked withdrawn.

    In one transaction: the meeting is marked (who, when, why; the audit history records it with its author), the
    body's schedule is recomputed from the meetings still held, and if the body is overdue again the overdue flag
    this meeting had closed is opened again (its people were told about it already; the sweep goes on from it).
    Conflict-safe: the mark is a conditional UPDATE (``withdrawn_at IS NULL``), so of two people withdrawing the
    same meeting one succeeds and the other gets :class:`MeetingAlreadyWithdrawn`. ``ValidationError`` for a
    missing or too long reason. Nothing is written in either case.
    """
    from core.models import WITHDRAWAL_REASON_MAX_LENGTH

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the meeting is withdrawn."})
    if len(reason) > WITHDRAWAL_REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason to {WITHDRAWAL_REASON_MAX_LENGTH} characters or fewer."})
    now = timezone.now()
    with transaction.atomic():
        # The body first, as the sweep locks it: a sweep running now either sees the withdrawal or runs before it.
        body = DialogueBody.objects.select_for_update(no_key=True).get(pk=meeting.body_id)
        marked = Meeting.objects.filter(pk=meeting.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=author, withdrawal_reason=reason
        )
        if not marked:
            # As it stands now: who withdrew it, when and why.
            stored = Meeting.objects.select_related("body", "withdrawn_by").get(pk=meeting.pk)
            raise MeetingAlreadyWithdrawn(meeting=stored)
        meeting.withdrawn_at, meeting.withdrawn_by, meeting.withdrawal_reason = now, author, reason
        Meeting.history.bulk_history_create([meeting], update=True, default_user=author, default_date=now)
        body.refresh_schedule()
        closed = OverdueFlag.objects.filter(closed_by_meeting=meeting).order_by("-closed_at").first()
        _reopen_flag_if_overdue(body=body, flag=closed)
        publish_on_commit("meeting.withdrawn", meeting)
    meeting.body = body
    return meeting


def _reopen_flag_if_overdue(*, body: DialogueBody, flag: OverdueFlag | None) -> int:
    """Open again ``flag`` (closed by a meeting that no longer counts) if the body is overdue again and has no
    open flag. (With no such flag, the next sweep opens one and tells the people responsible.)"""
    if flag is None or not body.is_overdue():
        return 0
    if OverdueFlag.objects.filter(body=body, closed_at__isnull=True).exists():
        return 0
    reopened = OverdueFlag.objects.filter(pk=flag.pk).update(closed_at=None, close_reason="", closed_by_meeting=None)
    # The body's row is locked: refresh_schedule() has just updated it in this transaction.
    DialogueBody.objects.filter(pk=body.pk).update(has_open_flag=True)
    return reopened


def dialogue_body_save(*, body: DialogueBody, author=None) -> DialogueBody:
    """Store a new or changed dialogue body (its fields set by the caller: the admin's form, the seed loader),
    validated, and recompute its schedule; a body no longer overdue (a new cadence, a later start, made inactive)
    has its overdue flag closed. One transaction."""
    with transaction.atomic():
        body.full_clean()
        if author is not None:
            body._history_user = author
        body.save()
        _schedule_moved(body=body)
    return body


def overdue_flags_close_for_body(*, body: DialogueBody, meeting: Meeting | None = None, reason: str = "") -> int:
    """Close the open overdue flag of ``body`` once it is no longer overdue (e.g. a meeting was just recorded).

    A meeting recorded late, which still leaves the body overdue (an old meeting entered for the record),
    keeps the flag open: closing it would only reopen it, and notify again, on the next sweep.
    """
    if body.is_overdue():
        return 0
    if meeting is None and not body.active:
        reason = reason or FlagCloseReason.INACTIVE
    reason = reason or (FlagCloseReason.MEETING if meeting is not None else FlagCloseReason.NO_LONGER_OVERDUE)
    closed = OverdueFlag.objects.filter(body=body, closed_at__isnull=True).update(
        closed_at=timezone.now(), close_reason=reason, closed_by_meeting=meeting
    )
    if closed:
        # The body's row is locked: its caller has just stored its schedule (refresh_schedule) in this transaction.
        DialogueBody.objects.filter(pk=body.pk).update(has_open_flag=False)
    return closed


def overdue_flags_delete(*, flags) -> int:
    """Delete overdue flags (``flags``, a queryset: the admin's delete action) and keep their bodies'
    ``has_open_flag`` true to what is left, so that the next sweep opens a new flag for a body still overdue (and
    tells its people again). One transaction; returns how many flags were deleted."""
    with transaction.atomic():
        body_ids = set(flags.values_list("body_id", flat=True))
        _lock_bodies(DialogueBody.objects.filter(pk__in=body_ids))
        deleted, _ = OverdueFlag.objects.filter(pk__in=flags.values("pk")).delete()
        _mark_open_flags(body_ids)
    return deleted


# --- The overdue sweep --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepSummary:
    """What one run of :func:`overdue_sweep` did."""

    on: date
    opened: int
    still_open: int
    closed: int
    notices_claimed: int
    # E-mails sent before the service returned: they go out when the sweep's transaction commits, so inside an
    # outer transaction (a caller's atomic block) this is 0 and they go out when that one commits.
    notices_sent: int = 0
    opened_bodies: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (the Celery task's result)."""
        return {
            "on": self.on.isoformat(),
            "opened": self.opened,
            "still_open": self.still_open,
            "closed": self.closed,
            "notices_claimed": self.notices_claimed,
            "notices_sent": self.notices_sent,
            "opened_bodies": list(self.opened_bodies),
        }


def overdue_sweep(*, on: date | None = None) -> SweepSummary:
    """Bring the overdue flags in line with the cadence rule on ``on`` (default: today in Brussels), and claim the
    e-mails to send about them; the e-mails go out once the transaction commits.

    Set-based, and on an ordinary day cheap: each step reads a range of an index that holds only what is out of
    line (bodies overdue without an open flag, flagged bodies no longer overdue: ``body_sweep_state``; flags whose
    next notice is due: ``open_flag_next_notice``), so a day when nothing changed costs a few empty index scans
    and a count, whatever the number of bodies and flags. Safe to run twice, and twice at once: see this module's
    docstring for how each flag and e-mail happens exactly once.
    """
    on = on or timezone.localdate()
    now = timezone.now()
    run = uuid.uuid4()
    sent: list[int] = []
    with transaction.atomic():
        closed = _close_flags_no_longer_overdue(on=on, now=now)
        opened_bodies = _open_flags(on=on, now=now, run=run)
        if opened_bodies:
            publish_on_commit("body.overdue", DialogueBody.objects.filter(overdue_flags__opened_by_sweep=run))
        claimed = _claim_notices(on=on, now=now, run=run, opened=bool(opened_bodies))
        # Every overdue body now has one open flag (a partial unique index counts them).
        open_flags = OverdueFlag.objects.filter(closed_at__isnull=True).count()
        if claimed:
            # robust: a failure while sending is logged, never undoes the committed flags; the notices stay
            # pending and the next sweep takes them over once their lease has run out.
            transaction.on_commit(lambda: sent.append(flag_notices_send(claim_token=run, on=on)), robust=True)
    summary = SweepSummary(
        on=on,
        opened=len(opened_bodies),
        still_open=open_flags - len(opened_bodies),
        closed=closed,
        notices_claimed=claimed,
        notices_sent=sum(sent),
        opened_bodies=opened_bodies,
    )
    logger.info(
        "Overdue sweep %s for %s: %d opened %s, %d still open, %d closed, %d of %d notices sent",
        run,
        on,
        summary.opened,
        list(opened_bodies[:20]) + (["..."] if len(opened_bodies) > 20 else []),
        summary.still_open,
        summary.closed,
        summary.notices_sent,
        summary.notices_claimed,
    )
    return summary


def _lock_bodies(bodies) -> None:
    """Lock ``bodies`` (a queryset) ``FOR NO KEY UPDATE``, in id order (a no-op on SQLite, which serialises
    writers anyway). Every change to a body's flags happens under this lock, with ``has_open_flag`` set to match
    before the transaction ends; NO KEY: rows that merely reference a body, such as a new contact, are not held up."""
    list(bodies.order_by("pk").select_for_update(no_key=True).values_list("pk", flat=True))


def _mark_open_flags(body_ids: Iterable[int]) -> None:
    """Store on each of ``body_ids`` whether it has an open flag (``DialogueBody.has_open_flag``), from its flags,
    after its flags changed (the bodies locked by the caller)."""
    DialogueBody.objects.filter(pk__in=list(body_ids)).update(
        has_open_flag=Exists(OverdueFlag.objects.filter(body=OuterRef("pk"), closed_at__isnull=True))
    )


def _open_flags(*, on: date, now: datetime, run: uuid.UUID) -> tuple[str, ...]:
    """Open a flag for each body overdue on ``on`` without one and claim its opening notice; return the short names
    of the bodies flagged.

    Only those bodies are read, and locked ``FOR NO KEY UPDATE``: a meeting being recorded for one of them either
    waits for this run or is waited for and seen (PostgreSQL re-checks the condition on the row the meeting
    committed), so the sweep never opens a flag on a schedule that a committed meeting has just moved; and a
    second sweep waits here for the first, then finds the bodies marked flagged. The insert still ignores conflicts
    with the one-open-flag constraint (a flag opened without the mark, by an older version or by hand), and the run
    recognises the flags it created by its run token.
    """
    candidates = list(
        DialogueBody.objects.to_flag(on=on)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "next_due_on", "overdue_after", named=True)
    )
    if not candidates:
        return ()
    to_flag = _bodies_to_flag(candidates)
    interval = settings.OVERDUE_REMINDER_DAYS
    OverdueFlag.objects.bulk_create(
        [
            OverdueFlag(
                body_id=body.pk,
                due_on=body.next_due_on,
                overdue_since=body.overdue_after + timedelta(days=1),
                days_overdue_at_opening=(on - body.next_due_on).days,
                opened_at=now,
                opened_by_sweep=run,
                # The opening notice is claimed below: the next one due is the first reminder (with reminders
                # off, the next day: each run looks again, so switching them on reaches this flag too).
                next_notice_on=timezone.localdate(now) + timedelta(days=interval if interval > 0 else 1),
            )
            for body in to_flag
        ],
        ignore_conflicts=True,
    )
    _mark_open_flags(body.pk for body in candidates)
    if not to_flag:
        return ()
    opened = list(
        OverdueFlag.objects.filter(opened_by_sweep=run, body_id__in=[body.pk for body in to_flag])
        .order_by("body__short_name")
        .values_list("pk", "body__short_name")
    )
    _claim([(pk, NotificationKind.OPENED, 0) for pk, _ in opened], now=now, run=run)
    return tuple(name for _, name in opened)


def _bodies_to_flag(overdue: list) -> list:
    """The bodies to open a flag for: all those read (a hook point for tests that race two sweeps)."""
    return overdue


def _claim(claims: list[tuple[int, str, int]], *, now: datetime, run: uuid.UUID) -> None:
    """Insert the notices ``claims`` (flag id, kind, sequence) under this run's token; one already claimed by
    another run (the unique key) is left to it."""
    if claims:
        FlagNotification.objects.bulk_create(
            [
                FlagNotification(flag_id=pk, kind=kind, sequence=sequence, claim_token=run, claimed_at=now)
                for pk, kind, sequence in claims
            ],
            ignore_conflicts=True,
        )


def _close_flags_no_longer_overdue(*, on: date, now: datetime) -> int:
    """Close the open flags of bodies no longer overdue on ``on``, saying why; return how many this run closed.

    The bodies are locked as for opening (a meeting withdrawn meanwhile, which makes one overdue again, either
    waits or is seen); their flags are looked up by the one-open-flag index.
    """
    body_ids = list(
        DialogueBody.objects.flagged_not_overdue(on=on)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )
    if not body_ids:
        return 0
    to_close = list(
        OverdueFlag.objects.filter(body_id__in=body_ids, closed_at__isnull=True)
        .select_related("body")
        .only("pk", "due_on", "closed_by_meeting", "body__active", "body__next_due_on", "body__last_meeting_on")
    )
    if not to_close:  # the mark was out of date (a flag closed or deleted outside the services)
        _mark_open_flags(body_ids)
        return 0
    latest_meeting = dict(
        Meeting.objects.held()
        .filter(body_id__in={flag.body_id for flag in to_close}, held_on=F("body__last_meeting_on"))
        .values_list("body_id", "pk")
    )
    for flag in to_close:
        body = flag.body
        flag.closed_at = now
        if not body.active:
            flag.close_reason = FlagCloseReason.INACTIVE
        elif body.last_meeting_on and body.next_due_on and body.next_due_on > flag.due_on:
            # The due date moved on: a meeting was recorded by a path that leaves the closing to this sweep (the
            # seed loader; or meeting_record for a late meeting that left the body overdue until a later one).
            flag.close_reason = FlagCloseReason.MEETING
            flag.closed_by_meeting_id = latest_meeting.get(body.pk)
        else:  # the cadence or the grace period was changed
            flag.close_reason = FlagCloseReason.NO_LONGER_OVERDUE
    # The filter on closed_at stays in the UPDATE: a flag closed meanwhile (a meeting recorded) is neither closed
    # twice nor counted by this run.
    closed = OverdueFlag.objects.filter(closed_at__isnull=True).bulk_update(
        to_close, ["closed_at", "close_reason", "closed_by_meeting"]
    )
    _mark_open_flags(body_ids)
    return closed


def _claim_notices(*, on: date, now: datetime, run: uuid.UUID, opened: bool) -> int:
    """Claim, under this run's token, every notice now due: the opening notice of each open flag that has none
    (those of the flags this run ``opened`` are claimed already), the latest reminder due (one every
    ``OVERDUE_REMINDER_DAYS`` since the flag opened), and the notices that an earlier run claimed but never sent
    (its lease has run out). Returns how many this run holds.

    Only the open flags whose ``next_notice_on`` has come are read (a range of ``open_flag_next_notice``); each
    claim moves that day on to the next reminder's (with reminders off, to the next day: every open flag is read
    daily then, so that switching reminders on again reaches the flags opened meanwhile).
    """
    interval = settings.OVERDUE_REMINDER_DAYS
    due = (
        OverdueFlag.objects.filter(closed_at__isnull=True, next_notice_on__lte=on)
        .exclude(opened_by_sweep=run)  # told just now; their reminders come on later runs
        .annotate(told=Exists(FlagNotification.objects.filter(flag=OuterRef("pk"), kind=NotificationKind.OPENED)))
        .order_by()
        .values_list("pk", "opened_at", "told")
    )
    claims: list[tuple[int, str, int]] = []
    next_notice: dict[date, list[int]] = defaultdict(list)
    for pk, opened_at, told in due:
        opened_on = timezone.localdate(opened_at)
        # Only the latest reminder due: after a pause of the sweep, people get one e-mail, not a backlog. Reminder
        # number k is due once the flag is k * interval days old. A flag still without its opening notice gets
        # that first; its reminders come on later runs.
        reached = max((on - opened_on).days // interval, 0) if told and interval > 0 else 0
        if not told:
            claims.append((pk, NotificationKind.OPENED, 0))
        elif reached:
            claims.append((pk, NotificationKind.REMINDER, reached))
        next_notice[
            opened_on + timedelta(days=(reached + 1) * interval) if interval > 0 else on + timedelta(days=1)
        ].append(pk)
    _claim(claims, now=now, run=run)
    if next_notice:
        # One UPDATE whatever the number of flags (two runs at once write the same days).
        OverdueFlag.objects.filter(pk__in=[pk for pks in next_notice.values() for pk in pks]).update(
            next_notice_on=Case(
                *(When(pk__in=pks, then=Value(day)) for day, pks in next_notice.items()),
                default=None,
                output_field=DateField(),
            )
        )
    stale = FlagNotification.objects.filter(
        status=NotificationStatus.PENDING,
        claimed_at__lt=now - timedelta(minutes=settings.OVERDUE_NOTICE_LEASE_MINUTES),
    )
    # One conditional UPDATE: a notice out of attempts is marked failed, any other is taken over. Of two runs taking
    # over the same stale notice, the second finds the row already re-claimed (PostgreSQL re-checks the WHERE
    # clause after waiting for the first run's row lock).
    retry = Q(attempts__lt=settings.OVERDUE_NOTICE_MAX_ATTEMPTS)
    taken_over = stale.update(
        status=Case(When(retry, then=F("status")), default=Value(NotificationStatus.FAILED)),
        claim_token=Case(When(retry, then=Value(run)), default=F("claim_token")),
        claimed_at=Case(When(retry, then=Value(now)), default=F("claimed_at")),
        attempts=Case(When(retry, then=F("attempts") + 1), default=F("attempts"), output_field=IntegerField()),
    )
    if not claims and not taken_over and not opened:
        return 0
    return FlagNotification.objects.filter(claim_token=run, status=NotificationStatus.PENDING).count()


def flag_notices_send(*, claim_token: uuid.UUID, on: date | None = None) -> int:
    """Send the notices claimed under ``claim_token`` and record each outcome; return how many e-mails went out.

    Each e-mail goes to the contacts of the flagged body and of the body it reports to, with a link to the body's
    page. A failure to send leaves the notice ``pending`` for the next sweep; a notice whose flag has closed
    meanwhile is cancelled (exactly once: this module's docstring).
    """
    on = on or timezone.localdate()
    notices = list(
        FlagNotification.objects.filter(claim_token=claim_token, status=NotificationStatus.PENDING)
        .select_related("flag__body__reports_to")
        # How much of the body's last meeting date the documents give ("It last met in January 2023").
        .annotate(last_meeting_precision=Meeting.objects.last_precision("flag__body__"))
        .order_by("pk")
    )
    if not notices:
        return 0
    for notice in notices:
        notice.flag.body.last_meeting_precision = notice.last_meeting_precision
    bodies = {notice.flag.body_id for notice in notices} | {
        notice.flag.body.reports_to_id for notice in notices if notice.flag.body.reports_to_id
    }
    emails_by_body: dict[int, list[str]] = defaultdict(list)
    for body_id, email in Contact.objects.filter(body_id__in=bodies).order_by("email").values_list("body_id", "email"):
        emails_by_body[body_id].append(email)

    sent, unsent = 0, []
    try:
        connection = get_connection()
        connection.open()
    except Exception as exc:  # the mail server is unreachable: every notice stays pending for the next sweep
        logger.exception("Could not connect to the mail server; %d overdue notices stay pending", len(notices))
        _record_failures(notices, f"{exc.__class__.__name__}: {exc}")
        return 0
    try:
        for notice in notices:
            flag, body = notice.flag, notice.flag.body
            if not flag.is_open:
                notice.status, notice.last_error = NotificationStatus.CANCELLED, "The flag closed before sending."
                unsent.append(notice)
                continue
            recipients = list(dict.fromkeys(emails_by_body[body.pk] + emails_by_body.get(body.reports_to_id, [])))
            if not recipients:
                logger.warning("Overdue flag of %s: no contact to tell (add contacts in the admin)", body.short_name)
                notice.status = NotificationStatus.NO_RECIPIENTS
                notice.last_error = "No contact for the body or the body it reports to."
                unsent.append(notice)
                continue
            try:
                _notice_email(notice, recipients=recipients, on=on, connection=connection).send()
            except Exception as exc:  # SMTP refusals, timeouts...: try again on a later sweep
                logger.exception("Could not send the %s of %s", notice, body.short_name)
                _record_failures([notice], f"{exc.__class__.__name__}: {exc}")
                continue
            FlagNotification.objects.filter(pk=notice.pk).update(
                status=NotificationStatus.SENT, sent_at=timezone.now(), recipients=", ".join(recipients), last_error=""
            )
            sent += 1
    finally:
        connection.close()
    if unsent:
        FlagNotification.objects.bulk_update(unsent, ["status", "last_error"])
    return sent


def _record_failures(notices: list[FlagNotification], error: str) -> None:
    for notice in notices:
        notice.last_error = error[:2000]
        if notice.attempts >= settings.OVERDUE_NOTICE_MAX_ATTEMPTS:
            notice.status = NotificationStatus.FAILED
    FlagNotification.objects.bulk_update(notices, ["status", "last_error"])


def _notice_email(notice: FlagNotification, *, recipients: list[str], on: date, connection) -> EmailMessage:
    flag, body = notice.flag, notice.flag.body
    context = {
        "notice": notice,
        "reminder": notice.kind == NotificationKind.REMINDER,
        "flag": flag,
        "body": body,
        "parent": body.reports_to,
        "days_overdue": (on - flag.due_on).days,
        "url": f"{settings.SITE_URL}{body.get_absolute_url()}",
    }
    subject = " ".join(render_to_string("dialogues/email/overdue_notice_subject.txt", context).split())
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return EmailMessage(
        subject=subject,
        body=render_to_string("dialogues/email/overdue_notice_body.txt", context),
        to=recipients,
        connection=connection,
        headers={
            # The same notice always carries the same Message-ID, so a repeat after a crash can be recognised.
            "Message-ID": f"<overdue-flag-{flag.pk}-{notice.kind}-{notice.sequence}@{host}>",
            "Auto-Submitted": "auto-generated",
        },
    )
