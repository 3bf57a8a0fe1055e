"""The webhooks app's endpoints, registered on the one API router (``tracker/api_urls.py``)."""

from .views import WebhookViewSet

routes = [("webhooks", WebhookViewSet, "webhook")]
