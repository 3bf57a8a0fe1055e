"""What both domain apps share in the database: the documents the tracker's facts are taken from, and where in
them each record's facts stand (:class:`SourcedModel`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.validators import RegexValidator
from django.db import models

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]*$", "Use capital letters, digits and hyphens only, e.g. SDP or JS-2023."
)

# A withdrawal's reason is a sentence or two (what was wrong); the forms, the API and the services share the bound.
WITHDRAWAL_REASON_MAX_LENGTH = 1000


DATE_PRECISIONS = [("day", "Day"), ("month", "Month"), ("year", "Year")]


class SourceDocument(models.Model):
    """A document the tracker's facts are taken from (an analysis, an agreement text, a press report)."""

    key = models.SlugField(max_length=40, unique=True, help_text="Stable identifier, e.g. SDP-2024.")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    published_on_precision = models.CharField(max_length=5, choices=DATE_PRECISIONS, default="day")
    seed_file = models.CharField(max_length=200, blank=True, help_text="File name of the seed text, if any.")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.title} ({self.key})"


class SourcedModel(models.Model):
    """Where a record's facts come from: a document and a place in it (section, paragraph, page)."""

    source_document = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_locator = models.CharField(
        max_length=200, blank=True, help_text="Where in the document, e.g. §12(b) or section 3.2."
    )

    class Meta:
        abstract = True

    @property
    def source_reference(self) -> str:
        if self.source_document_id is None:
            return self.source_locator
        locator = f", {self.source_locator}" if self.source_locator else ""
        return f"{self.source_document.title}{locator}"


# --- Facts with provenance ----------------------------------------------------------------------------------------
#
# A fact that drives behaviour (a body's cadence, an agreement's date) is either *stated* by a document (which
# one, and where in it) or *assumed* (by whom, and why). Each such fact carries the same five columns, named after
# it: ``<fact>_basis``, ``<fact>_reason``, ``<fact>_assumed_by``, ``<fact>_source`` and ``<fact>_locator``; the
# helpers below declare them, their database rules and their model validation in one place.

LONG_TEXT_MAX = 4000
"""The longest note, summary or description the tracker keeps (model, forms and API): about a page of print."""


class Basis(models.TextChoices):
    """Whether a document states a fact or the tracker assumes it."""

    STATED = "stated", "Stated"
    ASSUMED = "assumed", "Assumed"


class DatePrecision(models.TextChoices):
    """How much of a date the documents give: "13 July 2023", "May 2020" or "2015"."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def basis_field() -> models.CharField:
    """``<fact>_basis``: stated, assumed, or empty while the fact itself is empty."""
    return models.CharField(max_length=10, choices=Basis.choices, blank=True, default="")


def basis_reason_field() -> models.CharField:
    """``<fact>_reason``: why it is assumed (required when assumed)."""
    return models.CharField(max_length=300, blank=True, default="")


def basis_assumed_by_field() -> models.CharField:
    """``<fact>_assumed_by``: who assumed it ("the tracker's default", "the tracker's editors", a person)."""
    return models.CharField(max_length=100, blank=True, default="")


def basis_source_field() -> models.ForeignKey:
    """``<fact>_source``: the document that states it (required when stated)."""
    return models.ForeignKey(SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")


def basis_locator_field() -> models.CharField:
    """``<fact>_locator``: where in that document (section, paragraph)."""
    return models.CharField(max_length=200, blank=True, default="")


def provenance_fields() -> tuple[
    models.CharField, models.CharField, models.CharField, models.ForeignKey, models.CharField
]:
    """The five columns of one fact, in the order a model names them:
    ``<fact>_basis, <fact>_reason, <fact>_assumed_by, <fact>_source, <fact>_locator = provenance_fields()``."""
    return basis_field(), basis_reason_field(), basis_assumed_by_field(), basis_source_field(), basis_locator_field()


def precision_field() -> models.CharField:
    """``<date>_precision``: how much of the date the documents give."""
    return models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)


def provenance_constraints(model: str, fact: str) -> list[models.CheckConstraint]:
    """The database rules of one fact: assumed ⇒ a reason; stated ⇒ a source document."""
    return [
        models.CheckConstraint(
            condition=~models.Q(**{f"{fact}_basis": Basis.ASSUMED}) | ~models.Q(**{f"{fact}_reason": ""}),
            name=f"{model}_{fact}_assumed_has_reason",
            violation_error_message=f"Say why the {fact.replace('_', ' ')} is assumed.",
        ),
        models.CheckConstraint(
            condition=~models.Q(**{f"{fact}_basis": Basis.STATED}) | models.Q(**{f"{fact}_source__isnull": False}),
            name=f"{model}_{fact}_stated_has_source",
            violation_error_message=f"Name the document that states the {fact.replace('_', ' ')}.",
        ),
    ]


def precision_constraint(model: str, field: str) -> models.CheckConstraint:
    """The stored precision is one of day, month, year."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}_precision__in": DatePrecision.values}),
        name=f"{model}_{field}_precision_valid",
    )


@dataclass(frozen=True)
class Fact:
    """One fact of a record and its basis, as the pages, print and API show it."""

    name: str
    value: Any
    basis: str
    reason: str
    assumed_by: str
    source_id: int | None
    locator: str
    record: Any = None

    @property
    def source(self) -> SourceDocument | None:
        """The stating document (read only when shown: lists show the basis without it)."""
        return getattr(self.record, f"{self.name}_source") if self.source_id else None

    @property
    def known(self) -> bool:
        return self.value is not None and self.value != ""

    @property
    def is_assumed(self) -> bool:
        """A known fact counts as assumed unless a document is recorded as stating it."""
        return self.known and self.basis != Basis.STATED

    @property
    def is_stated(self) -> bool:
        return self.known and self.basis == Basis.STATED

    @property
    def display_value(self) -> str:
        """The fact as a reader sees it ("every 12 months", "May 2020", "Ministerial"): ``record.fact_display``."""
        return self.record.fact_display(self.name) if self.record is not None else str(self.value)

    @property
    def fingerprint(self) -> str:
        """A short digest of the fact as it stands (value and basis): the version an editor's confirmation is based
        on. If someone changes the fact meanwhile, the digest changes and the confirmation is refused
        (``core.services.provenance_confirm``), instead of one source silently overwriting another."""
        seen = repr((str(self.value), self.basis, self.reason, self.assumed_by, self.source_id, self.locator))
        return hashlib.sha256(seen.encode()).hexdigest()[:16]

    @property
    def basis_text(self) -> str:
        """ "stated in <document>, <where>" or "assumed (<by>): <why>"; empty for an unknown fact."""
        if not self.known:
            return ""
        if self.is_stated:
            where = f", {self.locator}" if self.locator else ""
            return f"stated in {self.source.key}{where}"
        by = f" by {self.assumed_by}" if self.assumed_by else ""
        return f"assumed{by}: {self.reason or 'no source recorded'}"


class ProvenanceMixin:
    """Reads and validates the facts a model declares in ``PROVENANCE_FACTS`` ({fact name: value field})."""

    PROVENANCE_FACTS: dict[str, str] = {}

    def fact(self, name: str) -> Fact:
        """The fact ``name`` with its basis (no query beyond the source document, if not selected)."""
        return Fact(
            name=name,
            value=getattr(self, f"{self.PROVENANCE_FACTS[name]}_id", None)
            if self.PROVENANCE_FACTS[name] == "reports_to"
            else getattr(self, self.PROVENANCE_FACTS[name]),
            basis=getattr(self, f"{name}_basis"),
            reason=getattr(self, f"{name}_reason"),
            assumed_by=getattr(self, f"{name}_assumed_by"),
            source_id=getattr(self, f"{name}_source_id"),
            locator=getattr(self, f"{name}_locator"),
            record=self,
        )

    def fact_display(self, name: str) -> str:
        """Fact ``name`` in words: a date to its precision, a choice by its label, a record by its name."""
        from datetime import date

        from core.templatetags.facts import format_approx_date

        field = self.PROVENANCE_FACTS[name]
        value = getattr(self, field)
        if isinstance(value, date):
            return format_approx_date(value, getattr(self, f"{field}_precision", DatePrecision.DAY))
        display = getattr(self, f"get_{field}_display", None)
        return display() if display is not None else str(value if value is not None else "")

    @property
    def facts(self) -> dict[str, Fact]:
        return {name: self.fact(name) for name in self.PROVENANCE_FACTS}

    @property
    def has_assumed_facts(self) -> bool:
        return any(fact.is_assumed for fact in self.facts.values())

    def provenance_errors(self) -> dict[str, str]:
        """The model rules: a known fact says whether it is stated or assumed; assumed ⇒ reason; stated ⇒ source."""
        errors: dict[str, str] = {}
        for name, value_field in self.PROVENANCE_FACTS.items():
            value = getattr(self, f"{value_field}_id" if value_field == "reports_to" else value_field)
            basis = getattr(self, f"{name}_basis")
            label = name.replace("_", " ")
            if value not in (None, "") and not basis:
                errors[f"{name}_basis"] = f"Say whether the {label} is stated by a document or assumed."
            elif basis == Basis.ASSUMED and not getattr(self, f"{name}_reason").strip():
                errors[f"{name}_reason"] = f"Say why the {label} is assumed."
            elif basis == Basis.STATED and not getattr(self, f"{name}_source_id"):
                errors[f"{name}_source"] = f"Name the document that states the {label}."
        return errors


def period_start(value, precision: str | None):
    """The date as stored to ``precision``: a month-precise date on the 1st of its month, a year-precise one on
    1 January (any day of the period entered reads as the period, never as that day)."""
    if value is None or precision not in (DatePrecision.MONTH, DatePrecision.YEAR):
        return value
    return value.replace(day=1) if precision == DatePrecision.MONTH else value.replace(month=1, day=1)


def precision_errors(value, precision: str, field: str) -> dict[str, str]:
    """A month-precise date is stored on the 1st, a year-precise one on 1 January (never an invented day)."""
    if value is None:
        return {}
    if precision == DatePrecision.MONTH and value.day != 1:
        return {field: "A date known to the month is stored as the 1st of that month."}
    if precision == DatePrecision.YEAR and (value.month, value.day) != (1, 1):
        return {field: "A date known to the year is stored as 1 January of that year."}
    return {}


def period_ends_before(field: str, day, *, precision: str | None = None) -> models.Q:
    """In SQL, on a stored date and its precision (``precision``: the column, by default ``<field>_precision``):
    the last day the date can mean is before ``day``. "13 July 2023" ends on that day, "June 2023" (stored on
    1 June) on 30 June, "2023" on 31 December, so "June 2023" ends before 1 July 2023 and not before 15 June.
    The rule of ``commitments.models.due_period_end`` (a milestone's stored ``due_by``), for dates without such a
    column; no day is invented either way. The first term lets an index on ``field`` narrow the scan."""
    precision = precision or f"{field}_precision"
    return models.Q(**{f"{field}__lt": day}) & (
        models.Q(**{precision: DatePrecision.DAY})
        | models.Q(**{precision: DatePrecision.MONTH, f"{field}__lt": day.replace(day=1)})
        | models.Q(**{precision: DatePrecision.YEAR, f"{field}__lt": day.replace(month=1, day=1)})
    )


class DataGeneration(models.Model):
    """The data generation on SQLite (one row): see ``core.generation``. On PostgreSQL a sequence holds it."""

    value = models.BigIntegerField()

    def __str__(self) -> str:
        return f"data generation {self.value}"
