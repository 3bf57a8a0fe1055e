"""Root URL configuration: the pages of each app, sign-in, the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("dialogues/", include("dialogues.urls")),
    path("", include("commitments.urls")),
]

# Never a traceback: a plain 500 page, or a 503 when the database is unreachable (tracker/errors.py).
handler500 = "tracker.errors.server_error"
