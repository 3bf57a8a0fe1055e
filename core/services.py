"""Writes the shared base owns: confirming an assumed fact by naming the document that states it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .exceptions import FactConflict
from .models import Basis, ProvenanceMixin, SourceDocument


def provenance_confirm(
    *,
    record: ProvenanceMixin,
    fact: str,
    source_document: SourceDocument,
    locator: str,
    expected_fingerprint: str,
    user=None,
) -> ProvenanceMixin:
    """Mark ``fact`` of ``record`` as stated by ``source_document`` at ``locator`` (an editor confirming it), and
    return the record as saved.

    ``expected_fingerprint`` is ``Fact.fingerprint`` as the editor saw it: the fact is read again under a row lock
    and, if anyone changed its value or basis since, nothing is written and :class:`FactConflict` is raised
    (optimistic concurrency, as for every other write: the form answers 409). Raises ``ValidationError`` (unknown
    fact, empty fact, no locator) with nothing written. The change is audited in the record's history with
    ``user`` as its author. Bodies (cadence, level, reporting line, start) and agreements (signature, entry into
    force) are confirmed through this one function.
    """
    if fact not in record.PROVENANCE_FACTS:
        raise ValidationError({"fact": f"{fact!r} is not a fact of this record."})
    if not locator.strip():
        raise ValidationError({"locator": "Say where the document states it (section, paragraph or page)."})
    with transaction.atomic():
        record = type(record).objects.select_for_update().get(pk=record.pk)
        if record.fact(fact).fingerprint != expected_fingerprint:
            raise FactConflict(record=record, fact=fact)
        if not record.fact(fact).known:
            raise ValidationError({"fact": "This fact has no value: there is nothing to confirm."})
        values = {
            f"{fact}_basis": Basis.STATED,
            f"{fact}_source": source_document,
            f"{fact}_locator": locator.strip()[:200],
            f"{fact}_reason": "",
            f"{fact}_assumed_by": "",
        }
        for name, value in values.items():
            setattr(record, name, value)
        record.full_clean()
        if user is not None:
            record._history_user = user
        record.save()
    return record
