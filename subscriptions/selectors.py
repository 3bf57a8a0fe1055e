"""Reads for following: what a user follows, what that covers, what changed in it, and the dates ahead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from commitments.choices import Status, UpdateKind
from commitments.models import Commitment, StatusUpdate
from commitments.querysets import target_passed_condition
from dialogues.models import DialogueBody, Meeting, OverdueFlag

from .choices import FollowKind
from .models import Follow

CLOSED_STATUSES = (Status.ACHIEVED, Status.DISCONTINUED)


@dataclass(frozen=True)
class Scope:
    """What a user's follows cover. A framework covers its commitments (and those of the instruments directly
    under it) and the bodies that serve it; a body covers itself and the commitments it is responsible for; a
    policy area covers its commitments; a commitment covers itself."""

    commitment_ids: frozenset[int] = frozenset()
    body_ids: frozenset[int] = frozenset()
    agreement_ids: frozenset[int] = frozenset()
    areas: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.commitment_ids or self.body_ids or self.agreement_ids or self.areas)

    def commitments_q(self, prefix: str = "") -> Q:
        """A filter on commitments (``prefix`` e.g. ``"commitment__"`` from a status update)."""
        if self.is_empty:
            return Q(pk__in=[])
        return (
            Q(**{f"{prefix}pk__in": self.commitment_ids})
            | Q(**{f"{prefix}agreement_id__in": self.agreement_ids})
            | Q(**{f"{prefix}agreement__parent_id__in": self.agreement_ids})
            | Q(**{f"{prefix}area__in": self.areas})
            | Q(**{f"{prefix}responsible_body_id__in": self.body_ids})
        )

    def bodies_q(self, prefix: str = "") -> Q:
        if self.is_empty:
            return Q(pk__in=[])
        return Q(**{f"{prefix}pk__in": self.body_ids}) | Q(**{f"{prefix}agreements__in": self.agreement_ids})


def follows_of(*, user) -> QuerySet[Follow]:
    """A user's follows with their targets (one query)."""
    return Follow.objects.filter(user=user).select_related("commitment", "body", "agreement").order_by("kind", "pk")


def followed_keys(*, user) -> set[tuple[str, str]]:
    """(kind, target key) of everything ``user`` follows: what the follow buttons need (one query)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    keys = set()
    for kind, commitment, body, agreement, area in Follow.objects.filter(user=user).values_list(
        "kind", "commitment_id", "body_id", "agreement_id", "area"
    ):
        keys.add((kind, str({"commitment": commitment, "body": body, "agreement": agreement, "area": area}[kind])))
    return keys


def scope_of(*, user) -> Scope:
    """What ``user``'s follows cover (one query)."""
    ids: dict[str, set] = {kind: set() for kind in FollowKind.values}
    for kind, commitment, body, agreement, area in Follow.objects.filter(user=user).values_list(
        "kind", "commitment_id", "body_id", "agreement_id", "area"
    ):
        ids[kind].add({"commitment": commitment, "body": body, "agreement": agreement, "area": area}[kind])
    return Scope(
        commitment_ids=frozenset(ids[FollowKind.COMMITMENT]),
        body_ids=frozenset(ids[FollowKind.BODY]),
        agreement_ids=frozenset(ids[FollowKind.AGREEMENT]),
        areas=frozenset(ids[FollowKind.AREA]),
    )


@dataclass
class DigestContent:
    """What changed in a user's scope in [start, end)."""

    start: datetime
    end: datetime
    status_changes: list = field(default_factory=list)
    meetings: list = field(default_factory=list)
    fell_overdue: list = field(default_factory=list)
    deadlines_passed: list = field(default_factory=list)
    withdrawals: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.status_changes)
            + len(self.meetings)
            + len(self.fell_overdue)
            + len(self.deadlines_passed)
            + len(self.withdrawals)
        )


def digest_content(*, scope: Scope, start: datetime, end: datetime) -> DigestContent:
    """Everything a digest for ``scope`` reports over [start, end): status changes (with their evidence),
    meetings recorded, bodies whose overdue flag opened, target dates that passed with the commitment still open,
    and withdrawals. Six queries whatever the scope. What was withdrawn is reported once, as a withdrawal. Undated
    seeded entries (``StatusUpdateQuerySet.dated``) are no period's news."""
    content = DigestContent(start=start, end=end)
    if scope.is_empty:
        return content
    content.status_changes = list(
        StatusUpdate.objects.effective()
        .dated()
        .filter(
            scope.commitments_q("commitment__"),
            kind=UpdateKind.STATUS_CHANGE,
            recorded_at__gte=start,
            recorded_at__lt=end,
        )
        .select_related("commitment", "author")
        .order_by("recorded_at", "pk")
    )
    # Recorded in the period (an old meeting entered late is news too), shown with the day it was held.
    content.meetings = list(
        Meeting.objects.held()
        .filter(scope.bodies_q("body__"), created_at__gte=start, created_at__lt=end)
        .select_related("body")
        .distinct()
        .order_by("held_on", "pk")
    )
    content.fell_overdue = list(
        OverdueFlag.objects.filter(scope.bodies_q("body__"), opened_at__gte=start, opened_at__lt=end)
        .select_related("body")
        .annotate(body_last_meeting_precision=Meeting.objects.last_precision("body__"))
        .distinct()
        .order_by("overdue_since", "pk")
    )
    for flag in content.fell_overdue:  # its due date as far as it is known (OverdueFlag.due_display)
        flag.body.last_meeting_precision = flag.body_last_meeting_precision
    first_day, last_day = timezone.localdate(start), timezone.localdate(end)
    content.deadlines_passed = list(
        # Passed in the period: passed by its last day, not yet on its first ("2023" passes as 2024 begins).
        Commitment.objects.filter(scope.commitments_q())
        .target_date_passed(on=last_day)
        .exclude(target_passed_condition(on=first_day))
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("agreement")
        .order_by("target_date", "reference")
    )
    content.withdrawals = _withdrawals(scope=scope, start=start, end=end)
    return content


def _withdrawals(*, scope: Scope, start: datetime, end: datetime) -> list[str]:
    """Status updates and meetings withdrawn in the period, each as one line: what was withdrawn and why.

    A status update is withdrawn by a later entry of kind ``withdrawal`` (the history is append-only,
    ``commitments.services.status_update_withdraw``); a meeting carries its ``withdrawn_at`` mark
    (``dialogues.services.meeting_withdraw``).
    """
    entries = StatusUpdate.objects.filter(
        scope.commitments_q("commitment__"),
        kind=UpdateKind.WITHDRAWAL,
        recorded_at__gte=start,
        recorded_at__lt=end,
    ).select_related("commitment", "withdraws")
    meetings = (
        Meeting.objects.filter(scope.bodies_q("body__"), withdrawn_at__gte=start, withdrawn_at__lt=end)
        .select_related("body")
        .distinct()
    )
    lines = [
        f"{entry.commitment.reference}: the {entry.withdraws.get_kind_display().lower()} of "
        f"{timezone.localtime(entry.withdraws.recorded_at):%d %B %Y} was withdrawn ({entry.note})"
        for entry in entries
    ]
    lines += [
        f"{meeting.body.short_name}: the meeting of {meeting.held_on_display} was withdrawn "
        f"({meeting.withdrawal_reason})"
        for meeting in meetings
    ]
    return lines


# --- The calendar ---------------------------------------------------------------------------------------------


def calendar_bodies(*, scope: Scope | None) -> QuerySet[DialogueBody]:
    """Active bodies with a next due date: in ``scope``, or all of them (``None``)."""
    bodies = DialogueBody.objects.filter(active=True, next_due_on__isnull=False).with_last_meeting_precision()
    if scope is not None:
        bodies = bodies.filter(scope.bodies_q()).distinct()
    return bodies.order_by("next_due_on", "short_name")


def calendar_commitments(*, scope: Scope | None) -> QuerySet[Commitment]:
    """Commitments with a target date: in ``scope``, or all of them (``None``)."""
    commitments = Commitment.objects.filter(target_date__isnull=False).select_related("agreement")
    if scope is not None:
        commitments = commitments.filter(scope.commitments_q())
    return commitments.order_by("target_date", "reference")


def calendar_milestones(*, scope: Scope | None) -> list:
    """Milestone due dates: HOOK for the milestones another engineer is adding (none on this branch yet).

    Return objects with ``pk``, ``due_on``, ``title`` and ``commitment`` once a Milestone model exists; the
    calendar renders each as an all-day event.
    """
    return []


def next_day(day: date) -> date:
    return day + timedelta(days=1)
