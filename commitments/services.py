"""Writes with rules: every change to a commitment's status, its editorial fields, and their corrections.

Each service validates with the model rules (``full_clean``), appends exactly one ``StatusUpdate`` and moves
the commitment's derived status in the same transaction, guarded by the commitment's ``version``: a write
based on a stale version raises :class:`CommitmentConflict` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from core.events import publish_on_commit
from core.exceptions import DomainConflict
from core.models import DatePrecision

from .choices import MILESTONE_KINDS, Actor, Party, ProgressSource, Status, UpdateKind, combined_status
from .models import EDITABLE_FIELDS, MILESTONE_FIELDS, Commitment, Milestone, StatusUpdate, rolled_up_progress
from .references import reference_sort_key
from .states import progress_for_status


@dataclass
class CommitmentConflict(DomainConflict):
    """Somebody else updated the commitment since the caller read it (optimistic concurrency)."""

    current: Commitment
    expected_version: int
    newer_updates: list[StatusUpdate] = field(default_factory=list)

    @property
    def authors(self) -> tuple:
        return tuple(update.author for update in self.newer_updates)

    def __str__(self) -> str:
        if self.expected_version > self.current.version:  # never read: no such version has been
            return (
                f"{self.current.reference} has never had version {self.expected_version}: its current version is "
                f"{self.current.version}."
            )
        return (
            f"{self.current.reference} was updated by someone else (version {self.expected_version} "
            f"was read, {self.current.version} is current)."
        )


NOTHING_CHANGED = (
    "Nothing changed: the status and progress are the ones recorded, with no note and no evidence. "
    "If you reviewed it and nothing changed, use “Confirm unchanged” instead."
)


def _changes_nothing(locked: Commitment, *, status: str | None, progress: int | None, note: str, evidence) -> bool:
    """A status update with the current status and progress, no note and no evidence records no change."""
    return (
        status == locked.status
        and progress == locked.progress
        and not note.strip()
        and not any(value.strip() if isinstance(value, str) else value for value in evidence)
    )


PARTY_FIELDS = {Party.EU: "eu_status", Party.JAPAN: "japan_status"}


def _party_entry(
    locked: Commitment,
    *,
    party: str,
    status: str,
    progress: int | None,
    note: str,
    evidence_url: str,
    evidence_reference: str,
) -> tuple[str, str, int | None, dict]:
    """A status recorded for one party of a joint commitment: the party's status, the combined status it leads to
    (the less advanced of the two once both are recorded; until then the combined status stays), the commitment's
    progress (unchanged unless the combined status becomes achieved), and the party fields to write."""
    if party not in PARTY_FIELDS:
        raise ValidationError({"party": f"Not a party: {party!r}."})
    if locked.actor != Actor.BOTH:
        raise ValidationError({"party": "Only a commitment both parties must act on takes a status per party."})
    if progress is not None:
        raise ValidationError({"progress": "A status per party takes no progress: the commitment has one progress."})
    if status == Status.ACHIEVED and not (evidence_url.strip() or evidence_reference.strip()):
        raise ValidationError(
            {"evidence_reference": "Evidence (a URL or a document reference) is required to mark it achieved."}
        )
    field_name = PARTY_FIELDS[party]
    if getattr(locked, field_name) == status and not note.strip() and not (evidence_url or evidence_reference):
        raise ValidationError({"status": NOTHING_CHANGED})
    parties = {"eu_status": locked.eu_status, "japan_status": locked.japan_status, field_name: status}
    combined = combined_status(parties["eu_status"], parties["japan_status"]) or locked.status
    if locked.progress_rolled_up:
        progress = locked.progress
        if combined == Status.ACHIEVED and combined != locked.status:
            progress = _rolled_up_status_progress(locked, status=combined, progress=None)
    else:  # achieved is 100 %; a 100 % left from an achieved status that no longer holds is not reported
        kept = None if combined == Status.ACHIEVED else locked.progress
        progress = progress_for_status(status=combined, progress=kept, rolled_up=False)
    return status, combined, progress, {field_name: status}


ROLLED_UP_PROGRESS = "Progress is rolled up from the milestones: mark milestones done instead of entering it."


def _rolled_up_status_progress(locked: Commitment, *, status: str, progress: int | None) -> int | None:
    """The progress a status update carries when the commitment's progress is rolled up from its milestones:
    always the roll-up. A different figure is refused; "achieved" needs every milestone done."""
    rolled_up = rolled_up_progress(Milestone.objects.filter(commitment_id=locked.pk).effective())
    if progress is not None and progress != rolled_up:
        raise ValidationError({"progress": ROLLED_UP_PROGRESS})
    if status == Status.ACHIEVED and rolled_up != 100:
        raise ValidationError({"status": _not_all_done(locked.pk)})
    return rolled_up


def _not_all_done(commitment_id: int) -> str:
    milestones = Milestone.objects.filter(commitment_id=commitment_id).effective()
    done, total = milestones.filter(done_on__isnull=False).count(), milestones.count()
    return (
        f"Its progress is rolled up from its milestones and {done} of {total} are done: an achieved commitment "
        "has every milestone done."
    )


def _conflict(commitment_id: int, expected_version: int) -> CommitmentConflict:
    current = Commitment.objects.select_related("agreement", "responsible_body").get(pk=commitment_id)
    newer = list(
        StatusUpdate.objects.filter(commitment_id=commitment_id, version__gt=expected_version)
        .select_related("author")
        .order_by("version")
    )
    return CommitmentConflict(current=current, expected_version=expected_version, newer_updates=newer)


def _write_entry(*, commitment_id: int, expected_version: int, changes: dict, entry: StatusUpdate, event: str, about):
    """The guarded write every history entry ends with: move the commitment's derived fields only if its version
    is still ``expected_version`` (safe even where SELECT ... FOR UPDATE is a no-op, SQLite), then save the entry
    (a concurrent writer that took this version first makes it a conflict), and announce ``event`` about ``about``
    after commit. Inside the caller's transaction."""
    if not Commitment.objects.filter(pk=commitment_id, version=expected_version).update(**changes):
        raise _conflict(commitment_id, expected_version)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:  # a concurrent writer took this version (or withdrew the entry) first
        raise _conflict(commitment_id, expected_version) from exc
    publish_on_commit(event, about)


def _lock_current(commitment_id: int, expected_version: int) -> Commitment:
    """Lock the commitment for the rest of the caller's transaction and check that ``expected_version`` is still
    its version (else the conflict, with what came since)."""
    locked = Commitment.objects.select_for_update().filter(pk=commitment_id).first()
    if locked is None:
        raise Commitment.DoesNotExist(f"Commitment {commitment_id} no longer exists.")
    if locked.version != expected_version:
        raise _conflict(commitment_id, expected_version)
    return locked


def _write_new_entry(*, locked: Commitment, expected_version: int, changes: dict, entry: StatusUpdate) -> None:
    """:func:`_write_entry` for a new entry of the history (a status update, a review, a milestone's change)."""
    _write_entry(
        commitment_id=locked.pk,
        expected_version=expected_version,
        changes=changes,
        entry=entry,
        event="status_update.created",
        about=entry,
    )


def _apply_changes(commitment: Commitment, changes: dict) -> None:
    """Give the caller's instance what was written to the database (after the transaction)."""
    for name, value in changes.items():
        setattr(commitment, name, value)


def status_since(update: StatusUpdate, *, previous: datetime | None) -> tuple[datetime | None, str]:
    """Since when the status ``update`` records holds, and to what precision: ``(None, day)`` for an undated
    entry (it dates nothing); the evidence date where the entry has one ("15 March 2025", or "March 2025" at noon on
    the 1st with month precision, as the seed loader files a document's date), but never before ``previous``, the
    moment the status it replaces took effect, so that the record keeps its order (evidence that predates it dates
    nothing: the entry then counts from when it was recorded); with no evidence date, when it was recorded."""
    precision = update.date_precision
    if precision is None:
        return None, DatePrecision.DAY
    recorded = (update.recorded_at, precision)
    if update.evidence_date is None:
        return recorded
    if previous is not None and update.evidence_date < timezone.localdate(previous):
        return recorded
    moment = timezone.make_aware(datetime.combine(update.evidence_date, time(12)))
    if previous is not None:
        moment = max(moment, previous)  # evidence of the day the previous status took effect: not before it
    return min(moment, update.recorded_at), update.evidence_date_precision or DatePrecision.DAY


def _append_update(
    *,
    commitment: Commitment,
    expected_version: int,
    kind: str,
    author,
    status: str | None,
    progress: int | None,
    note: str,
    evidence_url: str,
    evidence_reference: str,
    evidence_date: date | None,
    recorded_at: datetime | None,
    evidence_date_precision: str = DatePrecision.DAY,
    source_document=None,
    source_locator: str = "",
    party: str = "",
) -> StatusUpdate:
    recorded_at = recorded_at or timezone.now()
    party_status = ""
    with transaction.atomic():
        locked = _lock_current(commitment.pk, expected_version)
        party_changes = {}
        if party:
            party_status, status, progress, party_changes = _party_entry(
                locked,
                party=party,
                status=status,
                progress=progress,
                note=note,
                evidence_url=evidence_url,
                evidence_reference=evidence_reference,
            )
        elif kind == UpdateKind.REVIEW:
            status, progress = locked.status, locked.progress
        elif locked.progress_rolled_up:
            progress = _rolled_up_status_progress(locked, status=status, progress=progress)
        else:
            progress = progress_for_status(status=status, progress=progress, rolled_up=False, entered=True)
        if (
            kind == UpdateKind.STATUS_CHANGE
            and not party
            and _changes_nothing(
                locked,
                status=status,
                progress=progress,
                note=note,
                evidence=(evidence_url, evidence_reference, evidence_date),
            )
        ):
            raise ValidationError({"status": NOTHING_CHANGED})
        update = StatusUpdate(
            commitment=locked,
            version=expected_version + 1,
            kind=kind,
            status=status,
            previous_status=locked.status,
            progress=progress,
            note=note.strip(),
            evidence_url=evidence_url.strip(),
            evidence_reference=evidence_reference.strip(),
            evidence_date=evidence_date,
            evidence_date_precision=evidence_date_precision or DatePrecision.DAY,
            author=author,
            recorded_at=recorded_at,
            source_document=source_document,
            source_locator=source_locator,
            party=party,
            party_status=party_status,
        )
        update.full_clean(exclude=["commitment", "version"])
        changes = {"version": expected_version + 1, "updated_at": timezone.now(), **party_changes}
        # An undated entry (taken from a document that gives no date) moves the status but dates nothing: its
        # recorded_at is only when the seed was loaded, so it neither reviews the commitment nor dates the change.
        # The review date is the entry's own (a staff review is news the day it is recorded); the status counts
        # from the evidence date where there is one (status_since).
        precision = update.date_precision
        if precision is not None:
            changes.update(last_reviewed_at=recorded_at, last_reviewed_precision=precision)
        if kind == UpdateKind.STATUS_CHANGE:
            changes.update(status=status, progress=progress)
            # A new status, or the first date of one that had none (not started, never dated).
            undated = locked.status_changed_at is None and not locked.status_date_unknown and precision is not None
            if status != locked.status or undated:
                since = status_since(update, previous=locked.status_changed_at)
                changes.update(status_changed_at=since[0], status_changed_precision=since[1])
        _write_new_entry(locked=locked, expected_version=expected_version, changes=changes, entry=update)
    _apply_changes(commitment, changes)
    return update


def commitment_update_status(
    *,
    commitment: Commitment,
    expected_version: int,
    author,
    status: str,
    progress: int | None = None,
    note: str = "",
    evidence_url: str = "",
    evidence_reference: str = "",
    evidence_date: date | None = None,
    recorded_at: datetime | None = None,
    source_document=None,
    source_locator: str = "",
    party: str = "",
    evidence_date_precision: str = DatePrecision.DAY,
) -> StatusUpdate:
    """Record a new status for ``commitment`` and make it the current one (with ``party``, one party's own status:
    see :func:`commitment_update_party_status`).

    A new status counts from ``evidence_date`` (to ``evidence_date_precision``), or from when it is recorded where
    no evidence date is given or the evidence predates the status it replaces (:func:`status_since`); the
    staleness clock (``last_reviewed_at``) restarts when it is recorded either way.

    Raises ``ValidationError`` (field errors) on invalid input and :class:`CommitmentConflict` when
    ``expected_version`` is no longer current. Nothing is written in either case.
    """
    return _append_update(
        commitment=commitment,
        expected_version=expected_version,
        kind=UpdateKind.STATUS_CHANGE,
        author=author,
        status=status,
        progress=progress,
        note=note,
        evidence_url=evidence_url,
        evidence_reference=evidence_reference,
        evidence_date=evidence_date,
        evidence_date_precision=evidence_date_precision,
        recorded_at=recorded_at,
        source_document=source_document,
        source_locator=source_locator,
        party=party,
    )


def commitment_update_party_status(*, party: str, **update) -> StatusUpdate:
    """Record one party's own status (with its own evidence) on a joint commitment (``actor=both``): the arguments
    of :func:`commitment_update_status`, and ``party`` (``eu`` or ``japan``).

    The combined status becomes the less advanced of the two parties' statuses once both are recorded; an editor can
    still set the combined status with :func:`commitment_update_status`, and it stands until the next entry per
    party. One history entry (``party``, ``party_status``; its ``status`` is the combined status it leads to), under
    the commitment's ``version``: :class:`CommitmentConflict` when stale, ``ValidationError`` on invalid input.
    """
    if not party:
        raise ValidationError({"party": "Name the party: eu or japan."})
    return commitment_update_status(party=party, **update)


def commitment_confirm_unchanged(
    *,
    commitment: Commitment,
    expected_version: int,
    author,
    note: str,
    evidence_date: date | None = None,
    evidence_url: str = "",
    evidence_reference: str = "",
    recorded_at: datetime | None = None,
    evidence_date_precision: str = DatePrecision.DAY,
) -> StatusUpdate:
    """Record that ``commitment`` was reviewed and nothing changed: resets the staleness clock, keeps the status."""
    return _append_update(
        commitment=commitment,
        expected_version=expected_version,
        kind=UpdateKind.REVIEW,
        author=author,
        status=None,
        progress=None,
        note=note,
        evidence_url=evidence_url,
        evidence_reference=evidence_reference,
        evidence_date=evidence_date,
        evidence_date_precision=evidence_date_precision,
        recorded_at=recorded_at,
    )


# -- Editorial fields ----------------------------------------------------------------------------------------
# What was promised and who is responsible can be corrected by editors. These edits are guarded by their own
# counter, ``Commitment.edit_version``, not by ``version``: ``version`` numbers the status updates one to one
# (``StatusUpdate.version`` is unique per commitment), and an editorial edit and a status update change different
# fields, so neither should make the other stale. ``updated_at`` is no guard either: every status update moves it.

# EDITABLE_FIELDS (declared with the model): what editors may correct on the staff pages.
# What the Django admin may also correct (by the same service, under the same counter): where the commitment comes
# from. The staff pages offer only EDITABLE_FIELDS.
CORRECTABLE_FIELDS = (
    *EDITABLE_FIELDS,
    "reference",
    "agreement",
    "source_document",
    "source_locator",
    "made_at_source",
    "made_at_locator",
)


def commitment_create(*, author, **fields) -> Commitment:
    """Add a commitment (``reference``, ``agreement`` and the editorial fields) on behalf of ``author``.

    Validated with the model rules (``full_clean``: a reference already taken, a target date before the framework's
    signature, ...), raising ``ValidationError`` with nothing written; the audit history records the author in the
    same transaction. The admin's add form and the bulk import create commitments this way.
    """
    unknown = set(fields) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not a field a commitment is created with: {', '.join(sorted(unknown))}")
    commitment = Commitment(**fields)
    commitment.reference_sort_key = reference_sort_key(commitment.reference)
    # The table's check constraints are about the derived status and progress, which a new commitment has at their
    # defaults (and the database enforces them): checking them here would cost two queries per commitment of an import.
    commitment.full_clean(validate_constraints=False)
    commitment.clean_made_at()
    if author is not None:
        commitment._history_user = author
    with transaction.atomic():
        commitment.save()
        publish_on_commit("commitment.changed", commitment)
    return commitment


@dataclass
class CommitmentEditConflict(DomainConflict):
    """Somebody else edited the commitment's editorial fields since the caller read them."""

    current: Commitment
    expected_edit_version: int
    newer_edits: list = field(default_factory=list)

    @property
    def authors(self) -> tuple:
        return tuple(edit.author for edit in self.newer_edits)

    def __str__(self) -> str:
        return (
            f"{self.current.reference} was edited by someone else (edit {self.expected_edit_version} "
            f"was read, {self.current.edit_version} is current)."
        )


def _edit_conflict(commitment_id: int, expected_edit_version: int) -> CommitmentEditConflict:
    from .selectors import commitment_edits

    current = Commitment.objects.select_related("agreement", "responsible_body").get(pk=commitment_id)
    newer = commitment_edits(commitment_id=commitment_id, after_edit_version=expected_edit_version)
    return CommitmentEditConflict(current=current, expected_edit_version=expected_edit_version, newer_edits=newer)


def commitment_update(
    *, commitment: Commitment, expected_edit_version: int, author, **changes
) -> tuple[Commitment, list[str]]:
    """Change the editorial fields of ``commitment`` (any of ``CORRECTABLE_FIELDS``) on behalf of ``author``.

    Returns the commitment as stored and the names of the fields that changed (empty: nothing was written).
    Raises ``ValidationError`` (field errors) on invalid values and :class:`CommitmentEditConflict` when
    ``expected_edit_version`` is no longer current; nothing is written in either case. The audit history
    (django-simple-history) records the edit with its author in the same transaction.
    """
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not an editorial field of a commitment: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
        if locked is None:
            raise Commitment.DoesNotExist(f"Commitment {commitment.pk} no longer exists.")
        if locked.edit_version != expected_edit_version:
            raise _edit_conflict(commitment.pk, expected_edit_version)
        changed = []
        for name, value in changes.items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if "made_at" in changed and "made_at_source" not in changes and "made_at_locator" not in changes:
            # The document that tied it to the old meeting says nothing about the new one.
            for name, empty in (("made_at_source", None), ("made_at_locator", "")):
                if getattr(locked, name) != empty:
                    setattr(locked, name, empty)
                    changed.append(name)
        if not changed:
            return locked, []
        if "made_at" in changed:
            locked.clean_made_at()
        locked.full_clean()
        now = timezone.now()
        locked.edit_version = expected_edit_version + 1
        locked.updated_at = now
        values = {name: getattr(locked, name) for name in changed}
        # The edit_version condition makes the write safe even where SELECT ... FOR UPDATE is a no-op (SQLite).
        written = Commitment.objects.filter(pk=locked.pk, edit_version=expected_edit_version).update(
            **values, edit_version=expected_edit_version + 1, updated_at=now
        )
        if not written:
            raise _edit_conflict(commitment.pk, expected_edit_version)
        Commitment.history.bulk_history_create([locked], update=True, default_user=author, default_date=now)
        publish_on_commit("commitment.changed", locked)
    for name in (*changed, "edit_version", "updated_at"):
        setattr(commitment, name, getattr(locked, name))
    return locked, changed


# -- Corrections ---------------------------------------------------------------------------------------------


def _effective_state(updates: list[StatusUpdate]) -> dict:
    """The commitment's derived fields replayed from its effective entries (oldest first), as if the withdrawn
    ones had never been recorded: no entry left means "not started", never reviewed."""
    status, progress = Status.NOT_STARTED, None
    changed, reviewed = (None, DatePrecision.DAY), (None, DatePrecision.DAY)
    since_unknown = False  # the status came from an undated entry: no later entry with the same status dates it
    parties = {"eu_status": "", "japan_status": ""}
    for update in updates:
        # An undated entry (StatusUpdate.is_undated) moves the status but dates nothing, as in _append_update.
        precision = update.date_precision
        if precision is not None:
            reviewed = (update.recorded_at, precision)
        when = status_since(update, previous=changed[0])  # since when the status it records holds
        # Milestone entries carry the progress of their moment (a snapshot); a rolled-up progress is worked out
        # again from the milestones by the caller, so they only count as news here.
        if update.kind == UpdateKind.STATUS_CHANGE and update.party:
            # A status per party: the combined status follows the rule again, from the entries that still count.
            parties[PARTY_FIELDS[update.party]] = update.party_status
            combined = combined_status(parties["eu_status"], parties["japan_status"]) or status
            if combined != status:
                changed, since_unknown = when, precision is None
            kept = None if combined == Status.ACHIEVED else progress
            status, progress = combined, progress_for_status(status=combined, progress=kept, rolled_up=False)
        elif update.kind == UpdateKind.STATUS_CHANGE:
            if update.status != status:
                changed, since_unknown = when, precision is None
            elif changed[0] is None and not since_unknown:
                changed = when
            status = update.status
            progress = progress_for_status(status=status, progress=update.progress, rolled_up=False)
    return {
        "status": status,
        "progress": progress,
        "status_changed_at": changed[0],
        "status_changed_precision": changed[1],
        "last_reviewed_at": reviewed[0],
        "last_reviewed_precision": reviewed[1],
        **parties,
    }


def _replayed_state(commitment_id: int, *, leaving_out: int | None = None) -> dict:
    """:func:`_effective_state` of the commitment's entries that still count after a correction
    (``StatusUpdateQuerySet.replayable``), less the entry ``leaving_out`` being withdrawn (1 query)."""
    entries = StatusUpdate.objects.filter(commitment_id=commitment_id).replayable()
    if leaving_out is not None:
        entries = entries.exclude(pk=leaving_out)
    return _effective_state(list(entries.order_by("version")))


def status_update_withdraw(
    *, update: StatusUpdate, expected_version: int, author, reason: str, recorded_at: datetime | None = None
) -> StatusUpdate:
    """Withdraw ``update`` (a status update or review recorded by mistake), saying why; return the withdrawal.

    The withdrawn entry stays in the history; a new entry of kind ``withdrawal`` records who withdrew it, when and
    why (see :class:`~commitments.models.StatusUpdate` for why it is a new row), and the commitment's status,
    progress, status date and review date are recomputed from the entries that still count, in the same
    transaction. Guarded by the commitment's ``version`` like every status update: :class:`CommitmentConflict`
    if it moved since the caller read it. ``ValidationError`` for a missing or too long reason, a withdrawal, or
    an entry already withdrawn. Nothing is written in any of these cases.
    """
    from core.models import WITHDRAWAL_REASON_MAX_LENGTH

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the entry is withdrawn."})
    if len(reason) > WITHDRAWAL_REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason to {WITHDRAWAL_REASON_MAX_LENGTH} characters or fewer."})
    if update.kind == UpdateKind.WITHDRAWAL:
        raise ValidationError("A withdrawal cannot itself be withdrawn.")
    if update.kind in MILESTONE_KINDS:
        raise ValidationError(
            "An entry about a milestone is corrected by withdrawing the milestone (or by changing where the "
            "progress comes from), not the entry."
        )
    recorded_at = recorded_at or timezone.now()
    commitment_id = update.commitment_id
    with transaction.atomic():
        locked = _lock_current(commitment_id, expected_version)
        if StatusUpdate.objects.filter(withdraws_id=update.pk).exists():
            raise ValidationError("This entry has already been withdrawn.")
        state = _replayed_state(commitment_id, leaving_out=update.pk)
        if locked.progress_rolled_up:
            state["progress"] = rolled_up_progress(Milestone.objects.filter(commitment_id=commitment_id).effective())
            if state["status"] == Status.ACHIEVED and state["progress"] != 100:
                raise ValidationError(
                    "Withdrawing it would leave the commitment achieved with milestones not done: record its "
                    "status first."
                )
        withdrawal = StatusUpdate(
            commitment=locked,
            version=expected_version + 1,
            kind=UpdateKind.WITHDRAWAL,
            status=state["status"],
            previous_status=locked.status,
            progress=state["progress"],
            note=reason,
            author=author,
            recorded_at=recorded_at,
            withdraws=update,
        )
        withdrawal.full_clean(exclude=["commitment", "version", "withdraws"])
        changes = {**state, "version": expected_version + 1, "updated_at": timezone.now()}
        _write_entry(
            commitment_id=commitment_id,
            expected_version=expected_version,
            changes=changes,
            entry=withdrawal,
            event="status_update.withdrawn",
            about=update,
        )
    if StatusUpdate.commitment.is_cached(update):
        _apply_changes(update.commitment, changes)
    return withdrawal


# -- Milestones ----------------------------------------------------------------------------------------------
# A milestone's writes are entries of the commitment's status history (kind=milestone), under the commitment's
# ``version``: the same conflict rule, the same history, timeline, change feed and as-of views as status updates.

# MILESTONE_FIELDS (declared with the model): what a milestone's add and change services take.


def _milestone_note(milestone: Milestone, *, action: str, changed: list[str] | None = None) -> str:
    due = f", due {milestone.due_on_display}" if milestone.due_on else ""
    if action == "added":
        done = f", done on {date_format(milestone.done_on, 'j F Y')}" if milestone.done_on else ""
        return f"Milestone added: “{milestone.title}”{due}{done}."
    if action == "done":
        return f"Milestone done: “{milestone.title}” on {date_format(milestone.done_on, 'j F Y')}."
    if action == "reopened":
        return f"Milestone no longer done: “{milestone.title}”{due}."
    if action == "withdrawn":
        return f"Milestone withdrawn: “{milestone.title}”. Reason: {milestone.withdrawal_reason}"
    labels = ", ".join(str(Milestone._meta.get_field(name).verbose_name) for name in changed or [])
    return f"Milestone changed: “{milestone.title}” ({labels})."


def _write_milestone_entry(
    *,
    commitment: Commitment,
    expected_version: int,
    author,
    kind: str,
    change,
    recorded_at: datetime | None,
    reviews: bool = True,
) -> tuple[StatusUpdate, Milestone | None]:
    """Lock the commitment, check its version, apply ``change(locked)`` (which saves the milestone or the
    commitment's progress source and returns ``(milestone, note, evidence)``), work out the progress again,
    and append the history entry: all in one transaction, or nothing. The entry dates the commitment's last review,
    unless it is a correction (``reviews=False``): the review date is then replayed from the entries that still
    count, as after a status update's withdrawal."""
    recorded_at = recorded_at or timezone.now()
    with transaction.atomic():
        locked = _lock_current(commitment.pk, expected_version)
        milestone, note, evidence = change(locked)
        progress = locked.progress
        if locked.progress_rolled_up:
            progress = rolled_up_progress(Milestone.objects.filter(commitment_id=locked.pk).effective())
            if locked.status == Status.ACHIEVED and progress != 100:
                raise ValidationError({"__all__": _not_all_done(locked.pk)})
        entry = StatusUpdate(
            commitment=locked,
            version=expected_version + 1,
            kind=kind,
            status=locked.status,
            previous_status=locked.status,
            progress=progress,
            note=note,
            evidence_url=evidence[0],
            evidence_reference=evidence[1],
            evidence_date=evidence[2],
            author=author,
            recorded_at=recorded_at,
            milestone=milestone,
        )
        entry.full_clean(exclude=["commitment", "version", "milestone"])
        if reviews:
            reviewed = {"last_reviewed_at": recorded_at, "last_reviewed_precision": DatePrecision.DAY}
        else:
            state = _replayed_state(locked.pk)
            reviewed = {name: state[name] for name in ("last_reviewed_at", "last_reviewed_precision")}
        changes = {
            "version": expected_version + 1,
            "progress": progress,
            **reviewed,
            "updated_at": timezone.now(),
            "progress_source": locked.progress_source,
        }
        _write_new_entry(locked=locked, expected_version=expected_version, changes=changes, entry=entry)
    _apply_changes(commitment, changes)
    return entry, milestone


def _clean_milestone(milestone: Milestone) -> None:
    milestone.title = milestone.title.strip()
    milestone.evidence_url = milestone.evidence_url.strip()
    milestone.evidence_reference = milestone.evidence_reference.strip()
    milestone.full_clean(exclude=["commitment"])


def milestone_add(
    *,
    commitment: Commitment,
    expected_version: int,
    author,
    title: str,
    due_on: date | None = None,
    due_on_precision: str = "day",
    done_on: date | None = None,
    evidence_url: str = "",
    evidence_reference: str = "",
    weight: int | None = None,
    source_document=None,
    source_locator: str = "",
    recorded_at: datetime | None = None,
) -> Milestone:
    """Add a milestone to ``commitment`` and record it in its history (one entry, ``kind=milestone``).

    ``ValidationError`` on invalid input (done without evidence, done in the future, a month-precise date not on
    the 1st, a weight outside 1–1,000, an open milestone under an achieved commitment whose progress is rolled
    up); :class:`CommitmentConflict` when ``expected_version`` is not current. Nothing is written in either case.
    """
    milestone = Milestone(
        commitment=commitment,
        title=title,
        due_on=due_on,
        due_on_precision=due_on_precision or "day",
        done_on=done_on,
        evidence_url=evidence_url,
        evidence_reference=evidence_reference,
        weight=weight,
        author=author,
        source_document=source_document,
        source_locator=source_locator,
    )
    _clean_milestone(milestone)

    def change(locked: Commitment):
        milestone.commitment = locked
        if recorded_at is not None:
            milestone.created_at = recorded_at
        milestone.save()
        return milestone, _milestone_note(milestone, action="added"), _evidence(milestone)

    _write_milestone_entry(
        commitment=commitment,
        expected_version=expected_version,
        author=author,
        kind=UpdateKind.MILESTONE,
        change=change,
        recorded_at=recorded_at,
    )
    return milestone


def _evidence(milestone: Milestone) -> tuple[str, str, date | None]:
    if milestone.done_on is None:
        return "", "", None
    return milestone.evidence_url, milestone.evidence_reference, milestone.done_on


def milestone_update(
    *, milestone: Milestone, expected_version: int, author, recorded_at: datetime | None = None, **changes
) -> tuple[Milestone, list[str]]:
    """Change a milestone (any of ``MILESTONE_FIELDS``): mark it done with its evidence, move its due date, give
    it a weight. Returns the milestone and the names of the fields that changed (empty: nothing was written).

    Guarded by the commitment's ``version`` (:class:`CommitmentConflict`), recorded as one history entry; a
    withdrawn milestone cannot be changed. ``ValidationError`` on invalid values; nothing is written then.
    """
    unknown = set(changes) - set(MILESTONE_FIELDS)
    if unknown:
        raise TypeError(f"Not a field of a milestone: {', '.join(sorted(unknown))}")
    if milestone.is_withdrawn:
        raise ValidationError("A withdrawn milestone cannot be changed.")
    before = {name: getattr(milestone, name) for name in MILESTONE_FIELDS}
    changed = [name for name, value in changes.items() if before[name] != value]
    if not changed:
        return milestone, []
    candidate = Milestone.objects.get(pk=milestone.pk)
    for name in changed:
        setattr(candidate, name, changes[name])
    _clean_milestone(candidate)
    if before["done_on"] is None and candidate.done_on is not None:
        action = "done"
    elif before["done_on"] is not None and candidate.done_on is None:
        action = "reopened"
    else:
        action = "changed"

    def change(locked: Commitment):
        current = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if current.is_withdrawn:
            raise ValidationError("A withdrawn milestone cannot be changed.")
        for name in changed:
            setattr(current, name, getattr(candidate, name))
        current.save()
        return current, _milestone_note(current, action=action, changed=changed), _evidence(current)

    _, stored = _write_milestone_entry(
        commitment=milestone.commitment,
        expected_version=expected_version,
        author=author,
        kind=UpdateKind.MILESTONE,
        change=change,
        recorded_at=recorded_at,
    )
    for name in (*MILESTONE_FIELDS, "due_by"):
        setattr(milestone, name, getattr(stored, name))
    return milestone, changed


def milestone_withdraw(
    *, milestone: Milestone, expected_version: int, author, reason: str, recorded_at: datetime | None = None
) -> StatusUpdate:
    """Withdraw a milestone recorded by mistake, saying why; return the history entry that records it.

    The milestone stays on the commitment's page, struck through, with who withdrew it, when and why; it no longer
    counts (roll-up, overdue), nor do its entries: the commitment's last review is dated again from the entries
    that still count (``StatusUpdateQuerySet.replayable``; the withdrawal is no review either), so a commitment
    that the mistaken milestone made "moving" is stale again if it was. Guarded by the commitment's ``version``
    like a status-update withdrawal.
    ``ValidationError`` for a missing or too long reason or a milestone already withdrawn.
    """
    from core.models import WITHDRAWAL_REASON_MAX_LENGTH

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the milestone is withdrawn."})
    if len(reason) > WITHDRAWAL_REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason to {WITHDRAWAL_REASON_MAX_LENGTH} characters or fewer."})
    at = recorded_at or timezone.now()

    def change(locked: Commitment):
        current = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if current.is_withdrawn:
            raise ValidationError("This milestone has already been withdrawn.")
        current.withdrawn_at, current.withdrawn_by, current.withdrawal_reason = at, author, reason
        current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        return current, _milestone_note(current, action="withdrawn"), ("", "", None)

    entry, _ = _write_milestone_entry(
        commitment=milestone.commitment,
        expected_version=expected_version,
        author=author,
        kind=UpdateKind.MILESTONE,
        change=change,
        recorded_at=at,
        reviews=False,
    )
    milestone.withdrawn_at, milestone.withdrawn_by, milestone.withdrawal_reason = at, author, reason
    return entry


def commitment_set_progress_source(
    *, commitment: Commitment, expected_version: int, author, source: str, recorded_at: datetime | None = None
) -> StatusUpdate | None:
    """Say where ``commitment``'s progress comes from: entered by hand or rolled up from its milestones.

    Switching to milestones sets the progress to the roll-up at once (refused for an achieved commitment whose
    milestones are not all done); switching back keeps the figure until the next status update. One history entry
    (``kind=progress_source``) under the commitment's ``version``; ``None`` if nothing changed.
    """
    if source not in ProgressSource.values:
        raise ValidationError({"progress_source": f"Not a progress source: {source!r}."})
    if commitment.progress_source == source:
        return None

    def change(locked: Commitment):
        if locked.progress_source == source:
            raise ValidationError({"progress_source": "It already says so."})
        locked.progress_source = source
        label = ProgressSource(source).label.lower()
        return None, f"Progress from now on: {label}.", ("", "", None)

    entry, _ = _write_milestone_entry(
        commitment=commitment,
        expected_version=expected_version,
        author=author,
        kind=UpdateKind.PROGRESS_SOURCE,
        change=change,
        recorded_at=recorded_at,
    )
    return entry
