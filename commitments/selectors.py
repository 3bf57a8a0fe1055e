"""Reads with logic for the commitment pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from django.db.models import Prefetch
from django.utils.formats import date_format
from simple_history.models import ModelChange

from core.templatetags.facts import format_approx_date

from .models import EDITABLE_FIELDS, Agreement, Commitment, Milestone, StatusUpdate
from .querysets import dialogue_bodies, meetings
from .states import STATE_LABELS, STATE_ORDER

# The fields whose changes the audit history shows on a commitment's timeline, in display order.
AUDITED_FIELDS = (
    "reference",
    "agreement",
    *EDITABLE_FIELDS,
    "source_locator",
)


@dataclass(frozen=True)
class FieldChange:
    """One field of one edit: its label, and the value before and after, as a reader sees them."""

    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class CommitmentEdit:
    """One change to a commitment's editorial fields, read from its audit history: who, when, what."""

    edit_version: int
    author: object
    at: datetime
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class EntryOrigin:
    """Where an entry of a commitment's history came from, as its timeline says it ("from the bulk import of
    status.csv"), with a link for a reader who may open it (else ``url`` is empty)."""

    text: str
    url: str = ""


# The apps above this one that record entries for the people who use them (the bulk import) say which entries they
# recorded: each function takes the entries and the reader and returns ``{entry id: EntryOrigin}``. An app adds its
# function in its ``AppConfig.ready()``; this app never imports it.
ENTRY_ORIGINS: list[Callable[[list[StatusUpdate], object], dict[int, EntryOrigin]]] = []


def attach_entry_origins(updates: list[StatusUpdate], reader) -> None:
    """Set ``origin`` (an :class:`EntryOrigin` or ``None``) on each of ``updates``: one query per registered app."""
    found: dict[int, EntryOrigin] = {}
    if updates:
        for origins in ENTRY_ORIGINS:
            found.update(origins(updates, reader))
    for update in updates:
        update.origin = found.get(update.pk)


def commitment_detail(*, pk: int) -> Commitment:
    """A commitment with everything its page shows: agreement, body, timeline (newest first), the meeting it was
    made at and, as ``advanced_at``, the meetings held that advanced it."""
    commitment = (
        Commitment.objects.select_related(
            "agreement",
            "responsible_body",
            "responsible_body__reports_to",
            "source_document",
            "made_at__body",
            "made_at_source",
        )
        .prefetch_related(
            Prefetch("updates", queryset=StatusUpdate.objects.for_timeline(), to_attr="timeline"),
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related("withdrawn_by").in_due_order(),
                to_attr="milestone_list",
            ),
            # Only the meetings held (``MeetingQuerySet.held``); the one it was made at is taken out below.
            Prefetch("meetings", queryset=meetings().held().select_related("body"), to_attr="meetings_held"),
        )
        # How much of its body's last meeting date is known, so that the page gives its due date no more precisely
        # (``DialogueBody.schedule_precision``).
        .annotate(body_last_meeting_precision=meetings().last_precision("responsible_body__"))
        .get(pk=pk)
    )
    if commitment.responsible_body is not None:
        commitment.responsible_body.last_meeting_precision = commitment.body_last_meeting_precision
    # A meeting does not advance the commitment it made (``Meeting.advanced_commitments``).
    commitment.advanced_at = [m for m in commitment.meetings_held if m.pk != commitment.made_at_id]
    return commitment


def commitment_edits(*, commitment_id: int, after_edit_version: int | None = None) -> list[CommitmentEdit]:
    """The edits of a commitment's editorial fields, oldest first, each with its author and changed fields.

    Read from the audit history in one query (plus one per kind of related record named in a change); records
    that change none of ``AUDITED_FIELDS`` (a re-save, a creation) are left out. ``after_edit_version`` keeps
    only the edits made after the caller read that edit version (what a conflicting editor changed).
    """
    records = list(
        Commitment.history.filter(id=commitment_id).select_related("history_user").order_by("history_date", "pk")
    )
    fields = {name: Commitment._meta.get_field(name) for name in AUDITED_FIELDS}
    related_ids: dict[str, set] = {"agreement": set(), "responsible_body": set(), "made_at": set()}
    raw_edits = []
    for before, after in pairwise(records):
        if after_edit_version is not None and after.edit_version <= after_edit_version:
            continue
        # simple-history compares the two records (foreign keys as ids, so no query); shown in AUDITED_FIELDS order.
        delta = {change.field: change for change in after.diff_against(before, included_fields=AUDITED_FIELDS).changes}
        if "target_date" in delta or "target_date_precision" in delta:
            # One change, the date as far as it is known before and after ("31 December 2023" → "2023").
            delta["target_date"] = ModelChange(
                "target_date",
                (before.target_date, before.target_date_precision),
                (after.target_date, after.target_date_precision),
            )
            delta.pop("target_date_precision", None)
        changes = [delta[name] for name in AUDITED_FIELDS if name in delta]
        if not changes:
            continue
        for change in changes:
            if change.field in related_ids:
                related_ids[change.field].update({change.old, change.new})
        raw_edits.append((after, changes))
    names = {
        "agreement": dict(Agreement.objects.filter(pk__in=related_ids["agreement"]).values_list("pk", "code"))
        if related_ids["agreement"]
        else {},
        "responsible_body": dict(
            dialogue_bodies().filter(pk__in=related_ids["responsible_body"]).values_list("pk", "name")
        )
        if related_ids["responsible_body"]
        else {},
        "made_at": {
            meeting.pk: str(meeting)
            for meeting in meetings().filter(pk__in=related_ids["made_at"]).select_related("body")
        }
        if related_ids["made_at"]
        else {},
    }

    def shown(name: str, value) -> str:
        f = fields[name]
        if value in (None, ""):
            return "—"
        if name in names:
            return names[name].get(value, f"#{value}")
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if name == "target_date":
            return format_approx_date(*value) or "—"
        if hasattr(value, "isoformat"):
            return date_format(value, "j F Y")
        return str(value)

    return [
        CommitmentEdit(
            edit_version=after.edit_version,
            author=after.history_user,
            at=after.history_date,
            changes=tuple(
                FieldChange(
                    change.field,
                    str(fields[change.field].verbose_name).capitalize(),
                    shown(change.field, change.old),
                    shown(change.field, change.new),
                )
                for change in changes
            ),
        )
        for after, changes in raw_edits
    ]


def status_summary(statuses) -> str:
    """One line about a group of commitments from their statuses: "14 commitments: 3 achieved, 8 in progress, 3 not
    started" (furthest along first, only the statuses present)."""
    from collections import Counter

    from .choices import Status

    counts = Counter(statuses)
    total = sum(counts.values())
    if not total:
        return "No commitments recorded."
    # Furthest along first, as a delegation reads it: "3 achieved, 8 in progress, 3 not started".
    order = (Status.ACHIEVED, Status.IN_PROGRESS, Status.ONGOING, Status.STALLED, Status.NOT_STARTED)
    order += tuple(value for value in Status if value not in order)
    parts = [f"{counts[value]} {Status(value).label.lower()}" for value in order if counts[value]]
    return f"{total} commitment{'s' if total != 1 else ''}: {', '.join(parts)}"


def state_summary(states) -> str:
    """One line about a group of commitments from their states today (``Commitment.state``, the one rule the lists
    show): "19 commitments, by their state today: 3 moving, 16 stale" (in the order readers meet the states, only
    those present); "" for none (the page says so in a sentence of its own)."""
    counts = Counter(state.code for state in states)
    total = sum(counts.values())
    if not total:
        return ""
    parts = [f"{counts[code]} {STATE_LABELS[code].lower()}" for code in STATE_ORDER if counts[code]]
    return f"{total} commitment{'s' if total != 1 else ''}, by their state today: {', '.join(parts)}"
