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


class DialogueBodyQuerySet(models.QuerySet):
    def overdue(self, *, on: date | None = None) -> DialogueBodyQuerySet:
        """Bodies overdue against their cadence on ``on`` (default today), in one query.

        The cadence rule (``DialogueBody.schedule``) stores, for each body, the last day of its grace period
        (``overdue_after``); a body is overdue once that day has passed. Bodies with no cadence, with no known
        starting point, or inactive are never overdue.
        """
        return self.filter(overdue_condition(on=on))

    def not_overdue(self, *, on: date | None = None) -> DialogueBodyQuerySet:
        return self.exclude(pk__in=self.overdue(on=on).values("pk"))

    def with_last_meeting_precision(self) -> DialogueBodyQuerySet:
        """Annotate ``last_meeting_precision``: how much of the last meeting's date the documents give."""
        from .models import Meeting  # the model module imports this one

        last = Meeting.objects.held().filter(body=models.OuterRef("pk"), held_on=models.OuterRef("last_meeting_on"))
        return self.annotate(last_meeting_precision=models.Subquery(last.values("held_on_precision")[:1]))

    def for_listing(self) -> DialogueBodyQuerySet:
        return self.select_related("reports_to").prefetch_related("agreements").with_last_meeting_precision()


class MeetingQuerySet(models.QuerySet):
    def held(self) -> MeetingQuerySet:
        """Meetings that count: not withdrawn. The schedule, the sweep, the dashboards and the as-of views read only
        these; pages and the API list the withdrawn ones too, marked (see ``dialogues.services.meeting_withdraw``)."""
        return self.filter(withdrawn_at__isnull=True)
