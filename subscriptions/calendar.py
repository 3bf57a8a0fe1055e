"""The iCalendar feed (RFC 5545, generated with the ``icalendar`` library): expected meetings and target dates.

Every event is an all-day event with a stable UID, so a calendar program that re-reads the feed updates an event
instead of duplicating it (an expected meeting's UID stays the same when its date moves).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from core.models import DatePrecision
from core.templatetags.facts import format_approx_date_on
from dialogues.models import DialogueBody

from .selectors import Scope, calendar_bodies, calendar_commitments, calendar_milestones, next_day

PRODID = "-//EU-Japan commitment tracker//Calendar feed//EN"


def cadence_basis(body: DialogueBody) -> tuple[str, str]:
    """(basis, explanation) of a body's next expected meeting: ``"assumed"`` where the due date rests on an
    assumed cadence (or, for a body that never met, an assumed start date), ``"stated"`` where the documents give
    both (``DialogueBody.schedule_rests_on_assumption``, the rule the pages and the API use)."""
    counted_from = (
        f"its last meeting {format_approx_date_on(body.last_meeting_on, body.last_meeting_precision)}"
        if body.last_meeting_on
        else "its establishment"
    )
    # Where the due date is known only to the month or the year, the event spans it (as a target date's does), to
    # its last day, the day the body is due by (DialogueBody.compute_schedule).
    period = (
        ""
        if body.schedule_precision == DatePrecision.DAY
        else f" Due by the end of {body.next_due_display}, no day given: the event spans it."
    )
    if not body.schedule_rests_on_assumption:
        return "stated", f"Cadence stated: every {body.cadence_months} months after {counted_from}.{period}"
    return "assumed", (
        f"Expected from an assumed cadence (every {body.cadence_months} months after {counted_from}): an "
        f"assumption, not an announced date.{period}"
    )


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


@dataclass(frozen=True)
class _FeedEvent:
    """What one all-day event of the feed says; ``url`` is site-relative."""

    uid: str
    summary: str
    on: date
    categories: list[str]
    description: str = ""
    basis: str = ""
    url: str = ""
    until: date | None = None  # the last day of an event that spans a period (a target known to the month or year)

    def to_ical(self, *, stamp: datetime) -> Event:
        """The event as iCalendar. An event with a page (``url``) is marked free time (``TRANSP:TRANSPARENT``): a
        due date is not a busy slot."""
        event = Event()
        event.add("uid", self.uid)
        event.add("summary", self.summary)
        event.add("dtstart", self.on)
        event.add("dtend", next_day(self.until or self.on))
        event.add("dtstamp", stamp)
        if self.description:
            event.add("description", self.description)
        event.add("categories", self.categories)
        if self.basis:
            event.add("x-tracker-basis", self.basis)
        if self.url:
            event.add("url", f"{settings.SITE_URL}{self.url}")
            event.add("transp", "TRANSPARENT")
        return event


def _feed_events(*, scope: Scope | None, host: str) -> Iterator[_FeedEvent]:
    """The feed's events in its order: each body's next expected meeting, each commitment's target date, each
    milestone's due date."""
    for body in calendar_bodies(scope=scope):
        basis, explanation = cadence_basis(body)
        yield _FeedEvent(
            uid=f"body-{body.pk}-next-meeting@{host}",
            summary=f"{'Expected' if basis == 'assumed' else 'Due'} meeting: {body.name} ({body.short_name})",
            on=_period_start(body.next_due_on, body.schedule_precision),
            until=body.next_due_on,
            description=explanation,
            categories=["Expected meeting", "Assumed" if basis == "assumed" else "Stated"],
            basis=basis,
            url=body.get_absolute_url(),
        )
    for commitment in calendar_commitments(scope=scope):
        yield _target_event(commitment, host=host)
    for milestone in calendar_milestones(scope=scope):
        yield _FeedEvent(
            uid=f"milestone-{milestone.pk}@{host}",
            summary=f"Milestone due: {milestone.title}",
            on=milestone.due_on,
            categories=["Milestone"],
        )


def _period_start(day: date, precision: str) -> date:
    """The first day of the month or year ``day`` (its last day) closes; ``day`` itself if known to the day."""
    if precision == DatePrecision.YEAR:
        return date(day.year, 1, 1)
    return day.replace(day=1) if precision == DatePrecision.MONTH else day


def _target_event(commitment, *, host: str) -> _FeedEvent:
    """A commitment's target date. A target known only to the month or the year is no day: the event spans the
    whole month or year (all-day, from its first day to its last), and says so, instead of standing on a day no
    document gives."""
    description = f"{commitment.agreement.code}: {commitment.title}. Status: {commitment.get_status_display()}."
    period = commitment.target_date_precision != DatePrecision.DAY
    if period:
        description += (
            f" Target: {commitment.target_date_display}, no day given; it has passed only once "
            f"{commitment.target_date_display} is over."
        )
    return _FeedEvent(
        uid=f"commitment-{commitment.pk}-target@{host}",
        summary=f"Target date{f' in {commitment.target_date_display}' if period else ''}: {commitment.reference} "
        f"{commitment.title}",
        on=commitment.target_date,
        until=commitment.target_by if period else None,
        description=description,
        categories=["Target date"],
        url=commitment.get_absolute_url(),
    )


def build_calendar(*, scope: Scope | None, name: str) -> bytes:
    """The feed for ``scope`` (``None``: everything), as iCalendar bytes."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    for event in _feed_events(scope=scope, host=_host()):
        calendar.add_component(event.to_ical(stamp=stamp))
    return calendar.to_ical()
