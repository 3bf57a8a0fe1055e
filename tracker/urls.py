"""Root URL configuration: the pages of each app, sign-in, the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("dialogues/", include("dialogues.urls")),
    path("", include("commitments.urls")),
]
