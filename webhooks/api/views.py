"""``/api/v1/webhooks/``: superusers list, read and register hooks."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import BasePermission

from core.api.conditional import ConditionalMixin, Freshness
from webhooks.models import Webhook

from .serializers import WebhookSerializer


class IsSuperuser(BasePermission):
    """Only superusers (session or token); anonymous requests get 401, everybody else 403."""

    message = "Only administrators (superusers) may manage webhooks."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_superuser)


@extend_schema_view(
    list=extend_schema(summary="List webhooks (superusers only)"),
    retrieve=extend_schema(summary="One webhook (superusers only)"),
    create=extend_schema(
        summary="Register a webhook (superusers only)",
        description="The target must resolve to public addresses only (unless the deployment allows private "
        "targets). Each delivery is a JSON POST signed with `X-Tracker-Signature: sha256=<hex HMAC-SHA256 of the "
        "body with the secret>`. The secret is never shown again.",
    ),
)
class WebhookViewSet(ConditionalMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Signed callbacks for integrators; deliveries and their attempts are in the admin."""

    serializer_class = WebhookSerializer
    permission_classes = [IsSuperuser]
    lookup_value_regex = "[0-9]+"
    freshness = Freshness(changed_at="updated_at", last_modified="updated_at")

    def get_queryset(self) -> QuerySet[Webhook]:
        return Webhook.objects.order_by("name")
