"""Filters of the dialogue body and meeting lists, shared by the pages and the REST API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from commitments.filtersets import agreement_filter, body_filter
from core.filters import MultipleChoiceFilter, StrictBooleanFilter

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


class MeetingFilterSet(django_filters.FilterSet):
    dialogue = body_filter("body", "Body")
    held_after = django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label="Held on or after")
    held_before = django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label="Held on or before")

    class Meta:
        model = Meeting
        fields = ["dialogue", "held_after", "held_before"]
