"""Dialogue bodies (Summit, Strategic Dialogue, thematic dialogues, ...), their meetings, and overdue flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import EllipsisType

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from commitments.models import due_period_end
from core.hierarchy import ancestors, refuse_ancestor_loop
from core.models import (
    LONG_TEXT_MAX,
    DatePrecision,
    ProvenanceMixin,
    SourcedModel,
    code_validator,
    precision_constraint,
    precision_errors,
    precision_field,
    provenance_constraints,
    provenance_fields,
)
from core.templatetags.facts import about_years, count_of_days, format_approx_date, format_approx_date_on

from .choices import BodyState, FlagCloseReason, Level, NotificationKind, NotificationStatus
from .querysets import DialogueBodyQuerySet, MeetingQuerySet, overdue_key

DEFAULT_GRACE_DAYS = 60
EARLIEST_MEETING = date(1950, 1, 1)
"""No meeting is recorded before this day when the body's start is unknown (the tracker's lower bound)."""


@dataclass(frozen=True)
class Schedule:
    """When a body should next meet (at the latest), the last day before it counts as overdue, and how much of the
    due date is known (``precision``: "June 2027" is due by 30 June 2027, stored as that day)."""

    last_meeting_on: date | None
    next_due_on: date | None
    overdue_after: date | None
    precision: str = DatePrecision.DAY


def due_precision(start_precision: str | None, cadence_months: int | None) -> str:
    """How much of a due date is known when it counts from a date known to ``start_precision``: as much as of that
    date, except that a cadence of whole months from a year ("2015" + 6 months) is due by the end of a month
    ("June 2016"), not of a year."""
    precision = start_precision or DatePrecision.DAY
    if precision == DatePrecision.YEAR and cadence_months and cadence_months % 12:
        return DatePrecision.MONTH
    return precision


def due_by(start: date, precision: str | None, cadence_months: int) -> date:
    """The day a body meeting every ``cadence_months`` is due by, counted from ``start`` known to ``precision``.

    Counted from the LAST day the start can mean (``due_period_end``), so that no body is due, or overdue, before
    anyone can know it: met "June 2026" with a 12-month cadence is due by 30 June 2027, started "2015" by
    31 December 2016. A start known to the day counts from that day (31 January + 1 month = 28 February).
    """
    if precision not in (DatePrecision.MONTH, DatePrecision.YEAR):
        return start + relativedelta(months=cadence_months)
    # The start period ends on a month's last day; the due date is the last day of the month cadence_months later
    # (30 June + 1 month is 31 July, which relativedelta alone would make 30 July).
    last = due_period_end(start, precision)
    return due_period_end(last.replace(day=1) + relativedelta(months=cadence_months), DatePrecision.MONTH)


@dataclass(frozen=True)
class BodyStatus:
    """A body's state on a day, as every page, the print, the CSV and the API show it."""

    code: str
    label: str
    days_overdue: int | None = None
    due_on: date | None = None
    assumed: bool = False
    due_precision: str = DatePrecision.DAY

    @property
    def due_display(self) -> str:
        """The due date as far as it is known: "13 July 2024", or "January 2024" when the schedule counts from a
        meeting or a start the documents give only as a month (the stored day is that month's first)."""
        return format_approx_date(self.due_on, self.due_precision)

    @property
    def text(self) -> str:
        """The label, saying so when it rests on an assumed cadence or start date."""
        return f"{self.label} (on an assumed cadence or start date)" if self.assumed else self.label


def body_state(
    *,
    active: bool,
    cadence_months: int | None,
    last_meeting_on: date | None,
    next_due_on: date | None,
    overdue_after: date | None,
    on: date,
    assumed: bool = False,
    due_precision: str = DatePrecision.DAY,
    started: tuple[date, str] | None = None,
) -> BodyStatus:
    """The one rule for a body's state: met on schedule, due, overdue, no meeting recorded, cannot tell (or ad hoc,
    inactive).

    ``assumed`` says that the schedule rests on an assumed cadence or start date; the state then says so.
    ``due_precision`` is how much of the due date is known (``DialogueBody.schedule_precision``): a due date that
    counts from a meeting known only as "January 2023" is "January 2024" (stored as its last day, 31 January), so
    the state says "past due since Jan 2024" rather than a count of days it cannot know (the count, from that last
    day, so never more than the body can be late, stays in ``days_overdue`` for sorting and the API). "Overdue
    since" names only the first day after the grace period. ``started`` (the start and its precision, for a body
    with no meeting recorded) makes an overdue state say what is missing, the record: "Overdue: no meeting
    recorded since it started in 2014" (:func:`overdue_phrase`).
    """
    due = format_approx_date(next_due_on, due_precision, short=True) if next_due_on else ""
    if not active:
        return BodyStatus(BodyState.INACTIVE, "Inactive")
    if not cadence_months:
        if last_meeting_on is None:
            return BodyStatus(BodyState.NEVER_MET, "No meeting recorded (meets ad hoc)")
        return BodyStatus(BodyState.AD_HOC, "Ad hoc")
    if next_due_on is None:
        return BodyStatus(BodyState.CANNOT_TELL, "Cannot tell: no meeting or start date")
    # The tracker knows the meetings it records: a body with none may still have met (the Cyber Dialogue is
    # "regular since 2014" in the documents, with no meeting dated), so the state says what is recorded.
    never = "" if last_meeting_on else ", no meeting recorded"
    if overdue_after is not None and overdue_after < on:
        days = (on - next_due_on).days
        if last_meeting_on is None and started is not None:
            late = overdue_phrase(days, next_due_on, due_precision, started=started)
        else:
            late = (_days_past_due(days) if due_precision == DatePrecision.DAY else f"past due since {due}") + never
        return BodyStatus(BodyState.OVERDUE, f"Overdue: {late}", days, next_due_on, assumed, due_precision)
    if next_due_on <= on:
        return BodyStatus(BodyState.DUE, f"Due since {due}{never}", None, next_due_on, assumed, due_precision)
    if last_meeting_on is None:
        return BodyStatus(
            BodyState.NEVER_MET, f"No meeting recorded: first due by {due}", None, next_due_on, assumed, due_precision
        )
    return BodyStatus(BodyState.ON_SCHEDULE, "Met on schedule", None, next_due_on, assumed, due_precision)


def _days_past_due(days: int) -> str:
    """ "1,049 days past due": counted from the due date, with the thousands marked so it reads at a glance."""
    return f"{count_of_days(days)} past due"


def overdue_phrase(days: int, due_on: date, precision: str, *, started: tuple[date, str] | None = None) -> str:
    """How late an overdue body is, counted from its DUE date (not from the day it fell overdue after its grace):
    "1,049 days past due (about 3 years)"; where the due date is known only to the month or the year (it counts
    from a meeting or a start the documents give so), "past due since January 2024 (about 3 years)": the day count,
    from the period's last day, would claim a precision the documents do not give. "Overdue since" is kept for
    the first day after the grace period, so the two never name different dates with the same words.

    ``started`` (its start and that date's precision) is given for a body with no meeting recorded: what the
    tracker knows then is the missing record, not that the body has not met (the documents call the Cyber Dialogue
    "regular since 2014" without dating a meeting), so the phrase says "no meeting recorded since it started in
    2014" and leaves the due date to the words around it."""
    if started is not None:
        return f"no meeting recorded since it started {format_approx_date_on(*started)}"
    years = f" ({about_years(days)})" if about_years(days) else ""
    if precision == DatePrecision.DAY:
        return f"{_days_past_due(days)}{years}"
    return f"past due since {format_approx_date(due_on, precision)}{years}"


class DialogueBody(ProvenanceMixin, SourcedModel):
    """A body that holds EU–Japan meetings (Summit, Strategic Dialogue, Cyber Dialogue, ...).

    The cadence rule lives in :meth:`schedule`: a body meeting every N months is due N months after its last
    meeting (or after it was established, if it has never met), counted from the last day that date can mean
    ("June 2026" from 30 June), and overdue once the due date plus the grace period has passed. ``last_meeting_on``,
    ``next_due_on`` and ``overdue_after`` store that rule's result so that overdue bodies are found by one indexed
    query. :meth:`refresh_schedule` is the one function that stores it; the services that create or change a body or
    record, change or withdraw a meeting call it, in their transaction (``save()`` has no such side effect: a write
    that bypasses the services is visible as such).
    """

    short_name = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices)
    agreements = models.ManyToManyField("commitments.Agreement", related_name="dialogue_bodies", blank=True)
    reports_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reporting_bodies"
    )
    cadence_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="How often it is meant to meet, in months. Empty for ad-hoc bodies, which are never overdue.",
    )
    grace_days = models.PositiveSmallIntegerField(
        default=DEFAULT_GRACE_DAYS,
        validators=[MaxValueValidator(365)],
        help_text="Days after the due date before the body counts as overdue.",
    )
    established_on = models.DateField("started on", null=True, blank=True)
    established_on_precision = precision_field()
    eu_lead = models.CharField("EU lead", max_length=200, blank=True)
    japan_lead = models.CharField("Japan lead", max_length=200, blank=True)
    description = models.TextField(
        blank=True, max_length=LONG_TEXT_MAX, validators=[MaxLengthValidator(LONG_TEXT_MAX)]
    )
    active = models.BooleanField(default=True)

    # The basis of each fact that drives behaviour (see core.models, "Facts with provenance").
    cadence_basis, cadence_reason, cadence_assumed_by, cadence_source, cadence_locator = provenance_fields()
    level_basis, level_reason, level_assumed_by, level_source, level_locator = provenance_fields()
    reports_to_basis, reports_to_reason, reports_to_assumed_by, reports_to_source, reports_to_locator = (
        provenance_fields()
    )
    (
        established_on_basis,
        established_on_reason,
        established_on_assumed_by,
        established_on_source,
        established_on_locator,
    ) = provenance_fields()

    last_meeting_on = models.DateField(null=True, blank=True, editable=False)
    next_due_on = models.DateField(null=True, blank=True, editable=False)
    overdue_after = models.DateField(null=True, blank=True, editable=False)
    # Whether the body has an open overdue flag: the overdue sweep's own mark, so that its daily run finds "overdue
    # without an open flag" and "open flag, no longer overdue" by range scans of one index (``body_sweep_state``)
    # instead of joining every body to the flags. Written only by the services that open, close, reopen or delete
    # flags (``dialogues.services``), under the body's row lock; ``save()`` never writes it (see there).
    has_open_flag = models.BooleanField(default=False, db_default=False, editable=False)

    # Set by ``DialogueBodyQuerySet.with_last_meeting_precision``; a body read without it shows the day.
    last_meeting_precision: str | None = None

    objects = DialogueBodyQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["last_meeting_on", "next_due_on", "overdue_after", "has_open_flag"])

    class Meta:
        ordering = ["name"]
        verbose_name = "dialogue body"
        verbose_name_plural = "dialogue bodies"
        indexes = [
            models.Index(fields=["active", "overdue_after"], name="body_active_overdue_after"),
            # The sweep's index: (has an open flag, last day of grace if the cadence rule applies) — see
            # ``DialogueBodyQuerySet.to_flag`` and ``flagged_not_overdue``.
            models.Index(F("has_open_flag"), overdue_key(), name="body_sweep_state"),
        ]
        constraints = [
            *provenance_constraints("body", "cadence"),
            *provenance_constraints("body", "level"),
            *provenance_constraints("body", "reports_to"),
            *provenance_constraints("body", "established_on"),
            precision_constraint("body", "established_on"),
            # The field validators' bounds, held by the database too: a write that bypasses full_clean() (a bulk
            # import, an UPDATE) cannot store a cadence the cadence rule was never meant for.
            models.CheckConstraint(
                condition=Q(cadence_months__isnull=True) | Q(cadence_months__gte=1, cadence_months__lte=120),
                name="body_cadence_1_120_months",
                violation_error_message="A cadence is from 1 to 120 months (empty for a body that meets ad hoc).",
            ),
            models.CheckConstraint(
                condition=Q(grace_days__lte=365),
                name="body_grace_at_most_365_days",
                violation_error_message="A grace period is at most 365 days.",
            ),
        ]

    PROVENANCE_FACTS = {
        "cadence": "cadence_months",
        "level": "level",
        "reports_to": "reports_to",
        "established_on": "established_on",
    }
    PROVENANCE_LABELS = {
        "cadence": "Cadence",
        "level": "Level",
        "reports_to": "Reporting line",
        "established_on": "Start date",
    }

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dialogues:body_detail", kwargs={"short_name": self.short_name})

    def save(self, *args, **kwargs) -> None:
        """Save as usual, except ``has_open_flag`` on an update: the instance may have been read before a sweep
        opened or closed the body's flag, and writing its copy back would undo the mark."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            skipped = self.get_deferred_fields() | {"has_open_flag"}
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in skipped
            ]
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        """The name with the short name after it, once: "Asia-Europe Parliamentary Partnership (ASEP)" already
        carries it, "Japan–EU Summit" becomes "Japan–EU Summit (SUMMIT)"."""
        suffix = f"({self.short_name})"
        return self.name if self.name.endswith(suffix) else f"{self.name} {suffix}"

    def clean(self) -> None:
        refuse_ancestor_loop(self, "reports_to", "The reporting line would loop back to this body.")
        errors = self.provenance_errors()
        errors.update(precision_errors(self.established_on, self.established_on_precision, "established_on"))
        if self.established_on and self.established_on > timezone.localdate():
            errors["established_on"] = "A body's start date cannot be in the future."
        if errors:
            raise ValidationError(errors)

    def fact_display(self, name: str) -> str:
        if name == "cadence":
            return f"every {self.cadence_months} month{'s' if self.cadence_months != 1 else ''}"
        return super().fact_display(name)

    @property
    def schedule_rests_on_assumption(self) -> bool:
        """Whether the due date comes from an assumed cadence, or from an assumed start date (never met)."""
        if not self.cadence_months:
            return False
        if self.fact("cadence").is_assumed:
            return True
        return self.last_meeting_on is None and self.fact("established_on").is_assumed

    def state(self, *, on: date | None = None) -> BodyStatus:
        """This body's state on ``on`` (today by default): the one rule every page, the CSV and the API use."""
        return body_state(
            active=self.active,
            cadence_months=self.cadence_months,
            last_meeting_on=self.last_meeting_on,
            next_due_on=self.next_due_on,
            overdue_after=self.overdue_after,
            on=on or timezone.localdate(),
            assumed=self.schedule_rests_on_assumption,
            due_precision=self.schedule_precision,
            started=self.start_if_never_met,
        )

    @property
    def schedule_precision(self) -> str:
        """How much of the next due date is known (:func:`due_precision`): as much as of the date the schedule
        counts from, the last meeting (``last_meeting_precision``, set by
        ``DialogueBodyQuerySet.with_last_meeting_precision``; a body read without it counts its last meeting to the
        day) or, for a body that never met, its start."""
        if self.last_meeting_on:
            return due_precision(self.last_meeting_precision, self.cadence_months)
        return due_precision(self.established_on_precision, self.cadence_months)

    @property
    def overdue_phrase(self) -> str:
        """How late it is today, from its due date as far as that is known: "877 days past due (about 2 years)",
        or "past due since January 2024 (about 2 years)"; empty when it is not overdue."""
        days = self.days_overdue()
        if days is None:
            return ""
        return overdue_phrase(days, self.next_due_on, self.schedule_precision, started=self.start_if_never_met)

    @property
    def start_if_never_met(self) -> tuple[date, str] | None:
        """(its start, that date's precision) while no meeting is recorded and the start is known, for
        :func:`overdue_phrase`; ``None`` once a meeting is recorded."""
        if self.last_meeting_on or self.established_on is None:
            return None
        return self.established_on, self.established_on_precision or DatePrecision.DAY

    @property
    def overdue_since(self) -> date | None:
        """The first day it counts as overdue (the day after its due date plus grace); ``None`` without a cadence."""
        return self.overdue_after + timedelta(days=1) if self.overdue_after else None

    @property
    def overdue_since_display(self) -> str:
        """That first overdue day as far as it is known ("24 March 2024", or "March 2024" for a schedule counted
        from a month: the month of the first day it is overdue whichever day the month meant); empty without a
        cadence."""
        return format_approx_date(self.overdue_since, self.schedule_precision) if self.overdue_since else ""

    @property
    def next_due_display(self) -> str:
        """The next due date as far as it is known ("13 July 2024", "January 2024", "2015"); empty if none."""
        return format_approx_date(self.next_due_on, self.schedule_precision)

    @property
    def earliest_meeting_on(self) -> date:
        """No meeting of this body can predate its start, or 1950 where the start is unknown."""
        return self.established_on or EARLIEST_MEETING

    @staticmethod
    def compute_schedule(
        *,
        cadence_months: int | None,
        grace_days: int,
        established_on: date | None,
        established_on_precision: str | None,
        last_meeting_on: date | None,
        last_meeting_precision: str | None,
    ) -> Schedule:
        """The cadence rule. Pure, so the job, the pages, the API and the benchmarks share it.

        Each date comes with its precision: the body is due :func:`due_by` the last day the date it counts from can
        mean, so a meeting "June 2026" (stored 1 June) is never counted as if held on 1 June."""
        start, precision = (
            (last_meeting_on, last_meeting_precision)
            if last_meeting_on
            else (established_on, established_on_precision)
        )
        if not cadence_months or start is None:
            return Schedule(last_meeting_on, None, None)
        due = due_by(start, precision, cadence_months)
        return Schedule(
            last_meeting_on, due, due + timedelta(days=grace_days), due_precision(precision, cadence_months)
        )

    def schedule(
        self, *, last_meeting_on: date | EllipsisType | None = ..., last_meeting_precision: str | None = None
    ) -> Schedule:
        """This body's schedule by the cadence rule, counted from ``last_meeting_on`` known to
        ``last_meeting_precision`` (``None``: it never met, so from its establishment; left out: the last meeting
        stored on the body, with its precision). The one call of the rule: the sweep, the pages as of a past day,
        the timeline and the benchmark's generator all come through here.

        A meeting's precision is required with its date: the rule cannot guess it, and guessing the day would
        count a meeting "June 2026" from 1 June (``TypeError`` otherwise)."""
        if last_meeting_on is ...:
            last_meeting_on = self.last_meeting_on
            last_meeting_precision = self.last_meeting_precision
            if last_meeting_on and last_meeting_precision is None:  # read without with_last_meeting_precision()
                last_meeting_precision = (
                    self.meetings.held().filter(held_on=last_meeting_on).values_list("held_on_precision", flat=True)
                ).first()
        if last_meeting_on and not last_meeting_precision:
            raise TypeError("schedule(): a last meeting needs its precision (last_meeting_precision)")
        return self.compute_schedule(
            cadence_months=self.cadence_months,
            grace_days=self.grace_days,
            established_on=self.established_on,
            established_on_precision=self.established_on_precision,
            last_meeting_on=last_meeting_on,
            last_meeting_precision=last_meeting_precision,
        )

    def _apply_schedule(self, schedule: Schedule) -> None:
        self.last_meeting_on = schedule.last_meeting_on
        self.next_due_on = schedule.next_due_on
        self.overdue_after = schedule.overdue_after

    def refresh_schedule(self) -> None:
        """Recompute the schedule from the meetings held (withdrawn ones do not count) and store it, on this
        instance and in the database (one query, one update)."""
        last, precision = self.meetings.held().order_by("-held_on").values_list(
            "held_on", "held_on_precision"
        ).first() or (None, None)
        schedule = self.schedule(last_meeting_on=last, last_meeting_precision=precision)
        self._apply_schedule(schedule)
        self.last_meeting_precision = precision
        DialogueBody.objects.filter(pk=self.pk).update(
            last_meeting_on=schedule.last_meeting_on,
            next_due_on=schedule.next_due_on,
            overdue_after=schedule.overdue_after,
        )

    def is_overdue(self, *, on: date | None = None) -> bool:
        on = on or timezone.localdate()
        return bool(self.active and self.cadence_months and self.overdue_after and self.overdue_after < on)

    def days_overdue(self, *, on: date | None = None) -> int | None:
        """Days since the meeting was due (from the last day of a due month or year: never more than it can be
        late), or ``None`` when the body is not overdue."""
        on = on or timezone.localdate()
        if not self.is_overdue(on=on):
            return None
        return (on - self.next_due_on).days

    def reporting_line(self) -> list[DialogueBody]:
        """The chain of bodies this one reports to, nearest first."""
        return list(ancestors(self, "reports_to"))


class Contact(models.Model):
    """A person to tell when a body falls behind its cadence (a desk officer, a co-chair's office)."""

    body = models.ForeignKey(DialogueBody, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    role = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["body", "name"]
        constraints = [models.UniqueConstraint(fields=["body", "email"], name="contact_unique_email_per_body")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Meeting(SourcedModel):
    """A dated meeting of a dialogue body, with what it produced and the commitments it advanced.

    A meeting recorded by mistake is *withdrawn*, not deleted (``dialogues.services.meeting_withdraw``): it stays
    listed, marked, with who withdrew it, when and why, and no longer counts for the schedule, the sweep or the
    dashboards. The withdrawal is stored on the meeting itself, not in a separate append-only row as a status
    update's is: meetings are ordinary records (their audit trail, ``history``, is the append-only part and
    records the withdrawal with its author), and only a column on this table lets the one-meeting-a-day
    constraint ignore withdrawn meetings, so that the right meeting can be recorded for the same day.
    """

    body = models.ForeignKey(DialogueBody, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField()
    held_on_precision = precision_field()
    place = models.CharField(max_length=200, blank=True)
    summary = models.TextField(
        "outcome", blank=True, max_length=LONG_TEXT_MAX, validators=[MaxLengthValidator(LONG_TEXT_MAX)]
    )
    commitments_advanced = models.ManyToManyField("commitments.Commitment", related_name="meetings", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True, editable=False)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "body__name"]
        indexes = [
            models.Index(fields=["body", "-held_on"], name="meeting_body_held_on"),
            # Meetings across all bodies, newest first or since a date (what changed, the latest meetings): without
            # it every such list sorts all meetings.
            models.Index(fields=["-held_on"], name="meeting_held_on"),
        ]
        constraints = [
            precision_constraint("meeting", "held_on"),
            models.UniqueConstraint(
                fields=["body", "held_on"],
                condition=Q(withdrawn_at__isnull=True),
                name="meeting_unique_body_day",
                violation_error_message="This body already has a meeting recorded on that day.",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="meeting_withdrawal_has_reason",
                violation_error_message="Say why the meeting is withdrawn.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body.name}, {self.held_on_display}"

    def get_absolute_url(self) -> str:
        return reverse("dialogues:meeting_detail", kwargs={"pk": self.pk})

    @property
    def held_on_display(self) -> str:
        """The day held, as far as it is known ("13 July 2023", "January 2023")."""
        return format_approx_date(self.held_on, self.held_on_precision)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def advanced_commitments(self) -> list:
        """The commitments it advanced: those linked to it (``commitments_advanced``, prefetched by every list that
        shows them), less those made at it (``Commitment.made_at``): a meeting that makes a commitment does not
        also advance it, though a document may name it among the meeting's commitments (the seed's summits do).
        ``MeetingQuerySet.with_advanced_count`` counts the same in SQL."""
        return [c for c in self.commitments_advanced.all() if c.made_at_id != self.pk]

    def clean(self) -> None:
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": "Record a meeting once it has been held: the date is in the future."})
        errors = precision_errors(self.held_on, self.held_on_precision, "held_on")
        if errors:
            raise ValidationError(errors)
        if self.held_on and self.body_id is not None:
            earliest = self.body.earliest_meeting_on
            if self.held_on < earliest:
                if self.body.established_on:
                    started = format_approx_date(self.body.established_on, self.body.established_on_precision)
                    prep = "on" if self.body.established_on_precision == DatePrecision.DAY else "in"
                    message = f"{self.body.short_name} started {prep} {started}: a meeting cannot predate its start."
                else:
                    message = f"A meeting cannot be dated before {format_approx_date(earliest)}."
                raise ValidationError({"held_on": message})


class OverdueFlag(models.Model):
    """A body found overdue by the sweep. At most one open flag per body, enforced by the database."""

    body = models.ForeignKey(DialogueBody, on_delete=models.CASCADE, related_name="overdue_flags")
    due_on = models.DateField(help_text="When the body was expected to meet.")
    overdue_since = models.DateField(help_text="The first day the body counted as overdue.")
    days_overdue_at_opening = models.PositiveIntegerField()
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=30, choices=FlagCloseReason.choices, blank=True)
    closed_by_meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="closed_flags"
    )
    # Which sweep run inserted the flag: the insert ignores conflicts with the one-open-flag constraint (another
    # run may have opened it a moment earlier), so a run finds the flags it really created by this token.
    opened_by_sweep = models.UUIDField(null=True, blank=True, editable=False)
    # The day the next e-mail about the flag is due: reminder n on the day the flag is n * OVERDUE_REMINDER_DAYS days
    # old (the sweep claims the opening notice as it opens the flag; a flag opened otherwise gets its opening notice
    # on this day first); empty when none is (reminders switched off). The sweep moves it on as it claims each
    # notice, so that a daily run reads only the flags due.
    next_notice_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["body"], condition=Q(closed_at__isnull=True), name="one_open_overdue_flag_per_body"
            ),
        ]
        indexes = [
            models.Index(fields=["next_notice_on"], condition=Q(closed_at__isnull=True), name="open_flag_next_notice")
        ]

    def __str__(self) -> str:
        state = "open" if self.closed_at is None else "closed"
        return f"{self.body.short_name} overdue since {self.overdue_since} ({state})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def due_precision(self) -> str:
        """How much of ``due_on`` is known: as much as of the body's schedule while the flag is about its current
        due date (an open flag always is: a meeting that moves the schedule closes it), else the day."""
        return self.body.schedule_precision if self.due_on == self.body.next_due_on else DatePrecision.DAY

    @property
    def due_display(self) -> str:
        return format_approx_date(self.due_on, self.due_precision)


class FlagNotification(models.Model):
    """One e-mail about an overdue flag: the opening notice (sequence 0) or the n-th reminder while it stays open.

    The row is a claim taken *before* anything is sent; the unique key (flag, kind, sequence) makes the claim, and
    so the e-mail, happen once however many sweeps run. The whole exactly-once story (claims, leases, crashes,
    ``Message-ID``) is told in the docstring of ``dialogues.services``.
    """

    flag = models.ForeignKey(OverdueFlag, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    sequence = models.PositiveSmallIntegerField(default=0, help_text="0 for the opening notice, n for reminder n.")
    status = models.CharField(max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    claim_token = models.UUIDField(help_text="The sweep run that owns this notice until its lease runs out.")
    claimed_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=1, help_text="How many runs have claimed it.")
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True, help_text="The addresses the e-mail was sent to.")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["flag", "kind", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["flag", "kind", "sequence"], name="flag_notification_once"),
            models.CheckConstraint(
                condition=Q(kind=NotificationKind.OPENED, sequence=0)
                | Q(kind=NotificationKind.REMINDER, sequence__gte=1),
                name="flag_notification_sequence_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["claim_token"], name="flag_notification_claim"),
            models.Index(
                fields=["claimed_at"], condition=Q(status=NotificationStatus.PENDING), name="flag_notification_pending"
            ),
        ]

    def __str__(self) -> str:
        what = "opening notice" if self.kind == NotificationKind.OPENED else f"reminder {self.sequence}"
        return f"{what} for flag {self.flag_id} ({self.get_status_display().lower()})"
