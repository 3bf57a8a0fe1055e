"""Reusable reads of dialogue bodies: the cadence rule as a set-based query."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone


def overdue_condition(*, on: date | None = None, prefix: str = "") -> models.Q:
    """The cadence rule as a condition on a body's stored schedule (``prefix``: the path to the body, e.g.
    ``"body__"`` from its flags); ``~`` of it is "not overdue", nulls included."""
    on = on or timezone.localdate()
    return models.Q(
        **{f"{prefix}active": True, f"{prefix}cadence_months__isnull": False, f"{prefix}overdue_after__lt": on}
    )


def overdue_key() -> models.Case:
    """The stored schedule folded into one date: the last day of grace of a body the cadence rule applies to
    (active, with a cadence and a schedule), else the last day of the calendar (never overdue). A body is overdue on
    ``on`` exactly when this is before ``on`` (:func:`overdue_condition`), and not overdue when it is on or after,
    so each side is one range of the index on (``has_open_flag``, this), ``body_sweep_state``. The index and the
    sweep's queries must use this same expression for PostgreSQL to match them."""
    return models.Case(
        models.When(
            models.Q(active=True, cadence_months__isnull=False, overdue_after__isnull=False),
            then=models.F("overdue_after"),
        ),
        default=models.Value(date.max),
        output_field=models.DateField(),
    )


class DialogueBodyQuerySet(models.QuerySet):
    def overdue(self, *, on: date | None = None) -> DialogueBodyQuerySet:
        """Bodies overdue against their cadence on ``on`` (default today), in one query.

        The cadence rule (``DialogueBody.schedule``) stores, for each body, the last day of its grace period
        (``overdue_after``); a body is overdue once that day has passed. Bodies with no cadence, with no known
        starting point, or inactive are never overdue.
        """
        return self.filter(overdue_condition(on=on))

    def to_flag(self, *, on: date) -> DialogueBodyQuerySet:
        """Bodies overdue on ``on`` without an open flag: a range of the ``body_sweep_state`` index, empty on a day
        when nothing became overdue, however many bodies are overdue."""
        return self.alias(overdue_key=overdue_key()).filter(has_open_flag=False, overdue_key__lt=on)

    def flagged_not_overdue(self, *, on: date) -> DialogueBodyQuerySet:
        """Bodies with an open flag that are not overdue on ``on`` (a meeting recorded, the cadence changed, made
        inactive): a range of the same index, empty on a day when no flagged body changed."""
        return self.alias(overdue_key=overdue_key()).filter(has_open_flag=True, overdue_key__gte=on)

    def not_overdue(self, *, on: date | None = None) -> DialogueBodyQuerySet:
        return self.exclude(pk__in=self.overdue(on=on).values("pk"))

    def with_last_meeting_precision(self) -> DialogueBodyQuerySet:
        """Annotate ``last_meeting_precision``: how much of the last meeting's date the documents give."""
        meetings = self.model._meta.get_field("meetings").related_model.objects  # the model module imports this one
        return self.annotate(last_meeting_precision=meetings.last_precision())

    def with_last_meeting_held(self, **held_on) -> DialogueBodyQuerySet:
        """Annotate ``last_held`` and ``last_held_precision``: the date of the last meeting held whose ``held_on``
        meets the lookups given (``held_on__lte=day``: as it stood at the end of ``day``), and how much of it the
        documents give; both empty for a body with none. The pages as of a past day and the changes in a window
        count the cadence rule from it."""
        meetings = self.model._meta.get_field("meetings").related_model.objects  # the model module imports this one
        last = meetings.held().filter(body=models.OuterRef("pk"), **held_on).order_by("-held_on")
        return self.annotate(
            last_held=models.Subquery(last.values("held_on")[:1]),
            last_held_precision=models.Subquery(last.values("held_on_precision")[:1]),
        )

    def for_listing(self) -> DialogueBodyQuerySet:
        return self.select_related("reports_to").prefetch_related("agreements").with_last_meeting_precision()


class MeetingQuerySet(models.QuerySet):
    def held(self) -> MeetingQuerySet:
        """Meetings that count: not withdrawn. Whatever counts meetings or offers one as held reads only these (the
        schedule, the sweep, the dashboards and the as-of views, the briefing packs, the meetings that advanced a
        commitment, the "made at" choice); a body's page, a meeting's page and the API's meeting list show the
        withdrawn ones too, marked (see ``dialogues.services.meeting_withdraw``)."""
        return self.filter(withdrawn_at__isnull=True)

    def with_advanced_count(self) -> MeetingQuerySet:
        """Annotate ``advanced_count``: how many commitments each meeting advanced, those made at it left out
        (``Meeting.advanced_commitments``, the same rule on prefetched rows)."""
        made_here = models.Q(commitments_advanced__made_at=models.F("pk"))
        return self.annotate(advanced_count=models.Count("commitments_advanced", filter=~made_here))

    def last_precision(self, body: str = "") -> models.Subquery:
        """To annotate: how much of a body's ``last_meeting_on`` the documents give (the precision of its last
        meeting held). ``body``: the path from the annotated model to the body, e.g. ``"flag__body__"``; the
        commitments app, below this one, reaches it through ``commitments.querysets.meetings()``."""
        last = self.held().filter(body=models.OuterRef(f"{body}pk"), held_on=models.OuterRef(f"{body}last_meeting_on"))
        return models.Subquery(last.values("held_on_precision")[:1])
