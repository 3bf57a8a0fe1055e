"""How dialogue bodies and meetings look in the API.

A body's schedule (``last_meeting_on``, ``next_meeting_due``, ``days_overdue``) is the cadence rule of
``DialogueBody`` (``compute_schedule`` / ``is_overdue`` / ``days_overdue``), read here, never recomputed.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from commitments.models import Commitment
from core.api.fields import MAX_ID, StrictIntegerField, StrictModelSerializer, StrictSlugRelatedField
from core.api.serializers import (
    FactBasisSerializer,
    SourceSerializer,
    WithdrawnRecordSerializer,
    approximate_date_help,
    display_name,
)
from core.models import DatePrecision
from dialogues.choices import BodyState
from dialogues.models import DialogueBody, Meeting

MAX_COMMITMENTS_PER_MEETING = 500


class DialogueBodySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:dialogue-detail", lookup_field="short_name")
    page_url = serializers.SerializerMethodField(help_text="Its page in the tracker's web interface.")
    meetings_url = serializers.SerializerMethodField(help_text="Its meetings.")
    reports_to = serializers.SlugRelatedField(
        slug_field="short_name", read_only=True, allow_null=True, help_text="Short name of the body it reports to."
    )
    agreements = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Codes of the frameworks it serves."
    )
    last_meeting_on_precision = serializers.SerializerMethodField(
        help_text="How much of last_meeting_on is known: day, or month / year for a meeting the documents date only "
        "so (last_meeting_on then stands on the 1st of the month, or 1 January, and means no more)."
    )
    next_meeting_due = serializers.DateField(
        source="next_due_on",
        read_only=True,
        allow_null=True,
        help_text="The day it is due to meet by: cadence_months after its last meeting (or its establishment), "
        "counted from the last day that date can mean (a meeting in June 2026 with a 12-month cadence: 2027-06-30), "
        "to next_meeting_due_precision; null for bodies without a cadence.",
    )
    next_meeting_due_precision = serializers.ChoiceField(
        source="schedule_precision",
        choices=DatePrecision.choices,
        read_only=True,
        help_text="How much of next_meeting_due is known: day, or month / year when it counts from a date the "
        "documents give only so (next_meeting_due is then the last day of that month or year).",
    )
    is_overdue = serializers.SerializerMethodField(
        help_text="Whether it is overdue today: active, with a cadence, and grace_days past next_meeting_due."
    )
    days_overdue = serializers.SerializerMethodField(
        help_text="Days since next_meeting_due when overdue today; null when not overdue."
    )
    source = SourceSerializer(source="*", read_only=True)
    cadence_basis = FactBasisSerializer("cadence", help_text="Whether a document states the cadence.")
    level_basis = FactBasisSerializer("level", help_text="Whether a document states the level.")
    reports_to_basis = FactBasisSerializer("reports_to", help_text="Whether a document draws the reporting line.")
    established_on_basis = FactBasisSerializer("established_on", help_text="Whether a document states the start.")
    state = serializers.SerializerMethodField(
        help_text="Its state today, by the one rule the pages use: on_schedule, due, overdue, never_met, "
        "cannot_tell, ad_hoc or inactive."
    )
    state_label = serializers.SerializerMethodField(help_text="The state in words, as the pages show it.")
    schedule_rests_on_assumption = serializers.BooleanField(
        read_only=True,
        help_text="True when its due date (and so an overdue flag) rests on an assumed cadence or start date.",
    )

    class Meta:
        model = DialogueBody
        fields = [
            "short_name",
            "url",
            "page_url",
            "meetings_url",
            "name",
            "level",
            "reports_to",
            "agreements",
            "cadence_months",
            "cadence_basis",
            "level_basis",
            "reports_to_basis",
            "grace_days",
            "established_on",
            "established_on_precision",
            "established_on_basis",
            "active",
            "last_meeting_on",
            "last_meeting_on_precision",
            "next_meeting_due",
            "next_meeting_due_precision",
            "state",
            "state_label",
            "is_overdue",
            "days_overdue",
            "schedule_rests_on_assumption",
            "eu_lead",
            "japan_lead",
            "description",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "last_meeting_on": {
                "help_text": "The date of its latest meeting held (withdrawn ones do not count), to "
                "last_meeting_on_precision; null if none is recorded."
            }
        }

    def _today(self):
        return self.context.get("today") or timezone.localdate()

    @extend_schema_field(serializers.ChoiceField(choices=DatePrecision.choices))
    def get_last_meeting_on_precision(self, obj: DialogueBody) -> str:
        # The precision of the meeting it comes from (DialogueBodyQuerySet.with_last_meeting_precision); the day
        # when no meeting is recorded, as for every other date the API leaves empty.
        return obj.last_meeting_precision or DatePrecision.DAY

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_overdue(self, obj: DialogueBody) -> bool:
        return obj.is_overdue(on=self._today())

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_days_overdue(self, obj: DialogueBody) -> int | None:
        return obj.days_overdue(on=self._today())

    @extend_schema_field(serializers.ChoiceField(choices=BodyState.values))
    def get_state(self, obj: DialogueBody) -> str:
        return obj.state(on=self._today()).code

    @extend_schema_field(OpenApiTypes.STR)
    def get_state_label(self, obj: DialogueBody) -> str:
        return obj.state(on=self._today()).text

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj: DialogueBody) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_meetings_url(self, obj: DialogueBody) -> str:
        url = reverse("api:meeting-list", request=self.context.get("request"))
        return f"{url}?dialogue={obj.short_name}"


class CommitmentReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = ["id", "reference"]
        read_only_fields = fields


class MeetingSerializer(WithdrawnRecordSerializer, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:meeting-detail")
    dialogue = serializers.SlugRelatedField(
        source="body", slug_field="short_name", read_only=True, help_text="Short name of the body that met."
    )
    dialogue_name = serializers.CharField(source="body.name", read_only=True)
    commitments_advanced = CommitmentReferenceSerializer(
        source="advanced_commitments",
        many=True,
        read_only=True,
        help_text="The commitments it advanced; those made at it are its outcomes (on the meeting itself), not these.",
    )
    recorded_by = serializers.SerializerMethodField(help_text="Who recorded it; null for the seed data.")
    source = SourceSerializer(source="*", read_only=True)
    withdrawn_by = serializers.SerializerMethodField(help_text="Who withdrew it; null if it was not withdrawn.")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "url",
            "dialogue",
            "dialogue_name",
            "held_on",
            "held_on_precision",
            "place",
            "summary",
            "commitments_advanced",
            "recorded_by",
            "created_at",
            "source",
            "withdrawn",
            "withdrawn_at",
            "withdrawal_reason",
            "withdrawn_by",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "summary": {"help_text": "The outcome."},
            **approximate_date_help("held_on", "The day it was held"),
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recorded_by(self, obj: Meeting) -> str | None:
        return display_name(obj.recorded_by)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_withdrawn_by(self, obj: Meeting) -> str | None:
        return display_name(obj.withdrawn_by) if obj.is_withdrawn else None


class OutcomeSerializer(serializers.ModelSerializer):
    """A commitment made at a meeting, with its status today."""

    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail")
    agreement = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Code of the framework.")

    class Meta:
        model = Commitment
        fields = ["id", "url", "reference", "title", "agreement", "status", "progress"]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    """One meeting, with the commitments made at it (their status today) and a one-line summary of them."""

    outcomes = OutcomeSerializer(
        many=True, read_only=True, source="outcome_list", help_text="The commitments made at it, in reference order."
    )
    outcomes_summary = serializers.CharField(
        read_only=True, help_text="E.g. “14 commitments: 3 achieved, 8 in progress, 3 not started”."
    )

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "outcomes", "outcomes_summary"]
        read_only_fields = fields


class MeetingCreateSerializer(StrictModelSerializer):
    """A meeting that was held. The body's next due date moves at once and its overdue flag closes."""

    dialogue = StrictSlugRelatedField(
        source="body",
        slug_field="short_name",
        queryset=DialogueBody.objects.all(),
        help_text="Short name of the body that met, e.g. SDD.",
    )
    commitments_advanced = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_COMMITMENTS_PER_MEETING,
        help_text="Ids of the commitments the meeting advanced.",
    )

    class Meta:
        model = Meeting
        fields = ["dialogue", "held_on", "held_on_precision", "place", "summary", "commitments_advanced"]
        # The model's rules (no future date, one meeting per body and day, a month-precise date on the 1st) are
        # checked by the service's full_clean(), with the same messages as the web form.
        validators = []
        extra_kwargs = {
            "held_on": {
                "help_text": "The day it was held (not in the future); for a meeting known only to the month or the "
                "year, the 1st of that month or 1 January of that year."
            },
            "held_on_precision": {
                "help_text": "How much of held_on is known: day (the default), month (held_on on the 1st) or year "
                "(held_on on 1 January)."
            },
        }

    def validate_commitments_advanced(self, ids: list[int]) -> list[Commitment]:
        found = Commitment.objects.in_bulk(set(ids))
        missing = sorted({pk for pk in ids if pk not in found})
        if missing:
            raise serializers.ValidationError(f"No commitment with id {', '.join(map(str, missing))}.")
        return [found[pk] for pk in dict.fromkeys(ids)]
