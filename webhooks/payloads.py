"""The object of each event as the REST API serialises it (the API's own serializers, absolute links to SITE_URL)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from commitments.api.serializers import CommitmentSerializer, StatusUpdateSerializer
from dialogues.api.serializers import DialogueBodySerializer, MeetingSerializer

from .choices import EventType

# event type -> (object type in the envelope, serializer)
SERIALIZERS = {
    EventType.STATUS_UPDATE_CREATED: ("status_update", StatusUpdateSerializer),
    EventType.STATUS_UPDATE_WITHDRAWN: ("status_update", StatusUpdateSerializer),
    EventType.MEETING_RECORDED: ("meeting", MeetingSerializer),
    EventType.MEETING_WITHDRAWN: ("meeting", MeetingSerializer),
    EventType.BODY_OVERDUE: ("dialogue_body", DialogueBodySerializer),
    EventType.COMMITMENT_CHANGED: ("commitment", CommitmentSerializer),
}


class _SiteRequest(HttpRequest):
    """A request "from" SITE_URL, so that the serializers' hyperlinks are absolute links to the tracker."""

    def __init__(self) -> None:
        super().__init__()
        parts = urlsplit(settings.SITE_URL)
        self._site_host = parts.netloc or "localhost"
        self._site_scheme = parts.scheme or "http"
        self.method = "GET"
        self.path = self.path_info = "/api/v1/"

    def get_host(self) -> str:
        return self._site_host

    def _get_scheme(self) -> str:
        return self._site_scheme


def serialise(event_type: str, obj: Any) -> tuple[str, dict]:
    """(object type, the object as the API shows it) for an event."""
    object_type, serializer_class = SERIALIZERS[EventType(event_type)]
    context = {"request": Request(_SiteRequest()), "today": timezone.localdate()}
    return object_type, dict(serializer_class(obj, context=context).data)
