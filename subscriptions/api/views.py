"""``GET /api/v1/calendar.ics``: the calendar feed with the API's usual authentication (token or session)."""

from __future__ import annotations

import hashlib

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from core.api.conditional import ConditionalMixin, Freshness
from core.api.filtering import refuse_unknown_parameters
from core.api.schema import ErrorSerializer
from subscriptions.calendar import build_calendar
from subscriptions.selectors import scope_of
from subscriptions.views import calendar_response


class ICalendarRenderer(BaseRenderer):
    """Registers ``text/calendar`` for content negotiation; the body is built by the view."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return b""  # a body-less answer (304); errors are rendered as JSON


class CalendarScopeSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["followed", "all"], default="followed", required=False)


class CalendarViewSet(ConditionalMixin, viewsets.GenericViewSet):
    """The calendar feed: expected meetings (assumed from each body's cadence) and target dates."""

    # JSON first: errors are JSON; the feed itself is a plain HttpResponse in text/calendar.
    renderer_classes = [JSONRenderer, ICalendarRenderer]
    pagination_class = None
    filter_backends: list = []
    freshness = Freshness(daily=True)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors (and the body-less 304) are JSON whatever was asked for: a calendar client still gets a reason.
        if isinstance(response, Response) and getattr(request, "accepted_renderer", None) is not None:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):  # for the schema generator; the feed is built by build_calendar
        from dialogues.models import DialogueBody

        return DialogueBody.objects.none()

    @extend_schema(
        summary="Calendar feed (iCalendar)",
        description="Expected meetings of dialogue bodies (marked assumed: computed from the cadence) and "
        "commitment target dates, as RFC 5545 all-day events. `scope=followed` (default): what the caller "
        "follows; `scope=all`: everything. Anonymous readers under PUBLIC_READ get everything.",
        parameters=[
            OpenApiParameter(
                "scope", str, enum=["followed", "all"], description="followed (default) or all", required=False
            )
        ],
        responses={
            (200, "text/calendar"): OpenApiTypes.STR,
            (400, "application/json"): OpenApiResponse(ErrorSerializer, description="An unknown `scope`."),
        },
    )
    def list(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, self, CalendarScopeSerializer().fields)
        params = CalendarScopeSerializer(data={k: v for k, v in request.query_params.items() if v != ""})
        params.is_valid(raise_exception=True)
        everything = params.validated_data.get("scope") == "all" or not request.user.is_authenticated
        scope = None if everything else scope_of(user=request.user)
        body = build_calendar(scope=scope, name="EU–Japan tracker" + ("" if everything else " (followed)"))
        # The feed's content without its DTSTAMP lines decides the validator: same events, same ETag.
        stable = b"\n".join(line for line in body.splitlines() if not line.startswith(b"DTSTAMP"))
        validators = self._validators(self.freshness, [hashlib.sha256(stable).hexdigest()], 1, None)
        answer = self.conditional_answer(validators, single_object=False)
        if answer is not None:
            return answer
        return self.with_validators(calendar_response(scope=None, name="", body=body), validators)
