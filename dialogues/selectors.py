"""Reads with logic for dialogue bodies: the open overdue flags, as the body page and the dashboard show them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from commitments.models import Commitment
from commitments.selectors import state_summary, status_summary

from .choices import NotificationStatus
from .models import DialogueBody, Meeting, OverdueFlag


def open_flags_for(*, bodies: Iterable[DialogueBody | int] | None = None, on: date | None = None) -> list[OverdueFlag]:
    """The open overdue flags of ``bodies`` (bodies or their ids; all bodies when ``None``), longest overdue first.

    One query. Each flag carries its body (and the body it reports to), ``days_overdue`` on ``on`` (default today),
    ``notices_sent`` (e-mails sent about it so far) and ``last_notified_at``: what the template
    ``dialogues/_overdue_flag.html`` shows.
    """
    on = on or timezone.localdate()
    flags = (
        OverdueFlag.objects.filter(closed_at__isnull=True)
        .select_related("body__reports_to")
        .annotate(
            notices_sent=Count("notifications", filter=Q(notifications__status=NotificationStatus.SENT)),
            last_notified_at=Max("notifications__sent_at"),
            body_last_meeting_precision=Meeting.objects.last_precision("body__"),
        )
        .order_by("due_on", "body__name")
    )
    if bodies is not None:
        flags = flags.filter(body__in=[getattr(body, "pk", body) for body in bodies])
    result = list(flags)
    for flag in result:
        flag.days_overdue = max((on - flag.due_on).days, 0)
        flag.body.last_meeting_precision = flag.body_last_meeting_precision
    return result


@dataclass(frozen=True)
class MeetingOutcomes:
    """A meeting, the commitments it produced and those it advanced.

    ``summary`` counts the outcomes' recorded statuses (the API's ``outcomes_summary``); ``state_summary`` counts
    their states today (``Commitment.state``), as the meeting's page, like every list, shows them.
    """

    meeting: Meeting
    outcomes: list[Commitment]
    summary: str
    advanced: list[Commitment] = field(default_factory=list)

    @property
    def state_summary(self) -> str:
        return state_summary(c.state() for c in self.outcomes)


def meeting_outcomes(*, pk: int, with_advanced: bool = True) -> MeetingOutcomes:
    """A meeting with its body, the commitments made at it and (``with_advanced``) those it advanced
    (``Meeting.advanced_commitments``: not those made at it), each in reference order (3 queries; 2 without those
    advanced).

    Raises ``Meeting.DoesNotExist``. Withdrawn meetings are shown too (marked), as on the body's page.
    """
    meetings = Meeting.objects.select_related("body", "recorded_by", "withdrawn_by", "source_document")
    if with_advanced:
        advanced = Commitment.objects.select_related("agreement", "responsible_body").in_reference_order()
        meetings = meetings.prefetch_related(Prefetch("commitments_advanced", queryset=advanced))
    meeting = meetings.get(pk=pk)
    outcomes = list(
        Commitment.objects.filter(made_at=meeting)
        .select_related("agreement", "responsible_body", "made_at_source")
        .in_reference_order()
    )
    advanced = meeting.advanced_commitments if with_advanced else []
    return MeetingOutcomes(meeting, outcomes, status_summary(c.status for c in outcomes), advanced)
