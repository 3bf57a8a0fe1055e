"""The commitments app's endpoints, registered on the one API router (``tracker/api_urls.py``)."""

from .views import AgreementViewSet, CommitmentViewSet, MilestoneViewSet, StatusUpdateViewSet

# (URL prefix, viewset, basename): URL names are api:<basename>-list, api:<basename>-detail, ...
routes = [
    ("agreements", AgreementViewSet, "agreement"),
    ("commitments", CommitmentViewSet, "commitment"),
    ("status-updates", StatusUpdateViewSet, "statusupdate"),
    ("milestones", MilestoneViewSet, "milestone"),
]
