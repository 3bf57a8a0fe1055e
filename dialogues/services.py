"""Writes with rules for dialogue bodies: recording a meeting moves the body's schedule and closes its flag."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from .choices import FlagCloseReason
from .models import DialogueBody, Meeting, OverdueFlag


def meeting_record(
    *,
    body: DialogueBody,
    held_on: date,
    place: str = "",
    summary: str = "",
    commitments: Iterable = (),
    recorded_by=None,
    source_document=None,
    source_locator: str = "",
) -> Meeting:
    """Record a meeting that was held, update the body's next due date at once and close its overdue flag.

    Raises ``ValidationError`` (a future date, a second meeting of the body that day, ...) with nothing written.
    """
    with transaction.atomic():
        meeting = Meeting(
            body=body,
            held_on=held_on,
            place=place.strip(),
            summary=summary.strip(),
            recorded_by=recorded_by,
            source_document=source_document,
            source_locator=source_locator,
        )
        meeting.full_clean()
        meeting.save()  # refreshes the body's schedule
        meeting.commitments_advanced.set(list(commitments))
        body.refresh_from_db(fields=["last_meeting_on", "next_due_on", "overdue_after"])
        overdue_flags_close_for_body(body=body, meeting=meeting)
    return meeting


def overdue_flags_close_for_body(*, body: DialogueBody, meeting: Meeting | None = None, reason: str = "") -> int:
    """Close the open overdue flag of ``body`` once it is no longer overdue (e.g. a meeting was just recorded).

    A meeting recorded late, which still leaves the body overdue (an old meeting entered for the record),
    keeps the flag open: closing it would only reopen it, and notify again, on the next sweep.
    """
    if body.is_overdue():
        return 0
    reason = reason or (FlagCloseReason.MEETING if meeting is not None else FlagCloseReason.NO_LONGER_OVERDUE)
    return OverdueFlag.objects.filter(body=body, closed_at__isnull=True).update(
        closed_at=timezone.now(), close_reason=reason, closed_by_meeting=meeting
    )
