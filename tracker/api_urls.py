"""``/api/v1/``: one router for every app's endpoints, the OpenAPI schema and its interactive documentation."""

from django.contrib.auth.views import redirect_to_login
from django.urls import path
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.routers import DefaultRouter

from commitments.api.urls import routes as commitment_routes
from core.api.permissions import ReadOrEditorWrite
from dialogues.api.urls import routes as dialogue_routes
from subscriptions.api.views import CalendarViewSet
from webhooks.api.urls import routes as webhook_routes

app_name = "api"


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema, JSON by default (``?format=yaml`` for YAML). Readable by whoever may read the data."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer]
    permission_classes = [ReadOrEditorWrite]


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar assets (no CDN); its start-up script is served separately, so a
    Content-Security-Policy without inline scripts still allows it. Anonymous visitors are sent to sign in."""

    template_name = "api/swagger_ui.html"
    permission_classes = [ReadOrEditorWrite]

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


router = DefaultRouter()
for prefix, viewset, basename in [*commitment_routes, *dialogue_routes, *webhook_routes]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    path("calendar.ics", CalendarViewSet.as_view({"get": "list"}, basename="calendar"), name="calendar"),
    *router.urls,
]
