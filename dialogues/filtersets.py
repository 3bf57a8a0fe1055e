"""Filters of the dialogue body and meeting lists, shared by the pages and the REST API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from commitments.models import Agreement
from core.filters import MultipleChoiceFilter, StrictBooleanFilter

from .choices import Level
from .models import DialogueBody, Meeting


class DialogueBodyFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(label="Search", method="filter_search")
    level = MultipleChoiceFilter(choices=Level.choices, label="Level", distinct=False)
    agreement = django_filters.ModelChoiceFilter(
        field_name="agreements", queryset=Agreement.objects.order_by("code"), to_field_name="code", label="Agreement"
    )
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
    dialogue = django_filters.ModelChoiceFilter(
        field_name="body", queryset=DialogueBody.objects.order_by("name"), to_field_name="short_name", label="Body"
    )
    held_after = django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label="Held on or after")
    held_before = django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label="Held on or before")

    class Meta:
        model = Meeting
        fields = ["dialogue", "held_after", "held_before"]
