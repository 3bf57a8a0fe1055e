"""Serializers every app's API shares."""

from __future__ import annotations

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
