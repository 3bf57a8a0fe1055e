"""API views of dialogue bodies and meetings. They parse input and call the querysets and services.

Filtering is ``dialogues.filtersets`` (the same classes as the web pages; ``overdue`` is the model's overdue
rule); recording a meeting is ``dialogues.services.meeting_record`` (the same rules as the web form).
"""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, QuerySet, Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action

from commitments.models import Agreement, Commitment
from core.api.conditional import ConditionalMixin, Freshness
from core.api.mixins import FiltersOnListMixin
from core.api.schema import ErrorSerializer, query_parameter
from core.api.serializers import WithdrawalSerializer
from core.api.viewsets import RecordingViewSet
from core.models import DatePrecision
from dialogues import selectors
from dialogues.filtersets import PERIOD_RULE, DialogueBodyFilterSet, MeetingFilterSet
from dialogues.models import DialogueBody, Meeting
from dialogues.services import meeting_record, meeting_withdraw

from .serializers import (
    DialogueBodySerializer,
    MeetingCreateSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
)

DIALOGUE_LIST_DESCRIPTION = """\
Dialogue bodies with their cadence and schedule. `overdue=true` lists the bodies overdue today by the
tracker's cadence rule: active, with a cadence, and more than `grace_days` past `next_meeting_due`.
"""


DIALOGUE_FILTERS = [
    query_parameter(
        "agreement", str, "Code of a framework the body serves, e.g. SDP. An unknown code is a 400 naming it."
    ),
    query_parameter(
        "overdue",
        bool,
        "true: only bodies overdue today (active, with a cadence, more than grace_days past next_meeting_due); "
        "false: the others.",
    ),
    query_parameter("active", bool, "true: bodies still meeting; false: discontinued ones."),
    query_parameter("search", str, "Part of the name or short name."),
]
MEETING_FILTERS = [
    query_parameter("dialogue", str, "Short name of the body, e.g. SDD. An unknown name is a 400 naming it."),
    query_parameter("held_after", OpenApiTypes.DATE, f"Held on or after this day (YYYY-MM-DD). {PERIOD_RULE}"),
    query_parameter("held_before", OpenApiTypes.DATE, f"Held on or before this day (YYYY-MM-DD). {PERIOD_RULE}"),
]


@extend_schema_view(
    list=extend_schema(
        summary="List dialogue bodies", description=DIALOGUE_LIST_DESCRIPTION, parameters=DIALOGUE_FILTERS
    ),
    retrieve=extend_schema(summary="One dialogue body, by its short name (e.g. SDD)"),
)
class DialogueBodyViewSet(FiltersOnListMixin, ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """Bodies that hold EU–Japan meetings, each with its cadence and whether it is overdue."""

    serializer_class = DialogueBodySerializer
    filterset_class = DialogueBodyFilterSet
    lookup_field = "short_name"
    # A code: letters, digits, hyphens (anything else, NUL included, is a 404 before any query).
    lookup_value_regex = "[-A-Za-z0-9_]+"
    # Meetings move a body's schedule; "overdue" and "days overdue" move with the calendar.
    freshness = Freshness(histories=(DialogueBody, Meeting, Agreement), daily=True)
    answer_cache = True

    def get_queryset(self) -> QuerySet[DialogueBody]:
        return (
            DialogueBody.objects.for_listing()
            .select_related(
                "source_document", "cadence_source", "level_source", "reports_to_source", "established_on_source"
            )
            .order_by("name")
        )

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": self.today()}

    def object_validator_parts(self, obj: DialogueBody) -> list:
        return [obj.last_meeting_on, obj.next_due_on, obj.overdue_after]


MEETING_CREATE_DESCRIPTION = """\
Record a meeting that was held (Editors only). The body's `last_meeting_on` and `next_meeting_due` move at
once and its open overdue flag, if any, is closed. A meeting the documents date only to the month or the year is
recorded with `held_on_precision` `month` (and `held_on` the 1st of that month) or `year` (`held_on` 1 January), as
in the admin's meeting form. A date in the future, a second meeting of the same body on the same day, or a
month-precise date not on the 1st, is a **400** with the same message as the web forms.
"""


MEETING_WITHDRAW_DESCRIPTION = """\
Withdraw a meeting recorded by mistake, with a `reason` (Editors only). It stays listed with `withdrawn: true` and
the reason, and no longer counts: the body's `last_meeting_on` and `next_meeting_due` are worked out again without
it, and if that makes the body overdue again the overdue flag it had closed opens again. A meeting already withdrawn
(by someone else meanwhile) is a **409**; a missing or too long reason a **400**. Nothing is written in either case.
"""


@extend_schema_view(
    list=extend_schema(
        summary="List meetings, newest first",
        description="Withdrawn meetings are listed too, with `withdrawn: true`.",
        parameters=MEETING_FILTERS,
    ),
    retrieve=extend_schema(
        summary="One meeting, with the commitments made at it",
        description="`outcomes` are the commitments made at this meeting (a summit's joint statement, a council), "
        "each with its status today; `outcomes_summary` says it in one line.",
        responses=MeetingDetailSerializer,
        examples=[
            OpenApiExample(
                "The 13 July 2023 summit (its two lists abridged to one entry each)",
                value={
                    "id": 9,
                    "url": "https://tracker.example.eu/api/v1/meetings/9/",
                    "dialogue": "SUMMIT",
                    "dialogue_name": "Japan–EU Summit",
                    "held_on": "2023-07-13",
                    "held_on_precision": "day",
                    "place": "Brussels",
                    "summary": "EU–Japan summit (Kishida, Michel, von der Leyen) with a joint statement linking "
                    "European and Indo-Pacific security. It launched a foreign-minister-level Strategic Dialogue and "
                    "covered economic security and supply chains, digital and research cooperation, the Green "
                    "Alliance and the lifting of Fukushima-related food import restrictions.",
                    "commitments_advanced": [{"id": 68, "reference": "CRM-AA (EP-IDA §3.1)"}],
                    "recorded_by": None,
                    "created_at": "2026-01-15T10:00:00+01:00",
                    "source": {
                        "document": "SDP-2024",
                        "title": "Security and Defence Partnership between the European Union and Japan",
                        "locator": "§2 ('Japan-EU Summit (Brussels, 13 July 2023)'); PRESS-2023 paragraphs 1-4; "
                        "MARTENS-2024 'Introduction'",
                    },
                    "withdrawn": False,
                    "withdrawn_at": None,
                    "withdrawal_reason": None,
                    "withdrawn_by": None,
                    "outcomes": [
                        {
                            "id": 88,
                            "url": "https://tracker.example.eu/api/v1/commitments/88/",
                            "reference": "JS-2023 (PRESS ¶4)",
                            "title": "Launch an annual Strategic Dialogue at foreign-minister level",
                            "agreement": "JS-2023",
                            "status": "in_progress",
                            "progress": None,
                        }
                    ],
                    "outcomes_summary": "19 commitments: 5 in progress, 1 ongoing, 13 not started",
                },
                response_only=True,
            )
        ],
    ),
    withdraw=extend_schema(
        summary="Withdraw a meeting recorded by mistake",
        description=MEETING_WITHDRAW_DESCRIPTION,
        request=WithdrawalSerializer,
        responses={
            200: MeetingSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Already withdrawn: nothing was written."),
        },
    ),
    create=extend_schema(
        summary="Record a meeting",
        description=MEETING_CREATE_DESCRIPTION,
        request=MeetingCreateSerializer,
        responses={
            201: MeetingSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Another meeting of the same body on the same day was recorded at the same moment: "
                "nothing was written.",
            ),
        },
    ),
)
class MeetingViewSet(RecordingViewSet):
    """Dated meetings of the dialogue bodies, and the way to record one."""

    serializer_class = MeetingSerializer
    action_serializers = {
        "retrieve": MeetingDetailSerializer,
        "create": MeetingCreateSerializer,
        "withdraw": WithdrawalSerializer,
    }
    filterset_class = MeetingFilterSet
    lookup_value_regex = "[0-9]+"
    freshness = Freshness(histories=(Meeting, DialogueBody, Commitment))
    answer_cache = True

    def get_queryset(self) -> QuerySet[Meeting]:
        return Meeting.objects.select_related(
            "body", "recorded_by", "withdrawn_by", "source_document"
        ).prefetch_related(
            # made_at: a commitment made at the meeting is not among those it advanced (Meeting.advanced_commitments).
            Prefetch(
                "commitments_advanced",
                queryset=Commitment.objects.only("id", "reference", "made_at").in_reference_order(),
            )
        )

    def get_object(self):
        meeting = super().get_object()
        if self.action == "retrieve":
            # The commitments advanced are prefetched with the meeting (get_queryset), as the API shows them.
            outcomes = selectors.meeting_outcomes(pk=meeting.pk, with_advanced=False)
            meeting.outcome_list, meeting.outcomes_summary = outcomes.outcomes, outcomes.summary
        return meeting

    def object_validator_parts(self, obj: Meeting) -> list:
        # Its outcomes' status today: every status update moves a commitment's version and updated_at.
        if self.action != "retrieve":
            return []
        totals = (
            Commitment.objects.filter(made_at=obj)
            .order_by()
            .aggregate(n=Count("pk"), v=Sum("version"), at=Max("updated_at"))
        )
        return list(totals.values())

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request, *args, **kwargs):
        meeting = self.get_object()
        data = self.validated_input(WithdrawalSerializer)
        # Withdrawn meanwhile by someone else: MeetingAlreadyWithdrawn, a 409 (core.api.exceptions).
        meeting_withdraw(meeting=meeting, author=request.user, reason=data["reason"])
        return self.stored_answer(meeting, MeetingSerializer)

    def create(self, request, *args, **kwargs):
        data = self.validated_input(MeetingCreateSerializer)
        # The same meeting recorded at the same moment raises MeetingConflict: a 409 (core.api.exceptions).
        meeting = meeting_record(
            body=data["body"],
            held_on=data["held_on"],
            held_on_precision=data.get("held_on_precision", DatePrecision.DAY),
            place=data.get("place", ""),
            summary=data.get("summary", ""),
            commitments=data.get("commitments_advanced", []),
            recorded_by=request.user,
        )
        return self.stored_answer(meeting, MeetingSerializer, created_route="api:meeting-detail")
