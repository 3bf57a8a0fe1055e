"""Lookups that compare a column with a number no integer column can hold decide the answer themselves.

Django answers ``pk=<a number beyond 64 bits>`` with no rows: its exact and range lookups on integer columns check
the column's range. Its ``in`` lookup does not, nor do the lookups on a foreign key (``body=…``, ``body__in=…``,
``body__gte=…``), and SQLite then refuses the whole query (``OverflowError``): a tampered form (the meeting form's
commitments), an admin list filtered by hand (``/admin/dialogues/meeting/?body=…``) answered 500 instead of "not one
of the available choices" or an empty list. Such a number matches no row on any database, so deciding here changes
no answer: ``=`` and ``in`` leave it out (a list left empty matches nothing, as Django's own empty ``in`` does), ``<``
and ``>`` match every row or none, as Django's integer lookups do.

Text that is not a whole number at all (``abc``, ``1.5``) in an ``in`` list on an integer column is left out the
same way: no row has such a key. Django raises ``ValueError`` there, which its admin does not catch where request
text reaches such a list: a bulk action on a tampered selection (``_selected_action=abc``) and a form redrawn with a
tampered autocomplete value (``agreement=abc``) answered 500 instead of the confirmation page of an action on no row
and the form with "Select a valid choice". Only text is left out: anything else a program passes (a model
instance, say) still fails as in Django.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.expressions import ColPairs
from django.db.models.fields import related_lookups
from django.db.models.lookups import In

from core.filters import BIGINT_MAX, BIGINT_MIN


def _beyond(value) -> bool:
    return isinstance(value, int) and not BIGINT_MIN <= value <= BIGINT_MAX


def _not_a_whole_number(field, value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        field.get_prep_value(value)
    except (TypeError, ValueError):
        return True
    return False


def _key_field(lookup):
    """The integer column the values of ``lookup`` are compared with: for a relation, the key it points to."""
    if isinstance(lookup.lhs, ColPairs):
        return None
    field = getattr(lookup.lhs, "output_field", None)
    if hasattr(field, "path_infos"):
        field = field.path_infos[-1].target_fields[-1]
    return field if isinstance(field, IntegerField) else None


class _WithinBigint:
    """``in``: text that is not a whole number is left out of the list (before the values are prepared), and so are
    numbers beyond 64 bits (after)."""

    def get_prep_lookup(self):
        if self.rhs_is_direct_value() and not isinstance(self.rhs, (str, bytes)) and (field := _key_field(self)):
            self.rhs = [value for value in self.rhs if not _not_a_whole_number(field, value)]
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
