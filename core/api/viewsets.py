"""The API's viewset bases."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from core.api.conditional import ConditionalMixin
from core.api.mixins import FiltersOnListMixin, SerializerPerActionMixin, WriteAnswersMixin


class RecordingViewSet(
    FiltersOnListMixin,
    ConditionalMixin,
    SerializerPerActionMixin,
    WriteAnswersMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """A collection of records that is read (filters on the list, conditional answers) and added to with POST: status
    updates, meetings, milestones. Each write checks its input with its action's serializer and answers with the
    stored record."""
