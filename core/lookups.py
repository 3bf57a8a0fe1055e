"""Lookups that compare a column with a number no integer column can hold decide the answer themselves.

Django answers ``pk=<a number beyond 64 bits>`` with no rows: its exact and range lookups on integer columns check
the column's range. Its ``in`` lookup does not, nor do the lookups on a foreign key (``body=…``, ``body__in=…``,
``body__gte=…``), and SQLite then refuses the whole query (``OverflowError``): a tampered form (the meeting form's
commitments), an admin list filtered by hand (``/admin/dialogues/meeting/?body=…``) answered 500 instead of "not one
of the available choices" or an empty list. Such a number matches no row on any database, so deciding here changes
no answer: ``=`` and ``in`` leave it out (a list left empty matches nothing, as Django's own empty ``in`` does), ``<``
and ``>`` match every row or none, as Django's integer lookups do.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields import related_lookups
from django.db.models.lookups import In

from core.filters import BIGINT_MAX, BIGINT_MIN


def _beyond(value) -> bool:
    return isinstance(value, int) and not BIGINT_MIN <= value <= BIGINT_MAX


class _WithinBigint:
    """``in``: numbers beyond 64 bits are left out of the list (after the values were prepared)."""

    def get_prep_lookup(self):
        prepared = super().get_prep_lookup()
        if self.rhs_is_direct_value() and isinstance(prepared, (list, tuple)):
            self.rhs = prepared = [value for value in prepared if not _beyond(value)]
        return prepared


class _ComparedWithinBigint:
    """``=``, ``<``, ``<=``, ``>``, ``>=`` with one number beyond 64 bits: no row, or every row."""

    above = below = EmptyResultSet

    def process_rhs(self, compiler, connection):
        if _beyond(self.rhs):
            raise self.above if self.rhs > BIGINT_MAX else self.below
        return super().process_rhs(compiler, connection)


IntegerField.register_lookup(type("IntegerFieldIn", (_WithinBigint, In), {}))
ForeignObject.register_lookup(type("RelatedIn", (_WithinBigint, related_lookups.RelatedIn), {}))
for lookup, above, below in (
    (related_lookups.RelatedExact, EmptyResultSet, EmptyResultSet),
    (related_lookups.RelatedLessThan, FullResultSet, EmptyResultSet),
    (related_lookups.RelatedLessThanOrEqual, FullResultSet, EmptyResultSet),
    (related_lookups.RelatedGreaterThan, EmptyResultSet, FullResultSet),
    (related_lookups.RelatedGreaterThanOrEqual, EmptyResultSet, FullResultSet),
):
    ForeignObject.register_lookup(
        type(lookup.__name__, (_ComparedWithinBigint, lookup), {"above": above, "below": below})
    )
