"""What can be imported: one :class:`ImportKind` per kind of record, in :data:`KINDS`.

A kind says which columns its file has (with a line of help each, for the template), which of them identify a
record (its stable key), how to load the records a batch of rows touches in a few queries, how to check one row
with the rules of the web form (the form's own fields, then the model's ``clean()``), what the row would change,
and how to apply that change through the domain service the form uses. Adding a kind (milestones, say) means
writing one subclass and listing it in :data:`KINDS`; the page, the command, the templates and the task find it
there.

Rows are checked without a query each: the records a batch touches, and the small tables rows name (frameworks,
dialogue bodies), are loaded once per batch or once per file. The services still validate again when they write
(``full_clean`` and their version checks), so an import cannot do what a form could not.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError

from commitments.choices import PolicyArea, Status, Strength, UpdateKind
from commitments.exports import COLUMNS as COMMITMENT_EXPORT_COLUMNS
from commitments.forms import CommitmentForm, StatusUpdateForm
from commitments.models import Agreement, Commitment, StatusUpdate
from commitments.services import commitment_create, commitment_update, commitment_update_status
from core.exceptions import DomainConflict
from core.models import DatePrecision
from core.templatetags.facts import approx_iso
from dialogues.forms import MeetingForm
from dialogues.models import DialogueBody, Meeting
from dialogues.services import meeting_record, meeting_save

NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
LIST_SEPARATOR = ";"
# Dates in a file are ISO (an XLSX date cell is read as one). The forms' other formats include "05/10/2025" read the
# American way (October), which a European spreadsheet means as 5 October: a silent wrong date, so not accepted.
ISO_DATE = ["%Y-%m-%d"]


def file_fields(fields) -> dict[str, forms.Field]:
    """A form's fields as an import uses them: the same fields, messages and validators, dates ISO only."""
    copies = {name: copy.deepcopy(form_field) for name, form_field in fields.items()}
    for form_field in copies.values():
        if isinstance(form_field, forms.DateField):
            form_field.input_formats = ISO_DATE
    return copies


@dataclass(frozen=True)
class Column:
    """A column of an import file. ``required``: the header must have it; ``read_only``: the export writes it
    and the import accepts it, but never writes it.

    Its ``help`` (on the import page and in the template's line of help) quotes only values the import accepts,
    none typed by hand: ``{choices}`` lists ``choices`` (the model's own codes), ``{eg}`` reads ", e.g. " and a
    value of the tracker's own (``example``: which one, see :func:`tracker_examples`; nothing when the tracker
    has none), and ``samples`` are the formats it quotes ("2025-05"). The tests import every one of them."""

    name: str
    help: str
    required: bool = False
    read_only: bool = False
    choices: tuple[str, ...] = ()
    example: str = ""
    samples: tuple[str, ...] = ()

    def examples(self, found: dict[str, str]) -> list[str]:
        """The values the help quotes, given the tracker's own (:func:`tracker_examples`)."""
        value = found.get(self.example) if self.example else None
        return [*self.choices, *([value] if value else []), *self.samples]

    def described(self, found: dict[str, str]) -> str:
        """The help, its examples filled in from the choices and from ``found``."""
        value = found.get(self.example) if self.example else None
        return self.help.format(choices=either(self.choices), eg=f", e.g. {value}" if value else "")


def either(values) -> str:
    """``a, b or c``."""
    values = list(values)
    return " or ".join([", ".join(values[:-1]), values[-1]]) if len(values) > 1 else "".join(values)


def tracker_examples() -> dict[str, str]:
    """Values of the tracker's own for the columns' help, from one commitment with a responsible body (one query):
    its ``reference``, its framework (``agreement``) and its ``body``; empty when the tracker has none. An example
    is then a record the import finds, never a code it would refuse."""
    commitment = (
        Commitment.objects.filter(responsible_body__isnull=False)
        .select_related("agreement", "responsible_body")
        .in_reference_order()
        .first()
    )
    if commitment is None:
        return {}
    return {
        "reference": commitment.reference,
        "agreement": commitment.agreement.code,
        "body": commitment.responsible_body.short_name,
    }


@dataclass
class RowResult:
    """What one row of the file would do: its outcome, the changes (field, old, new) or the errors (column,
    message), and, for new and changed rows, the values to write and the versions they were checked against (for a
    record without a version column, the :func:`fingerprint` of its state)."""

    row: int
    key: str
    action: str = UNCHANGED
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    target: int | None = None
    expect: int | str | None = None

    def error(self, column: str, message: str) -> None:
        self.action = ERROR
        self.errors.append((column, message))

    def as_json(self) -> dict:
        data = {"row": self.row, "key": self.key, "action": self.action}
        if self.changes:
            data["changes"] = [list(change) for change in self.changes]
        if self.errors:
            data["errors"] = [list(error) for error in self.errors]
        if self.values:
            data["values"] = self.values
        if self.target is not None:
            data["target"] = self.target
        if self.expect is not None:
            data["expect"] = self.expect
        return data


def messages_of(error: ValidationError) -> dict[str, list[str]]:
    """A ``ValidationError``'s messages by field name (``__all__`` for the record as a whole)."""
    if hasattr(error, "error_dict"):
        return {name: [m for e in errors for m in e.messages] for name, errors in error.error_dict.items()}
    return {"__all__": error.messages}


def display(value) -> str:
    """A value as the preview shows it (and as the export writes it)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, DialogueBody):
        return value.short_name
    if isinstance(value, Agreement):
        return value.code
    return str(value)


def fingerprint(states: Iterable[tuple[str, Any]]) -> str:
    """One hash of the current state of every record a file touches (see :meth:`ImportKind.state`)."""
    digest = hashlib.sha256()
    for key, state in sorted(states, key=lambda item: item[0]):
        digest.update(json.dumps([key, state], default=str).encode())
    return digest.hexdigest()


class ImportKind:
    """One kind of record that can be imported (and whose file can be exported in the same shape)."""

    name: ClassVar[str]
    label: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    key_columns: ClassVar[tuple[str, ...]]
    # What a changed row does, said above its changes on the preview ("" : its changes, old → new, say it).
    change_intro: ClassVar[str] = ""
    # The outcome of a row as the preview's badge says it, where it is not the outcome's own name.
    outcome_labels: ClassVar[dict[str, str]] = {}
    do_not_call_in_templates = True  # a template reads the kind's attributes, it does not make one

    @classmethod
    def confirm_phrase(cls, new: int, changed: int) -> str:
        """What confirming the preview does, for the sentence above its button: "saves these 3 rows"."""
        count = new + changed
        return "saves this row" if count == 1 else f"saves these {count} rows"

    @classmethod
    def applied_phrase(cls, new: int, changed: int) -> str:
        """What an applied run did, for the message after it: "1 record added, 2 changed"."""
        return f"{new} record{'' if new == 1 else 's'} added, {changed} changed"

    @classmethod
    def record_urls(cls, keys: list[str]) -> dict[str, str]:
        """The page of each record named by ``keys`` that exists, by key (one query), for the rows to link to."""
        return {}

    def __init__(self):
        self.lookups_loaded = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def writable(self) -> list[str]:
        return [column.name for column in self.columns if not column.read_only]

    # -- to be written by each kind -------------------------------------------------------------------------------

    def key(self, cells: dict[str, str]) -> str:
        """The row's stable key as text (``""`` if the key cells are empty)."""
        return " ".join(cells.get(name, "") for name in self.key_columns).strip()

    def prepare(self, batch: list[dict[str, str]]) -> None:
        """Load what the rows of ``batch`` name besides their own records (by default nothing)."""

    def load(self, keys: list[str]) -> dict[str, Any]:
        """The existing records behind ``keys``, by key: a few queries for the whole batch."""
        raise NotImplementedError

    def state(self, record) -> Any:
        """What of ``record`` (or ``None``, absent) must not change between preview and confirm."""
        raise NotImplementedError

    def check(self, result: RowResult, cells: dict[str, str], record) -> None:
        """Validate ``cells`` against ``record`` (``None``: a new one) and fill in ``result``."""
        raise NotImplementedError

    def apply(self, entry: dict, author):
        """Write one previewed new or changed row through the domain service; return the entry it added to a
        commitment's history (a ``StatusUpdate``), if any, so that its timeline can say it came from this import."""
        raise NotImplementedError

    # -- shared helpers ---------------------------------------------------------------------------------------

    @staticmethod
    def clean_field(result: RowResult, column: str, form_field: forms.Field, raw: str):
        """``raw`` through the form field's own cleaning; a refusal is the row's error with the form's message."""
        try:
            return form_field.clean(raw)
        except ValidationError as exc:
            for message in exc.messages:
                result.error(column, message)
            return None

    @staticmethod
    def model_errors(result: RowResult, instance, exclude: list[str], columns: dict[str, str] | None = None) -> None:
        """The model's own rules (``clean_fields`` and ``clean``, as the form runs them) on ``instance``."""
        columns = columns or {}
        for step in (lambda: instance.clean_fields(exclude=exclude), instance.clean):
            try:
                step()
            except ValidationError as exc:
                for name, messages in messages_of(exc).items():
                    for message in messages:
                        result.error(columns.get(name, name), message)
                return

    @staticmethod
    def lookup(result: RowResult, column: str, table: dict, raw: str, what: str):
        if not raw:
            return None
        found = table.get(raw)
        if found is None:
            result.error(column, f"No {what} “{raw}” in the tracker.")
        return found


# --- Commitments ------------------------------------------------------------------------------------------------

APPROX_DATE_FORMATS = {4: DatePrecision.YEAR, 7: DatePrecision.MONTH, 10: DatePrecision.DAY}
APPROX_DATE_MESSAGE = (
    "Enter the date as far as the text gives it: YYYY-MM-DD for a day, YYYY-MM for a month or YYYY for a year."
)


def approx_date_cell(result: RowResult, column: str, raw: str) -> tuple[date | None, str] | None:
    """A date cell that may give a day, a month or a year ("2023-07-13", "2025-05", "2023"): (the date as stored,
    on the 1st of the month or 1 January, and its precision); (None, day) for an empty cell; ``None`` with the
    row's error for anything else (never a guessed day)."""
    raw = raw.strip()
    if not raw:
        return None, DatePrecision.DAY
    precision = APPROX_DATE_FORMATS.get(len(raw))
    padded = {DatePrecision.YEAR: f"{raw}-01-01", DatePrecision.MONTH: f"{raw}-01"}.get(precision, raw)
    try:
        if precision is None or not raw[:4].isdigit():
            raise ValueError(raw)
        return date.fromisoformat(padded), precision
    except ValueError:
        result.error(column, APPROX_DATE_MESSAGE)
        return None


def _target_shown(values: dict) -> str:
    """A commitment's target date as the file writes it, to its precision ("2023-07-13", "2025-05", "2023")."""
    return approx_iso(values.get("target_date"), values.get("target_date_precision") or DatePrecision.DAY)


_COMMITMENT_HELP = {
    "reference": {
        "help": "Stable citation{eg}: it identifies the commitment (a new one is added).",
        "example": "reference",
    },
    "agreement": {
        "help": "Code of the framework{eg} (cannot be changed once the commitment exists).",
        "example": "agreement",
    },
    "title": {"help": "Short title (at most 200 characters)."},
    "description": {"help": "What was promised, paraphrased (at most 4,000 characters)."},
    "area": {
        "help": "Policy area code: {choices} (an export's area_label column names each).",
        "choices": tuple(PolicyArea.values),
    },
    "strength": {"help": "{choices}.", "choices": tuple(Strength.values)},
    "responsible_body": {
        "help": "Short name of the dialogue body responsible{eg}; empty for none.",
        "example": "body",
    },
    "target_date": {
        "help": (
            "Only if the text sets a deadline, as far as the text gives it: YYYY-MM-DD (a day), YYYY-MM (a month: "
            "“by May 2025” is 2025-05) or YYYY (a year: “in the course of 2023” is 2023); the precision follows."
        ),
        "samples": ("2025-05", "2023"),
    },
}
_COMMITMENT_REQUIRED = ("reference", "agreement", "title", "description", "area", "strength")
_COMMITMENT_READ_ONLY_HELP = "Written by the export; not imported."
# The status is changed by a status update (its own kind, with evidence), not by editing a commitment: a file whose
# status or progress differs from the tracker's says so instead of leaving it unchanged without a word.
_STATUS_COLUMNS = ("status", "progress")
# Checked without a query per row: the framework and the body were found in the tracker already (or refused), the
# sort key is derived on save.
_RESOLVED_COMMITMENT_FIELDS = ["agreement", "responsible_body", "source_document", "reference_sort_key"]


def commitment_urls(references: list[str]) -> dict[str, str]:
    """The page of each commitment among ``references``, by reference."""
    found = Commitment.objects.filter(reference__in=references).only("pk", "reference").order_by()
    return {commitment.reference: commitment.get_absolute_url() for commitment in found}


class CommitmentKind(ImportKind):
    """Commitments by ``reference``: a new reference adds one (``commitment_create``), a known one corrects its
    editorial fields (``commitment_update``, guarded by ``edit_version``). Reads the commitment export as is."""

    name = "commitments"
    label = "Commitments"
    key_columns = ("reference",)
    columns = tuple(
        Column(name, **_COMMITMENT_HELP[name], required=name in _COMMITMENT_REQUIRED)
        if name in _COMMITMENT_HELP
        else Column(name, _COMMITMENT_READ_ONLY_HELP, read_only=True)
        for name in COMMITMENT_EXPORT_COLUMNS
    )

    def __init__(self):
        super().__init__()
        self.form_fields = file_fields(CommitmentForm().fields)
        self.reference_field = Commitment._meta.get_field("reference").formfield()
        self.agreements = {a.code: a for a in Agreement.objects.all()}
        self.bodies = {b.short_name: b for b in DialogueBody.objects.all()}
        self.bodies_by_id = {b.pk: b for b in self.bodies.values()}

    def load(self, keys):
        return {c.reference: c for c in Commitment.objects.filter(reference__in=keys).order_by()}

    @classmethod
    def record_urls(cls, keys):
        return commitment_urls(keys)

    def state(self, record):
        return None if record is None else [record.pk, record.edit_version]

    def check(self, result, cells, record):
        reference = self.clean_field(result, "reference", self.reference_field, cells["reference"])
        agreement = self.lookup(result, "agreement", self.agreements, cells.get("agreement", ""), "framework")
        if record is not None and agreement is not None and agreement.pk != record.agreement_id:
            result.error(
                "agreement",
                f"{record.reference} belongs to {self.agreements_by_id(record.agreement_id)}: the framework of an "
                "existing commitment is corrected in the admin, not by an import.",
            )
        if not cells.get("agreement") and record is None:
            result.error("agreement", "This field is required.")
        values = {}
        for name in ("title", "description", "area", "strength"):
            if name in cells:
                values[name] = self.clean_field(result, name, self.form_fields[name], cells[name])
        if "target_date" in cells:
            target = approx_date_cell(result, "target_date", cells["target_date"])
            if target is not None:
                values["target_date"], values["target_date_precision"] = target
        if "responsible_body" in cells:
            values["responsible_body"] = self.lookup(
                result, "responsible_body", self.bodies, cells["responsible_body"], "dialogue body"
            )
        if record is None:
            for name, start in (("status", Status.NOT_STARTED), ("progress", "")):
                if cells.get(name, "") not in ("", start):
                    result.error(
                        name,
                        f"A new commitment starts as not started: once it is added, record its {name} with a status "
                        "update (import kind “status updates”, with evidence).",
                    )
        else:
            for name in _STATUS_COLUMNS:
                if name in cells and cells[name] != display(getattr(record, name)):
                    result.error(
                        name,
                        f"The {name} is {display(getattr(record, name)) or 'empty'} in the tracker: it is changed "
                        "by a status update (import kind “status updates”, with evidence), not here.",
                    )
        if result.action == ERROR:
            return
        if record is None:
            candidate = Commitment(reference=reference, agreement=agreement, **values)
            self.model_errors(result, candidate, exclude=_RESOLVED_COMMITMENT_FIELDS)
            if result.action == ERROR:
                return
            result.action = NEW
            result.changes = [
                (name, "", _target_shown(values) if name == "target_date" else display(value))
                for name, value in values.items()
                if value not in (None, "") and name != "target_date_precision"
            ]
        else:
            candidate = Commitment(**{f.attname: getattr(record, f.attname) for f in Commitment._meta.concrete_fields})
            candidate.agreement = self.agreements_by_id(record.agreement_id)
            for name, value in values.items():
                setattr(candidate, name, value)
            self.model_errors(result, candidate, exclude=_RESOLVED_COMMITMENT_FIELDS)
            if result.action == ERROR:
                return
            for name, value in values.items():
                if name == "target_date_precision":
                    continue
                if name == "target_date":  # the date and how much of it is known: one change ("2023-12-31" → "2023")
                    before, after = _target_shown(vars(record)), _target_shown(values)
                    if before != after:
                        result.changes.append((name, before, after))
                    continue
                old = record.responsible_body_id if name == "responsible_body" else getattr(record, name)
                new = value.pk if name == "responsible_body" and value is not None else value
                if old != new:
                    old_shown = self.bodies_by_id.get(old) if name == "responsible_body" else old
                    result.changes.append((name, display(old_shown), display(value)))
            if not result.changes:
                return
            result.action = CHANGED
            result.target, result.expect = record.pk, record.edit_version
            changed = {c[0] for c in result.changes}
            if "target_date" in changed:
                changed.add("target_date_precision")
            values = {name: value for name, value in values.items() if name in changed}
        result.values = {
            name: (value.pk if isinstance(value, DialogueBody | Agreement) else display(value) if value else value)
            for name, value in values.items()
        }
        if record is None:
            result.values.update(reference=reference, agreement=agreement.pk)

    def agreements_by_id(self, pk):
        if not hasattr(self, "_agreements_by_id"):
            self._agreements_by_id = {a.pk: a for a in self.agreements.values()}
        return self._agreements_by_id.get(pk)

    def _values(self, entry: dict) -> dict:
        values = dict(entry["values"])
        if "responsible_body" in values:
            values["responsible_body"] = self.bodies_by_id.get(values["responsible_body"])
        if "agreement" in values:
            values["agreement"] = self.agreements_by_id(values["agreement"])
        if values.get("target_date"):
            values["target_date"] = date.fromisoformat(values["target_date"])
        return values

    def apply(self, entry, author):
        values = self._values(entry)
        if entry["action"] == NEW:
            commitment_create(author=author, **values)
        else:
            commitment_update(
                commitment=Commitment(pk=entry["target"]),
                expected_edit_version=entry["expect"],
                author=author,
                **values,
            )


# --- Status updates ---------------------------------------------------------------------------------------------


class StatusUpdateKind(ImportKind):
    """A new status for each commitment named by ``reference``, through ``commitment_update_status`` (the form's
    service: evidence for achieved, achieved is 100 %, guarded by ``version``). A row that repeats the current
    status and progress, with no note or evidence other than the latest ones, is unchanged: importing the same file
    twice records nothing the second time."""

    name = "status_updates"
    label = "Status updates"
    key_columns = ("reference",)
    columns = (
        Column("reference", "Reference of an existing commitment{eg}.", required=True, example="reference"),
        Column("status", "{choices}.", required=True, choices=tuple(Status.values)),
        Column("progress", "0 to 100, or empty if it cannot be measured; achieved is 100.", samples=("0", "100")),
        Column("note", "What happened, in a sentence or two (at most 4,000 characters)."),
        Column("evidence_url", "A public link to the document that shows it (needed for achieved, or a reference)."),
        Column("evidence_reference", "Or a reference to a document that is not online."),
        Column(
            "evidence_date",
            "The date of the document or event (not in the future; with a link or a reference), as far as it is "
            "known: YYYY-MM-DD (a day), YYYY-MM (a month: 2025-03) or YYYY (a year: 2025); the precision follows.",
        ),
    )

    def __init__(self):
        super().__init__()
        self.form_fields = file_fields(StatusUpdateForm(commitment=Commitment()).fields)

    # A row records a new entry in the commitment's history: its note and evidence are added, the earlier
    # entries stay as they were. (Its status and progress do move from what they are to what the row says.)
    change_intro = "A new status update on the commitment's timeline; its earlier entries stay as they are:"
    outcome_labels = {CHANGED: "new update"}

    @classmethod
    def confirm_phrase(cls, new, changed):
        if changed == 1:
            return "adds this status update to its commitment's timeline"
        return f"adds these {changed} status updates, each to its commitment's timeline,"

    @classmethod
    def applied_phrase(cls, new, changed):
        return f"{changed} status update{'' if changed == 1 else 's'} added"

    @classmethod
    def record_urls(cls, keys):
        return commitment_urls(keys)

    def load(self, keys):
        return {c.reference: c for c in Commitment.objects.filter(reference__in=keys).for_export().order_by()}

    def state(self, record):
        return None if record is None else [record.pk, record.version]

    def check(self, result, cells, record):
        if record is None:
            result.error("reference", f"No commitment “{cells['reference']}” in the tracker.")
        values = {
            name: self.clean_field(result, name, self.form_fields[name], cells[name])
            for name in ("status", "progress", "note", "evidence_url", "evidence_reference")
            if name in cells
        }
        if "evidence_date" in cells:
            evidence = approx_date_cell(result, "evidence_date", cells["evidence_date"])
            if evidence is not None:
                values["evidence_date"], values["evidence_date_precision"] = evidence
        if result.action == ERROR:
            return
        values.setdefault("progress", None)
        for text in ("note", "evidence_url", "evidence_reference"):
            values[text] = (values.get(text) or "").strip()
        if values["status"] == Status.ACHIEVED and values["progress"] is None:
            values["progress"] = 100  # as commitment_update_status does
        update = StatusUpdate(commitment=record, kind=UpdateKind.STATUS_CHANGE, previous_status=record.status)
        for name, value in values.items():
            setattr(update, name, value)
        self.model_errors(
            result, update, exclude=["commitment", "version", "author", "withdraws", "source_document", "recorded_at"]
        )
        if result.action == ERROR:
            return
        latest = {
            "note": record.latest_note or "",
            "evidence_url": record.latest_evidence_url or "",
            "evidence_reference": record.latest_evidence_reference or "",
        }
        repeated = all(values[name] in ("", latest[name]) for name in latest)
        if values["status"] == record.status and values["progress"] == record.progress and repeated:
            return
        result.action = CHANGED
        for name, old in (("status", record.status), ("progress", record.progress)):
            if values[name] != old:
                result.changes.append((name, display(old), display(values[name])))
        # What the new entry holds besides: added (no old value), whatever the latest entry says.
        for name in latest:
            if values.get(name):
                result.changes.append((name, None, display(values[name])))
        if values.get("evidence_date"):
            shown = approx_iso(values["evidence_date"], values["evidence_date_precision"])
            result.changes.append(("evidence_date", None, shown))
        result.target, result.expect = record.pk, record.version
        result.values = {name: display(value) if isinstance(value, date) else value for name, value in values.items()}

    def apply(self, entry, author):
        values = dict(entry["values"])
        if values.get("evidence_date"):
            values["evidence_date"] = date.fromisoformat(values["evidence_date"])
        return commitment_update_status(
            commitment=Commitment(pk=entry["target"]), expected_version=entry["expect"], author=author, **values
        )


# --- Meetings ---------------------------------------------------------------------------------------------------


class MeetingChangedSincePreview(DomainConflict):
    """A meeting the file corrects was changed by someone else after the preview (the import's conflict names it)."""

    def __init__(self, *, key: str):
        self.message = f"the meeting {key} was changed by someone else"


def _body_days(keys: list[str]) -> list[tuple[str, date]]:
    """(body short name, day) of each meeting key ("SDD 2025-03-02") that names a day."""
    pairs = []
    for key in keys:
        short, _, day = key.rpartition(" ")
        if not short:
            continue
        try:
            pairs.append((short, date.fromisoformat(day)))
        except ValueError:
            continue
    return pairs


class MeetingKind(ImportKind):
    """Meetings by body short name and date: a new one is recorded (``meeting_record``: the body's schedule and
    overdue flag move at once), a known one gets its place, outcome and advanced commitments corrected
    (``meeting_save``, as in the admin)."""

    name = "meetings"
    label = "Meetings"
    key_columns = ("body", "held_on")
    columns = (
        Column("body", "Short name of the dialogue body{eg}.", required=True, example="body"),
        Column("held_on", "YYYY-MM-DD: the day it took place (not in the future).", required=True),
        Column("place", "E.g. Tokyo, Brussels, or videoconference.", samples=("Tokyo", "Brussels", "videoconference")),
        Column("summary", "The outcome: what was agreed or discussed (at most 4,000 characters)."),
        Column(
            "commitments_advanced",
            f"References of the commitments it moved forward, separated by “{LIST_SEPARATOR}”{{eg}}.",
            example="reference",
        ),
    )

    def __init__(self):
        super().__init__()
        fields = MeetingForm.base_fields
        self.form_fields = file_fields({name: fields[name] for name in ("held_on", "place", "summary")})
        self.bodies = {b.short_name: b for b in DialogueBody.objects.all()}
        self.bodies_by_id = {b.pk: b for b in self.bodies.values()}

    def key(self, cells):
        try:
            held_on = forms.DateField(input_formats=ISO_DATE).clean(cells.get("held_on", "")).isoformat()
        except ValidationError:
            held_on = cells.get("held_on", "")
        return f"{cells.get('body', '')} {held_on}".strip()

    @classmethod
    def record_urls(cls, keys):
        pairs = _body_days(keys)
        meetings = (
            Meeting.objects.held()
            .filter(body__short_name__in={short for short, _ in pairs}, held_on__in={day for _, day in pairs})
            .select_related("body")
            .only("pk", "held_on", "body__short_name")
        )
        return {f"{m.body.short_name} {m.held_on.isoformat()}": m.get_absolute_url() for m in meetings}

    def load(self, keys):
        pairs = _body_days(keys)
        bodies = {self.bodies[short].pk for short, _ in pairs if short in self.bodies}
        days = {day for _, day in pairs}
        meetings = (
            Meeting.objects.held()
            .filter(body_id__in=bodies, held_on__in=days)
            .prefetch_related("commitments_advanced")
        )
        found = {}
        for meeting in meetings:
            meeting.advanced = sorted(c.reference for c in meeting.commitments_advanced.all())
            found[f"{self.bodies_by_id[meeting.body_id].short_name} {meeting.held_on.isoformat()}"] = meeting
        return found

    def prepare(self, batch: list[dict[str, str]]) -> None:
        """The commitments a batch names (one query)."""
        references = {
            ref.strip()
            for cells in batch
            for ref in cells.get("commitments_advanced", "").split(LIST_SEPARATOR)
            if ref.strip()
        }
        self.commitments = dict(Commitment.objects.filter(reference__in=references).values_list("reference", "pk"))

    def state(self, record):
        if record is None:
            return None
        return [record.pk, record.place, record.summary, record.advanced]

    def check(self, result, cells, record):
        body = self.lookup(result, "body", self.bodies, cells["body"], "dialogue body")
        values = {
            name: self.clean_field(result, name, self.form_fields[name], cells[name])
            for name in ("held_on", "place", "summary")
            if name in cells
        }
        if not cells["body"]:
            result.error("body", "This field is required.")
        advanced = None
        if "commitments_advanced" in cells:
            advanced = sorted(
                {ref.strip() for ref in cells["commitments_advanced"].split(LIST_SEPARATOR) if ref.strip()}
            )
            for ref in advanced:
                if ref not in self.commitments:
                    result.error("commitments_advanced", f"No commitment “{ref}” in the tracker.")
        if result.action == ERROR:
            return
        for text in ("place", "summary"):
            if text in values:
                values[text] = (values[text] or "").strip()
        meeting = Meeting(body=body, **values)
        if record is not None:
            meeting = Meeting(**{f.attname: getattr(record, f.attname) for f in Meeting._meta.concrete_fields})
            meeting.body = body
            for name, value in values.items():
                setattr(meeting, name, value)
        # The body was found in the tracker already (no second query per row to check it exists).
        self.model_errors(result, meeting, exclude=["body", "source_document", "recorded_by", "withdrawn_by"])
        if result.action == ERROR:
            return
        if record is None:
            result.action = NEW
            result.changes = [(n, "", display(v)) for n, v in values.items() if v not in (None, "") and n != "held_on"]
            if advanced:
                result.changes.append(("commitments_advanced", "", LIST_SEPARATOR.join(advanced)))
        else:
            for name in ("place", "summary"):
                if name in values and values[name] != getattr(record, name):
                    result.changes.append((name, getattr(record, name), values[name]))
            if advanced is not None and advanced != record.advanced:
                result.changes.append(
                    ("commitments_advanced", LIST_SEPARATOR.join(record.advanced), LIST_SEPARATOR.join(advanced))
                )
            if not result.changes:
                return
            result.action = CHANGED
            result.target, result.expect = record.pk, fingerprint([(result.key, self.state(record))])
        result.values = {name: display(value) if isinstance(value, date) else value for name, value in values.items()}
        result.values["body"] = body.pk
        if advanced is not None:
            result.values["commitments_advanced"] = [self.commitments[ref] for ref in advanced]

    def apply(self, entry, author):
        values = dict(entry["values"])
        advanced = values.pop("commitments_advanced", None)
        body = self.bodies_by_id[values.pop("body")]
        held_on = date.fromisoformat(values.pop("held_on"))
        if entry["action"] == NEW:
            meeting_record(body=body, held_on=held_on, recorded_by=author, commitments=advanced or (), **values)
            return
        # Locked, then compared with the preview: a correction committed after the file's fingerprint was checked
        # (an administrator's save that was still running) is a conflict, not overwritten.
        meeting = (
            Meeting.objects.select_for_update(no_key=True, of=("self",)).select_related("body").get(pk=entry["target"])
        )
        meeting.advanced = sorted(meeting.commitments_advanced.values_list("reference", flat=True))
        if "expect" in entry and fingerprint([(entry["key"], self.state(meeting))]) != entry["expect"]:
            raise MeetingChangedSincePreview(key=entry["key"])
        for name, value in values.items():
            setattr(meeting, name, value)
        meeting_save(meeting=meeting, author=author, commitments=advanced)


KINDS: dict[str, type[ImportKind]] = {kind.name: kind for kind in (CommitmentKind, StatusUpdateKind, MeetingKind)}


def get_kind(name: str) -> type[ImportKind]:
    """The kind called ``name`` (``KeyError`` if there is none)."""
    return KINDS[name]
