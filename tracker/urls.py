"""Root URL configuration: the pages of each app, sign-in, the admin, the REST API, the health check."""

from django.contrib import admin
from django.urls import include, path, re_path

from tracker.api import api_not_found

from .views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api_urls", namespace="api")),
    # Anything else under /api/ is a JSON 404, not the HTML error page.
    re_path(r"^api/", api_not_found),
    path("dialogues/", include("dialogues.urls")),
    path("", include("commitments.urls")),
]

# Never a traceback: a plain 500 page, or a 503 when the database is unreachable (tracker/errors.py).
handler500 = "tracker.errors.server_error"
