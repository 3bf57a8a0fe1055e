"""Selectors behind the AFET delegation dashboards.

Progress by framework and by policy area, overdue dialogue bodies, stale commitments and the latest updates
(:func:`overview`), the same overview rebuilt from the status history as it stood on a past date, what changed
since a date (:func:`changes_since`), the dialogue cadence timeline (:func:`cadence_timeline`) and an agreement's
page (:func:`agreement_page`).

Every count is a ``GROUP BY`` in the database; Python only reshapes the grouped rows (at most one per
framework or policy area and status). The one rule applied row by row in Python is the cadence rule,
``DialogueBody.compute_schedule``, which is deliberately a pure Python function shared with the sweep and the
API; it runs over dialogue bodies (tens of rows), never over commitments or updates. Each selector issues a
fixed number of queries whatever the number of commitments, updates or meetings.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode

from commitments.choices import FINISHED_STATUSES, Actor, CommitmentState, PolicyArea, Status, UpdateKind
from commitments.models import Agreement, Commitment, Milestone, StatusUpdate, due_period_end
from commitments.querysets import stale_cutoff, start_of_day
from commitments.states import STATE_HINTS, STATE_LABELS, STATE_ORDER, state_expression
from core.models import DatePrecision
from core.templatetags.facts import about_duration, count_of_days, format_approx_date
from dialogues.choices import Level
from dialogues.models import DialogueBody, Meeting, OverdueFlag, overdue_phrase
from dialogues.selectors import open_flags_for

# Left to right in a bar: delivered first, then what is moving, then what is not.
STATUS_ORDER: tuple[str, ...] = (
    Status.ACHIEVED,
    Status.ONGOING,
    Status.IN_PROGRESS,
    Status.NOT_STARTED,
    Status.STALLED,
    Status.DISCONTINUED,
)
STATUS_LABELS: dict[str, str] = dict(Status.choices)
AREA_LABELS: dict[str, str] = dict(PolicyArea.choices)
DEFAULT_CHANGES_DAYS = 30
LIST_LIMIT = 500
# What the "What changed" page lists of each kind at first (the latest; the counts stay exact): a 30-day window of
# a large portfolio holds thousands of updates, more than a briefing reader scans. ``?more=1`` lists LIST_LIMIT.
PAGE_LIST_LIMIT = 100
# The six cooperation frameworks, in the order a briefing reads them: the two treaties of 2018 (the Strategic
# Partnership Agreement and the Economic Partnership Agreement), then the partnerships built on them in the order
# they were concluded. Every other agreement is an instrument, folded under the framework it sits under.
MAIN_FRAMEWORKS: tuple[str, ...] = ("SPA", "EPA", "SCQI", "GA", "DP", "SDP")


def end_of_day(day: date) -> datetime:
    """The aware moment at which ``day`` ends (the start of the next day) in the tracker's time zone."""
    return start_of_day(day + timedelta(days=1))


def choice_rank(field_name: str, values: list[str] | tuple[str, ...]) -> Case:
    """An SQL expression ranking ``field_name`` by the order of ``values`` (so lists follow the vocabulary)."""
    return Case(
        *[When(**{field_name: value}, then=Value(rank)) for rank, value in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


# --- Stacked bars -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One status's part of a stacked bar; ``offset`` and ``width`` are percentages of the bar."""

    status: str
    label: str
    count: int
    offset: float
    width: float


@dataclass
class StatusBreakdown:
    """How many commitments of one group (a framework, a policy area, everything) are in each status.

    Built once from the counts and never changed: what is derived from them is worked out once (the overview
    asks a framework's total, cells and description several times per row, for about 80 rows at scale)."""

    key: str
    label: str
    counts: dict[str, int]
    url: str = ""
    note: str = ""
    depth: int = 0
    parent: str = ""
    list_query: str = ""  # the commitment list's filter for this group, e.g. "agreement=SDP"
    status_param: str = "status"  # the list's filter its figures set: a party's own status for a party's row
    states: dict[str, int] = field(default_factory=dict)  # how many are in each state (commitments.states)

    @cached_property
    def total(self) -> int:
        return sum(self.counts.values())

    @cached_property
    def achieved(self) -> int:
        return self.counts.get(Status.ACHIEVED, 0)

    @cached_property
    def share_achieved(self) -> int | None:
        """Achieved commitments as a whole percentage of all of them, or ``None`` when there are none."""
        return round(100 * self.achieved / self.total) if self.total else None

    @cached_property
    def cells(self) -> list[tuple[str, str, int]]:
        """``(status, label, count)`` for every status, in bar order (the table's columns)."""
        return [(status, STATUS_LABELS[status], self.counts.get(status, 0)) for status in STATUS_ORDER]

    @cached_property
    def segments(self) -> list[Segment]:
        """The non-empty statuses as consecutive segments of a 100 % bar."""
        total, offset, segments = self.total, 0, []
        if not total:
            return segments
        for status, label, count in self.cells:
            if count:
                segments.append(Segment(status, label, count, 100 * offset / total, 100 * count / total))
                offset += count
        return segments

    def segments_on(self, scale: int) -> list[Segment]:
        """The non-empty statuses as segments on an absolute scale: ``scale`` commitments fill the whole width, so
        bars of different groups compare by length (a one-commitment instrument is a sliver, not a full bar)."""
        scale = max(scale, self.total, 1)
        offset, segments = 0, []
        for status, label, count in self.cells:
            if count:
                segments.append(Segment(status, label, count, 100 * offset / scale, 100 * count / scale))
                offset += count
        return segments

    @cached_property
    def figures(self) -> list[tuple[str, str, int, str]]:
        """``(status, label, count, list URL)`` of the non-empty statuses: the figures a reader can follow."""
        base = reverse("commitments:commitment_list")
        prefix = f"{self.list_query}&" if self.list_query else ""
        return [
            (status, label, count, f"{base}?{prefix}{self.status_param}={status}")
            for status, label, count in self.cells
            if count
        ]

    @cached_property
    def list_url(self) -> str:
        base = reverse("commitments:commitment_list")
        return f"{base}?{self.list_query}" if self.list_query else base

    @cached_property
    def description(self) -> str:
        """The bar in words (its text alternative)."""
        if not self.total:
            return f"{self.label}: no commitments."
        parts = ", ".join(f"{count} {label.lower()}" for _, label, count in self.cells if count)
        plural = "" if self.total == 1 else "s"
        return f"{self.label}: {self.total} commitment{plural}: {parts}; {self.share_achieved}% achieved."


class Cell(NamedTuple):
    """One grouped row from the database: how many commitments of a framework and area are in a status.

    A named tuple, built straight from the database's rows: the overview reads about 6,000 of them at scale."""

    agreement_id: int
    area: str
    status: str
    n: int
    state: str = ""


def _pivot(cells: list[Cell], key) -> dict[Any, dict[str, int]]:
    """Add up grouped cells into ``{key(cell): {status: n}}`` (over grouped rows, never over commitments)."""
    pivot: dict[Any, dict[str, int]] = {}
    for cell in cells:
        counts = pivot.setdefault(key(cell), {})
        counts[cell.status] = counts.get(cell.status, 0) + cell.n
    return pivot


def _total(cells: list[Cell]) -> dict[str, int]:
    return _pivot(cells, lambda cell: "all").get("all", {})


def _state_total(cells: list[Cell]) -> dict[str, int]:
    """How many commitments are in each state (``commitments.states``), over the grouped cells."""
    totals: dict[str, int] = defaultdict(int)
    for cell in cells:
        totals[cell.state] += cell.n
    return dict(totals)


def framework_tree(agreements: QuerySet[Agreement]) -> list[tuple[Agreement, int]]:
    """Frameworks in reading order: each one followed by the instruments under it, with their depth (1 query)."""
    rows = list(agreements)
    ids = {agreement.pk for agreement in rows}
    children: dict[int | None, list[Agreement]] = defaultdict(list)
    for agreement in rows:
        children[agreement.parent_id if agreement.parent_id in ids else None].append(agreement)
    ordered: list[tuple[Agreement, int]] = []
    seen: set[int] = set()

    def visit(agreement: Agreement, depth: int) -> None:
        if agreement.pk in seen:  # a loop in the data must not hang the page
            return
        seen.add(agreement.pk)
        ordered.append((agreement, depth))
        for child in children.get(agreement.pk, []):
            visit(child, depth + 1)

    for root in children[None]:
        visit(root, 0)
    ordered.extend((agreement, 0) for agreement in rows if agreement.pk not in seen)
    return ordered


# --- Commitments now and as they stood ------------------------------------------------------------------


@dataclass(frozen=True)
class StaleItem:
    """A commitment with no update for a year: its status then and its last update (``None``: never)."""

    commitment: Commitment
    status: str
    last_update: datetime | None
    last_update_precision: str = DatePrecision.DAY

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def last_update_short(self) -> str:
        """The last update to the precision known ("13 Jul 2023", "May 2020"), or empty."""
        if self.last_update is None:
            return ""
        return format_approx_date(timezone.localtime(self.last_update).date(), self.last_update_precision, short=True)


def cells_now(*, on: date) -> list[Cell]:
    """Current commitments counted by framework, policy area, status and state on ``on`` (1 grouped query)."""
    rows = (
        Commitment.objects.order_by()
        .annotate(state=state_expression(on=on))
        .values("agreement_id", "area", "status", "state")
        .annotate(n=Count("pk"))
    )
    return list(map(Cell._make, rows.values_list("agreement_id", "area", "status", "n", "state")))


def stale_now(*, on: date, limit: int) -> list[StaleItem]:
    """The ``limit`` stalest commitments today (``Commitment.objects.stale``), 1 query; how many there are is
    counted with the other states (:func:`cells_now`)."""
    stale = Commitment.objects.stale(on=on)
    stalest = stale.select_related("agreement").order_by(
        F("last_reviewed_at").asc(nulls_first=True), "created_at", "reference"
    )[:limit]
    return [StaleItem(c, c.status, c.last_reviewed_at, c.last_reviewed_precision) for c in stalest]


def latest_updates_as_of(day: date, *, per_party: bool = False) -> QuerySet[StatusUpdate]:
    """Each commitment's latest status update recorded before the end of ``day``; with ``per_party``, each joint
    commitment's latest entry for each party (its ``party_status`` is that party's own status then).

    "Latest" is by ``recorded_at``, then ``version``; an update is the latest when no later one exists before
    the end of the day. Written as ``NOT EXISTS`` (standard SQL, SQLite and PostgreSQL alike), which
    PostgreSQL runs as one hash anti-join over the history instead of one lookup per commitment.
    """
    end = end_of_day(day)
    same = {"commitment_id": OuterRef("commitment_id")}
    entries = StatusUpdate.objects.effective().filter(recorded_at__lt=end)
    if per_party:
        same["party"] = OuterRef("party")
        entries = entries.exclude(party="")
    # Withdrawn entries (and the withdrawals themselves) never count: as-of views show the corrected history.
    later = (
        StatusUpdate.objects.effective()
        .filter(recorded_at__lt=end, **same)
        .filter(
            Q(recorded_at__gt=OuterRef("recorded_at"))
            | Q(recorded_at=OuterRef("recorded_at"), version__gt=OuterRef("version"))
        )
    )
    return entries.filter(~Exists(later))


def never_updated_as_of(day: date) -> QuerySet[Commitment]:
    """Commitments that existed at the end of ``day`` with no update recorded by then ("not started").

    A commitment exists once its framework is signed; when the signature date is not recorded the framework
    is taken to have existed (the day a commitment was typed into the tracker says nothing about when it was
    promised). A commitment with an update before ``day`` existed whatever its framework's date.
    """
    updated = StatusUpdate.objects.effective().filter(commitment_id=OuterRef("pk"), recorded_at__lt=end_of_day(day))
    return Commitment.objects.filter(~Exists(updated)).filter(
        Q(agreement__signed_on__isnull=True) | Q(agreement__signed_on__lte=day)
    )


def cells_as_of(day: date) -> tuple[list[Cell], int]:
    """Commitments as they stood at the end of ``day``, counted by framework, area and status, rebuilt from the
    history, each with its state then (the one rule, ``commitments.states``: the status of its latest update, or
    stale if that is over a year old and not achieved or discontinued; a never-updated commitment is not started,
    or stale counting from the day it was entered); and how many were stale then. 2 grouped queries.
    """
    updated = list(
        latest_updates_as_of(day)
        .order_by()
        .annotate(state=state_expression(on=day, last_update="recorded_at"))
        .values("commitment__agreement_id", "commitment__area", "status", "state")
        .annotate(n=Count("pk"))
    )
    never = list(
        never_updated_as_of(day)
        .order_by()
        .alias(status_then=Value(Status.NOT_STARTED))
        .annotate(state=state_expression(on=day, status="status_then", last_update="created_at"))
        .values("agreement_id", "area", "state")
        .annotate(n=Count("pk"))
    )
    cells = [
        Cell(r["commitment__agreement_id"], r["commitment__area"], r["status"], r["n"], r["state"]) for r in updated
    ]
    cells += [Cell(r["agreement_id"], r["area"], Status.NOT_STARTED, r["n"], r["state"]) for r in never]
    return cells, _state_total(cells).get(CommitmentState.STALE, 0)


def by_actor(*, on: date, from_history: bool) -> list[StatusBreakdown]:
    """Commitments split by who must act (the EU, Japan, both, not recorded), counted by status, then the joint
    ones by each party's own status where recorded: today from the stored statuses (2 grouped queries), for a past
    day from the history (3), as the framework bars are."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if from_history:
        rows = latest_updates_as_of(on).order_by().values_list("commitment__actor", "status").annotate(n=Count("pk"))
        never = never_updated_as_of(on).order_by().values_list("actor").annotate(n=Count("pk"))
        rows = [*rows, *((actor, Status.NOT_STARTED, n) for actor, n in never)]
    else:
        rows = Commitment.objects.order_by().values_list("actor", "status").annotate(n=Count("pk"))
    for actor, status, n in rows:
        counts[actor][status] = counts[actor].get(status, 0) + n
    rows = [
        StatusBreakdown(
            key=key or "none", label=label, counts=counts[key], list_query=urlencode({"actor": key or "none"})
        )
        for key, label in [*Actor.choices, ("", "Not recorded")]
        if counts.get(key)
    ]
    # Joint commitments split by each party's own status, where it is recorded (1 grouped query).
    per_party: dict[str, dict[str, int]] = {"eu": {}, "japan": {}}
    if from_history:
        entries = latest_updates_as_of(on, per_party=True).filter(commitment__actor=Actor.BOTH).order_by()
        party_rows = entries.values_list("party", "party_status").annotate(n=Count("pk"))
    else:
        joint = Commitment.objects.filter(actor=Actor.BOTH).order_by()
        party_rows = [
            (party, status, n)
            for eu, japan, n in joint.values_list("eu_status", "japan_status").annotate(n=Count("pk"))
            for party, status in (("eu", eu), ("japan", japan))
        ]
    for party, status, n in party_rows:
        if status:
            per_party[party][status] = per_party[party].get(status, 0) + n
    for party, label in (("eu", "Joint, the EU's own status"), ("japan", "Joint, Japan's own status")):
        if per_party[party]:
            rows.append(
                StatusBreakdown(
                    key=f"both-{party}",
                    label=label,
                    counts=per_party[party],
                    list_query=urlencode({"actor": "both"}),
                    status_param=f"{party}_status",
                    note="where recorded",
                )
            )
    return rows


def stale_as_of(day: date, *, limit: int) -> list[StaleItem]:
    """The ``limit`` stalest commitments at the end of ``day``: never updated first, then by last update.

    Two queries (never updated; updated long ago), merged and cut to ``limit``.
    """
    cutoff = stale_cutoff(day)
    never = (
        never_updated_as_of(day)
        .filter(created_at__lt=cutoff)
        .select_related("agreement")
        .order_by("created_at", "reference")[:limit]
    )
    old = (
        latest_updates_as_of(day)
        .filter(recorded_at__lt=cutoff)
        .exclude(status__in=FINISHED_STATUSES)
        .select_related("commitment__agreement")
        .order_by("recorded_at", "version")[:limit]
    )
    items = [StaleItem(c, Status.NOT_STARTED, None) for c in never]
    # An undated entry (StatusUpdate.is_undated) gives no date to show: its recorded_at is when the seed was loaded.
    items += [
        StaleItem(
            u.commitment, u.status, None if u.is_undated else u.recorded_at, u.date_precision or DatePrecision.DAY
        )
        for u in old
    ]
    return items[:limit]


# --- Overdue bodies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueBody:
    """A dialogue body overdue on a given day: when it should have met and by how many days it is late."""

    body: DialogueBody
    due_on: date
    overdue_since: date
    days_overdue: int
    flag: OverdueFlag | None = None

    @property
    def due_display(self) -> str:
        """The due date as far as it is known ("January 2024" for a schedule counted from a month)."""
        return format_approx_date(self.due_on, self.body.schedule_precision)

    @property
    def overdue_phrase(self) -> str:
        return overdue_phrase(
            self.days_overdue, self.due_on, self.body.schedule_precision, started=self.body.start_if_never_met
        )


def overdue_bodies(*, on: date | None = None) -> list[OverdueBody]:
    """Bodies overdue today from their stored schedule, most overdue first, each with its open overdue flag (if
    the daily sweep has raised one) and the e-mails sent about it (2 queries)."""
    on = on or timezone.localdate()
    bodies = (
        DialogueBody.objects.overdue(on=on)
        .with_last_meeting_precision()
        .select_related("reports_to")
        .order_by("next_due_on", "name")
    )
    flags = {flag.body_id: flag for flag in open_flags_for(on=on)}
    return [
        OverdueBody(
            body,
            body.next_due_on,
            body.overdue_after + timedelta(days=1),
            body.days_overdue(on=on),
            flags.get(body.pk),
        )
        for body in bodies
    ]


def overdue_bodies_as_of(day: date) -> list[OverdueBody]:
    """Bodies that were overdue at the end of ``day``, from the meetings held up to that day (1 query).

    The last meeting up to ``day`` and its precision are subqueries (``with_last_meeting_held``); the cadence rule
    (``DialogueBody.compute_schedule``) then gives each body's schedule as it stood, which is applied to the
    in-memory body (never saved) so that ``is_overdue`` and ``days_overdue`` answer for that day.
    """
    bodies = (
        DialogueBody.objects.filter(active=True, cadence_months__isnull=False)
        .filter(Q(established_on__lte=day) | Q(established_on__isnull=True))
        .with_last_meeting_held(held_on__lte=day)
        .select_related("reports_to")
        .order_by("name")
    )
    overdue = []
    for body in bodies:
        schedule = body.schedule(last_meeting_on=body.last_held, last_meeting_precision=body.last_held_precision)
        # As it stood on that day, with the precision of that day's last meeting (which the due date shows).
        body.last_meeting_on, body.next_due_on, body.overdue_after, body.last_meeting_precision = (
            schedule.last_meeting_on,
            schedule.next_due_on,
            schedule.overdue_after,
            body.last_held_precision,
        )
        if body.is_overdue(on=day):
            overdue.append(
                OverdueBody(body, body.next_due_on, body.overdue_after + timedelta(days=1), body.days_overdue(on=day))
            )
    overdue.sort(key=lambda item: (item.due_on, item.body.name))
    return overdue


# --- The overview -----------------------------------------------------------------------------------------


@dataclass
class FrameworkGroup:
    """A main framework and the instruments folded under it (or, with ``main`` ``None``, the agreements that sit
    under none of the six frameworks)."""

    main: StatusBreakdown | None
    instruments: list[StatusBreakdown]

    @property
    def instrument_total(self) -> int:
        return sum(item.total for item in self.instruments)

    @property
    def instruments_with_commitments(self) -> list[StatusBreakdown]:
        return [item for item in self.instruments if item.total]

    @property
    def instruments_without(self) -> list[StatusBreakdown]:
        return [item for item in self.instruments if not item.total]


def main_framework_of(code: str, parents: dict[str, str]) -> str | None:
    """The main framework ``code`` is (or sits under, through any instruments), or ``None``."""
    seen: set[str] = set()
    while code and code not in seen:
        if code in MAIN_FRAMEWORKS:
            return code
        seen.add(code)
        code = parents.get(code, "")
    return None


def agreement_parents() -> dict[str, str]:
    """Every agreement's code → its parent's code ("" for none), in 1 query."""
    return dict(Agreement.objects.order_by().values_list("code", "parent__code"))


@dataclass
class UpdateGroup:
    """The updates of one window that belong to one main framework (or to none: ``code`` empty)."""

    code: str
    label: str
    updates: list[StatusUpdate]


def group_updates(updates: list[StatusUpdate], parents: dict[str, str], titles: dict[str, str]) -> list[UpdateGroup]:
    """``updates`` grouped by main framework, in ``MAIN_FRAMEWORKS`` order, then the rest; each keeps its order."""
    groups: dict[str, list[StatusUpdate]] = defaultdict(list)
    for update in updates:
        groups[main_framework_of(update.commitment.agreement.code, parents) or ""].append(update)
    order = [*MAIN_FRAMEWORKS, ""]
    return [
        UpdateGroup(code, f"{titles.get(code, code)} ({code})" if code else "Other agreements and instruments", rows)
        for code in order
        if (rows := groups.get(code))
    ]


def group_frameworks(rows: list[StatusBreakdown], parents: dict[str, str]) -> list[FrameworkGroup]:
    """The six frameworks in ``MAIN_FRAMEWORKS`` order, each with the instruments under it (directly or through
    another instrument), then one group of the agreements under none of them. ``parents`` maps code → parent code.
    """

    def main_of(code: str) -> str | None:
        home = main_framework_of(code, parents)
        return home if home != code else None

    by_code = {row.key: row for row in rows}
    groups = {code: FrameworkGroup(by_code[code], []) for code in MAIN_FRAMEWORKS if code in by_code}
    others = FrameworkGroup(None, [])
    for row in rows:
        if row.key in groups:
            continue
        home = main_of(row.key)
        groups.get(home, others).instruments.append(row)
    for group in (*groups.values(), others):
        group.instruments.sort(key=lambda item: (-item.total, item.key))
    return [*groups.values(), *([others] if others.instruments else [])]


@dataclass(frozen=True)
class Headline:
    """The first line of the briefing: how many commitments are in each state (``commitments.states``, the one
    rule the lists, pages, CSV and API use): achieved, moving, stalled, stale, not started (and discontinued)."""

    total: StatusBreakdown

    @property
    def figures(self) -> list[dict]:
        states = self.total.states
        base = reverse("commitments:commitment_list")
        extra = f"&{self.total.list_query}" if self.total.list_query else ""
        return [
            {
                "key": state,
                "label": STATE_LABELS[state],
                "hint": STATE_HINTS[state],
                "count": states.get(state, 0),
                "url": f"{base}?state={state}{extra}",
            }
            for state in STATE_ORDER
            if state != CommitmentState.DISCONTINUED or states.get(state)
        ]


def target_dates_passed(*, on: date, limit: int = 5) -> tuple[int, list[Commitment]]:
    """Commitments whose target date passed before ``on`` (the last day it can mean: "2023" from 1 January 2024,
    ``CommitmentQuerySet.target_date_passed``) and that were not achieved or discontinued by then, the earliest
    target first (2 queries). Today from the stored status, for a past day from the history."""
    if on >= timezone.localdate():
        passed = Commitment.objects.target_passed(on=on)
    else:
        finished = latest_updates_as_of(on).filter(status__in=FINISHED_STATUSES).values("commitment_id")
        passed = Commitment.objects.target_date_passed(on=on).exclude(pk__in=finished)
    rows = passed.select_related("agreement", "responsible_body").order_by("target_date", "reference_sort_key")
    return passed.count(), list(rows[:limit])


def milestones_overdue(*, on: date, limit: int = 5) -> tuple[int, list[Milestone]]:
    """Milestones due by a day before ``on`` and not done by then, the longest overdue first (2 queries).

    Today from the stored milestones (``MilestoneQuery.overdue``); for a past day, the milestones recorded by the end
    of it that were not done by then. Withdrawn milestones never count, as withdrawn entries do not in as-of views.
    """
    if on >= timezone.localdate():
        overdue = Milestone.objects.overdue(on=on)
    else:
        overdue = (
            Milestone.objects.effective()
            .filter(created_at__lt=end_of_day(on), due_by__lt=on)
            .filter(Q(done_on__isnull=True) | Q(done_on__gt=on))
        )
    rows = overdue.select_related("commitment").order_by("due_by", "pk")
    return overdue.count(), list(rows[:limit])


@dataclass
class Overview:
    """Everything the overview dashboard shows, today or as it stood at the end of ``on``."""

    on: date
    rebuilt_from_history: bool
    by_agreement: list[StatusBreakdown]
    by_area: list[StatusBreakdown]
    total: StatusBreakdown
    overdue_bodies: list[OverdueBody]
    stale_count: int
    stale: list[StaleItem]
    latest_updates: list[StatusUpdate]
    frameworks: list[FrameworkGroup] = field(default_factory=list)
    target_passed_count: int = 0
    target_passed: list[Commitment] = field(default_factory=list)
    milestones_overdue_count: int = 0
    milestones_overdue: list[Milestone] = field(default_factory=list)
    by_actor: list[StatusBreakdown] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.by_agreement

    @property
    def headline(self) -> Headline:
        return Headline(self.total)

    @property
    def scale(self) -> int:
        """Commitments that fill a whole bar: the largest group on the page, so every bar is on one scale."""
        return max([row.total for row in self.by_agreement] + [row.total for row in self.by_area] + [1])


def overview(*, on: date | None = None, stale_limit: int = 25, updates_limit: int = 10) -> Overview:
    """The overview dashboard: today from the stored current state, or for a past ``on`` from the history.

    Counts come from one grouped query (framework × area × status; two as of a past date), which the bars by
    framework, by area and the totals all add up from. A fixed number of queries today and as of a past date,
    whatever the data size (bounded in ``dashboards/tests/test_dashboards.py``). Raises ``ValueError`` for a date
    in the future (the history cannot tell what will happen).
    """
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValueError("The overview cannot be shown for a date in the future.")
    from_history = on < today
    updates = (
        StatusUpdate.objects.effective()
        .dated()
        .select_related("commitment__agreement", "author")
        .order_by("-recorded_at", "-version")
    )
    if from_history:
        cells, stale_count = cells_as_of(on)
        stale = stale_as_of(on, limit=stale_limit)
        updates = updates.filter(recorded_at__lt=end_of_day(on))
        overdue = overdue_bodies_as_of(on)
    else:
        cells = cells_now(on=on)
        stale_count = _state_total(cells).get(CommitmentState.STALE, 0)
        stale = stale_now(on=on, limit=stale_limit)
        overdue = overdue_bodies(on=on)

    agreements = framework_tree(Agreement.objects.order_by("code"))
    codes = {agreement.pk: agreement.code for agreement, _ in agreements}
    per_agreement = _pivot(cells, lambda cell: cell.agreement_id)
    by_agreement = [
        StatusBreakdown(
            key=agreement.code,
            label=agreement.code,
            counts=per_agreement.get(agreement.pk, {}),
            url=agreement.get_absolute_url(),
            note=agreement.title,
            depth=depth,
            parent=codes.get(agreement.parent_id, ""),
            list_query=urlencode({"agreement": agreement.code}),
        )
        for agreement, depth in agreements
        if not from_history
        or agreement.pk in per_agreement
        or agreement.signed_on is None
        or agreement.signed_on <= on
    ]
    per_area = _pivot(cells, lambda cell: cell.area)
    by_area = [
        StatusBreakdown(key=area, label=label, counts=per_area[area], list_query=urlencode({"area": area}))
        for area, label in PolicyArea.choices
        if area in per_area
    ]
    by_area.sort(key=lambda row: (-row.total, row.label))
    parents = {agreement.code: codes.get(agreement.parent_id, "") for agreement, _ in agreements}
    passed_count, passed = target_dates_passed(on=on)
    late_count, late = milestones_overdue(on=on)
    return Overview(
        on=on,
        rebuilt_from_history=from_history,
        by_agreement=by_agreement,
        by_area=by_area,
        total=StatusBreakdown(key="all", label="All frameworks", counts=_total(cells), states=_state_total(cells)),
        overdue_bodies=overdue,
        stale_count=stale_count,
        stale=stale,
        latest_updates=list(updates[:updates_limit]),
        frameworks=group_frameworks(by_agreement, parents),
        target_passed_count=passed_count,
        target_passed=passed,
        milestones_overdue_count=late_count,
        milestones_overdue=late,
        by_actor=by_actor(on=on, from_history=from_history),
    )


# --- What changed since ... -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BecameOverdue:
    """A body that fell overdue within a window: the day it did, and the meeting that ended it, if any."""

    body: DialogueBody
    due_on: date
    overdue_since: date
    met_again_on: date | None
    days_overdue_now: int | None
    met_again_precision: str = DatePrecision.DAY  # how much of ``met_again_on`` the documents give
    # How much of the due date is known: as much as of the meeting (or start) its schedule counts from.
    due_precision: str = DatePrecision.DAY

    @property
    def due_display(self) -> str:
        return format_approx_date(self.due_on, self.due_precision, short=True)

    @property
    def overdue_since_display(self) -> str:
        return format_approx_date(self.overdue_since, self.due_precision, short=True)

    @property
    def overdue_phrase(self) -> str:
        """How overdue it is today (``DialogueBody.overdue_phrase``'s words); empty once it has met again."""
        if self.days_overdue_now is None:
            return ""
        return overdue_phrase(
            self.days_overdue_now, self.due_on, self.due_precision, started=self.body.start_if_never_met
        )


@dataclass
class Changes:
    """What the "What changed since…" page shows for the window ``since`` … ``until`` (both included)."""

    since: date
    until: date
    transitions: list[StatusUpdate]
    transition_count: int
    other_updates: list[StatusUpdate]
    other_count: int
    meetings: list[Meeting]
    meeting_count: int
    became_overdue: list[BecameOverdue]
    limit: int
    transition_groups: list[UpdateGroup] = field(default_factory=list)
    other_groups: list[UpdateGroup] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.transition_count or self.other_count or self.meeting_count or self.became_overdue)

    @property
    def not_begun(self) -> bool:
        """The window starts after its last day: what came after a meeting held on that day (or in its month,
        where the documents give only the month) cannot be counted yet."""
        return self.since > self.until

    @property
    def became_overdue_body_count(self) -> int:
        """How many bodies fell overdue: a body that fell overdue, met and fell overdue again in the window is one
        body (``became_overdue`` lists it once per time)."""
        return len({item.body.pk for item in self.became_overdue})


BODY_SCHEDULE_FIELDS = (
    "active",
    "cadence_months",
    "grace_days",
    "established_on",
    "established_on_precision",
    "last_meeting_on",
    "next_due_on",
    "overdue_after",
)


def bodies_became_overdue(*, since: date, until: date) -> list[BecameOverdue]:
    """Bodies that became overdue between ``since`` and ``until`` (both included), by the cadence rule (2 queries).

    A body becomes overdue on the day after its ``overdue_after``. Within the window a body's schedule restarts
    at its last meeting before the window and at each meeting in it; the cadence rule gives each restart's
    overdue day, which counts if it falls in the window before the next meeting. This finds bodies that fell
    overdue and have met since, which the stored schedule (only the latest) cannot show.
    """
    bodies = (
        DialogueBody.objects.filter(active=True, cadence_months__isnull=False)
        # The cadence rule's inputs and what the pages show of a body (its link and the body it reports to).
        .only(*BODY_SCHEDULE_FIELDS, "name", "short_name", "reports_to__name", "reports_to__short_name")
        .with_last_meeting_held(held_on__lt=since)
        .select_related("reports_to")
        .order_by("name")
    )
    in_window: dict[int, list[date]] = defaultdict(list)
    precision_of: dict[tuple[int, date], str] = {}
    for body_id, held_on, precision in (
        Meeting.objects.held()
        .filter(held_on__gte=since, held_on__lte=until, body__active=True)
        .order_by("body_id", "held_on")
        .values_list("body_id", "held_on", "held_on_precision")
    ):
        in_window[body_id].append(held_on)
        precision_of[body_id, held_on] = precision
    today = timezone.localdate()
    found = []
    for body in bodies:
        restarts: list[date | None] = [body.last_held, *in_window.get(body.pk, [])]
        for index, start in enumerate(restarts):
            if start is None:
                start_precision = None
            elif index == 0:
                start_precision = body.last_held_precision
            else:
                start_precision = precision_of[body.pk, start]
            schedule = body.schedule(last_meeting_on=start, last_meeting_precision=start_precision)
            if schedule.overdue_after is None:
                continue
            overdue_since = schedule.overdue_after + timedelta(days=1)
            next_meeting = restarts[index + 1] if index + 1 < len(restarts) else None
            if not since <= overdue_since <= until:
                continue
            if next_meeting is not None and next_meeting <= overdue_since:
                continue
            still_overdue = next_meeting is None and body.is_overdue(on=today)
            found.append(
                BecameOverdue(
                    body=body,
                    due_on=schedule.next_due_on,
                    overdue_since=overdue_since,
                    met_again_on=next_meeting,
                    days_overdue_now=body.days_overdue(on=today) if still_overdue else None,
                    met_again_precision=precision_of.get((body.pk, next_meeting), DatePrecision.DAY),
                    due_precision=schedule.precision,
                )
            )
    found.sort(key=lambda item: (item.overdue_since, item.body.name))
    return found


def changes_since(*, since: date, until: date | None = None, limit: int = LIST_LIMIT) -> Changes:
    """Every status transition, other update, meeting and newly overdue body from ``since`` to ``until``.
    Updates with no date a reader can rely on (``StatusUpdateQuerySet.dated``) are not news of any window. A
    window starting after ``until`` (:func:`day_after_meeting` of a meeting on that day) is empty.

    Seven queries whatever the data size. Lists are newest first and capped at ``limit`` rows each (the counts
    are exact), so the page stays readable and printable however long the window.
    """
    until = until or timezone.localdate()
    if since > until:  # after a meeting held on the last day: nothing yet, and nothing to look up
        nothing = {"transitions": [], "other_updates": [], "meetings": [], "became_overdue": []}
        return Changes(
            since=since, until=until, transition_count=0, other_count=0, meeting_count=0, limit=limit, **nothing
        )
    window = Q(recorded_at__gte=start_of_day(since), recorded_at__lt=end_of_day(until))
    is_transition = Q(kind=UpdateKind.STATUS_CHANGE) & ~Q(status=F("previous_status"))
    counts = (
        StatusUpdate.objects.effective()
        .dated()
        .filter(window)
        .aggregate(transitions=Count("pk", filter=is_transition), others=Count("pk", filter=~is_transition))
    )
    updates = (
        StatusUpdate.objects.effective()
        .dated()
        .filter(window)
        .select_related("commitment__agreement", "author")
        .order_by("-recorded_at", "-version")
    )
    meetings = Meeting.objects.held().filter(held_on__gte=since, held_on__lte=until)
    transitions = list(updates.filter(is_transition)[:limit])
    others = list(updates.exclude(is_transition)[:limit])
    parents = agreement_parents() if transitions or others else {}
    titles = dict(Agreement.objects.filter(code__in=MAIN_FRAMEWORKS).values_list("code", "title")) if parents else {}
    return Changes(
        since=since,
        until=until,
        transitions=transitions,
        transition_groups=group_updates(transitions, parents, titles),
        other_groups=group_updates(others, parents, titles),
        transition_count=counts["transitions"],
        other_updates=others,
        other_count=counts["others"],
        meetings=list(
            meetings.select_related("body__reports_to")
            .with_advanced_count()
            .order_by("-held_on", "body__name")[:limit]
        ),
        meeting_count=meetings.count(),
        became_overdue=bodies_became_overdue(since=since, until=until),
        limit=limit,
    )


def day_after_meeting(held_on: date, precision: str = DatePrecision.DAY) -> date:
    """Where "since the meeting" starts: the day after the last day the meeting's date can mean (13 July 2023:
    14 July; January 2023: 1 February), so that neither the meeting itself nor anything before it is counted as
    having happened since (the overview's panel and the What-changed page's meeting picker)."""
    return due_period_end(held_on, precision) + timedelta(days=1)


def meeting_dates(*, limit: int = 24) -> list[Meeting]:
    """The latest meetings, for the "since the last … meeting" choice of the What-changed page (1 query)."""
    return list(Meeting.objects.held().select_related("body").order_by("-held_on", "body__name")[:limit])


# --- The dialogue cadence timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A stretch of a body's row: ``cadence`` (before the due date), ``grace`` or ``overdue`` (end excluded).

    ``due_on`` is the due date the stretch belongs to: the days late of an overdue stretch count from it, as
    ``DialogueBody.days_overdue`` does. ``assumed``: the due date rests on an assumed cadence, or (before the
    first meeting) on an assumed start date, as ``DialogueBody.schedule_rests_on_assumption`` says of today's.
    """

    kind: str
    start: date
    end: date
    due_on: date | None = None
    assumed: bool = False
    # How much of ``start`` / ``end`` the documents give: a stretch that starts or ends at a meeting known only as
    # "January 2023" (or at an establishment known only by its year) does not claim its day.
    start_precision: str = DatePrecision.DAY
    end_precision: str = DatePrecision.DAY

    @property
    def days_late(self) -> int:
        return (self.end - self.due_on).days if self.due_on else 0


@dataclass
class TimelineRow:
    """One body across the years: its meetings, its expected cadence and the gaps when it was overdue."""

    body: DialogueBody
    meetings: list[date]
    spans: list[Span]
    days_overdue: int | None
    # How much of each meeting's date the documents give (day, month, year), in the order of ``meetings``.
    meeting_precisions: list[str] = field(default_factory=list)

    @property
    def dated_meetings(self) -> list[tuple[date, str]]:
        """(held on, precision) of each meeting, to show a date only as far as it is known ("Jan 2023")."""
        precisions = self.meeting_precisions or [DatePrecision.DAY] * len(self.meetings)
        return list(zip(self.meetings, precisions, strict=True))

    @property
    def state(self):
        """The body's state today, by the one rule (``DialogueBody.state``)."""
        return self.body.state()

    @property
    def assumed_facts(self) -> list[str]:
        """The assumed facts its due dates rest on, in words ("cadence: every 12 months, assumed by ...")."""
        names = ["cadence"] if any(span.assumed for span in self.spans) else []
        if any(span.assumed for span in self.spans if span.start == self.body.established_on):
            names.append("established_on")
        facts = [self.body.fact(name) for name in dict.fromkeys(names)]
        labels = DialogueBody.PROVENANCE_LABELS
        return [f"{labels[f.name]} {f.display_value}, {f.basis_text}" for f in facts if f.is_assumed]

    @property
    def overdue_spans(self) -> list[Span]:
        return [span for span in self.spans if span.kind == "overdue"]

    @property
    def longest_gap_display(self) -> str:
        """The longest interval between two consecutive meetings, as far as it is known: "243 days" between two
        meetings the documents date to the day, "about 8 months" where either is known only to the month or the
        year ("October 2022" to "June 2023" is 7 to 9 months); empty if it met fewer than two times."""
        gaps = [
            ((later - earlier).days, known == known_later == DatePrecision.DAY)
            for (earlier, known), (later, known_later) in itertools.pairwise(self.dated_meetings)
        ]
        if not gaps:
            return ""
        days, to_the_day = max(gaps)
        return count_of_days(days) if to_the_day else about_duration(days)

    @property
    def days_late_total(self) -> int:
        """Days late over every overdue stretch (each counted from its due date to the meeting, or today)."""
        return sum(span.days_late for span in self.overdue_spans)

    @property
    def days_late_display(self) -> str:
        """``days_late_total`` as far as it is known: "1,049 days" when every overdue stretch counts from a due date
        and to an end the documents give to the day; otherwise "about 3 years" (or "about 7 months"), since a
        count from the first of a month no document gives would claim a day it cannot know. Empty if never late."""
        total = self.days_late_total
        if not self.overdue_spans:
            return ""
        if all(span.start_precision == span.end_precision == DatePrecision.DAY for span in self.overdue_spans):
            return count_of_days(total)
        return about_duration(total)


@dataclass
class Timeline:
    """Rows of the cadence timeline between ``start`` and ``end``."""

    start: date
    end: date
    today: date
    rows: list[TimelineRow] = field(default_factory=list)


def _spans(body: DialogueBody, meetings: list[date], today: date, precisions: list[str] | None = None) -> list[Span]:
    """The cadence band of a body: for each restart (establishment, then every meeting), the cadence up to the
    due date, the grace period, and the overdue stretch until the next meeting (or today). ``precisions``: how much
    of each meeting's date the documents give (default: the day)."""
    spans: list[Span] = []
    restarts: list[date | None] = [None, *meetings]
    known = [body.established_on_precision, *(precisions or [DatePrecision.DAY] * len(meetings))]
    cadence_assumed = body.fact("cadence").is_assumed
    start_assumed = body.fact("established_on").is_assumed
    for index, start in enumerate(restarts):
        schedule = body.schedule(last_meeting_on=start, last_meeting_precision=known[index] if start else None)
        begin = start or body.established_on
        end = restarts[index + 1] if index + 1 < len(restarts) else today
        if schedule.next_due_on is None or begin is None or end is None or end <= begin:
            continue
        first_overdue_day = schedule.overdue_after + timedelta(days=1)
        assumed = cadence_assumed or (start is None and start_assumed)
        at_end = known[index + 1] if index + 1 < len(restarts) else DatePrecision.DAY
        # The due date, and the grace and overdue days counted from it, are known as far as the date the schedule
        # counts from ("January 2023" makes it due by the end of "January 2024"), as DialogueBody.schedule_precision
        # says.
        due = schedule.precision
        spans.append(
            Span(
                "cadence",
                begin,
                min(schedule.next_due_on, end),
                assumed=assumed,
                start_precision=due,
                end_precision=at_end if end <= schedule.next_due_on else due,
            )
        )
        if schedule.next_due_on < end:
            grace_end = min(first_overdue_day, end)
            spans.append(
                Span(
                    "grace",
                    schedule.next_due_on,
                    grace_end,
                    assumed=assumed,
                    start_precision=due,
                    end_precision=at_end if end <= first_overdue_day else due,
                )
            )
        if body.active and first_overdue_day < end:
            spans.append(
                Span(
                    "overdue",
                    first_overdue_day,
                    end,
                    schedule.next_due_on,
                    assumed=assumed,
                    start_precision=due,
                    end_precision=at_end,
                )
            )
    return spans


def cadence_timeline(*, agreement: str = "", from_year: int | None = None) -> Timeline:
    """Each body (optionally only those of one framework) with its meetings and its cadence, in 2 queries.

    Bodies come in order of level (leaders first), then name. The window runs from the year of the earliest
    meeting or cadence band (or 1 January of ``from_year``) to the end of the current year.
    """
    today = timezone.localdate()
    bodies = (
        DialogueBody.objects.with_last_meeting_precision()
        .select_related("reports_to")
        .order_by(choice_rank("level", Level.values), "name")
    )
    if agreement:
        bodies = bodies.filter(agreements__code=agreement)
    bodies = list(bodies)
    meetings: dict[int, list[date]] = defaultdict(list)
    precisions: dict[int, list[str]] = defaultdict(list)
    for body_id, held_on, precision in (
        Meeting.objects.held()
        .filter(body__in=[body.pk for body in bodies])
        .order_by("body_id", "held_on")
        .values_list("body_id", "held_on", "held_on_precision")
    ):
        meetings[body_id].append(held_on)
        precisions[body_id].append(precision)
    rows = []
    for body in bodies:
        held = meetings.get(body.pk, [])
        rows.append(
            TimelineRow(
                body=body,
                meetings=held,
                spans=_spans(body, held, today, precisions.get(body.pk, [])) if body.cadence_months else [],
                days_overdue=body.days_overdue(on=today),
                meeting_precisions=precisions.get(body.pk, []),
            )
        )
    # The window starts at the earliest thing drawn (a meeting or a cadence band): a body that never met and keeps
    # no cadence draws nothing, so its establishment (EUJ-CENTRE, 1987) must not stretch the axis by decades.
    earliest = [d for row in rows for d in (*row.meetings[:1], *[span.start for span in row.spans[:1]])]
    start = date(from_year, 1, 1) if from_year else min(earliest, default=date(today.year, 1, 1))
    start = date(start.year, 1, 1)
    return Timeline(start=start, end=date(today.year, 12, 31), today=today, rows=rows)


# --- An agreement's page ----------------------------------------------------------------------------------


@dataclass
class AreaGroup:
    """The commitments of one policy area under one framework, with their status breakdown."""

    breakdown: StatusBreakdown
    commitments: list[Commitment]


@dataclass
class AgreementPage:
    """What an agreement's page shows."""

    agreement: Agreement
    total: StatusBreakdown
    areas: list[AreaGroup]
    bodies: list[DialogueBody]
    today: date

    @property
    def areas_breakdowns(self) -> list[StatusBreakdown]:
        return [group.breakdown for group in self.areas]

    def _any(self, attribute: str) -> bool:
        return any(getattr(c, attribute) is not None for group in self.areas for c in group.commitments)

    @property
    def shows_progress(self) -> bool:
        """A progress column only if some commitment reports progress (no column of "not reported")."""
        return self._any("progress")

    @property
    def shows_target(self) -> bool:
        """A target-date column only if some commitment has a target date (no column of dashes)."""
        return self._any("target_date")


def agreement_page(*, code: str) -> AgreementPage:
    """A framework with its commitments grouped by policy area, their progress, and its dialogue bodies.

    Five queries whatever its size: the framework (with parent and source), its instruments, the counts by
    area and status, its commitments in vocabulary order, and its bodies. Raises ``Agreement.DoesNotExist``.
    """
    agreement = (
        Agreement.objects.select_related("parent", "source_document").prefetch_related("children").get(code=code)
    )
    cells = [
        Cell(agreement.pk, row["area"], row["status"], row["n"])
        for row in Commitment.objects.filter(agreement=agreement)
        .order_by()
        .values("area", "status")
        .annotate(n=Count("pk"))
    ]
    per_area = _pivot(cells, lambda cell: cell.area)
    commitments = (
        Commitment.objects.filter(agreement=agreement)
        .select_related("responsible_body")
        .order_by(choice_rank("area", PolicyArea.values), "reference_sort_key", "reference")
    )
    grouped: dict[str, list[Commitment]] = defaultdict(list)
    for commitment in commitments:
        grouped[commitment.area].append(commitment)
    areas = [
        AreaGroup(
            StatusBreakdown(
                key=area,
                label=label,
                counts=per_area[area],
                url=f"#area-{area}",
                list_query=urlencode({"agreement": agreement.code, "area": area}),
            ),
            grouped[area],
        )
        for area, label in PolicyArea.choices
        if area in per_area
    ]
    return AgreementPage(
        agreement=agreement,
        total=StatusBreakdown(key=agreement.code, label="All policy areas", counts=_total(cells)),
        areas=areas,
        bodies=list(
            DialogueBody.objects.filter(agreements=agreement)
            .with_last_meeting_precision()
            .select_related("reports_to")
            .order_by(choice_rank("level", Level.values), "name")
        ),
        today=timezone.localdate(),
    )


# --- "Since the last meeting of ..." ----------------------------------------------------------------------


@dataclass(frozen=True)
class SinceMeeting:
    """What changed since the last meeting of the body the reader picked (the overview's "since" panel): ``since``
    is the first day after it (``day_after_meeting``), or the start of the default window when no body met."""

    body: DialogueBody | None
    since: date
    changes: Changes


def bodies_that_met(*, on: date | None = None) -> list[DialogueBody]:
    """Bodies with at least one meeting held (not withdrawn) up to ``on`` (default: any), leaders first, each with
    ``last_held``, its last meeting held up to that day, and ``last_held_precision``, how much of that date the
    documents give (the picker says "Jan 2023", not a day it does not know) (1 query)."""
    return list(
        DialogueBody.objects.only("pk", "short_name", "name", "level")
        .with_last_meeting_held(**({"held_on__lte": on} if on else {}))
        .filter(last_held__isnull=False)
        .order_by(choice_rank("level", Level.values), "name")
    )


def since_last_meeting(*, bodies: list[DialogueBody], short_name: str = "", on: date | None = None) -> SinceMeeting:
    """Counts of what changed after the last meeting of the body named ``short_name`` (default: the highest-level
    body that has met), up to ``on``: from :func:`day_after_meeting`, so the meeting itself is not one of the
    meetings held since. Without any meeting, the last ``DEFAULT_CHANGES_DAYS`` days."""
    on = on or timezone.localdate()
    chosen = next((body for body in bodies if body.short_name == short_name), bodies[0] if bodies else None)
    if chosen:
        since = day_after_meeting(chosen.last_held, chosen.last_held_precision)
    else:
        since = on - timedelta(days=DEFAULT_CHANGES_DAYS)
    return SinceMeeting(body=chosen, since=since, changes=changes_since(since=since, until=on, limit=0))
