"""API views of frameworks, commitments and the status history. They parse input and call selectors and services.

Filtering is ``commitments.filtersets`` (the same classes as the web pages); writes go through
``commitments.services`` (the same rules and the same version check as the web forms).
"""

from __future__ import annotations

from django.db.models import Count, F, Max, Prefetch, QuerySet, Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from commitments import services
from commitments.choices import UpdateKind
from commitments.exports import commitment_csv_response
from commitments.filtersets import CommitmentFilterSet, MilestoneFilterSet, StatusUpdateFilterSet
from commitments.models import MILESTONE_FIELDS, Agreement, Commitment, Milestone, StatusUpdate
from commitments.services import CommitmentConflict
from core.api.conditional import ConditionalMixin, Freshness
from core.api.filtering import refuse_unknown_parameters
from core.api.mixins import FiltersOnListMixin, SerializerPerActionMixin
from core.api.schema import query_parameter, repeatable_query_parameter
from core.api.viewsets import RecordingViewSet

from ..querysets import dialogue_bodies
from .renderers import CommitmentCSVRenderer
from .serializers import (
    AgreementSerializer,
    CommitmentDetailSerializer,
    CommitmentSerializer,
    MilestoneCreateSerializer,
    MilestoneSerializer,
    MilestoneUpdateSerializer,
    MilestoneWithdrawSerializer,
    StatusUpdateConflictSerializer,
    StatusUpdateCreateSerializer,
    StatusUpdateSerializer,
    StatusUpdateWithdrawSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List the cooperation frameworks", description="Every framework and instrument."),
    retrieve=extend_schema(summary="One framework, by its code (e.g. SDP)"),
)
class AgreementViewSet(FiltersOnListMixin, ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """Cooperation frameworks (SPA, EPA, SDP, ...) and the smaller instruments under them."""

    serializer_class = AgreementSerializer
    lookup_field = "code"
    # A code: letters, digits, hyphens (anything else, NUL included, is a 404 before any query).
    lookup_value_regex = "[-A-Za-z0-9_]+"
    freshness = Freshness(histories=(Agreement,))
    answer_cache = True

    def get_queryset(self) -> QuerySet[Agreement]:
        return (
            Agreement.objects.select_related("parent", "source_document", "signed_on_source", "in_force_on_source")
            .with_commitment_counts()
            .order_by("code")
        )

    def validator_queryset(self, queryset):
        return Agreement.objects.all()

    def extra_validator_parts(self) -> list:
        # The commitment counts per framework move with every status change and every added commitment.
        totals = Commitment.objects.order_by().aggregate(n=Count("pk"), at=Max("updated_at"), v=Sum("version"))
        return list(totals.values())

    def object_validator_parts(self, obj: Agreement) -> list:
        return [obj.commitment_count, obj.achieved_count]


COMMITMENT_LIST_DESCRIPTION = """\
Commitments, filtered by the same rules as the web list. Repeat `status`, `state`, `area`, `strength`, `actor`,
`eu_status` or `japan_status` to match any of several values (`?status=stalled&status=not_started`). A query
parameter that is not one of those listed here is a **400** naming it, as is an unknown code or value.

`?format=csv` returns the **whole filtered list** (not a page) as a streamed CSV file, for spreadsheets:
`page` and `page_size` do not apply to it.
"""


COMMITMENT_FILTERS = [
    query_parameter("agreement", str, "Code of a framework, e.g. SDP. An unknown code is a 400 naming it."),
    query_parameter(
        "body", str, "Short name of the responsible dialogue body, e.g. SDD. An unknown name is a 400 naming it."
    ),
    query_parameter(
        "overdue_body",
        bool,
        "true: only commitments whose responsible body is overdue today by its cadence; false: the others.",
    ),
    repeatable_query_parameter(
        CommitmentFilterSet,
        "actor",
        "Who must act: eu, japan, both, or none (not recorded). Repeat to match any of several (split by party).",
    ),
    repeatable_query_parameter(
        CommitmentFilterSet,
        "eu_status",
        "Joint commitments (actor both) by the status recorded for the EU (a status, or none: not recorded); "
        "repeat for several. With japan_status, it says which party has not delivered. Commitments only one party "
        "must act on are never listed, not even with none.",
    ),
    repeatable_query_parameter(
        CommitmentFilterSet,
        "japan_status",
        "Joint commitments (actor both) by the status recorded for Japan (a status, or none: not recorded); "
        "repeat for several. Commitments only one party must act on are never listed, not even with none.",
    ),
    query_parameter(
        "deadline_passed",
        bool,
        "true: a deadline passed without completion (the target date, for a commitment neither achieved nor "
        "discontinued, or a milestone overdue); false: the others.",
    ),
    query_parameter(
        "search",
        str,
        "Words in the reference, title or description (full-text, stemmed, on PostgreSQL); a reference such as "
        "§12 matches literally.",
    ),
    query_parameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        "Changed at or after this moment (ISO 8601; without an offset, Brussels time): its updated_at, which every "
        "change of what a commitment shows moves (a status update, review or withdrawal, a milestone added, changed "
        "or withdrawn, an edit of its text). To sync, send the latest updated_at you have. (last_reviewed_at can "
        "move back, when a withdrawal leaves an earlier entry as the latest; sort by it with ordering=reviewed.)",
    ),
]
STATUS_UPDATE_FILTERS = [
    query_parameter(
        "since", OpenApiTypes.DATETIME, "Recorded at or after this moment (ISO 8601; without offset, Brussels)."
    ),
    query_parameter("commitment", int, "Id of a commitment: its updates. An id no commitment has is a 400."),
    query_parameter(
        "agreement", str, "Code of a framework: updates of its commitments. An unknown code is a 400 naming it."
    ),
    repeatable_query_parameter(
        StatusUpdateFilterSet,
        "kind",
        "Entries of this kind only: status_change, review, withdrawal, milestone or progress_source; repeat for "
        "several (`?kind=status_change&kind=withdrawal`).",
    ),
]

MILESTONE_EXAMPLE = OpenApiExample(
    "A milestone due in a month, not done",
    value={
        "id": 7,
        "url": "https://tracker.example.eu/api/v1/milestones/7/",
        "commitment": 42,
        "title": "First Security and Defence Dialogue",
        "due_on": "2025-05-01",
        "due_on_precision": "month",
        "due_by": "2025-05-31",
        "done_on": None,
        "done": False,
        "overdue": True,
        "evidence_url": "",
        "evidence_reference": "",
        "weight": 2,
        "author": "Ana Editor",
        "created_at": "2026-12-07T10:00:00+01:00",
        "withdrawn": False,
        "withdrawn_at": None,
        "withdrawal_reason": None,
        "source": {"document": None, "title": None, "locator": ""},
    },
    response_only=True,
)
COMMITMENT_DETAIL_EXAMPLE = OpenApiExample(
    "A joint commitment Japan has not delivered on, with one open milestone (illustrative values)",
    value={
        "id": 42,
        "url": "https://tracker.example.eu/api/v1/commitments/42/",
        "history_url": "https://tracker.example.eu/api/v1/commitments/42/history/",
        "page_url": "https://tracker.example.eu/commitments/42/",
        "reference": "SDP §12(b)(i)",
        "title": "Develop maritime security cooperation through joint exercises",
        "description": "The EU and Japan will develop cooperation on maritime security through joint exercises.",
        "agreement": "SDP",
        "area": "maritime_security",
        "strength": "develop",
        "actor": "both",
        "responsible_body": "SDD",
        "target_date": None,
        "target_date_precision": "day",
        "made_at": None,
        "made_at_url": None,
        "status": "stalled",
        "state": "stalled",
        "state_label": "Stalled",
        "eu_status": "in_progress",
        "japan_status": "stalled",
        "progress": 0,
        "progress_source": "milestones",
        "status_changed_at": "2026-11-20T09:30:00+01:00",
        "status_changed_precision": "day",
        "last_reviewed_at": "2026-11-20T09:30:00+01:00",
        "last_reviewed_precision": "day",
        "version": 5,
        "created_at": "2026-01-15T10:00:00+01:00",
        "updated_at": "2026-11-20T09:30:00+01:00",
        "source": {"document": "SDP-2024", "title": "Security and Defence Partnership", "locator": "§12, 2nd indent"},
        "milestones": [MILESTONE_EXAMPLE.value],
    },
    response_only=True,
)

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    OpenApiParameter.QUERY,
    enum=["json", "csv"],
    description="json (default, paginated) or csv (every matching row, streamed).",
)


# The columns a page of ``/api/v1/commitments/`` shows (``CommitmentSerializer``): the commitment's own, and of the
# rows joined to it only the framework's code, the body's short name and the source document's key and title.
LIST_COLUMNS = (
    *(field.name for field in Commitment._meta.concrete_fields),
    "agreement__code",
    "responsible_body__short_name",
    "source_document__key",
    "source_document__title",
)


@extend_schema_view(
    list=extend_schema(
        summary="List commitments",
        description=COMMITMENT_LIST_DESCRIPTION,
        parameters=[*COMMITMENT_FILTERS, FORMAT_PARAMETER],
        responses={
            (200, "application/json"): CommitmentSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                {"type": "string"}, description="One row per commitment, with a header row (UTF-8, with BOM)."
            ),
        },
    ),
    retrieve=extend_schema(
        summary="One commitment, with its milestones",
        responses=CommitmentDetailSerializer,
        examples=[COMMITMENT_DETAIL_EXAMPLE],
    ),
    history=extend_schema(
        summary="A commitment's status history, newest first",
        responses=StatusUpdateSerializer(many=True),
    ),
)
class CommitmentViewSet(FiltersOnListMixin, ConditionalMixin, SerializerPerActionMixin, viewsets.ReadOnlyModelViewSet):
    """Commitments under the frameworks, with their current status."""

    serializer_class = CommitmentSerializer
    action_serializers = {"retrieve": CommitmentDetailSerializer}
    filterset_class = CommitmentFilterSet
    lookup_value_regex = "[0-9]+"
    answer_cache = True
    # The page is sorted by framework code and reference, which no index gives: the page query reads every
    # filtered row anyway, so it counts them too (core.api.conditional.ConditionalMixin.conditional_page).
    page_in_one_query = True
    freshness = Freshness(
        changed_at="updated_at",
        last_modified="updated_at",
        # A status update moves version, an editorial edit edit_version.
        revisions=("version", "edit_version"),
        histories=(Agreement, dialogue_bodies().model),
        daily=True,
    )
    history_freshness = Freshness(changed_at="pk", last_modified="recorded_at", histories=(Commitment,))

    def get_queryset(self) -> QuerySet[Commitment]:
        renderer = getattr(self.request, "accepted_renderer", None)
        if self.action == "list" and renderer is not None and renderer.format != "csv":
            # Of the joined rows only what a listed commitment shows (a narrow row is cheaper to sort and to count
            # over, ``page_in_one_query``); the state is the serializer's (``Commitment.state``), not an annotation.
            return Commitment.objects.select_related("agreement", "responsible_body", "source_document").only(
                *LIST_COLUMNS
            )
        queryset = Commitment.objects.for_listing().select_related("source_document")
        if self.action == "retrieve":
            milestones = Milestone.objects.select_related("author", "source_document").in_due_order()
            queryset = queryset.prefetch_related(Prefetch("milestones", queryset=milestones, to_attr="milestone_list"))
        return queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": self.today()}

    def get_renderers(self):
        # CSV is the list's alternative; single objects are JSON only. (An unsupported method on the list
        # address must still negotiate, so that it gets its 405.)
        if self.detail:
            return [JSONRenderer()]
        return [JSONRenderer(), CommitmentCSVRenderer()]

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: a CSV client still gets a readable reason.
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(response, Response) and response.status_code >= 400 and getattr(renderer, "format", "") == "csv":
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":  # streamed, never kept
            queryset = self.filter_queryset(self.get_queryset())
            return self.conditional_list(queryset, lambda rows: commitment_csv_response(rows, request))
        return super().list(request, *args, **kwargs)

    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=StatusUpdateSerializer)
    def history(self, request, *args, **kwargs):
        return self.answered(self._history, single_object=False)

    def _history(self):
        refuse_unknown_parameters(self.request, self)  # pages only: a filter here would be ignored
        commitment = self.get_object()
        updates = StatusUpdate.objects.filter(commitment=commitment).for_timeline().select_related("commitment")
        return self.conditional_list(updates, self.paginated, self.history_freshness)


STATUS_UPDATE_WITHDRAW_DESCRIPTION = """\
Withdraw a status update or review recorded by mistake, with a `reason` (Editors only). The entry stays in the
history with `withdrawn: true` and the reason; a new entry of `kind=withdrawal` (the answer, 201) records who withdrew
it and carries the commitment's status and progress recomputed from the entries that still count.

Send the commitment's current `version` as `expected_version`: if someone else changed the commitment since, nothing
is written and the answer is **409** with its current state. A missing or too long reason, a withdrawal, or an entry
already withdrawn is a **400**.
"""

STATUS_UPDATE_LIST_DESCRIPTION = """\
The change feed: every status update, review and withdrawal, **oldest first**, so that new entries are appended at
the end. A withdrawal (`kind=withdrawal`, `withdraws` = the id it withdraws) is one more entry; the withdrawn entry
is then served with `withdrawn: true` and its `withdrawal_reason`.

To stay in sync, poll with `since` set a few minutes *before* the latest `recorded_at` you have processed and
skip the ids you already have: an update is stamped when it starts being written, so one written at the same
moment may become visible a little after a later one.
"""

STATUS_UPDATE_CREATE_DESCRIPTION = """\
Record a new status (`kind=status_change`, the default) or that a review found nothing changed
(`kind=review`, keeps the status, needs a `note`). Editors only.

Send the commitment's current `version` as `expected_version`. If someone else updated the commitment since,
nothing is written and the answer is **409** with the commitment's current state and the updates you missed.
Invalid input (achieved without evidence, evidence dated in the future, progress other than 100 for achieved,
...) is a **400** with the same messages as the web form.
"""


# What a write to the history answers: the new entry, or the conflict when ``expected_version`` is stale.
HISTORY_WRITE_RESPONSES = {
    201: StatusUpdateSerializer,
    409: OpenApiResponse(
        StatusUpdateConflictSerializer,
        description="The commitment was updated by someone else since `expected_version`: nothing was "
        "written. `current` is its state now, `newer_updates` what you missed.",
    ),
}


@extend_schema_view(
    list=extend_schema(
        summary="The change feed of status updates",
        description=STATUS_UPDATE_LIST_DESCRIPTION,
        parameters=STATUS_UPDATE_FILTERS,
    ),
    retrieve=extend_schema(summary="One status update"),
    withdraw=extend_schema(
        summary="Withdraw a status update or review recorded by mistake",
        description=STATUS_UPDATE_WITHDRAW_DESCRIPTION,
        request=StatusUpdateWithdrawSerializer,
        responses=HISTORY_WRITE_RESPONSES,
    ),
    create=extend_schema(
        summary="Update a commitment's status, or confirm it unchanged",
        description=STATUS_UPDATE_CREATE_DESCRIPTION,
        request=StatusUpdateCreateSerializer,
        responses=HISTORY_WRITE_RESPONSES,
    ),
)
class StatusUpdateViewSet(RecordingViewSet):
    """The append-only history of every commitment, and the way to add to it."""

    serializer_class = StatusUpdateSerializer
    action_serializers = {"create": StatusUpdateCreateSerializer, "withdraw": StatusUpdateWithdrawSerializer}
    filterset_class = StatusUpdateFilterSet
    lookup_value_regex = "[0-9]+"
    answer_cache = True
    freshness = Freshness(changed_at="pk", last_modified="recorded_at", histories=(Commitment,))

    def get_queryset(self) -> QuerySet[StatusUpdate]:
        return StatusUpdate.objects.select_related(
            "commitment", "author", "source_document", "withdrawal", "withdraws"
        ).order_by("recorded_at", "pk")

    def object_validator_parts(self, obj: StatusUpdate) -> list:
        # An entry is never changed, but a later withdrawal changes how it is served (withdrawn, reason).
        withdrawal = obj.withdrawal_entry
        return [withdrawal.pk if withdrawal else None]

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request, *args, **kwargs):
        update = self.get_object()
        data = self.validated_input(StatusUpdateWithdrawSerializer)
        # A stale expected_version raises CommitmentConflict: 409 with conflict_extra (core.api.exceptions).
        withdrawal = services.status_update_withdraw(
            update=update, expected_version=data["expected_version"], author=request.user, reason=data["reason"]
        )
        return self.stored_answer(withdrawal, StatusUpdateSerializer, created_route="api:statusupdate-detail")

    def conflict_extra(self, conflict: CommitmentConflict) -> dict:
        """What a 409 adds: the commitment as it is now and the updates the client missed."""
        context = self.get_serializer_context()
        return {
            "current": CommitmentSerializer(conflict.current, context=context).data,
            "newer_updates": StatusUpdateSerializer(conflict.newer_updates, many=True, context=context).data,
        }

    def create(self, request, *args, **kwargs):
        data = self.validated_input(StatusUpdateCreateSerializer)
        commitment: Commitment = data.pop("commitment")
        common = {
            "commitment": commitment,
            "expected_version": data.pop("expected_version"),
            "author": request.user,
            "note": data.get("note", ""),
            "evidence_url": data.get("evidence_url", ""),
            "evidence_reference": data.get("evidence_reference", ""),
            "evidence_date": data.get("evidence_date"),
        }
        # A stale expected_version raises CommitmentConflict: the API's exception handler answers 409 with
        # conflict_extra's details (the one mapping of domain errors, core.api.exceptions).
        if data["kind"] == UpdateKind.REVIEW:
            if data.get("party"):
                raise DRFValidationError({"party": ["A review is of the commitment as a whole: send no party."]})
            update = services.commitment_confirm_unchanged(**common)
        elif data.get("party"):
            update = services.commitment_update_party_status(
                **common, party=data["party"], status=data["status"], progress=data.get("progress")
            )
        else:
            update = services.commitment_update_status(**common, status=data["status"], progress=data.get("progress"))
        return self.stored_answer(update, StatusUpdateSerializer, created_route="api:statusupdate-detail")


MILESTONE_LIST_DESCRIPTION = """\
Milestones of every commitment, soonest due first (without a due date last). Withdrawn milestones are listed with
`withdrawn: true` (filter them out with `withdrawn=false`).

A milestone due `May 2025` (`due_on` 2025-05-01, `due_on_precision` month) is due by `due_by` 2025-05-31 and
overdue from 1 June 2025: `overdue=true` lists the milestones due by a day before today, not done and not
withdrawn. `due_before=D` lists those whose whole due period ends before D; `due_after=D` those due after D.
"""

MILESTONE_CREATE_DESCRIPTION = """\
Add a milestone to a commitment (Editors only). It is one entry of the commitment's status history
(`kind=milestone`) and, where the commitment's progress is rolled up from milestones (`progress_source`
milestones), moves its progress: the share of the weight done (a milestone without a weight weighs 1).

Send the commitment's current `version` as `expected_version`: if someone changed its history since, nothing is
written and the answer is **409** with its current state. Invalid input (done without evidence, done in the
future, a month-precise `due_on` not on the 1st, a weight outside 1–1,000, an open milestone under an achieved
commitment whose progress is rolled up) is a **400** with the same messages as the web form.
"""

MILESTONE_CREATE_EXAMPLE = OpenApiExample(
    "Add a milestone done, with evidence",
    value={
        "commitment": 42,
        "expected_version": 3,
        "title": "Joint exercise held",
        "due_on": "2025-01-01",
        "due_on_precision": "year",
        "done_on": "2025-10-14",
        "evidence_url": "https://www.eeas.europa.eu/example",
        "weight": 3,
    },
    request_only=True,
)
MILESTONE_CREATED_EXAMPLE = OpenApiExample(
    "The milestone added, done",
    value={
        **MILESTONE_EXAMPLE.value,
        **{name: MILESTONE_CREATE_EXAMPLE.value[name] for name in MILESTONE_FIELDS if name != "evidence_reference"},
        "id": 8,
        "url": "https://tracker.example.eu/api/v1/milestones/8/",
        "due_by": "2025-12-31",
        "done": True,
        "overdue": False,
    },
    response_only=True,
)
MILESTONE_DONE_EXAMPLE = OpenApiExample(
    "Mark it done",
    value={"expected_version": 4, "done_on": "2026-11-30", "evidence_reference": "Council press release 812/26"},
    request_only=True,
)
MILESTONE_MARKED_DONE_EXAMPLE = OpenApiExample(
    "The milestone, marked done",
    value={
        **MILESTONE_EXAMPLE.value,
        **{name: value for name, value in MILESTONE_DONE_EXAMPLE.value.items() if name != "expected_version"},
        "done": True,
        "overdue": False,
    },
    response_only=True,
)
MILESTONE_FILTERS = [
    query_parameter("commitment", int, "Id of a commitment: its milestones. An id no commitment has is a 400."),
    query_parameter("overdue", bool, "true: due by a day before today, not done, not withdrawn; false: the others."),
    query_parameter("due_before", OpenApiTypes.DATE, "Due period ends before this day (YYYY-MM-DD)."),
    query_parameter("due_after", OpenApiTypes.DATE, "Due after this day (YYYY-MM-DD)."),
    query_parameter("withdrawn", bool, "true: only withdrawn milestones; false: only those that count."),
]
# The same 409 as every write to the history (HISTORY_WRITE_RESPONSES).
CONFLICT_409 = HISTORY_WRITE_RESPONSES[409]


@extend_schema_view(
    list=extend_schema(
        summary="List milestones",
        description=MILESTONE_LIST_DESCRIPTION,
        parameters=MILESTONE_FILTERS,
        examples=[MILESTONE_EXAMPLE],
    ),
    retrieve=extend_schema(summary="One milestone", examples=[MILESTONE_EXAMPLE]),
    create=extend_schema(
        summary="Add a milestone to a commitment",
        description=MILESTONE_CREATE_DESCRIPTION,
        request=MilestoneCreateSerializer,
        examples=[MILESTONE_CREATE_EXAMPLE, MILESTONE_CREATED_EXAMPLE],
        responses={201: MilestoneSerializer, 409: CONFLICT_409},
    ),
    partial_update=extend_schema(
        summary="Change a milestone: mark it done, move its due date, weigh it",
        description="Send `expected_version` (the commitment's version) and the fields that change. One entry of "
        "the status history; 409 when the version is stale, 400 for invalid values or a withdrawn milestone.",
        request=MilestoneUpdateSerializer,
        examples=[MILESTONE_DONE_EXAMPLE, MILESTONE_MARKED_DONE_EXAMPLE],
        responses={200: MilestoneSerializer, 409: CONFLICT_409},
    ),
    withdraw=extend_schema(
        summary="Withdraw a milestone recorded by mistake",
        description="With a `reason` and the commitment's `expected_version`. It stays listed with `withdrawn: "
        "true` and no longer counts (roll-up, overdue). 400 if it is already withdrawn, 409 if the version is stale.",
        request=MilestoneWithdrawSerializer,
        responses={200: MilestoneSerializer, 409: CONFLICT_409},
    ),
)
class MilestoneViewSet(RecordingViewSet, mixins.UpdateModelMixin):
    """Milestones of the commitments: dated steps whose completion can roll up into the commitment's progress."""

    serializer_class = MilestoneSerializer
    action_serializers = {
        "create": MilestoneCreateSerializer,
        "partial_update": MilestoneUpdateSerializer,
        "withdraw": MilestoneWithdrawSerializer,
    }
    filterset_class = MilestoneFilterSet
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Every write to a milestone moves its commitment's version; "overdue" depends on today.
    freshness = Freshness(changed_at="pk", revisions=("commitment_version",), histories=(Commitment,), daily=True)
    # A milestone reads the same to every reader (the answer's key holds today's date, for "overdue"): repeated
    # reads are answered from the cache, without the aggregate over every filtered milestone.
    answer_cache = True

    def get_queryset(self) -> QuerySet[Milestone]:
        return Milestone.objects.for_listing().annotate(commitment_version=F("commitment__version")).in_due_order()

    def conflict_extra(self, conflict: CommitmentConflict) -> dict:
        return StatusUpdateViewSet.conflict_extra(self, conflict)

    def create(self, request, *args, **kwargs):
        data = self.validated_input(MilestoneCreateSerializer)
        milestone = services.milestone_add(
            commitment=data.pop("commitment"),
            expected_version=data.pop("expected_version"),
            author=request.user,
            **data,
        )
        return self.stored_answer(milestone, MilestoneSerializer, created_route="api:milestone-detail")

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        milestone = self.get_object()
        data = self.validated_input(MilestoneUpdateSerializer, partial=True)
        if "expected_version" not in data:
            raise DRFValidationError({"expected_version": ["This field is required."]})
        milestone, _ = services.milestone_update(
            milestone=milestone, expected_version=data.pop("expected_version"), author=request.user, **data
        )
        return self.stored_answer(milestone, MilestoneSerializer)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request, *args, **kwargs):
        milestone = self.get_object()
        data = self.validated_input(MilestoneWithdrawSerializer)
        services.milestone_withdraw(
            milestone=milestone, expected_version=data["expected_version"], author=request.user, reason=data["reason"]
        )
        return self.stored_answer(milestone, MilestoneSerializer)
