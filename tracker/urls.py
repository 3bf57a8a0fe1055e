"""Root URL configuration: the pages of each app, sign-in, the admin, the REST API, the health check."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import healthz

# Signing in and out and changing one's own password. Deliberately no password reset by e-mail (Django's
# password_reset views): staff accounts are few and created by the administrator, who sets a new password in the
# admin or with `manage.py changepassword`; a public reset form would let anyone make the tracker send mail to a
# staff address (README, "Security").
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include(accounts)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api_urls", namespace="api")),
    path("dialogues/", include("dialogues.urls")),
    path("follow/", include("subscriptions.urls")),
    path("imports/", include("imports.urls")),
    path("", include("commitments.urls")),
    path("", include("dashboards.urls")),
]

# Never a traceback: a plain 500 page, or a 503 when the database is unreachable (tracker/errors.py).
handler500 = "tracker.errors.server_error"
# A body or query string Django will not read (too large, too many fields, multipart without a boundary): 413 or
# 400 with the reason, one warning line in the log (tracker/errors.py). JSON under /api/, as every error there.
handler400 = "tracker.errors.bad_request"
# An unknown address under /api/ is a JSON 404 in the API's error shape; elsewhere the usual page.
handler404 = "core.api.exceptions.not_found"
