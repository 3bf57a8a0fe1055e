"""The dialogues app's endpoints, registered on the one API router (``tracker/api_urls.py``)."""

from .views import DialogueBodyViewSet, MeetingViewSet

# (URL prefix, viewset, basename): URL names are api:<basename>-list, api:<basename>-detail, ...
routes = [
    ("dialogues", DialogueBodyViewSet, "dialogue"),
    ("meetings", MeetingViewSet, "meeting"),
]
