"""How frameworks, commitments and status updates look in the API: explicit fields, related records by code.

Serializers only parse and present. The rules of a status update (evidence for "achieved", no future evidence
date, a note for a review, the version check) live in the model and ``commitments.services``, which the views
call: the API refuses exactly what the web forms refuse.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from commitments.choices import Actor, CommitmentState, Party, Status, UpdateKind
from commitments.models import MILESTONE_FIELDS, Agreement, Commitment, Milestone, StatusUpdate
from core.api.fields import MAX_ID, StrictIntegerField, StrictModelSerializer, StrictURLField, recorded_choice
from core.api.schema import ErrorSerializer
from core.api.serializers import (
    FactBasisSerializer,
    SourceSerializer,
    WithdrawalSerializer,
    WithdrawnRecordSerializer,
    approximate_date_help,
    display_name,
)
from core.models import DatePrecision


class AgreementSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail", lookup_field="code")
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Code of the framework this one sits under."
    )
    commitment_count = serializers.IntegerField(read_only=True, min_value=0)
    achieved_count = serializers.IntegerField(read_only=True, min_value=0)
    commitments_url = serializers.SerializerMethodField(help_text="The commitments under this framework.")
    source = SourceSerializer(source="*", read_only=True)
    signed_on_basis = FactBasisSerializer("signed_on", help_text="Whether a document states the signature date.")
    in_force_on_basis = FactBasisSerializer("in_force_on", help_text="Whether a document states the date in force.")

    class Meta:
        model = Agreement
        fields = [
            "code",
            "url",
            "title",
            "kind",
            "parent",
            "signed_on",
            "signed_on_precision",
            "signed_on_basis",
            "in_force_on",
            "in_force_on_precision",
            "in_force_on_basis",
            "date_note",
            "summary",
            "commitment_count",
            "achieved_count",
            "commitments_url",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "signed_on": {
                "help_text": "Stored on the 1st of the month, or 1 January, when signed_on_precision says so."
            },
            "signed_on_precision": {"help_text": "How much of signed_on the documents give: day, month or year."},
            "in_force_on_precision": {"help_text": "How much of in_force_on the documents give: day, month or year."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_commitments_url(self, obj: Agreement) -> str:
        url = reverse("api:commitment-list", request=self.context.get("request"))
        return f"{url}?agreement={obj.code}"


class MilestoneSerializer(WithdrawnRecordSerializer, serializers.ModelSerializer):
    """A milestone as the API serves it (in the list and nested read-only in a commitment)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:milestone-detail")
    commitment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Id of the commitment.")
    evidence_url = StrictURLField(read_only=True, allow_blank=True, help_text="A URL, or empty.")
    done = serializers.BooleanField(source="is_done", read_only=True, help_text="Whether it has a done_on date.")
    overdue = serializers.SerializerMethodField(help_text="Due by a day before today, not done, not withdrawn.")
    author = serializers.SerializerMethodField(help_text="Who added it; null for the seed data.")
    source = SourceSerializer(source="*", read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "url",
            "commitment",
            "title",
            "due_on",
            "due_on_precision",
            "due_by",
            "done_on",
            "done",
            "overdue",
            "evidence_url",
            "evidence_reference",
            "weight",
            "author",
            "created_at",
            "withdrawn",
            "withdrawn_at",
            "withdrawal_reason",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "due_on": {"help_text": "Stored on the 1st of the month, or 1 January, when due_on_precision says so."},
            "due_on_precision": {"help_text": "How much of due_on is known: day, month or year."},
            "due_by": {"help_text": "The last day due_on can mean (31 May 2025 for May 2025): overdue after it."},
            "weight": {"help_text": "Its weight in a rolled-up progress; null counts as 1."},
        }

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, obj: Milestone) -> bool:
        return obj.is_overdue(self.context.get("today"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, obj: Milestone) -> str | None:
        return display_name(obj.author)


class CommitmentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail")
    history_url = serializers.HyperlinkedIdentityField(
        view_name="api:commitment-history", help_text="Its status updates, newest first."
    )
    page_url = serializers.SerializerMethodField(help_text="Its page in the tracker's web interface.")
    agreement = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Code of the framework.")
    responsible_body = serializers.SlugRelatedField(
        slug_field="short_name",
        read_only=True,
        allow_null=True,
        help_text="Short name of the dialogue body responsible for it.",
    )
    source = SourceSerializer(source="*", read_only=True)
    state = serializers.SerializerMethodField(
        help_text="Its state today, by the one rule the pages, print and CSV use: achieved, moving (ongoing or in "
        "progress), stalled, stale (no update or review in 12 months, not achieved or discontinued), not_started or "
        "discontinued. Read-only: it follows from status and last_reviewed_at."
    )
    state_label = serializers.SerializerMethodField(help_text="The state in words, as the pages show it.")
    made_at = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the meeting that produced it; null if none recorded."
    )
    made_at_url = serializers.SerializerMethodField(help_text="The meeting that produced it, with its outcomes.")
    # Empty is a value of these (not recorded): declared so that the schema's enums include it.
    actor = recorded_choice(
        Actor.choices, help_text="Who must act: eu, japan or both; empty where the wording does not say."
    )
    eu_status = recorded_choice(
        Status.choices, help_text="For a joint commitment: the EU's own status (empty: not recorded)."
    )
    japan_status = recorded_choice(
        Status.choices, help_text="For a joint commitment: Japan's own status (empty: not recorded)."
    )

    class Meta:
        model = Commitment
        fields = [
            "id",
            "url",
            "history_url",
            "page_url",
            "reference",
            "title",
            "description",
            "agreement",
            "area",
            "strength",
            "actor",
            "responsible_body",
            "target_date",
            "target_date_precision",
            "made_at",
            "made_at_url",
            "status",
            "state",
            "state_label",
            "eu_status",
            "japan_status",
            "progress",
            "progress_source",
            "status_changed_at",
            "status_changed_precision",
            "last_reviewed_at",
            "last_reviewed_precision",
            "version",
            "created_at",
            "updated_at",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "version": {
                "help_text": "Counts its status history (status updates, reviews, milestone entries); send it back "
                "as expected_version when updating it or its milestones."
            },
            "progress_source": {"help_text": "manual (entered with each status update) or milestones (rolled up)."},
            "status": {
                "help_text": "The combined status; for a joint commitment the less advanced of eu_status and "
                "japan_status once both are recorded, unless an editor set it since."
            },
            "progress": {
                "help_text": "Percentage complete, if known; 100 only when achieved, except when rolled up from "
                "milestones (progress_source=milestones), where 100 means every milestone is done and status "
                "says whether it is achieved."
            },
            "status_changed_at": {
                "help_text": "Since when it has its status, to status_changed_precision: the evidence date of the "
                "entry that set it (the date of the document or event), unless that entry gave none or its evidence "
                "predates the status before it, then the moment the entry was recorded. Null when no entry dates it "
                "(a document that gives no date)."
            },
            "status_changed_precision": {
                "help_text": "How much of status_changed_at is known: day, or month / year for evidence dated only "
                "so (then status_changed_at stands on the period's first day, at noon, and means no more)."
            },
            "last_reviewed_at": {
                "help_text": "When it was last updated or confirmed unchanged (the moment the entry was recorded, "
                "whatever its evidence date), to last_reviewed_precision. Null when no dated entry says so."
            },
            "last_reviewed_precision": {"help_text": "How much of last_reviewed_at is known: day, month or year."},
            "updated_at": {
                "help_text": "When anything it shows last changed: a status update, review or withdrawal, a "
                "milestone added, changed or withdrawn, an edit of its text. The updated_since filter and "
                "ordering=updated use it."
            },
            "target_date": {
                "help_text": "The deadline the text sets, if any. Stored on the 1st of the month, or 1 January, when "
                'target_date_precision says so ("in the course of 2023" is 2023-01-01 with precision year).'
            },
            "target_date_precision": {
                "help_text": "How much of target_date the documents give: day, month or year. The target has "
                "passed only once the last day it can mean is over (a year target on 1 January of the next year)."
            },
        }

    def _state(self, obj: Commitment):
        # One "today" per answer (the view's, which its ETag counts), so every row is judged on the same day.
        return obj.state(on=self.context.get("today"))

    @extend_schema_field(serializers.ChoiceField(choices=CommitmentState.choices))
    def get_state(self, obj: Commitment) -> str:
        return self._state(obj).code

    @extend_schema_field(serializers.CharField())
    def get_state_label(self, obj: Commitment) -> str:
        return self._state(obj).text

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_made_at_url(self, obj: Commitment) -> str | None:
        if obj.made_at_id is None:
            return None
        return reverse("api:meeting-detail", kwargs={"pk": obj.made_at_id}, request=self.context.get("request"))

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj: Commitment) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, instance: Commitment) -> dict:
        """The fields above, built directly: the three links from patterns reversed once per serializer (not three
        ``reverse()`` calls per row), the dates as DRF writes them. A test compares it with DRF's own output."""
        if self.context.get("format"):  # an address with a format suffix: DRF's fields add it to each link
            return super().to_representation(instance)
        links = self._links()
        zone = timezone.get_current_timezone()
        pk = instance.pk
        source = instance.source_document
        state = self._state(instance)
        return {
            "id": pk,
            "url": links[0].format(pk),
            "history_url": links[1].format(pk),
            "page_url": links[2].format(pk),
            "reference": instance.reference,
            "title": instance.title,
            "description": instance.description,
            "agreement": instance.agreement.code,
            "area": instance.area,
            "strength": instance.strength,
            "actor": instance.actor,
            "responsible_body": instance.responsible_body.short_name if instance.responsible_body_id else None,
            "target_date": instance.target_date.isoformat() if instance.target_date else None,
            "target_date_precision": instance.target_date_precision,
            "made_at": instance.made_at_id,
            "made_at_url": links[3].format(instance.made_at_id) if instance.made_at_id else None,
            "status": instance.status,
            "state": state.code,
            "state_label": state.text,
            "eu_status": instance.eu_status,
            "japan_status": instance.japan_status,
            "progress": instance.progress,
            "progress_source": instance.progress_source,
            "status_changed_at": _datetime(instance.status_changed_at, zone),
            "status_changed_precision": instance.status_changed_precision,
            "last_reviewed_at": _datetime(instance.last_reviewed_at, zone),
            "last_reviewed_precision": instance.last_reviewed_precision,
            "version": instance.version,
            "created_at": _datetime(instance.created_at, zone),
            "updated_at": _datetime(instance.updated_at, zone),
            "source": {
                "document": source.key if source else None,
                "title": source.title if source else None,
                "locator": instance.source_locator,
            },
        }

    def _links(self) -> tuple[str, str, str, str]:
        """Format strings of a commitment's API address, history and page, and of the meeting that made it, from one
        ``reverse()`` each."""
        links = getattr(self, "_link_patterns", None)
        if links is None:
            request = self.context.get("request")
            marker = 987654321987654321  # a pk no row has; its place in each address becomes {}
            paths = (
                reverse("api:commitment-detail", kwargs={"pk": marker}),
                reverse("api:commitment-history", kwargs={"pk": marker}),
                Commitment(pk=marker).get_absolute_url(),
                reverse("api:meeting-detail", kwargs={"pk": marker}),
            )
            absolute = [request.build_absolute_uri(path) if request else path for path in paths]
            links = tuple(link.replace("{", "{{").replace("}", "}}").replace(str(marker), "{}") for link in absolute)
            self._link_patterns = links
        return links


def _datetime(value, zone) -> str | None:
    """A datetime as DRF's ``DateTimeField`` writes it: ISO 8601 in the current time zone ``zone``, UTC as ``Z``."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CommitmentDetailSerializer(CommitmentSerializer):
    """One commitment, with its milestones nested (read-only; they are written through /api/v1/milestones/)."""

    milestones = MilestoneSerializer(
        many=True, read_only=True, source="milestone_list", help_text="Its milestones, soonest due first."
    )

    class Meta(CommitmentSerializer.Meta):
        fields = [*CommitmentSerializer.Meta.fields, "milestones"]
        read_only_fields = fields

    def to_representation(self, instance: Commitment) -> dict:
        data = super().to_representation(instance)
        if "milestones" not in data:  # built directly by CommitmentSerializer: add the nested milestones
            data["milestones"] = MilestoneSerializer(instance.milestone_list, many=True, context=self.context).data
        return data


class StatusUpdateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:statusupdate-detail")
    commitment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Id of the commitment.")
    commitment_reference = serializers.CharField(source="commitment.reference", read_only=True)
    author = serializers.SerializerMethodField(help_text="Who recorded it; null for the seed data.")
    evidence_url = StrictURLField(read_only=True, allow_blank=True, help_text="A URL, or empty.")
    source = SourceSerializer(source="*", read_only=True)
    withdrawn = serializers.SerializerMethodField(help_text="Whether a later entry withdrew this one.")
    withdrawal_reason = serializers.SerializerMethodField(help_text="Why it was withdrawn; null if it was not.")
    withdrawn_by = serializers.SerializerMethodField(help_text="Id of the withdrawal entry; null if not withdrawn.")
    withdraws = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="For kind=withdrawal: the id of the entry it withdraws."
    )
    party = recorded_choice(
        Party.choices, help_text="eu or japan: this entry records that party's own status; empty otherwise."
    )
    party_status = recorded_choice(
        Status.choices,
        help_text="The party's own status (status is then the combined status it led to); empty otherwise.",
    )
    recorded_precision = serializers.SerializerMethodField(
        help_text="How much of recorded_at is known: day for an entry the staff recorded (the moment itself); for "
        "one taken from a document, as much as the document gives of its date (month: recorded_at stands on the "
        "1st, at noon, and means that month and no more). Null when the document gives no date: recorded_at is "
        "then only when the entry was loaded."
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "url",
            "commitment",
            "commitment_reference",
            "version",
            "kind",
            "status",
            "previous_status",
            "progress",
            "note",
            "evidence_url",
            "evidence_reference",
            "evidence_date",
            "evidence_date_precision",
            "author",
            "recorded_at",
            "recorded_precision",
            "source",
            "withdrawn",
            "withdrawal_reason",
            "withdrawn_by",
            "withdraws",
            "milestone",
            "party",
            "party_status",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "version": {"help_text": "The commitment's version this update produced."},
            "kind": {
                "help_text": "status_change, review, withdrawal (of the entry named by withdraws), milestone (a "
                "milestone added, changed or withdrawn: see milestone) or progress_source."
            },
            "milestone": {"help_text": "For kind=milestone: the id of the milestone."},
            **approximate_date_help("evidence_date", "The date of the evidence"),
            "recorded_at": {
                "help_text": "When it happened, to recorded_precision: the moment an entry was recorded, or the date "
                "of the document it is taken from (at noon, Brussels time: not a time of day)."
            },
        }

    @extend_schema_field(serializers.ChoiceField(choices=DatePrecision.choices, allow_null=True))
    def get_recorded_precision(self, obj: StatusUpdate) -> str | None:
        return obj.date_precision

    @extend_schema_field(serializers.BooleanField())
    def get_withdrawn(self, obj: StatusUpdate) -> bool:
        return obj.is_withdrawn

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_withdrawal_reason(self, obj: StatusUpdate) -> str | None:
        withdrawal = obj.withdrawal_entry
        return withdrawal.note if withdrawal else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_withdrawn_by(self, obj: StatusUpdate) -> int | None:
        withdrawal = obj.withdrawal_entry
        return withdrawal.pk if withdrawal else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, obj: StatusUpdate) -> str | None:
        return display_name(obj.author)


class CommitmentIdInput(serializers.Serializer):
    """Input that names its commitment by id: a JSON integer, answered with a field error when no such commitment
    exists."""

    commitment = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="Id of the commitment.")

    def validate_commitment(self, value: int) -> Commitment:
        commitment = Commitment.objects.filter(pk=value).first()
        if commitment is None:
            raise serializers.ValidationError(f"No commitment with id {value}.")
        return commitment


# The kinds of entry POST /api/v1/status-updates/ records, and where each other kind is recorded instead.
RECORDED_KINDS = [(kind.value, kind.label) for kind in (UpdateKind.STATUS_CHANGE, UpdateKind.REVIEW)]
RECORDED_ELSEWHERE = {
    UpdateKind.WITHDRAWAL: "An entry is withdrawn with POST /api/v1/status-updates/{id}/withdraw/ (the id of the "
    "entry, with expected_version and a reason), not recorded here.",
    UpdateKind.MILESTONE: "Milestone entries are recorded by the milestones endpoint: POST /api/v1/milestones/ adds "
    "one, PATCH /api/v1/milestones/{id}/ changes it, POST /api/v1/milestones/{id}/withdraw/ withdraws it.",
    UpdateKind.PROGRESS_SOURCE: "Where a commitment's progress comes from is set on its page in the tracker, "
    "/commitments/{id}/progress-source/ (Editors); the API does not change it.",
}


class RecordedKindField(serializers.ChoiceField):
    """``kind`` of a new entry: status_change or review. Another kind of the history is refused with where it is
    recorded, rather than DRF's "not a valid choice"."""

    def __init__(self, **kwargs):
        super().__init__(choices=RECORDED_KINDS, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data in RECORDED_ELSEWHERE:
            raise serializers.ValidationError(RECORDED_ELSEWHERE[data], code="invalid_choice")
        return super().to_internal_value(data)


class StatusUpdateCreateSerializer(CommitmentIdInput, StrictModelSerializer):
    """A new status (``kind=status_change``) or a review that found nothing changed (``kind=review``)."""

    kind = RecordedKindField(
        required=False,
        help_text="status_change (default) or review (confirms the status unchanged). Withdrawals and milestone "
        "entries have their own endpoints (POST /api/v1/status-updates/{id}/withdraw/, /api/v1/milestones/).",
    )
    party = serializers.ChoiceField(
        choices=Party.choices,
        allow_blank=True,
        required=False,
        help_text="For a commitment both parties must act on (actor=both): eu or japan records that party's own "
        "status with its own evidence; the combined status follows the less advanced of the two. Empty or absent: "
        "the commitment as a whole.",
    )

    expected_version = StrictIntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text=(
            "The commitment's version your update is based on. If someone has updated it since, nothing is "
            "written and the answer is 409 with the current state."
        ),
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "commitment",
            "expected_version",
            "kind",
            "status",
            "progress",
            "note",
            "evidence_url",
            "evidence_reference",
            "evidence_date",
            "party",
        ]
        # The model's constraints are checked by the service's full_clean(), with the model's messages.
        validators = []
        extra_kwargs = {
            "status": {"required": False, "help_text": "The new status; required for a status_change."},
            "progress": {"help_text": "Percentage complete; achieved means 100."},
            "note": {"help_text": "What happened; required for a review."},
            "evidence_reference": {"help_text": "A document reference; evidence is required to mark it achieved."},
        }

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("kind", UpdateKind.STATUS_CHANGE)
        if attrs["kind"] == UpdateKind.STATUS_CHANGE and not attrs.get("status"):
            raise serializers.ValidationError({"status": ["Give the new status (or send kind=review)."]})
        if attrs["kind"] == UpdateKind.REVIEW:
            # A review keeps the status, the progress and the parties' statuses: what it was sent with would be lost.
            sent = [name for name in ("status", "progress", "party") if attrs.get(name) not in (None, "")]
            if sent:
                raise serializers.ValidationError(
                    {
                        name: ["A review keeps the status as it is: send kind=status_change to change it."]
                        for name in sent
                    }
                )
        return attrs


class StatusUpdateWithdrawSerializer(WithdrawalSerializer):
    expected_version = StrictIntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text=(
            "The commitment's version your withdrawal is based on. If someone has updated it since, nothing is "
            "written and the answer is 409 with the current state."
        ),
    )


class StatusUpdateConflictSerializer(ErrorSerializer):
    """The 409 answer to a stale status update: the usual error fields, plus what the commitment looks like now."""

    current = CommitmentSerializer(help_text="The commitment as it is now; its version is the one to send.")
    newer_updates = StatusUpdateSerializer(many=True, help_text="The updates recorded since your expected_version.")


class MilestoneCreateSerializer(CommitmentIdInput, StrictModelSerializer):
    """A new milestone of a commitment."""

    expected_version = StrictIntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text=(
            "The commitment's version your milestone is based on. If someone has changed its history since, "
            "nothing is written and the answer is 409 with the current state."
        ),
    )

    class Meta:
        model = Milestone
        fields = [
            "commitment",
            "expected_version",
            *MILESTONE_FIELDS,
        ]
        # The model's rules are checked by the service's full_clean(), with the model's messages.
        validators = []
        extra_kwargs = {
            "due_on_precision": {"help_text": "day (default), month (due_on on the 1st) or year (on 1 January)."},
            "done_on": {"help_text": "The day it was done; needs evidence_url or evidence_reference."},
        }


class MilestoneUpdateSerializer(MilestoneCreateSerializer):
    """Changes to a milestone (send only the fields that change): mark it done, move its due date, weigh it."""

    commitment = None

    class Meta(MilestoneCreateSerializer.Meta):
        fields = [name for name in MilestoneCreateSerializer.Meta.fields if name != "commitment"]
        extra_kwargs = {
            **MilestoneCreateSerializer.Meta.extra_kwargs,
            **{name: {"required": False} for name in ("title",)},
        }


# A milestone is withdrawn as an entry is: a reason, under the commitment's version.
MilestoneWithdrawSerializer = StatusUpdateWithdrawSerializer
