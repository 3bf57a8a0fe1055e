"""Chains of records that point to a parent of their own kind: a framework's parent, a body's reporting line."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db.models import Model


def ancestors(record: Model, parent_field: str) -> Iterator[Model]:
    """The records above ``record`` by ``parent_field``, nearest first; stops before any record seen already
    (``record`` itself included), so that a loop in the data cannot hang a page."""
    seen = {record.pk} if record.pk is not None else set()
    ancestor = getattr(record, parent_field)
    while ancestor is not None and ancestor.pk not in seen:
        yield ancestor
        seen.add(ancestor.pk)
        ancestor = getattr(ancestor, parent_field)


def refuse_ancestor_loop(record: Model, parent_field: str, message: str) -> None:
    """Raise ``ValidationError({parent_field: message})`` when following ``parent_field`` up from ``record`` comes
    back to ``record`` or round a loop, directly or indirectly (what ``clean()`` of such a model checks)."""
    chain = list(ancestors(record, parent_field))
    last = chain[-1] if chain else record
    if getattr(last, parent_field) is not None:  # the walk stopped at a record seen before: a loop
        raise ValidationError({parent_field: message})
