"""Root URL configuration: the pages of each app, sign-in, the admin, the REST API, the health check."""

from django.contrib import admin
from django.urls import include, path

from .views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api_urls", namespace="api")),
    path("dialogues/", include("dialogues.urls")),
    path("follow/", include("subscriptions.urls")),
    path("", include("commitments.urls")),
    path("", include("dashboards.urls")),
]

# Never a traceback: a plain 500 page, or a 503 when the database is unreachable (tracker/errors.py).
handler500 = "tracker.errors.server_error"
# An unknown address under /api/ is a JSON 404 in the API's error shape; elsewhere the usual page.
handler404 = "core.api.exceptions.not_found"
