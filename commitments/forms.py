"""Forms of the staff workflows. They parse input and check it with the model rules (``clean()``), so that the
browser, the API and the services reject the same things; the services in ``commitments.services`` write.

Every form carries the version of the record it was opened on as a hidden field: the service refuses the write
when somebody else changed the record in between (optimistic concurrency), instead of overwriting.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone

from core.forms import (
    STORED_TO_PRECISION,
    AccessibleFormMixin,
    ApproximateDatesMixin,
    DateInput,
    WithdrawalForm,
    optional_precision,
)
from core.validators import validate_uri

from .choices import Actor, Party, ProgressSource, Status, UpdateKind
from .models import MADE_AT_REFUSED, Commitment, Milestone, StatusUpdate
from .services import EDITABLE_FIELDS, MILESTONE_FIELDS, NOTHING_CHANGED

PROGRESS_RANGE_MESSAGE = "Progress is a percentage from 0 to 100."
STALE_FORM_MESSAGE = "This form is incomplete or out of date. Reload the page and enter your change again."


def _expected_version_field() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages=dict.fromkeys(("required", "invalid", "min_value"), STALE_FORM_MESSAGE),
    )


def evidence_url_field(help_text: str) -> forms.URLField:
    """The evidence link of a status update, a review or a milestone: a public http(s) address."""
    return forms.URLField(
        label="Evidence URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[validate_uri],
        help_text=help_text,
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )


def _whole_number_field(
    label: str, low: int, high: int, *, help_text: str, out_of_range: str, invalid: str
) -> forms.IntegerField:
    """An optional whole number from ``low`` to ``high`` (a progress, a milestone's weight), typed on a numeric
    keypad: one message for either bound, one for what is not a whole number."""
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        help_text=help_text,
        error_messages={**dict.fromkeys(("min_value", "max_value"), out_of_range), "invalid": invalid},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )


EVIDENCE_FIELDS = ["evidence_url", "evidence_reference", "evidence_date", "evidence_date_precision"]


class _EvidenceFieldsMixin(ApproximateDatesMixin, forms.ModelForm):
    """The evidence fields shared by a status update and a review: a link or a reference, and the date of the
    document or event to the precision it gives (a day, a month or a year)."""

    evidence_url = evidence_url_field("A public link to the document that shows it, e.g. a joint statement.")
    approximate_dates = ("evidence_date",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence_reference"].help_text = "Or a reference to a document that is not online."
        self.fields["evidence_date"].help_text = (
            f"The date of the document or event it rests on (not in the future), with its link or reference. "
            f"{STORED_TO_PRECISION}"
        )
        self.fields["evidence_date"].widget = DateInput(attrs={"max": timezone.localdate().isoformat()})
        precision = optional_precision(self.fields["evidence_date_precision"])
        precision.label = "The evidence date is known to the"
        precision.help_text = "As much as the document gives: a day, a month or only a year."


class StatusUpdateForm(AccessibleFormMixin, _EvidenceFieldsMixin):
    """A new status for one commitment, with evidence. Validated by ``StatusUpdate.clean()``: evidence is needed
    to mark it achieved, achieved means 100 %, the evidence date is not in the future."""

    status = forms.ChoiceField(label="New status", choices=Status.choices, widget=forms.RadioSelect)
    progress = _whole_number_field(
        "Progress (%)",
        0,
        100,
        help_text="A whole number from 0 to 100. Leave empty if it cannot be measured; achieved is always 100.",
        out_of_range=PROGRESS_RANGE_MESSAGE,
        invalid="Enter progress as a whole number from 0 to 100.",
    )
    expected_version = _expected_version_field()

    class Meta:
        model = StatusUpdate
        fields = ["status", "progress", "note", *EVIDENCE_FIELDS]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"note": "What happened, in a sentence or two. It is shown on the timeline."}

    party = forms.ChoiceField(
        label="Whose status",
        required=False,
        choices=[("", "The commitment as a whole"), *Party.choices],
        widget=forms.RadioSelect,
        help_text="Both parties must act on it: record one party's own status with its own evidence, or set the "
        "combined status. Once both parties' statuses are recorded, the combined one is the less advanced of the two "
        "(until an editor sets it).",
    )

    def __init__(self, *args, commitment: Commitment, **kwargs):
        self.commitment = commitment
        kwargs["instance"] = StatusUpdate(
            commitment=commitment, kind=UpdateKind.STATUS_CHANGE, previous_status=commitment.status
        )
        # An achieved commitment's 100 % goes without saying (achieved is 100): the box starts empty, so that
        # choosing another status does not carry a 100 that only achieved may have.
        kept = commitment.status != Status.ACHIEVED or commitment.progress_rolled_up
        kwargs["initial"] = {
            "status": commitment.status,
            "progress": commitment.progress if kept else None,
            "expected_version": commitment.version,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        if commitment.actor != Actor.BOTH:
            del self.fields["party"]
        else:
            self.order_fields(["party", *self.fields])

    def clean(self):
        cleaned = super().clean()
        # The progress box comes filled with the commitment's progress; a party's status takes none, so that
        # untouched value is not sent with it (a progress the editor changed still gets the service's error).
        if cleaned.get("party") and cleaned.get("progress") == self.commitment.progress:
            cleaned["progress"] = None
        self.nothing_changed = self.changes_nothing(cleaned)
        if self.nothing_changed:
            self.add_error("status", NOTHING_CHANGED)
        return cleaned

    def changes_nothing(self, cleaned: dict) -> bool:
        """The commitment's own status and progress again, with no note and no evidence: said as such (the
        service's rule), not as evidence missing for an achieved commitment sent back unchanged."""
        commitment = self.commitment
        if cleaned.get("party") or cleaned.get("status") != commitment.status:
            return False
        progress = cleaned.get("progress")
        if progress is None and (commitment.status == Status.ACHIEVED or commitment.progress_rolled_up):
            progress = commitment.progress  # what the service records for it
        return progress == commitment.progress and not any(
            cleaned.get(name) for name in ("note", "evidence_url", "evidence_reference", "evidence_date")
        )

    def _post_clean(self):
        if getattr(self, "nothing_changed", False):
            return  # nothing would be recorded, so nothing to check against the model's rules
        super()._post_clean()


class ConfirmUnchangedForm(AccessibleFormMixin, _EvidenceFieldsMixin):
    """A review that found nothing changed: it enters the timeline and resets the staleness clock."""

    expected_version = _expected_version_field()

    class Meta:
        model = StatusUpdate
        fields = ["note", *EVIDENCE_FIELDS]
        labels = {"note": "What was reviewed"}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"note": "E.g. “Checked the 2025 Summit statement: no new step.”"}

    def __init__(self, *args, commitment: Commitment, **kwargs):
        self.commitment = commitment
        kwargs["instance"] = StatusUpdate(
            commitment=commitment,
            kind=UpdateKind.REVIEW,
            status=commitment.status,
            previous_status=commitment.status,
            progress=commitment.progress,
        )
        kwargs["initial"] = {"expected_version": commitment.version, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["note"].required = True
        self.fields["note"].error_messages["required"] = "Say briefly what was reviewed."
        checked = "The date of the latest document you checked, with its link or reference."
        self.fields["evidence_date"].help_text = f"{checked} {STORED_TO_PRECISION}"


MADE_AT_CHOICES = 50  # meetings offered in the commitment form's "made at" choice


class CommitmentForm(AccessibleFormMixin, ApproximateDatesMixin, forms.ModelForm):
    """The editorial fields of a commitment: what was promised and who is responsible for it. Validated by
    ``Commitment.clean()``; a target date known to the month or the year is kept as that month or year, whatever
    day of it is entered."""

    expected_edit_version = _expected_version_field()
    approximate_dates = ("target_date",)

    class Meta:
        model = Commitment
        fields = list(EDITABLE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 5}), "target_date": DateInput()}
        labels = {"target_date_precision": "The target date is known to the"}
        help_texts = {
            "strength": "How firmly it was promised: “explore” is weaker than “implement”.",
            "target_date": (
                "Only if the text sets a deadline: “by May 2025” is known to the month, “in the course of 2023” to "
                f"the year. {STORED_TO_PRECISION}"
            ),
            "target_date_precision": "As much as the text gives: a day, a month or only a year.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("expected_edit_version", self.instance.edit_version)
        optional_precision(self.fields["target_date_precision"])
        body = self.fields["responsible_body"]
        body.queryset = body.queryset.order_by("name")
        body.empty_label = "None named"
        made_at = self.fields["made_at"]
        # Any candidate is accepted (the service's rule); the newest are offered (a display cap, not a rule).
        made_at.queryset, shown = self.made_at_choices(made_at.queryset)
        made_at.choices = [("", "Not recorded"), *((m.pk, self.made_at_label(made_at, m)) for m in shown)]
        made_at.help_text = (
            f"{made_at.help_text} Offered: the {MADE_AT_CHOICES} most recent meetings of the responsible body and "
            "of the dialogue bodies of its framework or of a framework it sits under."
        )
        made_at.error_messages["invalid_choice"] = MADE_AT_REFUSED

    @staticmethod
    def made_at_label(field, meeting) -> str:
        """A meeting as the choice names it; the current one, if it was withdrawn since, says so (it is kept so that
        the form saves unchanged, and offered as held nowhere)."""
        label = field.label_from_instance(meeting)
        return f"Withdrawn: {label}" if meeting.is_withdrawn else label  # first, where a narrow select shows it

    def made_at_choices(self, meetings):
        """The meetings the "made at" choice accepts and those it offers. It accepts the commitment's candidates
        (``Commitment.made_at_candidates``, the rule the services apply too: meetings held) and its current meeting,
        even one withdrawn since; it offers the newest of them, capped so the list stays short however many meetings
        are recorded, and the current one."""
        commitment = self.instance
        accepted = commitment.made_at_candidates()
        newest = accepted.order_by("-held_on", "-pk").values_list("pk", flat=True)[:MADE_AT_CHOICES]
        offered = Q(pk__in=list(newest))
        if commitment.made_at_id is not None:
            offered |= Q(pk=commitment.made_at_id)
            accepted = meetings.filter(Q(pk__in=accepted.values("pk")) | Q(pk=commitment.made_at_id))
        shown = meetings.filter(offered).select_related("body").order_by("-held_on", "body__short_name")
        return accepted, shown


class StatusUpdateWithdrawForm(WithdrawalForm):
    """Withdraw one entry of a commitment's history, with the commitment version the form was opened on."""

    expected_version = _expected_version_field()

    def __init__(self, *args, commitment: Commitment, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("expected_version", commitment.version)


class MilestoneForm(AccessibleFormMixin, ApproximateDatesMixin, forms.ModelForm):
    """A milestone of a commitment, to add or to change (mark it done with its evidence, move its due date).
    Validated by ``Milestone.clean()``: done needs evidence and a day not in the future; a due date known to the
    month or the year is kept as that month or year, whatever day of it is entered."""

    approximate_dates = ("due_on",)

    evidence_url = evidence_url_field("A public link to the document that shows it is done.")
    weight = _whole_number_field(
        "Weight",
        1,
        1000,
        help_text="How much it counts in a progress rolled up from milestones (1 to 1,000). Empty counts as 1.",
        out_of_range="A weight is a whole number from 1 to 1,000.",
        invalid="Enter the weight as a whole number from 1 to 1,000.",
    )
    expected_version = _expected_version_field()

    class Meta:
        model = Milestone
        fields = list(MILESTONE_FIELDS)
        labels = {"due_on_precision": "The due date is known to the"}
        help_texts = {
            "title": "The step, e.g. “First meeting of the Security and Defence Dialogue”.",
            "due_on": f"When it is due, if the text or a plan says so. {STORED_TO_PRECISION}",
            "done_on": "The day it was done (not in the future). Leave empty while it is open.",
        }

    def __init__(self, *args, commitment: Commitment, **kwargs):
        self.commitment = commitment
        kwargs.setdefault("instance", Milestone(commitment=commitment))
        super().__init__(*args, **kwargs)
        self.initial.setdefault("expected_version", commitment.version)
        self.fields["due_on"].widget = DateInput()
        self.fields["done_on"].widget = DateInput(attrs={"max": timezone.localdate().isoformat()})
        self.fields["due_on_precision"].widget = forms.RadioSelect(choices=self.fields["due_on_precision"].choices)
        self.fields["evidence_reference"].help_text = "Or a reference to a document that is not online."


# Withdrawing a milestone asks the same as withdrawing an entry: a reason, under the commitment's version.
MilestoneWithdrawForm = StatusUpdateWithdrawForm


class ProgressSourceForm(AccessibleFormMixin, forms.Form):
    """Where the commitment's progress comes from: entered by hand, or rolled up from its milestones."""

    progress_source = forms.ChoiceField(
        label="Progress",
        choices=ProgressSource.choices,
        widget=forms.RadioSelect,
        help_text="Rolled up: the share of its milestones done, weighted where weights are given.",
    )
    expected_version = _expected_version_field()

    class Meta:
        fields = ["progress_source"]

    def __init__(self, *args, commitment: Commitment, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("progress_source", commitment.progress_source)
        self.initial.setdefault("expected_version", commitment.version)
