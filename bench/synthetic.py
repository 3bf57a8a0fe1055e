"""Synthetic data at scale, for benchmarks: frameworks, bodies, meetings, commitments and their histories.

The data obeys the same rules as data written through the services, so pages, API and sweep see nothing unusual:

- every commitment's history has versions 1..k, each update's ``previous_status`` is the status before it, a review
  repeats the current status and progress, ``achieved`` means progress 100 with evidence, and the commitment's
  ``status`` / ``progress`` / ``version`` / ``status_changed_at`` / ``last_reviewed_at`` equal what the services would
  have left after replaying that history;
- milestones (on a share of the commitments) are added through the history as the services add them: each is one
  ``kind=milestone`` entry that keeps the status and progress, numbered in the same version sequence; a milestone
  added as done has a done day not after its entry and evidence; commitments keep progress entered by hand;
- meetings of a body are on distinct days, never in the future; after they are written, each body's stored schedule
  is computed by the model's own cadence rule (:meth:`dialogues.models.DialogueBody.compute_schedule`).

Rows are built in Python with explicit primary keys and written in bulk: ``COPY ... FROM STDIN`` (psycopg 3) on
PostgreSQL, ``bulk_create`` in batches elsewhere. The whole run is one transaction: it writes everything or nothing.
Every record carries a run prefix (``SYN1-``, ``SYN2-``, ...), so the generator never collides with the seed data or
with an earlier run.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TextIO

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from commitments.choices import AgreementKind, PolicyArea, Status, Strength, UpdateKind
from commitments.models import Agreement, Commitment, Milestone, StatusUpdate
from commitments.references import reference_sort_key
from commitments.services import status_since
from core import generation
from core.models import DatePrecision, SourceDocument
from core.roles import EDITORS, REVIEWERS
from dialogues.choices import Level
from dialogues.models import Contact, DialogueBody, Meeting

DAY = 86_400.0

# --- Vocabulary: enough variety that full-text search and sorting behave as on real text ----------------------
TOPICS: dict[str, Sequence[str]] = {
    PolicyArea.MARITIME_SECURITY: ("maritime domain awareness", "joint naval exercises", "port calls", "anti-piracy"),
    PolicyArea.CYBER: ("cyber incident response", "cyber capacity building", "ransomware resilience", "5G security"),
    PolicyArea.HYBRID_FIMI: ("foreign information manipulation", "hybrid threat analysis", "election integrity"),
    PolicyArea.SPACE: ("space situational awareness", "satellite navigation", "Earth observation data sharing"),
    PolicyArea.NON_PROLIFERATION: ("export control dialogue", "nuclear non-proliferation", "chemical weapons"),
    PolicyArea.DEFENCE: ("defence industrial cooperation", "security of supply", "defence research"),
    PolicyArea.CRISIS_MANAGEMENT: ("CSDP mission participation", "crisis management training", "evacuation plans"),
    PolicyArea.COUNTER_TERRORISM: ("terrorist financing", "counter-terrorism consultations", "aviation security"),
    PolicyArea.ECONOMIC_SECURITY: ("supply chain resilience", "critical raw materials", "economic coercion"),
    PolicyArea.TRADE: ("tariff elimination", "rules of origin", "procurement access", "geographical indications"),
    PolicyArea.DIGITAL: ("data flows", "semiconductor supply", "AI governance", "digital identity"),
    PolicyArea.GREEN_TRANSITION: ("carbon pricing", "offshore wind", "circular economy", "hydrogen standards"),
    PolicyArea.ENERGY: ("LNG security", "energy efficiency", "grid interconnection", "nuclear safety"),
    PolicyArea.CONNECTIVITY: ("quality infrastructure investment", "transport corridors", "submarine cables"),
    PolicyArea.RESEARCH: ("Horizon Europe association", "researcher mobility", "fusion research"),
    PolicyArea.HEALTH: ("pandemic preparedness", "antimicrobial resistance", "medical countermeasures"),
    PolicyArea.MULTILATERAL: ("WTO reform", "G7 coordination", "UN Security Council reform"),
    PolicyArea.PEOPLE_TO_PEOPLE: ("student exchanges", "youth mobility", "cultural cooperation"),
    PolicyArea.DEVELOPMENT: ("humanitarian aid coordination", "development finance", "disaster risk reduction"),
}
VERBS = {
    Strength.EXPLORE: ("Explore", "Consider", "Examine the possibility of", "Study"),
    Strength.DEVELOP: ("Develop", "Strengthen", "Enhance", "Deepen cooperation on"),
    Strength.IMPLEMENT: ("Implement", "Conclude", "Establish", "Hold regular"),
}
FRAMEWORK_NAMES = (
    "Partnership",
    "Framework",
    "Arrangement",
    "Memorandum of Cooperation",
    "Joint Statement",
    "Action Plan",
    "Roadmap",
)
PLACES = ("Tokyo", "Brussels", "Osaka", "Strasbourg", "Kyoto", "Luxembourg", "New York", "Geneva", "videoconference")
NOTES = (
    "Progress reported by the co-chairs.",
    "Both sides confirmed the work plan.",
    "Discussed at the last senior officials' meeting.",
    "Implementation continues as planned.",
    "Delayed pending budget approval.",
    "Working group met twice since the last update.",
    "Joint report published.",
)
REVIEW_NOTES = ("Reviewed before the delegation meeting; nothing new.", "Checked with the desk officer: unchanged.")
FIRST_NAMES = ("Anna", "Kenji", "Marie", "Yuki", "Lukas", "Sofia", "Hiroshi", "Elena", "Takeshi", "Clara", "Aiko")
LAST_NAMES = ("Müller", "Tanaka", "Rossi", "Sato", "Dubois", "Suzuki", "Novak", "Watanabe", "García", "Kobayashi")

# Which statuses may follow which, and how likely each is (a status change, not a review).
TRANSITIONS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    Status.NOT_STARTED: ((Status.IN_PROGRESS, Status.ONGOING, Status.NOT_STARTED, Status.STALLED), (6, 2, 1, 1)),
    Status.IN_PROGRESS: ((Status.IN_PROGRESS, Status.ACHIEVED, Status.STALLED, Status.ONGOING), (10, 2, 1, 1)),
    Status.ONGOING: ((Status.ONGOING, Status.IN_PROGRESS, Status.STALLED), (8, 1, 1)),
    Status.STALLED: ((Status.IN_PROGRESS, Status.STALLED, Status.DISCONTINUED), (4, 3, 1)),
}
FINAL = {Status.ACHIEVED, Status.DISCONTINUED}  # after these, only reviews


@dataclass
class SyntheticPlan:
    """How much to generate. Agreements, bodies and users grow with the commitments, but slowly, as they would."""

    commitments: int
    agreements: int | None = None
    bodies: int | None = None
    users: int | None = None
    updates_per_commitment: int = 10
    # The share of commitments with milestones (1 to 5 each, about 1.2 per commitment overall at 0.4).
    milestone_share: float = 0.4
    years: int = 15
    seed: int = 2024
    today: date | None = None

    def __post_init__(self) -> None:
        if self.commitments < 1:
            raise ValueError("Generate at least one commitment.")
        if self.agreements is None:
            self.agreements = 10 + self.commitments // 2_000
        if self.bodies is None:
            self.bodies = 30 + self.commitments // 500
        if self.users is None:
            self.users = 8 + self.commitments // 5_000
        self.agreements = max(1, min(self.agreements, self.commitments))
        self.bodies = max(1, self.bodies)
        self.users = max(1, self.users)
        if not 0 <= self.milestone_share <= 1:
            raise ValueError("milestone_share is a share from 0 to 1.")
        if self.updates_per_commitment < 0 or self.years < 1:
            raise ValueError("updates_per_commitment must be >= 0 and years >= 1.")
        self.today = self.today or timezone.localdate()


def progress_bar(total: int, *, stream: TextIO | None = None, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr (or ``stream``) counting rows against ``total``; ``set_description`` names the stage."""
    return tqdm(total=max(total, 1), file=stream or sys.stderr, disable=not enabled, unit=" rows", mininterval=0.1)


def finish_progress(progress: tqdm) -> None:
    """Fill the bar (the total is an estimate) and end its line."""
    progress.set_description("done", refresh=False)
    progress.update(max(progress.total - progress.n, 0))
    progress.close()


class BulkWriter:
    """Writes rows with explicit primary keys: COPY on PostgreSQL, batched ``bulk_create`` elsewhere."""

    def __init__(self, progress: tqdm, *, batch_size: int = 2_000):
        self.progress = progress
        self.batch_size = batch_size
        self.use_copy = connection.vendor == "postgresql"
        self.counts: Counter = Counter()

    def write(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
        """Write ``rows`` (tuples in the order of ``fields``, attribute names such as ``agreement_id``)."""
        concrete = model._meta.concrete_fields
        columns = {f.attname: f.column for f in concrete}
        # Fields the generator does not set (e.g. added to the model later) get their model default, as save() would.
        defaults = [(f.attname, f.get_default()) for f in concrete if f.attname not in fields and f.has_default()]
        if defaults:
            fields = [*fields, *(name for name, _ in defaults)]
            extra = tuple(value for _, value in defaults)
            rows = (row + extra for row in rows)
        if self.use_copy:
            written = self._copy(model, [columns[f] for f in fields], rows)
        else:
            written = self._bulk(model, fields, rows)
        self.counts[model._meta.label] += written
        return written

    def _copy(self, model, columns: list[str], rows: Iterable[tuple]) -> int:
        from psycopg.copy import QueuedLibpqWriter  # sends on a thread of its own while Python builds the next rows

        qn = connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
                if written % self.batch_size == 0:
                    self.progress.update(self.batch_size)
        self.progress.update(written % self.batch_size)
        return written

    def _bulk(self, model, fields: Sequence[str], rows: Iterable[tuple]) -> int:
        batch, written = [], 0
        for row in rows:
            batch.append(model(**dict(zip(fields, row, strict=True))))
            if len(batch) == self.batch_size:
                model._base_manager.bulk_create(batch)
                written += len(batch)
                self.progress.update(len(batch))
                batch = []
        if batch:
            model._base_manager.bulk_create(batch)
            written += len(batch)
            self.progress.update(len(batch))
        return written


@dataclass
class _Body:
    id: int
    cadence_months: int | None
    established_on: date
    active: bool
    meets_until: date
    agreement_ids: list[int] = field(default_factory=list)
    meeting_ids: list[int] = field(default_factory=list)


@dataclass
class SyntheticResult:
    prefix: str
    counts: Counter
    seconds: float


def next_run_prefix() -> str:
    """The first ``SYN<n>`` prefix no agreement code uses yet, so successive runs never collide."""
    used = set(Agreement.objects.filter(code__startswith="SYN").values_list("code", flat=True))
    n = 1
    while any(code.startswith(f"SYN{n}-") for code in used):
        n += 1
    return f"SYN{n}"


def estimate_rows(plan: SyntheticPlan) -> int:
    """Roughly how many rows a plan writes (the progress bar's total)."""
    meetings = plan.bodies * plan.years * 12 // 9
    return (
        plan.users * 2
        + plan.agreements
        + plan.bodies * 5
        + meetings
        + plan.commitments * (2 + plan.updates_per_commitment)
        + int(plan.commitments * plan.milestone_share * 6)
        + meetings // 2
    )


def generate(
    plan: SyntheticPlan, *, progress: tqdm | None = None, log: Callable[[str], None] | None = None
) -> SyntheticResult:
    """Generate ``plan`` into the default database in one transaction; return the counts of rows written."""
    started = time.monotonic()
    progress = progress or progress_bar(estimate_rows(plan), enabled=False)
    with transaction.atomic():
        generator = _Generator(plan, progress)
        generator.run()
        # COPY is not a statement the connection's write watch sees: cached answers must not outlive the load.
        generation.bump()
    finish_progress(progress)
    if connection.vendor == "postgresql":
        # Fresh planner statistics (without them the first queries after a bulk load plan as for empty tables) and,
        # outside a transaction, a visibility map, so that counts can be index-only scans at once instead of after
        # autovacuum comes by.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in _generated_models():
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    if log:
        counts = sorted(generator.writer.counts.items())
        log(f"{generator.prefix}: " + ", ".join(f"{n:,} {label}" for label, n in counts))
        log("seconds: " + ", ".join(f"{label} {seconds:.1f}" for label, seconds in generator.timings.items()))
    return SyntheticResult(generator.prefix, generator.writer.counts, time.monotonic() - started)


def _generated_models() -> list[type[models.Model]]:
    User = get_user_model()
    return [
        User,
        User.groups.through,
        SourceDocument,
        Agreement,
        DialogueBody,
        DialogueBody.agreements.through,
        Contact,
        Meeting,
        Meeting.commitments_advanced.through,
        Commitment,
        Milestone,
        StatusUpdate,
    ]


class NotABenchmarkDatabase(Exception):
    """Raised when ``clear_tracker_data`` is asked to empty a database that holds more than benchmark data."""


def ensure_benchmark_database() -> None:
    """Refuse unless this is a benchmark's database: the settings say so (``BENCHMARK_DATABASE``, set by
    ``bench.settings`` only) and every framework in it is synthetic (its code carries a ``SYN<n>-`` prefix).

    Emptying the tracker bypasses the append-only status history, so both must hold: settings pointed at the
    wrong database by mistake still find its real frameworks and stop.
    """
    if not getattr(settings, "BENCHMARK_DATABASE", False):
        raise NotABenchmarkDatabase(
            "This is not a benchmark database: --replace runs only under the benchmark settings (bench.settings)."
        )
    real = Agreement.objects.exclude(code__regex=r"^SYN[0-9]+-").values_list("code", flat=True)[:5]
    if real:
        raise NotABenchmarkDatabase(
            f"This database holds frameworks that no benchmark generated ({', '.join(real)}): nothing was deleted."
        )


def clear_tracker_data() -> None:
    """Delete every framework, commitment, history, body, meeting and flag, and the users of earlier synthetic runs.

    Only for benchmark databases (``generate_synthetic --replace``; see :func:`ensure_benchmark_database`): it
    bypasses the append-only guard of the status history on purpose, with one TRUNCATE on PostgreSQL.
    """
    ensure_benchmark_database()
    tables = [
        m._meta.db_table
        for app in ("core", "commitments", "dialogues")
        for m in apps.get_app_config(app).get_models(include_auto_created=True)
    ]
    User = get_user_model()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses tables with deferred checks pending
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            # Children before parents; SQLite checks foreign keys at commit, so the order only needs to be complete.
            for table in reversed(tables):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        User.objects.filter(username__regex=r"^syn[0-9]+-").delete()


def bulk_tables() -> list[type[models.Model]]:
    """The tables that take millions of rows at scale: loaded without secondary indexes and foreign keys."""
    return [
        Meeting,
        Meeting.commitments_advanced.through,
        Contact,
        DialogueBody.agreements.through,
        Commitment,
        Milestone,
        StatusUpdate,
    ]


@contextmanager
def bulk_load_mode(models_: Sequence[type[models.Model]]) -> Iterator[None]:
    """On PostgreSQL, load ``models_``' tables without their secondary indexes and foreign keys, then rebuild them.

    PostgreSQL's advice for populating a database: maintaining indexes row by row and queueing a deferred
    foreign-key check per row costs several times more than building each index once and validating each foreign
    key with one join at the end. Everything happens inside the caller's transaction, so a failure restores the
    tables as they were. Primary keys, check constraints and partial indexes stay in place. Elsewhere this does
    nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    saved = []
    with connection.cursor() as cursor:
        # Dropping a foreign key touches the referenced table too, which must have no deferred checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                # Partial indexes stay: PostgreSQL prints their predicate in a form that, run again, it prints
                # differently (casts on each element of an IN list), so a rebuilt one would not match its migration.
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND i.indpred IS NULL AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
                ") ORDER BY c.relname",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in constraints:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {qn(name)}")
            saved.append((table, constraints, indexes))
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # sort each index in memory, once
        for table, constraints, indexes in saved:
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition in sorted(constraints, key=lambda c: c[1].startswith("FOREIGN")):
                cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")


class _Generator:
    def __init__(self, plan: SyntheticPlan, progress: tqdm):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.progress = progress
        self.writer = BulkWriter(progress)
        self.timings: dict[str, float] = {}
        self.prefix = next_run_prefix()
        self.today: date = plan.today
        self.start = self.today - relativedelta(years=plan.years)
        self.now = timezone.now()
        if self.today < timezone.localdate():  # a past "today": the history ends that evening, not now
            self.now = timezone.make_aware(datetime.combine(self.today, datetime.max.time().replace(microsecond=0)))
        self.now_ts = self.now.timestamp()
        self.start_ts = _aware(self.start).timestamp()

    # -- helpers -------------------------------------------------------------------------------------------------
    def _next_ids(self, model: type[models.Model]) -> int:
        top = model._base_manager.aggregate(top=models.Max("pk"))["top"] or 0
        return top + 1

    def _when(self, lo: float, hi: float) -> datetime:
        return datetime.fromtimestamp(self.rng.uniform(lo, hi), tz=UTC)

    def _day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max((hi - lo).days, 0)))

    # -- the run ---------------------------------------------------------------------------------------------------
    def run(self) -> None:
        stages = [
            ("users", self._users),
            ("agreements", self._source_and_agreements),
            ("dialogue bodies", self._bodies),
            ("meetings", self._meetings),
            ("commitments and history", self._commitments_and_history),
            ("commitments advanced", self._meeting_links),
            ("body schedules", self._schedules),
            ("sequences", self._reset_sequences),
        ]
        with bulk_load_mode(bulk_tables()):
            for label, stage in stages:
                self.progress.set_description(label)
                started = time.monotonic()
                stage()
                self.timings[label] = time.monotonic() - started
            self.progress.set_description("indexes and foreign keys")
            started = time.monotonic()
        self.timings["indexes and foreign keys"] = time.monotonic() - started

    def _users(self) -> None:
        User = get_user_model()
        first = self._next_ids(User)
        # An unusable password (the "!" prefix): these accounts only author history, nobody signs in as them.
        password = make_password(None)
        editors = Group.objects.get_or_create(name=EDITORS)[0]
        reviewers = Group.objects.get_or_create(name=REVIEWERS)[0]
        joined = timezone.make_aware(datetime.combine(self.start, datetime.min.time()))
        rows, memberships = [], []
        through_first = self._next_ids(User.groups.through)
        tag = self.prefix.lower()
        for i in range(self.plan.users):
            uid = first + i
            rows.append(
                (
                    uid,
                    f"{tag}-user-{i + 1:04d}",
                    self.rng.choice(FIRST_NAMES),
                    self.rng.choice(LAST_NAMES),
                    f"{tag}-user-{i + 1:04d}@example.eu",
                    password,
                    False,
                    False,
                    True,
                    joined,
                )
            )
            group = editors if i % 4 else reviewers
            memberships.append((through_first + i, uid, group.pk))
        fields = ["id", "username", "first_name", "last_name", "email", "password", "is_staff", "is_superuser"]
        self.writer.write(User, [*fields, "is_active", "date_joined"], rows)
        self.writer.write(User.groups.through, ["id", "user_id", "group_id"], memberships)
        self.editor_ids = [uid for (_, uid, gid) in memberships if gid == editors.pk] or [first]

    def _source_and_agreements(self) -> None:
        doc_id = self._next_ids(SourceDocument)
        self.writer.write(
            SourceDocument,
            ["id", "key", "title", "publisher", "published_on", "seed_file"],
            [
                (
                    doc_id,
                    f"synthetic-{self.prefix.lower()}",
                    f"Synthetic benchmark data set {self.prefix} (generate_synthetic, seed {self.plan.seed})",
                    "generate_synthetic",
                    self.today,
                    "",
                )
            ],
        )
        self.doc_id = doc_id
        first = self._next_ids(Agreement)
        rows, self.agreements = [], []
        kinds = list(AgreementKind)
        areas = list(PolicyArea)
        roots = max(1, math.ceil(self.plan.agreements / 5))
        for i in range(self.plan.agreements):
            aid = first + i
            area = areas[i % len(areas)]
            topic = self.rng.choice(TOPICS[area]).capitalize()
            signed = self._day_between(self.start, self.today - timedelta(days=60))
            in_force = signed + timedelta(days=self.rng.randint(0, 400)) if self.rng.random() < 0.6 else None
            if in_force and in_force > self.today:
                in_force = None
            parent = None if i < roots else self.rng.choice(self.agreements[:roots])[0]
            kind = kinds[0] if i < roots and i % 2 == 0 else self.rng.choice(kinds)
            code = f"{self.prefix}-A{i + 1:04d}"
            title = f"EU–Japan {self.rng.choice(FRAMEWORK_NAMES)} on {topic}"
            summary = f"{title}: a synthetic framework for benchmarks, signed {signed:%d %B %Y}."
            # Its dates are "stated" by the synthetic source document (facts with provenance, core.models).
            basis = ("stated", self.doc_id, "stated" if in_force else "", self.doc_id if in_force else None)
            rows.append((aid, code, title, kind, signed, in_force, parent, summary, self.doc_id, "synthetic", *basis))
            self.agreements.append((aid, code, area, signed))
        fields = ["id", "code", "title", "kind", "signed_on", "in_force_on", "parent_id", "summary"]
        fields += ["source_document_id", "source_locator"]
        fields += ["signed_on_basis", "signed_on_source_id", "in_force_on_basis", "in_force_on_source_id"]
        self.writer.write(Agreement, fields, rows)

    def _bodies(self) -> None:
        first = self._next_ids(DialogueBody)
        levels = [
            (Level.LEADERS, (12,)),
            (Level.MINISTERIAL, (12, 24)),
            (Level.SENIOR_OFFICIALS, (6, 12)),
            (Level.DIRECTOR, (6, 12, 18)),
            (Level.WORKING, (3, 6, 12)),
        ]
        rows, self.bodies = [], []
        # The latest few bodies of each level: who a new body may report to (bounded, so this stays linear).
        by_level: dict[int, deque[int]] = {n: deque(maxlen=8) for n in range(len(levels))}
        for i in range(self.plan.bodies):
            bid = first + i
            # One body per level first (the Summit, a ministerial, ...), then mostly working-level bodies.
            tier = i if i < len(levels) else self.rng.choice((1, 2, 2, 3, 3, 4, 4, 4))
            level, cadences = levels[tier]
            cadence = None if (i >= len(levels) and self.rng.random() < 0.1) else self.rng.choice(cadences)
            parents = [b for t in range(max(0, tier - 2), tier) for b in by_level[t]]
            reports_to = self.rng.choice(parents[-8:]) if parents else None
            established = self._day_between(self.start, self.today - timedelta(days=30))
            active = i < len(levels) or self.rng.random() > 0.05
            # One body in five lapses: it stopped meeting well over a cadence and its grace period ago, so it is
            # overdue and the sweep has work at every size.
            meets_until = self.today
            if i % 5 == 3:
                cadence, active = cadence or cadences[-1], True
                meets_until = self.today - timedelta(days=int(cadence * 30.4 * self.rng.uniform(1.3, 4)) + 120)
                established = self._day_between(self.start, max(self.start, meets_until - timedelta(days=400)))
            topic = self.rng.choice(TOPICS[self.rng.choice(list(PolicyArea))])
            short = f"{self.prefix}-B{i + 1:05d}"
            name = f"{level.label} dialogue on {topic} ({short})"
            grace = self.rng.choice((30, 60, 60, 90))
            rows.append(
                (
                    bid,
                    short,
                    name,
                    level,
                    reports_to,
                    cadence,
                    grace,
                    established,
                    "DG " + self.rng.choice(("TRADE", "CNECT", "DEFIS", "ENER", "CLIMA", "RTD", "EEAS")),
                    self.rng.choice(("MOFA", "METI", "MOD", "MEXT", "MIC", "MOE")),
                    f"Synthetic {level.label.lower()} body for benchmarks.",
                    active,
                    self.doc_id,
                    "synthetic",
                    # Each fact "stated" by the synthetic source document (facts with provenance, core.models).
                    "stated" if cadence else "",
                    self.doc_id if cadence else None,
                    "stated",
                    self.doc_id,
                    "stated" if reports_to else "",
                    self.doc_id if reports_to else None,
                    "stated",
                    self.doc_id,
                )
            )
            by_level[tier].append(bid)
            body = _Body(bid, cadence, established, active, meets_until)
            body.agreement_ids = [a[0] for a in self.rng.sample(self.agreements, k=min(len(self.agreements), 2))]
            self.bodies.append(body)
        fields = ["id", "short_name", "name", "level", "reports_to_id", "cadence_months", "grace_days"]
        fields += ["established_on", "eu_lead", "japan_lead", "description", "active", "source_document_id"]
        fields += ["source_locator", "cadence_basis", "cadence_source_id", "level_basis", "level_source_id"]
        fields += ["reports_to_basis", "reports_to_source_id", "established_on_basis", "established_on_source_id"]
        self.writer.write(DialogueBody, fields, rows)
        through = DialogueBody.agreements.through
        link_id = self._next_ids(through)
        links = []
        for body in self.bodies:
            for aid in body.agreement_ids:
                links.append((link_id, body.id, aid))
                link_id += 1
        self.writer.write(through, ["id", "dialoguebody_id", "agreement_id"], links)
        contact_id = self._next_ids(Contact)
        contacts = []
        for body in self.bodies:
            for n in range(self.rng.randint(1, 2)):
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                contacts.append((contact_id, body.id, name, f"desk{body.id}-{n}@example.eu", "Desk officer"))
                contact_id += 1
        self.writer.write(Contact, ["id", "body_id", "name", "email", "role"], contacts)
        # Agreements a commitment can fall under, with the bodies serving each.
        self.bodies_of_agreement: dict[int, list[int]] = {}
        for body in self.bodies:
            for aid in body.agreement_ids:
                self.bodies_of_agreement.setdefault(aid, []).append(body.id)

    def _meetings(self) -> None:
        first = self._next_ids(Meeting)
        self.meetings: list[tuple[int, int, date]] = []  # (id, body id, held_on)

        def rows():
            mid = first
            for body in self.bodies:
                cadence = body.cadence_months or self.rng.choice((6, 12, 24))
                stop = body.meets_until
                held = body.established_on + timedelta(days=self.rng.randint(20, 120))
                while held <= stop:
                    # Recorded two days later, in the morning (UTC: no time-zone lookup per row).
                    when = datetime(held.year, held.month, held.day, 8, tzinfo=UTC) + timedelta(days=2)
                    yield (
                        mid,
                        body.id,
                        held,
                        self.rng.choice(PLACES),
                        self.rng.choice(NOTES),
                        self.rng.choice(self.editor_ids),
                        min(when, self.now),
                        self.doc_id,
                        "synthetic",
                        "",  # withdrawal_reason: none is withdrawn (NOT NULL, no database default)
                    )
                    self.meetings.append((mid, body.id, held))
                    body.meeting_ids.append(mid)
                    mid += 1
                    # The next meeting: roughly one cadence later, sometimes early, sometimes late.
                    days = cadence * 30.4 * self.rng.uniform(0.8, 1.25)
                    held = held + timedelta(days=max(1, int(days)))

        # held_on_precision is left to its default, the day (the schedules in _schedules count on it).
        fields = ["id", "body_id", "held_on", "place", "summary", "recorded_by_id", "created_at"]
        self.writer.write(Meeting, [*fields, "source_document_id", "source_locator", "withdrawal_reason"], rows())

    def _commitments_and_history(self) -> None:
        # The hot loop (about ten updates for each of N commitments): plain strings, and rng.random() indexing
        # instead of rng.choice(), which costs a Python call each.
        plan, rng = self.plan, self.rng
        rand = rng.random
        first_c = self._next_ids(Commitment)
        update_id = self._next_ids(StatusUpdate)
        milestone_id = self._next_ids(Milestone)
        milestone_kind = UpdateKind.MILESTONE.value
        milestones: list[tuple] = []
        areas = [a.value for a in PolicyArea]
        strengths = [s.value for s in Strength]
        topics = {area.value: list(names) for area, names in TOPICS.items()}
        verbs = {strength.value: list(words) for strength, words in VERBS.items()}
        transitions = {
            status.value: ([o.value for o in options], _cumulative(odds))
            for status, (options, odds) in TRANSITIONS.items()
        }
        final = {s.value for s in FINAL}
        not_started, in_progress, achieved = Status.NOT_STARTED.value, Status.IN_PROGRESS.value, Status.ACHIEVED.value
        no_progress = {Status.NOT_STARTED.value, Status.ONGOING.value}
        review, change = UpdateKind.REVIEW.value, UpdateKind.STATUS_CHANGE.value
        editors, notes, review_notes = self.editor_ids, list(NOTES), list(REVIEW_NOTES)
        linkers = ("in line with", "building on", "as set out in")
        # A few frameworks carry most commitments, as the SDP and the EPA do.
        weights = [1.0 / (1 + i) ** 0.7 for i in range(len(self.agreements))]
        chosen = rng.choices(range(len(self.agreements)), weights=weights, k=plan.commitments)
        created_from = [max(_aware(a[3]).timestamp(), self.start_ts) for a in self.agreements]
        now_ts, today, latest_created = self.now_ts, self.today, self.now_ts - 45 * DAY
        per_agreement: Counter = Counter()
        self.commitments_of_body: dict[int, list[int]] = {}
        updates: list[tuple] = []
        commitments: list[tuple] = []

        for n in range(plan.commitments):
            cid = first_c + n
            aid, code, home_area, signed = self.agreements[chosen[n]]
            per_agreement[aid] += 1
            seq = per_agreement[aid]
            area = home_area.value if rand() < 0.6 else areas[int(rand() * len(areas))]
            strength = strengths[int(rand() * len(strengths))]
            area_topics, strength_verbs = topics[area], verbs[strength]
            title = (
                f"{strength_verbs[int(rand() * len(strength_verbs))]} {area_topics[int(rand() * len(area_topics))]}"
            )
            description = (
                f"The EU and Japan will {title[0].lower()}{title[1:]}, {linkers[int(rand() * 3)]} {code} "
                f"and report on progress to the responsible dialogue body."
            )
            serving = self.bodies_of_agreement.get(aid)
            body_id = serving[int(rand() * len(serving))] if serving and rand() < 0.95 else None
            if body_id is not None:
                self.commitments_of_body.setdefault(body_id, []).append(cid)
            target = signed + timedelta(days=int(rand() * 4000)) if rand() < 0.5 else None
            lo = created_from[chosen[n]]
            created_ts = lo + rand() * max(latest_created - lo, 0)
            created_at = datetime.fromtimestamp(created_ts, tz=UTC)

            # The history, replayed with the services' rules.
            k = 0
            if plan.updates_per_commitment and rand() >= 0.03:
                k = max(1, round(rng.gauss(plan.updates_per_commitment, 2.5)))
            # A quarter of commitments went quiet at some point: they are "stale" on the dashboard.
            end_ts = now_ts
            if rand() < 0.25:
                end_ts = created_ts + rand() * max(now_ts - 400 * DAY - created_ts, 0)
            span = end_ts - created_ts
            # Milestone entries join the same history: (moment, milestone number or -1 for a status entry).
            m = 1 + int(rand() * 5) if rand() < plan.milestone_share else 0
            moments = sorted(
                [(created_ts + span * rand(), -1) for _ in range(k)]
                + [(created_ts + span * rand(), j) for j in range(m)]
            )
            k += m
            status, progress, changed_at, reviewed_at = not_started, None, None, None
            for version, (ts, milestone_no) in enumerate(moments, start=1):
                recorded_at = datetime.fromtimestamp(ts, tz=UTC)
                previous = status
                evidence_url = evidence_reference = ""
                evidence_date = None
                milestone_ref = None
                if milestone_no >= 0:
                    added_on = min(timezone.localtime(recorded_at).date(), today)
                    m_title = f"Step {milestone_no + 1}: {title[:150]}"
                    due_on = added_on + timedelta(days=int(rand() * 1500) - 200)
                    done_on = None
                    if rand() < 0.4:
                        done_on = added_on - timedelta(days=int(rand() * 30))
                        evidence_reference = f"{code} milestone report {done_on.year}"
                        evidence_date = done_on
                    m_note = f"Milestone added: “{m_title}”, due {due_on.day} {due_on:%B %Y}"
                    m_note += f", done on {done_on.day} {done_on:%B %Y}." if done_on else "."
                    weight = 1 + int(rand() * 5) if rand() < 0.3 else None
                    author = editors[int(rand() * len(editors))]
                    milestones.append(
                        (
                            milestone_id,
                            cid,
                            m_title,
                            due_on,
                            "day",
                            due_on,
                            done_on,
                            "",
                            evidence_reference,
                            weight,
                            author,
                            recorded_at,
                            None,
                            None,
                            "",
                            None,
                            "",
                        )
                    )
                    milestone_ref = milestone_id
                    milestone_id += 1
                    kind, note = milestone_kind, m_note
                    reviewed_at = recorded_at
                else:
                    if status in final or rand() < 0.25:
                        kind = review
                        note = review_notes[int(rand() * len(review_notes))]
                    else:
                        kind = change
                        options, cumulative = transitions[status]
                        status = options[_pick(cumulative, rand())]
                        note = notes[int(rand() * len(notes))]
                        if status == achieved:
                            progress = 100
                        elif status == in_progress:
                            progress = min(95, (progress or 0) + 5 + int(rand() * 21))
                        elif status in no_progress:
                            progress = None
                        # stalled and discontinued keep the progress reached
                        if status == achieved or rand() < 0.4:
                            evidence_reference = f"{code} implementation report {recorded_at.year}"
                            if rand() < 0.5:
                                evidence_url = f"https://example.eu/evidence/{cid}/{version}"
                            evidence_date = min(recorded_at.date(), today)
                        if status != previous or changed_at is None:  # since its evidence date, by the rule
                            entry = StatusUpdate(
                                evidence_date=evidence_date, recorded_at=recorded_at, author_id=editors[0]
                            )
                            changed_at = status_since(entry, previous=changed_at)[0]
                    reviewed_at = recorded_at
                    author = editors[int(rand() * len(editors))]
                updates.append(
                    (
                        update_id,
                        cid,
                        version,
                        kind,
                        status,
                        previous,
                        progress,
                        note,
                        evidence_url,
                        evidence_reference,
                        evidence_date,
                        author,
                        recorded_at,
                        None,
                        "",
                        milestone_ref,
                    )
                )
                update_id += 1
            commitments.append(
                (
                    cid,
                    aid,
                    f"{code} §{seq}",
                    title,
                    description,
                    area,
                    strength,
                    body_id,
                    target,
                    status,
                    progress,
                    changed_at,
                    reviewed_at,
                    k,
                    created_at,
                    reviewed_at or created_at,
                    self.doc_id,
                    f"§{seq}",
                )
            )
            # Write in slices so memory stays flat at any size, commitments always before their updates.
            if len(updates) >= 200_000 or n == plan.commitments - 1:
                self._write_commitments(commitments)
                self._write_milestones(milestones)
                self._write_updates(updates)
                commitments, updates, milestones = [], [], []

    def _write_commitments(self, rows: list[tuple]) -> None:
        fields = ["id", "agreement_id", "reference", "title", "description", "area", "strength", "responsible_body_id"]
        fields += ["target_date", "status", "progress", "status_changed_at", "last_reviewed_at", "version"]
        fields += ["created_at", "updated_at", "source_document_id", "source_locator", "reference_sort_key"]
        # The natural-order key that Commitment.save() would write (rows here bypass save()).
        self.writer.write(Commitment, fields, [(*row, reference_sort_key(row[2])) for row in rows])

    def _write_updates(self, rows: list[tuple]) -> None:
        fields = ["id", "commitment_id", "version", "kind", "status", "previous_status", "progress", "note"]
        fields += ["evidence_url", "evidence_reference", "evidence_date", "author_id", "recorded_at"]
        self.writer.write(StatusUpdate, [*fields, "source_document_id", "source_locator", "milestone_id"], rows)

    def _write_milestones(self, rows: list[tuple]) -> None:
        fields = ["id", "commitment_id", "title", "due_on", "due_on_precision", "due_by", "done_on", "evidence_url"]
        fields += ["evidence_reference", "weight", "author_id", "created_at", "withdrawn_at", "withdrawn_by_id"]
        self.writer.write(Milestone, [*fields, "withdrawal_reason", "source_document_id", "source_locator"], rows)

    def _meeting_links(self) -> None:
        through = Meeting.commitments_advanced.through
        first = self._next_ids(through)

        def rows():
            link_id = first
            for mid, body_id, _held in self.meetings:
                candidates = self.commitments_of_body.get(body_id)
                if not candidates or self.rng.random() < 0.5:
                    continue
                for cid in self.rng.sample(candidates, k=min(len(candidates), self.rng.randint(1, 3))):
                    yield (link_id, mid, cid)
                    link_id += 1

        self.writer.write(through, ["id", "meeting_id", "commitment_id"], rows())

    def _schedules(self) -> None:
        """Store each body's schedule, computed by the model's cadence rule from the meetings just written.

        The last meeting of each body is one grouped query; the rule itself is ``DialogueBody.schedule``
        (never a second implementation); the results are written with one parameterised UPDATE sent for all
        bodies at once (``executemany``, pipelined by psycopg 3), not a CASE expression per batch.
        """
        # This run's bodies have consecutive ids: a range, not an IN list of (up to) 100,000 parameters.
        ids = {"gte": self.bodies[0].id, "lte": self.bodies[-1].id}
        meetings = Meeting.objects.held().filter(body_id__gte=ids["gte"], body_id__lte=ids["lte"])
        last = dict(meetings.values_list("body_id").annotate(last=models.Max("held_on")).order_by())
        bodies = DialogueBody.objects.filter(pk__gte=ids["gte"], pk__lte=ids["lte"]).values_list(
            "pk", "cadence_months", "grace_days", "established_on", "established_on_precision"
        )
        rows = []
        for pk, cadence_months, grace_days, established_on, established_precision in bodies:
            body = DialogueBody(
                cadence_months=cadence_months,
                grace_days=grace_days,
                established_on=established_on,
                established_on_precision=established_precision,
            )
            # The generator writes every meeting to the day (held_on_precision's default, see _meetings).
            schedule = body.schedule(last_meeting_on=last.get(pk), last_meeting_precision=DatePrecision.DAY)
            rows.append((schedule.last_meeting_on, schedule.next_due_on, schedule.overdue_after, pk))
        assert DialogueBody._meta.db_table == "dialogues_dialoguebody"
        with connection.cursor() as cursor:
            if not self.writer.use_copy:
                cursor.executemany(
                    "UPDATE dialogues_dialoguebody SET last_meeting_on = %s, next_due_on = %s, overdue_after = %s "
                    "WHERE id = %s",
                    rows,
                )
                return
            # PostgreSQL: the schedules into a temporary table by COPY, then one UPDATE ... FROM.
            cursor.execute(
                "CREATE TEMPORARY TABLE synthetic_schedule (last_meeting_on date, next_due_on date, "
                "overdue_after date, id bigint PRIMARY KEY) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY synthetic_schedule FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                "UPDATE dialogues_dialoguebody AS b SET last_meeting_on = s.last_meeting_on, "
                "next_due_on = s.next_due_on, overdue_after = s.overdue_after FROM synthetic_schedule AS s "
                "WHERE b.id = s.id"
            )
            cursor.execute("DROP TABLE synthetic_schedule")  # at once: the caller's transaction may go on

    def _reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), _generated_models())
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _cumulative(weights: Sequence[int]) -> list[float]:
    total, running, out = sum(weights), 0, []
    for weight in weights:
        running += weight
        out.append(running / total)
    return out


def _pick(cumulative: list[float], r: float) -> int:
    for index, bound in enumerate(cumulative):
        if r < bound:
            return index
    return len(cumulative) - 1


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
