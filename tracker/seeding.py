"""Load the seed data (``fixtures/seed/*.yaml``) into the database: validated, atomic and idempotent.

Every record is matched on its natural key (source key, agreement code, body short name, commitment
reference, body + meeting date, commitment + seeded update), so running the loader twice changes nothing.
Records that already exist are kept as they are, because staff may have corrected them since: only
``refresh=True`` (``load_seed_data --refresh``) writes the seed's values over them. Seeded status updates are
appended only to commitments whose history no person has written to yet, so a seed never overrides a status
that staff recorded. Any invalid record aborts the whole load with a list of every problem found; nothing is
written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commitments.choices import UpdateKind
from commitments.models import Agreement, Commitment, StatusUpdate
from commitments.services import CommitmentConflict, commitment_update_status
from core.models import Basis, DatePrecision, SourceDocument
from dialogues.models import DialogueBody, Meeting

# libyaml's C parser when present: ten times faster than the pure-Python one, same safe subset.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SECTIONS = ("sources", "agreements", "bodies", "commitments", "meetings", "status_updates")
DEFAULT_SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seed"


class SeedError(Exception):
    """The seed files are invalid; ``problems`` lists each one with where it is."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the seed data:\n" + "\n".join(f"- {p}" for p in problems))


def read_seed(directory: Path = DEFAULT_SEED_DIR) -> dict[str, list[dict[str, Any]]]:
    """Read and merge every YAML file of ``directory`` (sorted by name) into one dict of sections."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise SeedError([f"no seed files (*.yaml) in {directory}"])
    merged: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    problems = []
    for path in files:
        try:
            content = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader) or {}  # noqa: S506
        except yaml.YAMLError as exc:
            problems.append(f"{path.name}: not valid YAML ({exc})")
            continue
        if not isinstance(content, dict):
            problems.append(f"{path.name}: expected a mapping of sections")
            continue
        for section, rows in content.items():
            if section not in merged:
                problems.append(f"{path.name}: unknown section {section!r} (expected one of {', '.join(SECTIONS)})")
            elif not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                problems.append(f"{path.name}: section {section!r} must be a list of mappings")
            else:
                merged[section].extend(rows)
    if problems:
        raise SeedError(problems)
    return merged


def load_seed(directory: Path = DEFAULT_SEED_DIR, *, refresh: bool = False) -> Counter:
    """Load the seed data; return counts such as ``{"commitments created": 52}``. Raises :class:`SeedError`.

    With ``refresh`` the seed's values replace those of records that already exist (staff edits included).
    """
    data = read_seed(directory)
    loader = _Loader(refresh=refresh)
    with transaction.atomic():
        loader.run(data)
        if loader.problems:
            transaction.set_rollback(True)
    if loader.problems:
        raise SeedError(loader.problems)
    return loader.counts


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _approx_date(row: dict, name: str) -> dict[str, Any]:
    """The date ``name`` of ``row`` and how much of it is known (``<name>_precision``; the whole day if not said)."""
    return {name: _date(row.get(name)), f"{name}_precision": row.get(f"{name}_precision") or DatePrecision.DAY}


class _Loader:
    def __init__(self, *, refresh: bool = False) -> None:
        self.refresh = refresh
        self.writable: set[tuple[type, int]] = set()  # records this run created (or may refresh)
        self.problems: list[str] = []
        self.counts: Counter = Counter()
        self.sources: dict[str, SourceDocument] = {}
        self.agreements: dict[str, Agreement] = {}
        self.bodies: dict[str, DialogueBody] = {}
        self.commitments: dict[str, Commitment] = {}
        self.fact_counts: Counter = Counter()  # stated and assumed facts in the seed

    # -- helpers ---------------------------------------------------------------------------------------
    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    @contextmanager
    def row(self, where: str):
        """Report a malformed record (a missing field, a bad date) against it and go on with the next one."""
        try:
            yield
        except KeyError as exc:
            self.problem(where, f"missing field {exc.args[0]!r}")
        except (TypeError, ValueError, AttributeError) as exc:
            self.problem(where, f"malformed value ({exc})")

    def validation_problems(self, where: str, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.problem(where, f"{field}: {message}" if field != "__all__" else message)

    def source(self, row: dict, where: str) -> dict[str, Any]:
        ref = row.get("source")
        if not isinstance(ref, dict) or not ref.get("doc"):
            self.problem(where, "source: every record needs {doc: <source key>, at: <section or paragraph>}")
            return {"source_document": None, "source_locator": ""}
        document = self.sources.get(ref["doc"])
        if document is None:
            self.problem(where, f"source: unknown source document {ref['doc']!r}")
        return {"source_document": document, "source_locator": str(ref.get("at") or "")[:200]}

    def basis(self, row: dict, where: str, facts: dict[str, Any]) -> dict[str, Any]:
        """The basis of each known fact of ``row``, from its ``basis:`` mapping; counts stated and assumed facts.

        ``basis: {cadence: {doc: SDP-2024, at: '§5'}, level: {assumed: why, by: who}}``: a document and a place
        in it, or a reason and who assumed it. Every fact with a value needs one; an empty fact needs none.
        """
        given = row.get("basis") or {}
        if not isinstance(given, dict):
            self.problem(where, "basis: expected a mapping of fact to {doc, at} or {assumed, by}")
            given = {}
        for unknown in set(given) - set(facts):
            self.problem(where, f"basis: {unknown!r} is not one of {', '.join(facts)}")
        values: dict[str, Any] = {}
        for fact, value in facts.items():
            entry = given.get(fact)
            empty = {
                f"{fact}_basis": "",
                f"{fact}_reason": "",
                f"{fact}_assumed_by": "",
                f"{fact}_source": None,
                f"{fact}_locator": "",
            }
            if value is None or value == "":
                if entry:
                    self.problem(where, f"basis: {fact} has no value, so it needs no basis")
                values.update(empty)
                continue
            if not isinstance(entry, dict) or not (entry.get("doc") or entry.get("assumed")):
                self.problem(where, f"basis: say whether {fact} is stated ({{doc, at}}) or assumed ({{assumed, by}})")
                values.update(empty)
                continue
            if entry.get("doc"):
                document = self.sources.get(entry["doc"])
                if document is None:
                    self.problem(where, f"basis: unknown source document {entry['doc']!r} for {fact}")
                values.update(
                    empty,
                    **{
                        f"{fact}_basis": Basis.STATED,
                        f"{fact}_source": document,
                        f"{fact}_locator": str(entry.get("at") or "")[:200],
                    },
                )
                self.fact_counts[Basis.STATED] += 1
            else:
                values.update(
                    empty,
                    **{
                        f"{fact}_basis": Basis.ASSUMED,
                        f"{fact}_reason": str(entry["assumed"])[:300],
                        f"{fact}_assumed_by": str(entry.get("by") or "the tracker's editors")[:100],
                    },
                )
                self.fact_counts[Basis.ASSUMED] += 1
        return values

    def save(self, obj, where: str, counter: str, created: bool) -> bool:
        try:
            obj.full_clean()
        except ValidationError as exc:
            self.validation_problems(where, exc)
            return False
        obj.save()
        self.counts[f"{counter} {'created' if created else 'updated'}"] += 1
        return True

    def upsert(self, model, lookup: dict, values: dict, where: str, counter: str):
        obj = model.objects.filter(**lookup).first()
        created = obj is None
        if created:
            obj, changed = model(**lookup, **values), True
        elif not self.refresh:
            self.counts[f"{counter} kept"] += 1
            return obj
        else:
            changed = any(getattr(obj, name) != value for name, value in values.items())
            for name, value in values.items():
                setattr(obj, name, value)
        if not changed:
            self.writable.add((model, obj.pk))
            self.counts[f"{counter} unchanged"] += 1
            return obj
        if not self.save(obj, where, counter, created):
            return None
        self.writable.add((model, obj.pk))
        return obj

    def keep(self, table: str, model, lookup: dict, values: dict, where: str):
        """:meth:`upsert` the record its natural key (``lookup``, one field) names, counted under ``table``, and keep
        it in ``self.<table>`` under that key for the sections that refer to it; ``None`` if it could not be saved."""
        obj = self.upsert(model, lookup, values, where, table)
        if obj is not None:
            (key,) = lookup.values()
            getattr(self, table)[key] = obj
        return obj

    def may_write(self, obj) -> bool:
        """Whether this run may set ``obj``'s relations: it created the record, or it refreshes existing ones."""
        return obj is not None and (type(obj), obj.pk) in self.writable

    def lookup(self, table: dict, key: Any, where: str, what: str):
        if key is None:
            return None
        found = table.get(key)
        if found is None:
            self.problem(where, f"unknown {what} {key!r}")
        return found

    # -- sections --------------------------------------------------------------------------------------
    def link_parents(self, rows: list[dict], table: str, key: str, field: str, *, what: str, counter: str) -> None:
        """The second pass over ``rows`` of ``table`` (``self.agreements``, ``self.bodies``), once every record
        exists: point each record's ``field`` at the record its row names there (``parent``, ``reports_to``)."""
        records = getattr(self, table)
        for row in rows:
            where = f"{table}[{row.get(key)}]"
            with self.row(where):
                obj = records.get(row[key])
                parent = self.lookup(records, row.get(field), where, what)
                if self.may_write(obj) and getattr(obj, f"{field}_id") != (parent.pk if parent else None):
                    setattr(obj, field, parent)
                    self.save(obj, where, counter, False)

    def run(self, data: dict[str, list[dict]]) -> None:
        for name in SECTIONS:
            getattr(self, f"load_{name}")(data[name])
        # The loader writes bodies and meetings as plain records (upserts by natural key); their schedules are
        # then worked out once per body by the one recomputation, DialogueBody.refresh_schedule (saving a body or
        # a meeting has no such side effect). Overdue flags are left to the sweep, as for any import.
        for body in self.bodies.values():
            body.refresh_schedule()
        # The report: how many of the seed's behaviour-driving facts a document states, and how many are assumed.
        self.counts["facts stated"] = self.fact_counts[Basis.STATED]
        self.counts["facts assumed"] = self.fact_counts[Basis.ASSUMED]

    def load_sources(self, rows: list[dict]) -> None:
        for row in rows:
            where = f"sources[{row.get('key')}]"
            with self.row(where):
                self.keep(
                    "sources",
                    SourceDocument,
                    {"key": row["key"]},
                    {
                        "title": row["title"],
                        "publisher": row.get("publisher") or "",
                        **_approx_date(row, "published_on"),
                        "seed_file": row.get("seed_file") or "",
                    },
                    where,
                )

    def load_agreements(self, rows: list[dict]) -> None:
        for row in rows:
            where = f"agreements[{row.get('code')}]"
            with self.row(where):
                self.keep(
                    "agreements",
                    Agreement,
                    {"code": row["code"]},
                    {
                        "title": row["title"],
                        "kind": row["kind"],
                        **_approx_date(row, "signed_on"),
                        **_approx_date(row, "in_force_on"),
                        "summary": row.get("summary") or "",
                        "date_note": row.get("date_note") or "",
                        **self.source(row, where),
                        **self.basis(
                            row,
                            where,
                            {"signed_on": row.get("signed_on"), "in_force_on": row.get("in_force_on")},
                        ),
                    },
                    where,
                )
        self.link_parents(rows, "agreements", "code", "parent", what="parent agreement", counter="agreement parents")

    def load_bodies(self, rows: list[dict]) -> None:
        for row in rows:
            where = f"bodies[{row.get('short_name')}]"
            with self.row(where):
                obj = self.keep(
                    "bodies",
                    DialogueBody,
                    {"short_name": row["short_name"]},
                    {
                        "name": row["name"],
                        "level": row["level"],
                        "cadence_months": row.get("cadence_months"),
                        "grace_days": row.get("grace_days", 60),
                        **_approx_date(row, "established_on"),
                        "eu_lead": row.get("eu_lead") or "",
                        "japan_lead": row.get("japan_lead") or "",
                        "description": row.get("description") or "",
                        "active": row.get("active", True),
                        **self.source(row, where),
                        **self.basis(
                            row,
                            where,
                            {
                                "cadence": row.get("cadence_months"),
                                "level": row.get("level"),
                                "reports_to": row.get("reports_to"),
                                "established_on": row.get("established_on"),
                            },
                        ),
                    },
                    where,
                )
                if obj is None:
                    continue
                agreements = [
                    self.lookup(self.agreements, code, where, "agreement") for code in row.get("agreements", [])
                ]
                if not row.get("agreements"):
                    self.problem(where, "agreements: name at least one framework the body serves")
                if self.may_write(obj):
                    obj.agreements.set([a for a in agreements if a is not None])
        self.link_parents(
            rows, "bodies", "short_name", "reports_to", what="reports_to body", counter="body reporting lines"
        )

    def load_commitments(self, rows: list[dict]) -> None:
        for row in rows:
            where = f"commitments[{row.get('reference')}]"
            with self.row(where):
                agreement = self.lookup(self.agreements, row.get("agreement"), where, "agreement")
                if agreement is None:
                    if row.get("agreement") is None:
                        self.problem(where, "agreement: every commitment belongs to a framework")
                    continue
                self.keep(
                    "commitments",
                    Commitment,
                    {"reference": row["reference"]},
                    {
                        "agreement": agreement,
                        "title": row["title"],
                        "description": row["description"],
                        "area": row["area"],
                        "strength": row["strength"],
                        "actor": row.get("actor") or "",
                        "responsible_body": self.lookup(self.bodies, row.get("body"), where, "body"),
                        **_approx_date(row, "target_date"),
                        **self.source(row, where),
                    },
                    where,
                )

    def load_meetings(self, rows: list[dict]) -> None:
        for row in rows:
            where = f"meetings[{row.get('body')} {row.get('held_on')}]"
            with self.row(where):
                body = self.lookup(self.bodies, row.get("body"), where, "body")
                if body is None:
                    continue
                obj = self.upsert(
                    Meeting,
                    {"body": body, "held_on": _date(row["held_on"])},
                    {
                        "held_on_precision": row.get("held_on_precision") or DatePrecision.DAY,
                        "place": row.get("place") or "",
                        "summary": row.get("summary") or "",
                        **self.source(row, where),
                    },
                    where,
                    "meetings",
                )
                if obj is None:
                    continue
                advanced = [
                    self.lookup(self.commitments, ref, where, "commitment") for ref in row.get("commitments", [])
                ]
                if self.may_write(obj):
                    obj.commitments_advanced.set([c for c in advanced if c is not None])
                self.load_outcomes(obj, row.get("outcomes"), where)

    def load_outcomes(self, meeting: Meeting, outcomes: dict | None, where: str) -> None:
        """The commitments the documents say were made at ``meeting``, each with the passage that says so:
        ``source: {doc, at}`` for all of them, or ``source: commitment`` where each commitment's own source passage
        is about the meeting (a summit's joint statement). A commitment whose meeting is already recorded keeps
        it unless this run refreshes it; an empty one is filled (the field is new to existing databases)."""
        if not outcomes:
            return
        where = f"{where}.outcomes"
        shared = outcomes.get("source")
        if shared != "commitment":
            shared = self.source({"source": shared}, where)
        for ref in outcomes.get("commitments", []):
            commitment = self.lookup(self.commitments, ref, where, "commitment")
            if commitment is None:
                continue
            if commitment.made_at_id is not None and not self.refresh:
                continue
            if shared == "commitment":
                document, locator = commitment.source_document, commitment.source_locator
            else:
                document, locator = shared["source_document"], shared["source_locator"]
            values = {"made_at": meeting, "made_at_source": document, "made_at_locator": locator}
            if all(getattr(commitment, name) == value for name, value in values.items()):
                continue
            for name, value in values.items():
                setattr(commitment, name, value)
            try:
                commitment.full_clean()
            except ValidationError as exc:
                self.validation_problems(f"{where}[{ref}]", exc)
                continue
            # Only these columns: the commitment's status and versions belong to its services.
            commitment.save(update_fields=list(values))
            self.counts["commitments tied to the meeting that made them"] += 1

    def load_status_updates(self, rows: list[dict]) -> None:
        for row in rows:
            where = f"status_updates[{row.get('commitment')} {row.get('status')} {row.get('evidence_date')}]"
            with self.row(where):
                commitment = self.lookup(self.commitments, row.get("commitment"), where, "commitment")
                if commitment is None:
                    continue
                source = self.source(row, where)
                evidence_date = _date(row.get("evidence_date"))
                # The same seeded entry, even where a re-read of the documents corrected its evidence date.
                already = (
                    StatusUpdate.objects.filter(
                        commitment=commitment,
                        kind=UpdateKind.STATUS_CHANGE,
                        status=row["status"],
                        source_document=source["source_document"],
                        source_locator=source["source_locator"],
                    )
                    .filter(Q(evidence_date=evidence_date) | Q(note=(row.get("note") or "").strip()))
                    .exists()
                )
                if already:
                    self.counts["status updates unchanged"] += 1
                    continue
                if commitment.updates.filter(author__isnull=False).exists():
                    # Staff have recorded its status since: a seeded entry would become the latest and override it.
                    self.counts["status updates skipped (staff history)"] += 1
                    continue
                # Filed under its evidence date (noon, so that no time zone moves it to another day); the pages show
                # that date to the precision the document gives, never this time of day. With no date, the entry is
                # undated (StatusUpdate.is_undated): filed at the moment of loading, which dates nothing.
                recorded_at = None
                if evidence_date is not None:
                    recorded_at = timezone.make_aware(dt.datetime.combine(evidence_date, dt.time(12)))
                try:
                    commitment_update_status(
                        commitment=commitment,
                        expected_version=commitment.version,
                        author=None,
                        status=row["status"],
                        progress=row.get("progress"),
                        note=row.get("note") or "",
                        evidence_url=row.get("evidence_url") or "",
                        evidence_reference=row.get("evidence_reference") or "",
                        evidence_date=evidence_date,
                        evidence_date_precision=row.get("evidence_date_precision") or DatePrecision.DAY,
                        recorded_at=recorded_at,
                        **source,
                    )
                except ValidationError as exc:
                    self.validation_problems(where, exc)
                except CommitmentConflict as exc:
                    self.problem(where, str(exc))
                else:
                    self.counts["status updates created"] += 1
