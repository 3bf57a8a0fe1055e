"""The one rule for a commitment's state: achieved, moving, stalled, stale, not started or discontinued.

A commitment's *status* is what its latest update recorded; its *state* is how a reader should take it today. The
two differ in one way only: an open commitment (neither achieved nor discontinued) with no update or review in the
12 months before the day is **stale**, whatever its recorded status, because that status is no longer news
("no update in 12 months and not achieved or discontinued", ``Commitment.objects.stale()``). Otherwise ongoing
and in progress are **moving**, and the other statuses are states of their own.

:func:`commitment_state` decides it in Python (``Commitment.state()``: the detail page, print, CSV, API);
:func:`state_expression` is the same rule as one SQL ``CASE`` built from the same table (:data:`STATE_OF_STATUS`)
and the same stale condition (``querysets.stale_condition``), for lists, filters and the overview's counts.
``commitments/tests/test_states.py`` checks that the two agree on every combination.

The same module holds the rule between a status and a progress figure (:func:`progress_for_status`,
:func:`progress_text`): 100 % complete means achieved, so no page shows "Stalled · 100% complete".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, Value, When

from .choices import FINISHED_STATUSES, CommitmentState, Status
from .querysets import stale_condition, stale_cutoff

STATE_OF_STATUS: dict[str, str] = {
    Status.ACHIEVED: CommitmentState.ACHIEVED,
    Status.ONGOING: CommitmentState.MOVING,
    Status.IN_PROGRESS: CommitmentState.MOVING,
    Status.STALLED: CommitmentState.STALLED,
    Status.NOT_STARTED: CommitmentState.NOT_STARTED,
    Status.DISCONTINUED: CommitmentState.DISCONTINUED,
}
"""A commitment's state from its status, when it is not stale."""

# The order in which readers meet the states (key figures, filters): delivered, moving, not moving, no news.
STATE_ORDER: tuple[str, ...] = (
    CommitmentState.ACHIEVED,
    CommitmentState.MOVING,
    CommitmentState.STALLED,
    CommitmentState.STALE,
    CommitmentState.NOT_STARTED,
    CommitmentState.DISCONTINUED,
)
STATE_LABELS: dict[str, str] = dict(CommitmentState.choices)
STATE_HINTS: dict[str, str] = {
    CommitmentState.ACHIEVED: "delivered, with evidence",
    CommitmentState.MOVING: "ongoing or in progress",
    CommitmentState.STALLED: "recorded as stalled",
    CommitmentState.STALE: "no update in 12 months",
    CommitmentState.NOT_STARTED: "nothing recorded yet",
    CommitmentState.DISCONTINUED: "no longer pursued",
}
"""What each state means, in a few words (the key figures' notes, the badges' titles); moving, stalled and not
started all mean "with news from the last 12 months", since otherwise the commitment is stale."""

STATE_BADGES: dict[str, str] = {
    CommitmentState.ACHIEVED: "status-achieved",
    CommitmentState.MOVING: "status-in_progress",
    CommitmentState.STALLED: "status-stalled",
    CommitmentState.STALE: "state-stale",
    CommitmentState.NOT_STARTED: "status-not_started",
    CommitmentState.DISCONTINUED: "status-discontinued",
}


@dataclass(frozen=True)
class CommitmentStatus:
    """A commitment's state on a day, as every page, the print, the CSV and the API show it."""

    code: str
    status: str
    last_update_at: datetime | None = None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.code]

    @property
    def badge_class(self) -> str:
        """The badge's colour: a state that is a status wears its colour; moving that of in progress; stale its own
        (outlined: the recorded status is no longer news)."""
        return STATE_BADGES[self.code]

    @property
    def hint(self) -> str:
        return STATE_HINTS[self.code]

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def text(self) -> str:
        """The state in words, naming the recorded status where the state alone does not ("Stale (last
        recorded: in progress)", "Moving (ongoing)")."""
        if self.code == CommitmentState.STALE:
            return f"Stale: no update in 12 months (last recorded: {self.status_label.lower()})"
        if self.code == CommitmentState.MOVING:
            return f"Moving ({self.status_label.lower()})"
        return self.label


def commitment_state(*, status: str, last_update_at: datetime | None, on: date) -> CommitmentStatus:
    """The one rule: stale if open and not updated in the 12 months before ``on``, else the state of its status.

    ``last_update_at`` is the commitment's last update or review, or the day it was entered if it has none.
    """
    if status not in FINISHED_STATUSES and last_update_at is not None and last_update_at < stale_cutoff(on):
        return CommitmentStatus(CommitmentState.STALE, status, last_update_at)
    return CommitmentStatus(STATE_OF_STATUS[status], status, last_update_at)


def state_condition(state: str, *, on: date, status: str = "status", last_update: str | None = None) -> Q:
    """The SQL condition under which a row is in ``state`` on ``on`` (filters use it directly, so that each stays
    an indexable condition on the status and the update time rather than a ``CASE``)."""
    stale = stale_condition(on=on, status=status, last_update=last_update)
    if state == CommitmentState.STALE:
        return stale
    statuses = [value for value, to in STATE_OF_STATUS.items() if to == state]
    matches = Q(**{f"{status}__in": statuses})
    if all(value in FINISHED_STATUSES for value in statuses):
        return matches
    return matches & ~stale


def state_expression(*, on: date, status: str = "status", last_update: str | None = None) -> Case:
    """The state of each row as an SQL ``CASE`` (lists, grouped counts). ``status`` names the status column and
    ``last_update`` the last-update column (default: the commitment's last review, else when it was entered)."""
    return Case(
        *[
            When(state_condition(state, on=on, status=status, last_update=last_update), then=Value(state))
            for state in STATE_ORDER
        ],
        output_field=models.CharField(),
    )


# -- Progress and status -----------------------------------------------------------------------------------------

FULL_PROGRESS_IS_ACHIEVED = (
    "100% complete means achieved: record it as achieved (with evidence), or enter the share done so far."
)


def progress_for_status(*, status: str, progress: int | None, rolled_up: bool, entered: bool = False) -> int | None:
    """The progress a commitment keeps with ``status``: the one rule between the two, applied by every write.

    Achieved is 100 % complete (a figure left out becomes 100; another one is refused by the model). Any other status
    is below 100 %: a figure of 100 entered by hand with it is refused (``entered``: ``ValidationError`` on
    ``progress``), and one left over from an achieved status that no longer holds (a party's status lowered the
    combined one, an entry was withdrawn) is dropped, since nobody said how far it is then (not reported). A figure
    rolled up from milestones is a count of what is done, not a claim: every milestone done while the commitment is
    not achieved keeps 100, and :func:`progress_text` words it so that it does not read as delivered.
    """
    if status == Status.ACHIEVED:
        return 100 if progress is None else progress
    if progress == 100 and not rolled_up:
        if entered:
            raise ValidationError({"progress": FULL_PROGRESS_IS_ACHIEVED})
        return None
    return progress


def progress_text(*, status: str, progress: int | None, short: bool = False) -> str:
    """A commitment's progress as the pages, the print and the briefing pack word it: "40% complete" ("40%" in a
    table's cell, ``short``); "" when not reported; and for a commitment not achieved whose milestones are all done
    (the only way it can hold 100, see :func:`progress_for_status`) "all milestones done, not achieved", never
    "100% complete"."""
    if progress is None:
        return ""
    if progress == 100 and status != Status.ACHIEVED:
        return "all milestones done, not achieved"
    return f"{progress}%" if short else f"{progress}% complete"
