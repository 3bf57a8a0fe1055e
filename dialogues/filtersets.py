"""Filters of the dialogue body and meeting lists, shared by the pages and the REST API."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q

from commitments.filtersets import agreement_filter, body_filter
from core.filters import MultipleChoiceFilter, StrictBooleanFilter
from core.models import period_ends_before

from .choices import Level
from .models import DialogueBody, Meeting


class DialogueBodyFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(label="Search", method="filter_search")
    level = MultipleChoiceFilter(choices=Level.choices, label="Level", distinct=False)
    agreement = agreement_filter("agreements")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Overdue")
    active = StrictBooleanFilter(label="Active")

    class Meta:
        model = DialogueBody
        fields = ["search", "level", "agreement", "overdue", "active"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.not_overdue()


# A meeting known only to the month or the year is compared by its whole period, as a milestone's due date is
# (``MilestoneFilterSet``): nothing is assumed about the day it was held.
PERIOD_RULE = (
    "A meeting known only to the month or the year (held_on_precision) counts by its whole period: June 2023 is "
    "held on or after 2023-06-01 and on or before 2023-06-30, so neither bound inside June lists it."
)


class MeetingFilterSet(django_filters.FilterSet):
    dialogue = body_filter("body", "Body")
    # The period starts on the stored date (the 1st of the month, 1 January), so "on or after" compares it as is.
    held_after = django_filters.DateFilter(
        field_name="held_on", lookup_expr="gte", label="Held on or after", help_text=PERIOD_RULE
    )
    held_before = django_filters.DateFilter(
        method="filter_held_before", label="Held on or before", help_text=PERIOD_RULE
    )

    class Meta:
        model = Meeting
        fields = ["dialogue", "held_after", "held_before"]

    def filter_held_before(self, queryset, name, value):
        """Held on or before ``value``: the whole period the date can mean ends by then."""
        if value is None or value == dt.date.max:
            return queryset
        return queryset.filter(period_ends_before("held_on", value + dt.timedelta(days=1)))
