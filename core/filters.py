"""Strict django-filter filters shared by the FilterSets of every app (HTML lists and the REST API alike).

django-filter's stock boolean, number and date-time filters quietly ignore a value they cannot parse (the list
comes back unfiltered) or pass it to the database as is (a date-time that cannot be converted to UTC, a fraction
for an id). Here a value that cannot be understood is a form error: the page shows it next to the field, the API
answers 400 naming the parameter. So is a code or an id that no record has (:class:`CodeChoiceFilter`,
:class:`RecordIdFilter`), with the value in the message: an empty list would read as "nothing recorded yet".
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from core.validators import in_utc

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})
# "unknown" is what Django's NullBooleanSelect submits for its "Unknown" (= no filter) option.
NO_FILTER_VALUES = frozenset({"", "unknown"})


class StrictNullBooleanSelect(forms.NullBooleanSelect):
    """The usual Unknown/Yes/No select, but it hands the raw value to the field instead of mapping it to None."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    widget = StrictNullBooleanSelect

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in NO_FILTER_VALUES:
            return None
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """``true``/``false`` (or ``1``/``0``); anything else is an error rather than "no filter"."""

    field_class = StrictNullBooleanField


# The range of the database's 64-bit integers: a value outside it cannot be compared with a column at all.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (an id): ``1.5`` is an error, not silently rounded; so is a number no column can hold."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", BIGINT_MIN)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        result = super().to_python(value)
        return None if result is None else in_utc(result)  # compared in UTC


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time (``2025-01-31T12:00:00+01:00``; without an offset, Brussels time)."""

    field_class = BoundedIsoDateTimeField


class OptionalMultipleChoiceField(django_filters.fields.MultipleChoiceField):
    """A multiple choice whose empty values are no choice: ``?status=`` (what a form submits for an untouched
    field, and what clients send for "any") means no filter, and ``?status=&status=achieved`` means achieved."""

    def clean(self, value):
        if value is not None and not isinstance(value, str):
            value = [item for item in value if item not in ("", None)]
        return super().clean(value)


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """django-filter's multiple choice filter, with empty values ignored (:class:`OptionalMultipleChoiceField`)."""

    field_class = OptionalMultipleChoiceField


class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """A related record named by its code (a framework's code, a body's short name). An unknown code is an error
    that names it (``unknown``: the message, with ``%(value)s`` for the code), never an empty or unfiltered list."""

    def __init__(self, *args, unknown: str, **kwargs):
        kwargs["error_messages"] = {"invalid_choice": unknown, **kwargs.get("error_messages", {})}
        super().__init__(*args, **kwargs)


class RecordIdField(forms.IntegerField):
    """The id of a record that exists: a whole number (as :class:`IntegerFilter` reads it), then one lookup."""

    def __init__(self, *, queryset, unknown: str, **kwargs):
        self.queryset, self.unknown = queryset, unknown
        super().__init__(**kwargs)

    def clean(self, value):
        pk = super().clean(value)
        if pk is not None and not self.queryset.filter(pk=pk).exists():
            raise ValidationError(self.unknown, code="invalid_choice", params={"value": pk})
        return pk


class RecordIdFilter(IntegerFilter):
    """A record by its id: an id no record has is an error naming it (``unknown``, with ``%(value)s``), as a code
    no record has is (:class:`CodeChoiceFilter`), rather than an empty list that looks like "nothing yet"."""

    field_class = RecordIdField
