"""Serializers every app's API shares."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import WITHDRAWAL_REASON_MAX_LENGTH


class SourceSerializer(serializers.Serializer):
    """Where a record's facts come from: a document of the tracker's bibliography and a place in it."""

    document = serializers.CharField(
        source="source_document.key", read_only=True, allow_null=True, help_text="Key of the source document."
    )
    title = serializers.CharField(source="source_document.title", read_only=True, allow_null=True)
    locator = serializers.CharField(
        source="source_locator", read_only=True, help_text="Section, paragraph or page, e.g. §12(b)."
    )


def approximate_date_help(field: str, meaning: str) -> dict[str, dict[str, str]]:
    """The ``extra_kwargs`` help of a date known to a precision and of its ``<field>_precision``: ``meaning`` says
    what the date is ("The day it was held")."""
    return {
        field: {
            "help_text": f"{meaning}, to {field}_precision: stored on the 1st of the month, or on 1 January, when "
            "the documents give only the month or the year."
        },
        f"{field}_precision": {"help_text": f"How much of {field} is known: day, month or year."},
    }


def display_name(user) -> str | None:
    """How the API names a person (an author, who recorded a meeting): full name, else username; ``None`` if none."""
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class WithdrawalSerializer(serializers.Serializer):
    """Why an entry recorded by mistake (a status update, a meeting) is withdrawn."""

    reason = serializers.CharField(
        max_length=WITHDRAWAL_REASON_MAX_LENGTH, help_text="What was wrong; shown next to the withdrawn entry."
    )


# What the API says of a record withdrawn as recorded by mistake that stays listed (a milestone, a meeting): whether
# it is, since when and why; the model has ``is_withdrawn``, ``withdrawn_at`` and ``withdrawal_reason``. A comment,
# not a docstring: the schema would take a docstring for the description of every serializer built on this one.
class WithdrawnRecordSerializer(serializers.Serializer):
    withdrawn = serializers.BooleanField(
        source="is_withdrawn", read_only=True, help_text="Withdrawn as recorded by mistake: it no longer counts."
    )
    withdrawn_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was withdrawn; null if it was not."
    )
    withdrawal_reason = serializers.SerializerMethodField(help_text="Why it was withdrawn; null if it was not.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_withdrawal_reason(self, obj) -> str | None:
        return obj.withdrawal_reason if obj.is_withdrawn else None


class FactBasisSerializer(serializers.Serializer):
    """Whether one fact of a record is stated by a document (which, where) or assumed (by whom, why).

    ``basis`` is null while the fact itself is unknown (e.g. a body with no cadence).
    """

    basis = serializers.ChoiceField(choices=["stated", "assumed"], allow_null=True, read_only=True)
    source = serializers.CharField(allow_null=True, read_only=True, help_text="Key of the stating document.")
    locator = serializers.CharField(read_only=True, help_text="Where that document states it.")
    assumed_by = serializers.CharField(read_only=True, help_text="Who assumed it, when assumed.")
    reason = serializers.CharField(read_only=True, help_text="Why it is assumed, when assumed.")

    def __init__(self, fact: str, **kwargs):
        self.fact_name = fact
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, instance) -> dict:
        fact = instance.fact(self.fact_name)
        if not fact.known:
            return {"basis": None, "source": None, "locator": "", "assumed_by": "", "reason": ""}
        return {
            "basis": "stated" if fact.is_stated else "assumed",
            "source": fact.source.key if fact.is_stated else None,
            "locator": fact.locator if fact.is_stated else "",
            "assumed_by": "" if fact.is_stated else fact.assumed_by,
            "reason": "" if fact.is_stated else (fact.reason or "no source recorded"),
        }
