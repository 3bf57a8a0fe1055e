"""Reusable, chainable reads of commitments and their history."""

from __future__ import annotations

import operator
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.apps import apps
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

STALE_AFTER_DAYS = 365


def dialogue_bodies() -> models.QuerySet:
    """All dialogue bodies, with their cadence queries (``overdue``).

    The dialogues app sits above this one (its pages and meetings build on commitments), so commitments name
    the responsible body by the string reference of their foreign key, ``"dialogues.DialogueBody"``, and look
    the model up through the app registry instead of importing it.
    """
    return apps.get_model("dialogues", "DialogueBody").objects.all()


def meetings() -> models.QuerySet:
    """All meetings (``"dialogues.Meeting"``), through the app registry for the same reason as ``dialogue_bodies``."""
    return apps.get_model("dialogues", "Meeting").objects.all()


def start_of_day(day: date) -> datetime:
    """The aware datetime at which ``day`` starts in the tracker's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def stale_cutoff(on: date, days: int = STALE_AFTER_DAYS) -> datetime:
    """The moment before which a commitment's last update makes it stale on ``on`` (see ``stale()``)."""
    return start_of_day(on) - timedelta(days=days)


def stale_condition(
    *, on: date, days: int = STALE_AFTER_DAYS, status: str = "status", last_update: str | None = None
) -> models.Q:
    """Open (neither achieved nor discontinued) and no update or review for ``days`` days before ``on``.

    ``status`` names the status column and ``last_update`` the column holding the last update; by default a
    commitment's ``last_reviewed_at``, or when it was entered (``created_at``) if it was never updated. The one
    stale rule: ``stale()`` filters on it and ``commitments.states`` builds the commitment state from it.
    """
    from .choices import FINISHED_STATUSES

    cutoff = stale_cutoff(on, days)
    if last_update is None:
        old = models.Q(last_reviewed_at__lt=cutoff) | models.Q(last_reviewed_at__isnull=True, created_at__lt=cutoff)
    else:
        old = models.Q(**{f"{last_update}__lt": cutoff})
    return old & ~models.Q(**{f"{status}__in": FINISHED_STATUSES})


def target_passed_condition(*, on: date, prefix: str = "") -> models.Q:
    """The target date has passed on ``on``: the last day it can mean is before ``on``. A day passes the day after
    it, "May 2025" on 1 June 2025, "2023" on 1 January 2024 (never on an invented day). In SQL on the stored date
    and its precision (``core.models.period_ends_before``), without a derived column; ``prefix`` reaches a related
    commitment ("commitment__"). The one rule: ``CommitmentQuerySet.target_date_passed`` / ``target_passed``
    filter on it, and ``Commitment.is_target_passed`` says the same of one commitment."""
    from core.models import period_ends_before

    return period_ends_before(f"{prefix}target_date", on)


def _milestones_of_outer() -> models.QuerySet:
    """The milestones that count of the commitment in the outer query (for correlated subqueries)."""
    from .models import Milestone

    return Milestone.objects.effective().filter(commitment=models.OuterRef("pk")).order_by()


def attach_milestone_counts(commitments: list, *, on: date | None = None) -> list:
    """Set ``milestones_total``, ``milestones_done`` and ``milestones_overdue`` (on ``on``, today) on each of
    ``commitments`` (a page of a list): one grouped query over their ids, so neither the page's count nor its
    rows pay a correlated subquery per commitment."""
    from .models import Milestone

    on = on or timezone.localdate()
    counts = (
        {
            row["commitment_id"]: row
            for row in Milestone.objects.effective()
            .filter(commitment_id__in=[c.pk for c in commitments])
            .order_by()
            .values("commitment_id")
            .annotate(
                total=models.Count("pk"),
                done=models.Count("pk", filter=models.Q(done_on__isnull=False)),
                overdue=models.Count("pk", filter=models.Q(done_on__isnull=True, due_by__lt=on)),
            )
        }
        if commitments
        else {}
    )
    for commitment in commitments:
        row = counts.get(commitment.pk, {})
        commitment.milestones_total = row.get("total", 0)
        commitment.milestones_done = row.get("done", 0)
        commitment.milestones_overdue = row.get("overdue", 0)
    return commitments


class AgreementQuerySet(models.QuerySet):
    def with_commitment_counts(self) -> AgreementQuerySet:
        """Annotate ``commitment_count`` and ``achieved_count``, one indexed count per agreement.

        Correlated counts, not a join and GROUP BY: joining every commitment to its agreement and grouping by the
        agreement's columns made PostgreSQL sort all commitments (an external sort at 100,000); each count here
        is an index-only scan of that agreement's entries.
        """
        from .choices import Status
        from .models import Commitment

        def count(**filters) -> Coalesce:
            rows = Commitment.objects.filter(agreement=models.OuterRef("pk"), **filters).order_by()
            counted = rows.values("agreement").annotate(n=models.Count("*")).values("n")
            return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)

        return self.annotate(commitment_count=count(), achieved_count=count(status=Status.ACHIEVED))


class CommitmentQuerySet(models.QuerySet):
    def for_listing(self) -> CommitmentQuerySet:
        """What every list of commitments shows: the agreement and the responsible body, joined in, and each
        commitment's state today (``state_code``, ``commitments.states``)."""
        return self.select_related("agreement", "responsible_body").with_state()

    def for_export(self) -> CommitmentQuerySet:
        """What the CSV export shows: the listing's joins, the source document, and from the status history the
        latest note (``latest_note``) and the latest evidence given (``latest_evidence_url``,
        ``latest_evidence_reference``, both from the same update).

        Correlated subqueries on the (commitment, version) index: one query for the whole export, however long.
        """
        from .models import StatusUpdate

        # Withdrawn entries (and the withdrawals themselves) no longer count, as everywhere else.
        history = StatusUpdate.objects.effective().filter(commitment=models.OuterRef("pk")).order_by("-version")
        noted = history.exclude(note="")
        evidenced = history.exclude(evidence_url="", evidence_reference="")
        return (
            self.for_listing()
            .select_related("source_document")
            .annotate(
                latest_note=models.Subquery(noted.values("note")[:1]),
                latest_evidence_url=models.Subquery(evidenced.values("evidence_url")[:1]),
                latest_evidence_reference=models.Subquery(evidenced.values("evidence_reference")[:1]),
            )
            .with_milestone_summary()
        )

    def with_milestone_counts(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Annotate the counts of milestones that count: ``milestones_total``, ``milestones_done`` and
        ``milestones_overdue`` on ``on`` (today). Correlated subqueries on the (commitment, due_by) index, so a
        list of any length is still one query."""
        on = on or timezone.localdate()
        mine = _milestones_of_outer()

        def count(rows) -> Coalesce:
            counted = rows.values("commitment").annotate(n=models.Count("*")).values("n")
            return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)

        return self.annotate(
            milestones_total=count(mine),
            milestones_done=count(mine.filter(done_on__isnull=False)),
            milestones_overdue=count(mine.filter(done_on__isnull=True, due_by__lt=on)),
        )

    def with_milestone_summary(self, *, on: date | None = None) -> CommitmentQuerySet:
        """The counts of :meth:`with_milestone_counts` and the next open milestone (``next_milestone_title``,
        ``next_milestone_due_on``, ``next_milestone_due_on_precision``), for the CSV."""
        upcoming = (
            _milestones_of_outer().filter(done_on__isnull=True).order_by(models.F("due_by").asc(nulls_last=True), "pk")
        )
        return self.with_milestone_counts(on=on).annotate(
            next_milestone_title=models.Subquery(upcoming.values("title")[:1]),
            next_milestone_due_on=models.Subquery(upcoming.values("due_on")[:1]),
            next_milestone_due_on_precision=models.Subquery(upcoming.values("due_on_precision")[:1]),
        )

    def with_state(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Annotate ``state_code``: each commitment's state on ``on`` (today) by the one rule
        (``commitments.states``), in SQL, so that lists can sort and count by it."""
        from .states import state_expression

        return self.annotate(state_code=state_expression(on=on or timezone.localdate()))

    def in_state(self, *states: str, on: date | None = None) -> CommitmentQuerySet:
        """Commitments in any of ``states`` on ``on`` (today), by the one rule."""
        from .states import state_condition

        on = on or timezone.localdate()
        if not states:
            return self.none()
        return self.filter(reduce(operator.or_, (state_condition(state, on=on) for state in states)))

    def in_reference_order(self) -> CommitmentQuerySet:
        """In the natural order of references (§4 < §5 < §10 < §12(b)(i)), on the stored sort key, in SQL."""
        return self.order_by("reference_sort_key", "reference")

    def stale(self, *, on: date | None = None, days: int = STALE_AFTER_DAYS) -> CommitmentQuerySet:
        """Open commitments with no update (of any kind) for ``days`` days before ``on``.

        Stale means "no update in 12 months and not achieved or discontinued": a finished commitment needs no
        news. A commitment never reviewed counts from the day it was entered in the tracker.
        """
        return self.filter(stale_condition(on=on or timezone.localdate(), days=days))

    def target_date_passed(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Commitments whose target date has passed on ``on`` (today), whatever their status: the last day it can
        mean is before ``on`` (``target_passed_condition``: "2023" has passed from 1 January 2024)."""
        return self.filter(target_passed_condition(on=on or timezone.localdate()))

    def target_passed(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Commitments whose target date has passed on ``on`` (today) and that are neither achieved nor
        discontinued."""
        from .choices import FINISHED_STATUSES

        return self.target_date_passed(on=on).exclude(status__in=FINISHED_STATUSES)

    def deadline_passed(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Commitments with a deadline passed without completion on ``on`` (today): their target date has passed
        and they are neither achieved nor discontinued, or one of their milestones is overdue
        (``MilestoneQuerySet.overdue``)."""
        from .choices import FINISHED_STATUSES
        from .models import Milestone

        on = on or timezone.localdate()
        overdue = Milestone.objects.overdue(on=on).filter(commitment=models.OuterRef("pk"))
        return self.filter(
            (target_passed_condition(on=on) & ~models.Q(status__in=FINISHED_STATUSES)) | models.Exists(overdue)
        )

    def with_overdue_body(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Commitments whose responsible dialogue body is overdue against its cadence on ``on``."""
        return self.filter(responsible_body__in=dialogue_bodies().overdue(on=on))

    def without_overdue_body(self, *, on: date | None = None) -> CommitmentQuerySet:
        return self.exclude(responsible_body__in=dialogue_bodies().overdue(on=on))


class MilestoneQuerySet(models.QuerySet):
    def effective(self) -> MilestoneQuerySet:
        """Milestones that count: not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)

    def open(self) -> MilestoneQuerySet:
        return self.effective().filter(done_on__isnull=True)

    def overdue(self, *, on: date | None = None) -> MilestoneQuerySet:
        """Not done, not withdrawn, and due by a day before ``on`` (today). A milestone due "May 2025" is
        overdue from 1 June 2025 (``due_by`` is the last day of its due period)."""
        return self.open().filter(due_by__lt=on or timezone.localdate())

    def for_listing(self) -> MilestoneQuerySet:
        return self.select_related("commitment", "author", "withdrawn_by", "source_document")

    def in_due_order(self) -> MilestoneQuerySet:
        """Soonest due first; milestones without a due date last, in the order they were added."""
        return self.order_by(models.F("due_by").asc(nulls_last=True), "pk")


class StatusUpdateQuerySet(models.QuerySet):
    """History is append-only: bulk edits and deletes are refused at the queryset level too."""

    def update(self, **kwargs):
        from .models import HistoryIsAppendOnly

        raise HistoryIsAppendOnly("Status updates are never edited.")

    def delete(self):
        from .models import HistoryIsAppendOnly

        raise HistoryIsAppendOnly("Status updates are never deleted.")

    def effective(self) -> StatusUpdateQuerySet:
        """The entries that count: neither withdrawn nor a withdrawal. The commitment's current state, the
        dashboards and the as-of views are derived from these only (``commitments.services.status_update_withdraw``);
        the timeline and the change feed list every entry, withdrawn ones marked.

        "Not withdrawn" is a ``NOT EXISTS`` on the withdrawal's unique ``withdraws`` index, not a ``LEFT JOIN``
        filtered on the joined row's ``id IS NULL``: PostgreSQL cannot read the latter as an anti-join and
        estimates it keeps one row, so it planned the overview's latest updates as a parallel hash join of the
        whole history with itself, then nested loops over a million rows (33 s at 100,000 commitments)."""
        from .choices import UpdateKind

        withdrawn = self.model._base_manager.filter(withdraws__isnull=False, withdraws_id=models.OuterRef("pk"))
        return self.exclude(kind=UpdateKind.WITHDRAWAL).filter(~models.Exists(withdrawn))

    def replayable(self) -> StatusUpdateQuerySet:
        """The entries a commitment's derived fields are replayed from when one is withdrawn (a status update, a
        milestone: ``commitments.services``): the effective ones, less those about a milestone withdrawn as recorded
        by mistake, its adding, its changes and the entry that withdrew it. A correction is no news about the
        commitment, so none of them dates a review. One commitment's history at a time (a join on its milestones)."""
        return self.effective().exclude(milestone__withdrawn_at__isnull=False)

    def dated(self) -> StatusUpdateQuerySet:
        """The entries whose ``recorded_at`` a reader may take as when the change happened: all but the undated
        ones (``StatusUpdate.is_undated``), which the seed loader wrote (no author) from a document that gives no
        date for them, so their ``recorded_at`` is only the moment the seed was loaded. The date-based views
        (latest updates, what changed, briefings, digests) list these only; the commitment's timeline lists
        every entry, and its current status still comes from the undated one where it is the latest."""
        return self.exclude(author__isnull=True, evidence_date__isnull=True)

    def newest_first(self) -> StatusUpdateQuerySet:
        return self.order_by("-recorded_at", "-version")

    def since(self, moment: datetime) -> StatusUpdateQuerySet:
        return self.filter(recorded_at__gte=moment)

    def for_timeline(self) -> StatusUpdateQuerySet:
        return self.select_related(
            "author", "source_document", "withdrawal__author", "withdraws__author"
        ).newest_first()
