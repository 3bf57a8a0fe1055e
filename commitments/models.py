"""Cooperation frameworks, their commitments, and the append-only status history of each commitment."""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.hierarchy import ancestors, refuse_ancestor_loop
from core.models import (
    LONG_TEXT_MAX,
    WITHDRAWAL_REASON_MAX_LENGTH,
    DatePrecision,
    ProvenanceMixin,
    SourcedModel,
    SourceDocument,
    code_validator,
    precision_constraint,
    precision_errors,
    precision_field,
    provenance_constraints,
    provenance_fields,
)
from core.templatetags.facts import approx_iso, format_approx_date
from core.validators import validate_uri

from .choices import (
    FINISHED_STATUSES,
    MILESTONE_KINDS,
    Actor,
    AgreementKind,
    Party,
    PolicyArea,
    ProgressSource,
    Status,
    Strength,
    UpdateKind,
)
from .querysets import AgreementQuerySet, CommitmentQuerySet, MilestoneQuerySet, StatusUpdateQuerySet
from .references import KEY_LENGTH, reference_sort_key
from .states import CommitmentStatus, commitment_state, progress_text


class HistoryIsAppendOnly(Exception):
    """Raised on any attempt to edit or delete a status update."""


def long_text(verbose_name: str | None = None, **kwargs) -> models.TextField:
    """A note, summary or description: at most ``LONG_TEXT_MAX`` characters in the model, the forms and the API."""
    return models.TextField(
        verbose_name, max_length=LONG_TEXT_MAX, validators=[MaxLengthValidator(LONG_TEXT_MAX)], **kwargs
    )


class Agreement(ProvenanceMixin, SourcedModel):
    """A cooperation framework or a smaller instrument under one (SPA, EPA, SDP, a memorandum, ...).

    Its dates carry their basis (stated by a document, or assumed) and their precision (day, month or year).
    """

    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=30, choices=AgreementKind.choices)
    signed_on = models.DateField("signed or adopted on", null=True, blank=True)
    signed_on_precision = precision_field()
    in_force_on = models.DateField("in force since", null=True, blank=True)
    in_force_on_precision = precision_field()
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The framework this one builds on or sits under.",
    )
    summary = long_text(blank=True)
    date_note = models.CharField(
        max_length=500,
        blank=True,
        default="",
        help_text="Where the sources disagree on a date: what each of them says.",
    )
    signed_on_basis, signed_on_reason, signed_on_assumed_by, signed_on_source, signed_on_locator = provenance_fields()
    in_force_on_basis, in_force_on_reason, in_force_on_assumed_by, in_force_on_source, in_force_on_locator = (
        provenance_fields()
    )

    PROVENANCE_FACTS = {"signed_on": "signed_on", "in_force_on": "in_force_on"}
    PROVENANCE_LABELS = {"signed_on": "Signature date", "in_force_on": "Date in force"}

    objects = AgreementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(in_force_on__isnull=True) | Q(signed_on__isnull=True) | Q(in_force_on__gte=F("signed_on")),
                name="agreement_in_force_not_before_signature",
                violation_error_message="An agreement cannot enter into force before it is signed.",
            ),
            *provenance_constraints("agreement", "signed_on"),
            *provenance_constraints("agreement", "in_force_on"),
            precision_constraint("agreement", "signed_on"),
            precision_constraint("agreement", "in_force_on"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("dashboards:agreement_detail", kwargs={"code": self.code})

    def clean(self) -> None:
        if self.in_force_on and self.signed_on and self.in_force_on < self.signed_on:
            raise ValidationError({"in_force_on": "An agreement cannot enter into force before it is signed."})
        refuse_ancestor_loop(self, "parent", "A framework cannot sit under itself, directly or indirectly.")
        errors = self.provenance_errors()
        errors.update(precision_errors(self.signed_on, self.signed_on_precision, "signed_on"))
        errors.update(precision_errors(self.in_force_on, self.in_force_on_precision, "in_force_on"))
        if errors:
            raise ValidationError(errors)

    @property
    def signed_on_display(self) -> str:
        """The signature date to the precision the documents give ("May 2020"), or empty."""
        return format_approx_date(self.signed_on, self.signed_on_precision)


def progress_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The progress rules a commitment and each of its status updates keep alike: a percentage, and 100 when
    achieved. ``prefix`` names the constraints after their table."""
    return [
        models.CheckConstraint(
            condition=Q(progress__isnull=True) | Q(progress__lte=100),
            name=f"{prefix}_progress_0_100",
            violation_error_message="Progress is a percentage from 0 to 100.",
        ),
        models.CheckConstraint(
            condition=~Q(status=Status.ACHIEVED) | Q(progress=100),
            name=f"{prefix}_achieved_is_100",
            violation_error_message="An achieved commitment is 100% complete.",
        ),
    ]


# What was promised and who is responsible: the fields editors may correct (services.commitment_update, the
# staff pages' form); the timeline's audited fields include them.
EDITABLE_FIELDS = (
    "title",
    "description",
    "area",
    "strength",
    "actor",
    "responsible_body",
    "target_date",
    "target_date_precision",
    "made_at",
)


# What the pages say where a date is empty because the only document that reports it gives none.
DATE_NOT_GIVEN = "date not given in the source"


MADE_AT_REFUSED = (
    "Choose a meeting of the responsible body or of a dialogue body of this commitment's framework (or of a "
    "framework it sits under)."
)


class Commitment(SourcedModel):
    """One thing promised under an agreement, traceable to the paragraph it comes from.

    ``status``, ``progress``, ``status_changed_at`` and ``last_reviewed_at`` are derived from the latest
    :class:`StatusUpdate`; only ``commitments.services`` writes them, in the same transaction as the update.
    ``version`` counts the updates and guards against lost updates (optimistic concurrency).
    ``edit_version`` does the same for the editorial fields (title, description, area, strength, responsible
    body, target date), which ``commitments.services.commitment_update`` changes: a status update and an
    editorial edit touch different fields, so neither makes the other stale.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="commitments")
    reference = models.CharField(
        max_length=80, unique=True, help_text="Stable citation of where it comes from, e.g. SDP §12(b)."
    )
    # Derived from ``reference`` on every save (commitments.references): lists sort on it so §4 < §10 < §12(b)(i).
    reference_sort_key = models.CharField(max_length=KEY_LENGTH, editable=False, default="")
    title = models.CharField(max_length=200)
    description = long_text(help_text="What was promised, paraphrased.")
    area = models.CharField("policy area", max_length=30, choices=PolicyArea.choices)
    strength = models.CharField(max_length=20, choices=Strength.choices)
    responsible_body = models.ForeignKey(
        "dialogues.DialogueBody", on_delete=models.PROTECT, null=True, blank=True, related_name="commitments"
    )
    # As far as the documents give it: "in the course of 2023" is 1 January 2023 with ``target_date_precision=year``
    # (never an invented 31 December); ``target_by`` is the last day it can mean.
    target_date = models.DateField(null=True, blank=True)
    target_date_precision = precision_field()
    actor = models.CharField(
        "who must act",
        max_length=10,
        choices=Actor.choices,
        blank=True,
        default="",
        help_text="The EU, Japan or both, where the wording of the paragraph says so; empty where it does not.",
    )
    # Where it was made: the meeting that produced it (a summit's joint statement, a council). The dialogues app sits
    # above this one, so the meeting is named by the string reference of the foreign key, never imported.
    made_at = models.ForeignKey(
        "dialogues.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcomes",
        verbose_name="made at",
        help_text="The meeting that produced it, where a document says so.",
    )
    made_at_source = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="document that ties it to the meeting",
    )
    made_at_locator = models.CharField("where that document says so", max_length=200, blank=True, default="")
    progress_source = models.CharField(
        max_length=20,
        choices=ProgressSource.choices,
        default=ProgressSource.MANUAL,
        editable=False,
        help_text="Whether progress is entered with each status update or rolled up from the milestones.",
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED, editable=False)
    # For a joint commitment (actor=both), each party's own status, from the entries recorded per party; the
    # combined ``status`` follows the less advanced of the two (``choices.combined_status``) unless an editor sets it.
    eu_status = models.CharField(
        "the EU's status", max_length=20, choices=Status.choices, blank=True, default="", editable=False
    )
    japan_status = models.CharField(
        "Japan's status", max_length=20, choices=Status.choices, blank=True, default="", editable=False
    )
    progress = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # Empty when no dated entry says so: never updated, or known only from a document that gives no date
    # (``StatusUpdate.is_undated``; see ``status_date_unknown``). ``status_changed_at`` is the evidence date of the
    # entry that set the status (never before the previous status took effect), else when it was recorded
    # (``services.status_since``); ``last_reviewed_at`` is when the latest dated entry was recorded. The precision is
    # that of the date they come from: a document's "May 2020" stays a month.
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_precision = precision_field()
    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_precision = precision_field()
    version = models.PositiveIntegerField(default=0, editable=False)
    edit_version = models.PositiveIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CommitmentQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "status",
            "progress",
            "status_changed_at",
            "status_changed_precision",
            "last_reviewed_at",
            "last_reviewed_precision",
            "version",
            "updated_at",
            "reference_sort_key",
            "progress_source",
            "eu_status",
            "japan_status",
        ]
    )

    class Meta:
        ordering = ["agreement__code", "reference_sort_key", "reference"]
        indexes = [
            models.Index(fields=["reference_sort_key", "reference"], name="commitment_reference_order"),
            models.Index(fields=["status", "agreement"], name="commitment_status_agreement"),
            models.Index(fields=["area", "status"], name="commitment_area_status"),
            models.Index(fields=["last_reviewed_at"], name="commitment_last_reviewed"),
            # A client syncing with ?updated_since= asks for the few changed since its last sync.
            models.Index(fields=["updated_at"], name="commitment_updated"),
            # The overview's one grouped count (framework x area x status): on PostgreSQL an index-only scan,
            # "id" included because the count is COUNT(id).
            # The review dates are included for the state of each row (stale or not, ``states.state_expression``):
            # the grouped count by state reads the index in order and sorts only within each group, instead of
            # sorting every row on disk.
            models.Index(
                fields=["agreement", "area", "status"],
                include=["id", "last_reviewed_at", "created_at"],
                name="commitment_breakdown",
            ),
            # Open commitments only (a few percent of the table at scale): the overview's "target date passed"
            # count and its first rows, and the stale count, read these small indexes instead of every row.
            models.Index(
                fields=["target_date", "reference_sort_key"],
                condition=~Q(status__in=FINISHED_STATUSES),
                name="commitment_open_target",
            ),
            models.Index(
                fields=["last_reviewed_at", "created_at"],
                condition=~Q(status__in=FINISHED_STATUSES),
                name="commitment_open_review",
            ),
        ]
        constraints = [
            *progress_constraints("commitment"),
            models.CheckConstraint(
                condition=Q(actor__in=["", *Actor.values]),
                name="commitment_actor_valid",
            ),
            models.CheckConstraint(
                condition=Q(progress_source__in=ProgressSource.values),
                name="commitment_progress_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(made_at__isnull=False) | (Q(made_at_source__isnull=True) & Q(made_at_locator="")),
                name="commitment_made_at_source_needs_a_meeting",
                violation_error_message="A source for where it was made needs the meeting it names.",
            ),
            precision_constraint("commitment", "status_changed"),
            precision_constraint("commitment", "last_reviewed"),
            precision_constraint("commitment", "target_date"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def progress_rolled_up(self) -> bool:
        return self.progress_source == ProgressSource.MILESTONES

    @property
    def progress_text(self) -> str:
        """Its progress in words ("40% complete"; never "100% complete" unless achieved: ``states.progress_text``)."""
        return progress_text(status=self.status, progress=self.progress)

    @property
    def progress_cell(self) -> str:
        """Its progress in a table's cell ("40%"), by the same rule."""
        return progress_text(status=self.status, progress=self.progress, short=True)

    @property
    def status_date_unknown(self) -> bool:
        """Its status (other than "not started") was recorded, but no document or person dated the change: it
        comes from an undated entry (``StatusUpdate.is_undated``), so ``status_changed_at`` is empty."""
        return self.status_changed_at is None and self.version > 0 and self.status != Status.NOT_STARTED

    @property
    def review_date_unknown(self) -> bool:
        """Its status rests only on undated entries: recorded, yet no dated update or review, so
        ``last_reviewed_at`` is empty; the state rule then counts from when it was entered, as for a commitment
        never updated."""
        return self.last_reviewed_at is None and self.version > 0 and self.status != Status.NOT_STARTED

    @property
    def status_since_display(self) -> str:
        """Since when it has its status, to the precision known ("13 July 2023", "May 2020"), "date not given in
        the source" where only an undated entry says so, else empty."""
        if self.status_changed_at is None:
            return DATE_NOT_GIVEN if self.status_date_unknown else ""
        return format_approx_date(timezone.localtime(self.status_changed_at).date(), self.status_changed_precision)

    def _last_review(self, *, short: bool) -> str:
        if self.last_reviewed_at is None:
            return DATE_NOT_GIVEN if self.review_date_unknown else "never"
        day = timezone.localtime(self.last_reviewed_at).date()
        return format_approx_date(day, self.last_reviewed_precision, short=short)

    @property
    def last_review_display(self) -> str:
        """Its last dated update or review ("13 July 2023", "May 2020"), "date not given in the source", or
        "never"."""
        return self._last_review(short=False)

    @property
    def last_review_short(self) -> str:
        """:attr:`last_review_display` for a table's cell ("13 Jul 2023", "May 2020")."""
        return self._last_review(short=True)

    @property
    def target_by(self) -> date | None:
        """The last day the target date can mean: 31 December 2023 for "2023", 31 May 2025 for "May 2025"."""
        return due_period_end(self.target_date, self.target_date_precision)

    @property
    def target_date_display(self) -> str:
        """The target date as far as it is known: "13 July 2023", "May 2025" or "2023"; empty for none."""
        return format_approx_date(self.target_date, self.target_date_precision)

    @property
    def target_date_short(self) -> str:
        """:attr:`target_date_display` for a table's cell: "13 Jul 2023", "May 2025" or "2023"."""
        return format_approx_date(self.target_date, self.target_date_precision, short=True)

    @property
    def target_date_iso(self) -> str:
        """ISO 8601 as far as it is known ("2023-07-13", "2025-05", "2023"): the CSV's and ``<time datetime>``'s."""
        return approx_iso(self.target_date, self.target_date_precision)

    @property
    def target_due_phrase(self) -> str:
        """When it is due, in words: "due 13 July 2023", "due by the end of May 2025", "due by the end of 2023"."""
        if self.target_date is None:
            return ""
        if (self.target_date_precision or DatePrecision.DAY) == DatePrecision.DAY:
            return f"due {self.target_date_display}"
        return f"due by the end of {self.target_date_display}"

    def is_target_passed(self, on: date | None = None) -> bool:
        """Its target date has passed on ``on`` (today) and it is neither achieved nor discontinued: the last day the
        target can mean (:attr:`target_by`) is before ``on`` ("2023" passes on 1 January 2024). The queryset's
        ``target_passed()`` is the same rule in SQL (``querysets.target_passed_condition``)."""
        target_by = self.target_by
        return (
            target_by is not None and target_by < (on or timezone.localdate()) and self.status not in FINISHED_STATUSES
        )

    def save(self, *args, **kwargs) -> None:
        self.reference_sort_key = reference_sort_key(self.reference)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "reference" in update_fields:
            kwargs["update_fields"] = {*update_fields, "reference_sort_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("commitments:commitment_detail", kwargs={"pk": self.pk})

    def state(self, *, on: date | None = None) -> CommitmentStatus:
        """This commitment's state on ``on`` (today by default): the one rule (``commitments.states``) every page,
        the print, the CSV and the API use. A list's ``state_code`` annotation (``with_state``) is the same rule
        in SQL."""
        return commitment_state(
            status=self.status,
            last_update_at=self.last_reviewed_at or self.created_at,
            on=on or timezone.localdate(),
        )

    def made_at_candidates(self):
        """The meetings this commitment may be recorded as made at (the one rule the edit form, the admin and the
        services apply): the meetings held (not withdrawn) of its responsible body and of the dialogue bodies of its
        framework or of a framework it sits under (the Green Alliance, under the Strategic Partnership Agreement,
        was launched at a summit)."""
        meetings = self._meta.get_field("made_at").related_model.objects
        bodies = Q(body_id=self.responsible_body_id) if self.responsible_body_id else Q(pk__in=[])
        if self.agreement_id is not None:
            frameworks = [self.agreement_id, *(a.pk for a in ancestors(self.agreement, "parent"))]
            bodies |= Q(body__agreements__in=frameworks)
        return meetings.held().filter(pk__in=meetings.filter(bodies).values("pk"))

    def clean_made_at(self) -> None:
        """Refuse a meeting outside :meth:`made_at_candidates` (1 query; none when no meeting is named)."""
        if self.made_at_id is not None and not self.made_at_candidates().filter(pk=self.made_at_id).exists():
            raise ValidationError({"made_at": MADE_AT_REFUSED})

    def clean(self) -> None:
        errors = precision_errors(self.target_date, self.target_date_precision, "target_date")
        if errors:
            raise ValidationError(errors)
        agreement = self.agreement if self.agreement_id else None
        # A signature known only to the month or year is stored on its first day: the bound is that day. A target
        # known only to the month or year counts to its last day ("2023" fits a framework signed in July 2023).
        if self.target_date and agreement is not None and agreement.signed_on and self.target_by < agreement.signed_on:
            raise ValidationError(
                {
                    "target_date": f"The target date cannot predate the signature of {agreement.code} "
                    f"({agreement.signed_on_display})."
                }
            )


EVIDENCE_DATE_ALONE = "An evidence date goes with a link or a reference to the document it dates."


class StatusUpdate(SourcedModel):
    """One entry in a commitment's append-only history: a status change, a review that found no change, or the
    withdrawal of an earlier entry recorded by mistake.

    Written only by ``commitments.services``; never edited or deleted. ``version`` is the commitment version
    this update produced: unique per commitment, so two concurrent writers can never both succeed.

    A withdrawal is a new entry (``kind=withdrawal``, ``withdraws`` → the withdrawn one, ``note`` = the reason),
    not a mark on the old row: the history stays append-only (PostgreSQL triggers refuse UPDATE and DELETE on this
    table, migration 0005), the withdrawal takes the next ``version`` like any other write (so it is conflict-safe
    and numbered one to one with the history), and the change feed carries it as one more entry. Its ``status``
    and ``progress`` are the commitment's state once the withdrawn entry no longer counts.
    """

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="updates")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=UpdateKind.choices, default=UpdateKind.STATUS_CHANGE)
    status = models.CharField(max_length=20, choices=Status.choices)
    previous_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    note = long_text(blank=True)
    evidence_url = models.URLField("evidence URL", max_length=500, blank=True)
    evidence_reference = models.CharField("evidence document reference", max_length=300, blank=True)
    evidence_date = models.DateField(null=True, blank=True)
    # How much of the evidence date the document gives ("May 2020" is stored on 1 May with ``month``).
    evidence_date_precision = precision_field()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="status_updates"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    party = models.CharField(
        max_length=10,
        choices=Party.choices,
        blank=True,
        default="",
        help_text="For a joint commitment: the party whose own status this entry records (empty: the commitment).",
    )
    party_status = models.CharField(
        "the party's status", max_length=20, choices=Status.choices, blank=True, default=""
    )
    milestone = models.ForeignKey(
        "Milestone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        help_text="For kind=milestone: the milestone this entry added, changed or withdrew.",
    )
    withdraws = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="withdrawal",
        help_text="For a withdrawal: the entry it withdraws (each entry can be withdrawn once).",
    )

    objects = StatusUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-version"]
        indexes = [
            models.Index(fields=["commitment", "-version"], name="update_commitment_version"),
            # The change feed ("since"): on PostgreSQL the included columns let its counts (transitions, others,
            # latest id) be index-only scans instead of reading every update of the window from the table.
            models.Index(
                fields=["recorded_at"],
                include=["id", "kind", "status", "previous_status"],
                name="update_recorded_at",
            ),
            # The withdrawals alone (a handful of rows): "not withdrawn" (``effective()``) is an anti-join against
            # this index, not against the unique index on ``withdraws``, which holds one (NULL) entry per update.
            models.Index(fields=["withdraws"], condition=Q(withdraws__isnull=False), name="update_withdrawals"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "version"], name="statusupdate_one_per_version"),
            *progress_constraints("statusupdate"),
            # What the entry records needs the evidence: a party's own status on a party's entry (the combined
            # status it carries may be an editor's achieved, backed by the editor's entry), else the status.
            models.CheckConstraint(
                condition=Q(kind__in=[UpdateKind.REVIEW, UpdateKind.WITHDRAWAL, *MILESTONE_KINDS])
                | (Q(party="") & ~Q(status=Status.ACHIEVED))
                | (~Q(party="") & ~Q(party_status=Status.ACHIEVED))
                | ~Q(evidence_url="")
                | ~Q(evidence_reference=""),
                name="statusupdate_achieved_needs_evidence",
                violation_error_message="Evidence (a URL or a document reference) is required to mark it achieved.",
            ),
            models.CheckConstraint(
                condition=Q(kind=UpdateKind.WITHDRAWAL, withdraws__isnull=False)
                | (~Q(kind=UpdateKind.WITHDRAWAL) & Q(withdraws__isnull=True)),
                name="statusupdate_withdrawal_names_its_entry",
                violation_error_message="A withdrawal names the entry it withdraws, and only a withdrawal does.",
            ),
            models.CheckConstraint(
                condition=(Q(party="") & Q(party_status=""))
                | (Q(kind=UpdateKind.STATUS_CHANGE) & ~Q(party="") & ~Q(party_status="")),
                name="statusupdate_party_status_with_its_party",
                violation_error_message="A status per party names the party and its status, in a status update.",
            ),
            models.CheckConstraint(
                condition=Q(kind=UpdateKind.MILESTONE, milestone__isnull=False)
                | (~Q(kind=UpdateKind.MILESTONE) & Q(milestone__isnull=True)),
                name="statusupdate_milestone_entry_names_its_milestone",
                violation_error_message="A milestone entry names its milestone, and only a milestone entry does.",
            ),
            precision_constraint("statusupdate", "evidence_date"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.reference} v{self.version}: {self.get_status_display()}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise HistoryIsAppendOnly("Status updates are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsAppendOnly("Status updates are never deleted.")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        today = timezone.localdate()
        if self.evidence_date and self.evidence_date > today:
            errors["evidence_date"] = "The evidence date cannot be in the future."
        errors.update(precision_errors(self.evidence_date, self.evidence_date_precision, "evidence_date"))
        if self.evidence_date and not (self.evidence_url.strip() or self.evidence_reference.strip()):
            errors.setdefault("evidence_date", EVIDENCE_DATE_ALONE)
        status_change = self.kind == UpdateKind.STATUS_CHANGE
        if status_change and self.status == Status.ACHIEVED and self.progress not in (None, 100):
            errors["progress"] = "An achieved commitment is 100% complete."
        # Evidence backs what the entry records: a party's own status (the combined one may already be achieved,
        # set by an editor with its evidence, while this party's entry says it is in progress), else the status.
        recorded = self.party_status if self.party else self.status
        if status_change and recorded == Status.ACHIEVED and not (self.evidence_url or self.evidence_reference):
            errors["evidence_reference"] = "Evidence (a URL or a document reference) is required to mark it achieved."
        if self.kind in (UpdateKind.REVIEW, *MILESTONE_KINDS) and not self.note.strip():
            errors["note"] = "Say briefly what was reviewed."
        try:
            # Stored URLs are valid URIs (RFC 3986), not only what Django's URLValidator accepts (core.validators).
            validate_uri(self.evidence_url)
        except ValidationError as exc:
            errors.setdefault("evidence_url", exc.messages[0])
        if self.kind == UpdateKind.WITHDRAWAL and not self.note.strip():
            errors["note"] = "Say why the entry is withdrawn."
        if errors:
            raise ValidationError(errors)

    @property
    def is_withdrawn(self) -> bool:
        """Whether a later entry withdrew this one (it then no longer counts for anything derived)."""
        try:
            return self.withdrawal is not None
        except StatusUpdate.DoesNotExist:
            return False

    @property
    def withdrawal_entry(self) -> StatusUpdate | None:
        """The entry that withdrew this one, if any."""
        try:
            return self.withdrawal
        except StatusUpdate.DoesNotExist:
            return None

    @property
    def is_undated(self) -> bool:
        """Written by the seed loader (no author) from a document that gives no date for it (no evidence date):
        its ``recorded_at`` is when the seed was loaded, not when anything happened. The rule of
        ``StatusUpdateQuerySet.dated``, which leaves such entries out of the date-based views."""
        return self.author_id is None and self.evidence_date is None

    @property
    def from_sources(self) -> bool:
        """Taken from a source document by the seed loader (no author): the document gives a day, a month or a
        year (``evidence_date`` to ``evidence_date_precision``) or no date at all (:attr:`is_undated`), never a
        time of day, so its ``recorded_at`` is not shown as one."""
        return self.author_id is None and self.source_document_id is not None

    @property
    def date_precision(self) -> str | None:
        """How much of when this entry happened is known: ``None`` for an undated entry, the evidence date's
        precision for one taken from a source document (its ``recorded_at`` is that date), else ``day`` (staff
        entries also know the time). The commitment's ``last_reviewed_precision`` is copied from it, and so is its
        ``status_changed_precision`` unless the status counts from the evidence date (``services.status_since``),
        which then gives its own precision."""
        if self.is_undated:
            return None
        if self.from_sources and self.evidence_date is not None:
            return self.evidence_date_precision or DatePrecision.DAY
        return DatePrecision.DAY

    @property
    def evidence_date_display(self) -> str:
        """The evidence date to the precision the document gives ("May 2020"), or empty."""
        return format_approx_date(self.evidence_date, self.evidence_date_precision)

    def _when(self, *, short: bool) -> str:
        if self.is_undated:
            return self.undated_label
        if self.from_sources and self.evidence_date is not None:
            return format_approx_date(self.evidence_date, self.evidence_date_precision, short=short)
        moment = timezone.localtime(self.recorded_at)
        if short:
            return format_approx_date(moment.date(), DatePrecision.DAY, short=True)
        return f"{format_approx_date(moment.date())}, {moment:%H:%M}"

    @property
    def when_display(self) -> str:
        """When it happened, as far as anyone knows: "13 July 2023, 14:05" for an entry the staff recorded,
        "13 July 2023" or "May 2020" for one taken from a document that gives that much (no invented time of
        day), the :attr:`undated_label` for one whose document gives no date."""
        return self._when(short=False)

    @property
    def when_machine(self) -> str:
        """:attr:`when_display` for a ``<time datetime>`` attribute: "2023-07-13", "2020-05" or "2020" for an entry
        taken from a document (to its precision), the full moment for a staff entry, empty for an undated one."""
        if self.is_undated:
            return ""
        if self.from_sources and self.evidence_date is not None:
            return approx_iso(self.evidence_date, self.evidence_date_precision)
        return timezone.localtime(self.recorded_at).isoformat()

    @property
    def when_short(self) -> str:
        """:attr:`when_display` for a table's cell: "13 Jul 2023", "May 2020", no time of day."""
        return self._when(short=True)

    @property
    def undated_label(self) -> str:
        """What the timeline shows instead of a date for an undated entry: "undated: from MARTENS-2024", with the
        source's publication date to the precision it is known, if any (never an invented day)."""
        source = self.source_document
        if source is None:
            return "undated"
        published = format_approx_date(source.published_on, source.published_on_precision)
        return f"undated: from {source.key}" + (f" ({published})" if published else "")


def due_period_end(due_on: date | None, precision: str) -> date | None:
    """The last day a date known to ``precision`` can mean: "May 2025" is due by 31 May 2025, "2025" by
    31 December 2025. A milestone is overdue only once that day has passed (never on an invented day)."""
    if due_on is None:
        return None
    if precision == DatePrecision.YEAR:
        return date(due_on.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return date(due_on.year, due_on.month, calendar.monthrange(due_on.year, due_on.month)[1])
    return due_on


def rolled_up_progress(milestones) -> int | None:
    """A commitment's progress from its milestones: the share of the weight that is done, as a whole percentage
    rounded down (so 100 means every milestone is done). A milestone without a weight weighs 1, so milestones
    with no weights give the plain mean, and weights given give the weighted mean. Withdrawn milestones do not
    count; no milestone gives no figure (``None``)."""
    total = done = 0
    for milestone in milestones:
        if milestone.withdrawn_at is not None:
            continue
        weight = milestone.weight or 1
        total += weight
        if milestone.done_on is not None:
            done += weight
    if not total:
        return None
    return 100 * done // total


# What a milestone's writer gives (the add and change services, the form, the API).
MILESTONE_FIELDS = (
    "title",
    "due_on",
    "due_on_precision",
    "done_on",
    "evidence_url",
    "evidence_reference",
    "weight",
)


class Milestone(SourcedModel):
    """A dated step of a commitment (a launch, a first meeting, a report), done when it has a ``done_on`` date
    with evidence.

    Written only by ``commitments.services`` (``milestone_add``, ``milestone_update``, ``milestone_withdraw``),
    each of which appends one entry (``kind=milestone``) to the commitment's status history under the
    commitment's ``version``: the history, the optimistic concurrency, the timeline, the change feed and the
    as-of views are those of status updates. When the commitment's progress is rolled up from its milestones
    (``Commitment.progress_source``) the same write moves its progress (:func:`rolled_up_progress`).

    A milestone recorded by mistake is withdrawn with a reason, never deleted: it stays on the commitment's page,
    struck through, and no longer counts (roll-up, overdue lists).

    ``due_on`` carries its precision as the other dates do ("May 2025" is stored on 1 May with
    ``due_on_precision=month``); ``due_by``, derived on save, is the last day it can mean, so "overdue" is one
    indexed comparison.
    """

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(max_length=200)
    due_on = models.DateField("due on", null=True, blank=True)
    due_on_precision = precision_field()
    due_by = models.DateField(null=True, blank=True, editable=False)
    done_on = models.DateField("done on", null=True, blank=True)
    evidence_url = models.URLField("evidence URL", max_length=500, blank=True)
    evidence_reference = models.CharField("evidence document reference", max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="How much it counts in the commitment's rolled-up progress (1 to 1,000); empty counts as 1.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    withdrawal_reason = models.TextField(
        blank=True, default="", editable=False, validators=[MaxLengthValidator(WITHDRAWAL_REASON_MAX_LENGTH)]
    )

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due_by", "pk"]
        indexes = [
            models.Index(fields=["commitment", "due_by"], name="milestone_commitment_due"),
            # "Overdue": open, not withdrawn, due before today; a partial index keeps it small.
            models.Index(
                fields=["due_by"],
                condition=Q(done_on__isnull=True, withdrawn_at__isnull=True),
                name="milestone_open_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(evidence_url="") | ~Q(evidence_reference=""),
                name="milestone_done_needs_evidence",
                violation_error_message="Evidence (a URL or a document reference) is required to mark it done.",
            ),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gte=1, weight__lte=1000),
                name="milestone_weight_1_1000",
                violation_error_message="A weight is a whole number from 1 to 1,000.",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="milestone_withdrawal_has_reason",
                violation_error_message="Say why the milestone is withdrawn.",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True, due_by__isnull=True) | Q(due_by__gte=F("due_on")),
                name="milestone_due_by_ends_due_period",
            ),
            precision_constraint("milestone", "due_on"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.reference}: {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.due_by = due_period_end(self.due_on, self.due_on_precision)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"due_on", "due_on_precision"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "due_by"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.commitment.get_absolute_url()}#milestone-{self.pk}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        errors.update(precision_errors(self.due_on, self.due_on_precision, "due_on"))
        if self.done_on and self.done_on > timezone.localdate():
            errors["done_on"] = "A milestone cannot be done in the future."
        if self.done_on and not (self.evidence_url or self.evidence_reference):
            errors["evidence_reference"] = "Evidence (a URL or a document reference) is required to mark it done."
        try:
            validate_uri(self.evidence_url)
        except ValidationError as exc:
            errors.setdefault("evidence_url", exc.messages[0])
        if errors:
            raise ValidationError(errors)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def is_overdue(self, on: date | None = None) -> bool:
        """Due by a day before ``on`` (today), not done and not withdrawn (the queryset's ``overdue()``)."""
        on = on or timezone.localdate()
        return self.due_by is not None and self.due_by < on and self.done_on is None and self.withdrawn_at is None

    @property
    def due_on_display(self) -> str:
        return format_approx_date(self.due_on, self.due_on_precision)
