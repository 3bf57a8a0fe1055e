"""The one definition of how commitments are filtered: used by the HTML list and the REST API alike."""

from __future__ import annotations

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q

from core.filters import (
    BoundedIsoDateTimeFilter,
    CodeChoiceFilter,
    MultipleChoiceFilter,
    RecordIdFilter,
    StrictBooleanFilter,
)

from .choices import Actor, CommitmentState, PolicyArea, Status, Strength, UpdateKind
from .models import Agreement, Commitment, Milestone, StatusUpdate
from .querysets import dialogue_bodies

SEARCH_CONFIG = "english"


def search_commitments(queryset, value: str):
    """Free-text search: PostgreSQL full-text search (stemmed, web-search syntax) where available, else a
    plain case-insensitive match. The reference is always matched literally, so "§12" finds SDP §12(b)."""
    value = value.strip()
    if not value:
        return queryset
    literal = Q(reference__icontains=value)
    if connection.vendor == "postgresql":
        vector = SearchVector("reference", "title", "description", config=SEARCH_CONFIG)
        query = SearchQuery(value, search_type="websearch", config=SEARCH_CONFIG)
        # alias(), not annotate(): the vector is only filtered on (through the GIN index of migration 0004), never
        # selected, so PostgreSQL does not compute to_tsvector again for every matching row.
        return queryset.alias(search_vector=vector).filter(Q(search_vector=query) | literal)
    return queryset.filter(literal | Q(title__icontains=value) | Q(description__icontains=value))


def party_status_filter(label: str, party: str) -> MultipleChoiceFilter:
    """The filter on one party's own status of a joint commitment (a status, or "none": not recorded). Only joint
    commitments (actor both) have a party's own status: "none" does not list those only one party must act on."""
    return MultipleChoiceFilter(
        choices=[*Status.choices, ("none", "Not recorded")],
        label=label,
        distinct=False,
        method="filter_party_status",
        help_text=f"Joint commitments by the status recorded for {party}.",
    )


def agreement_filter(field_name: str = "agreement") -> CodeChoiceFilter:
    """A framework by its code (``?agreement=SDP``); an unknown code is an error naming it."""
    return CodeChoiceFilter(
        field_name=field_name,
        queryset=Agreement.objects.order_by("code"),
        to_field_name="code",
        label="Agreement",
        unknown="No framework has the code %(value)s.",
    )


def body_filter(field_name: str, label: str) -> CodeChoiceFilter:
    """A dialogue body by its short name (``?body=SDD``); an unknown name is an error naming it."""
    return CodeChoiceFilter(
        field_name=field_name,
        queryset=lambda request: dialogue_bodies().order_by("name"),
        to_field_name="short_name",
        label=label,
        unknown="No dialogue body has the short name %(value)s.",
    )


def commitment_id_filter() -> RecordIdFilter:
    """A commitment by its id (``?commitment=42``); an id no commitment has is an error naming it."""
    return RecordIdFilter(
        field_name="commitment_id",
        label="Commitment id",
        queryset=Commitment.objects.all(),
        unknown="No commitment has the id %(value)s.",
    )


class CommitmentFilterSet(django_filters.FilterSet):
    """Filters of the commitment list and ``/api/v1/commitments/``."""

    search = django_filters.CharFilter(label="Search", method="filter_search")
    agreement = agreement_filter()
    # Empty values are no filter (core.filters.MultipleChoiceFilter).
    # distinct=False: these are columns of the commitment itself, so no row can repeat; django-filter's default
    # SELECT DISTINCT over every column made PostgreSQL sort whole rows (wide descriptions) before LIMIT and COUNT.
    status = MultipleChoiceFilter(choices=Status.choices, label="Status", distinct=False)
    state = MultipleChoiceFilter(
        choices=CommitmentState.choices,
        label="State",
        method="filter_state",
        help_text="How to take it today: stale means no update in 12 months and not finished.",
    )
    area = MultipleChoiceFilter(choices=PolicyArea.choices, label="Policy area", distinct=False)
    strength = MultipleChoiceFilter(choices=Strength.choices, label="Strength", distinct=False)
    actor = MultipleChoiceFilter(
        choices=[*Actor.choices, ("none", "Not recorded")],
        label="Who must act",
        distinct=False,
        method="filter_or_none",
    )
    # A joint commitment split by party: each party's own status (where recorded; "none": not recorded).
    eu_status = party_status_filter("The EU's own status", "the EU")
    japan_status = party_status_filter("Japan's own status", "Japan")
    body = body_filter("responsible_body", "Responsible body")
    overdue_body = StrictBooleanFilter(method="filter_overdue_body", label="Responsible body overdue")
    # updated_at moves with every change of what a commitment shows: a status update, review or withdrawal (which
    # can move the review date back), a milestone's entry, an edit. A client that syncs by it misses none.
    updated_since = BoundedIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")
    target_passed = StrictBooleanFilter(method="filter_target_passed", label="Target date passed, not finished")
    stale = StrictBooleanFilter(method="filter_stale", label="No update in 12 months, not finished")
    deadline_passed = StrictBooleanFilter(
        method="filter_deadline_passed", label="A deadline passed: target date (not finished) or a milestone overdue"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("reference_sort_key", "reference"),  # natural order: §4 < §5 < §10 (commitments.references)
            ("title", "title"),
            ("agreement__code", "agreement"),
            ("area", "area"),
            ("strength", "strength"),
            ("responsible_body__short_name", "body"),
            ("status", "status"),
            ("progress", "progress"),
            ("target_date", "target_date"),
            ("updated_at", "updated"),
            ("last_reviewed_at", "reviewed"),
        ),
        field_labels={
            "updated_at": "Last change (updated_at)",
            "last_reviewed_at": "Last update or review (last_reviewed_at)",
        },
        label="Sort by",
    )

    class Meta:
        model = Commitment
        fields = [
            "search",
            "agreement",
            "status",
            "state",
            "area",
            "strength",
            "actor",
            "eu_status",
            "japan_status",
            "body",
            "overdue_body",
            "updated_since",
            "target_passed",
            "stale",
            "deadline_passed",
        ]

    def filter_or_none(self, queryset, name, value):
        """A choice among the field's values, where "none" means not recorded (empty)."""
        if not value:
            return queryset
        return queryset.filter(**{f"{name}__in": ["" if v == "none" else v for v in value]})

    def filter_party_status(self, queryset, name, value):
        """A joint commitment's own status of one party, where "none" means not recorded for that party."""
        if not value:
            return queryset
        return self.filter_or_none(queryset.filter(actor=Actor.BOTH), name, value)

    def filter_search(self, queryset, name, value):
        return search_commitments(queryset, value)

    def filter_state(self, queryset, name, value):
        return queryset.in_state(*value) if value else queryset

    def filter_overdue_body(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.with_overdue_body() if value else queryset.without_overdue_body()

    def filter_target_passed(self, queryset, name, value):
        if value is None:
            return queryset
        passed = queryset.target_passed()
        return passed if value else queryset.exclude(pk__in=passed.values("pk"))

    def filter_deadline_passed(self, queryset, name, value):
        if value is None:
            return queryset
        passed = queryset.deadline_passed()
        return passed if value else queryset.exclude(pk__in=passed.values("pk"))

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.stale() if value else queryset.exclude(pk__in=queryset.stale().values("pk"))


class StatusUpdateFilterSet(django_filters.FilterSet):
    """The change feed: every update recorded since a moment, optionally for one commitment or agreement, or of
    some kinds only."""

    since = BoundedIsoDateTimeFilter(field_name="recorded_at", lookup_expr="gte", label="Recorded since")
    commitment = commitment_id_filter()
    agreement = agreement_filter("commitment__agreement")
    kind = MultipleChoiceFilter(choices=UpdateKind.choices, label="Kind", distinct=False)

    class Meta:
        model = StatusUpdate
        fields = ["since", "commitment", "agreement", "kind"]


class MilestoneFilterSet(django_filters.FilterSet):
    """Filters of ``/api/v1/milestones/``."""

    commitment = commitment_id_filter()
    overdue = StrictBooleanFilter(method="filter_overdue", label="Overdue: due date passed, not done")
    # A milestone due "May 2025" is due before 1 June 2025 and after 30 April 2025: the whole period counts.
    due_before = django_filters.DateFilter(field_name="due_by", lookup_expr="lt", label="Due before")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gt", label="Due after")
    withdrawn = StrictBooleanFilter(field_name="withdrawn_at", lookup_expr="isnull", exclude=True, label="Withdrawn")

    class Meta:
        model = Milestone
        fields = ["commitment", "overdue", "due_before", "due_after", "withdrawn"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
