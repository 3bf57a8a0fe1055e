"""Forms of the dialogue pages. They check input with the model rules; ``dialogues.services`` writes."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from commitments.models import Commitment
from core.forms import AccessibleFormMixin, DateInput

from .models import DialogueBody, Meeting

NO_BODY_GROUP = "No responsible body"


def _constraint_message(model, name: str) -> str:
    """The message a database constraint gives, so that a form repeats it word for word."""
    return next(c for c in model._meta.constraints if c.name == name).violation_error_message


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in named groups, each group a fieldset with a legend that screen readers announce."""

    template_name = "dialogues/widgets/grouped_checkboxes.html"


class MeetingForm(AccessibleFormMixin, forms.ModelForm):
    """A meeting that was held: the body, the day, the place, the outcome, and the commitments it advanced."""

    commitments_advanced = forms.ModelMultipleChoiceField(
        label="Commitments advanced",
        required=False,
        queryset=Commitment.objects.none(),
        widget=GroupedCheckboxes,
        help_text="Tick each commitment this meeting moved forward. They are grouped by the body responsible.",
    )

    class Meta:
        model = Meeting
        fields = ["body", "held_on", "place", "summary", "commitments_advanced"]
        labels = {"body": "Dialogue body", "held_on": "Date held", "summary": "Outcome"}
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "held_on": "The day it took place. Recording it moves the body's next due date at once.",
            "place": "E.g. Tokyo, Brussels, or videoconference.",
            "summary": "What was agreed or discussed, in a few sentences.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = DialogueBody.objects.order_by("name")
        self.fields["body"].empty_label = "Choose a body"
        self.fields["held_on"].widget = DateInput(attrs={"max": timezone.localdate().isoformat()})
        commitments = Commitment.objects.select_related("responsible_body").order_by(
            "responsible_body__name", "reference"
        )
        advanced = self.fields["commitments_advanced"]
        advanced.queryset = commitments
        # Group the checkboxes by responsible body, the chosen body's own commitments first. Rendering uses these
        # groups; validation still goes through the queryset.
        first = self._chosen_body_id()
        groups: dict[tuple, list] = {}
        for commitment in commitments:
            body = commitment.responsible_body
            key = (body is None or body.pk != first, body is None, body.name if body else NO_BODY_GROUP)
            groups.setdefault(key, []).append((commitment.pk, f"{commitment.reference}: {commitment.title}"))
        advanced.widget.choices = [(key[2], options) for key, options in sorted(groups.items())]

    def _chosen_body_id(self) -> int | None:
        value = self.data.get(self.add_prefix("body")) if self.is_bound else self.initial.get("body")
        if isinstance(value, DialogueBody):
            return value.pk
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def clean(self):
        cleaned = super().clean()
        body, held_on = cleaned.get("body"), cleaned.get("held_on")
        if body and held_on and Meeting.objects.held().filter(body=body, held_on=held_on).exists():
            self.add_error("held_on", _constraint_message(Meeting, "meeting_unique_body_day"))
        return cleaned
