"""Forms of the dialogue pages. They check input with the model rules; ``dialogues.services`` writes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils import timezone

from commitments.models import Commitment
from core.forms import AccessibleFormMixin, DateInput, posted_id

from .models import DialogueBody, Meeting

NO_BODY_GROUP = "No responsible body"
# The picker lists at most this many of the chosen body's commitments, and this many found by a search: never one
# checkbox per commitment in the tracker (100,000 at the benchmark's scale).
PICKER_BODY_LIMIT = 100
PICKER_FOUND_LIMIT = 50


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
        queryset=Commitment.objects.all(),
        widget=GroupedCheckboxes,
        help_text=(
            "Tick each commitment this meeting moved forward. The chosen body's commitments are listed; find others "
            "with the search below."
        ),
    )
    find = forms.CharField(
        label="Find other commitments",
        required=False,
        max_length=200,
        help_text=(
            f"Words of a reference, title or description; press Find to list up to {PICKER_FOUND_LIMIT} matches "
            "above. What you have entered and ticked is kept."
        ),
    )

    find_button_id = "find-commitments"  # the picker's Find button (dialogues/meeting_form.html)

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
        # Enter in the search box presses Find (static/js/enter-presses.js); Enter anywhere else saves the meeting.
        self.fields["find"].widget.attrs.update({"data-enter-presses": self.find_button_id, "enterkeyhint": "search"})
        # Validation looks up only the ids posted; the checkboxes shown are bounded (see PICKER_*_LIMIT).
        self.fields["commitments_advanced"].widget.choices = self._picker_groups()

    def _picker_groups(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """The checkboxes, in groups: those a search found, the chosen body's commitments, and those already ticked
        that neither shows (after a search or a refused save)."""
        from commitments.filtersets import search_commitments

        listed = Commitment.objects.select_related("responsible_body").in_reference_order()
        groups: list[tuple[str, list]] = []
        shown: set[int] = set()

        def add(label: str, commitments) -> None:
            options = [(c.pk, f"{c.reference}: {c.title}") for c in commitments if c.pk not in shown]
            shown.update(pk for pk, _ in options)
            if options:
                groups.append((label, options))

        query = self.query = self._search_query()
        # What a search found comes first, where the person who searched looks.
        self.found = None
        if query:
            self.found = list(search_commitments(listed, query)[:PICKER_FOUND_LIMIT])
            add(f"Found for “{query[:60]}”", self.found)
        body_id = self._chosen_body_id()
        if body_id is not None:
            own = list(listed.filter(responsible_body_id=body_id)[: PICKER_BODY_LIMIT + 1])
            if own:
                name = own[0].responsible_body.name
                more = len(own) > PICKER_BODY_LIMIT
                add(
                    f"{name} (first {PICKER_BODY_LIMIT}; find the others below)" if more else name,
                    own[:-1] if more else own,
                )
        ticked = [pk for pk in self._values("commitments_advanced") if pk not in shown]
        if ticked:
            add("Already ticked", listed.filter(pk__in=ticked[: PICKER_BODY_LIMIT + PICKER_FOUND_LIMIT]))
        return groups

    def _search_query(self) -> str:
        """The search, once the find field accepts it (its length): a raw value never reaches the database, where
        an over-long pattern is refused (SQLite: "LIKE or GLOB pattern too complex"). A bound form reports the
        field's error when it is validated; the picker's search (an unbound form, nothing validated) gets it now."""
        try:
            return (self.fields["find"].clean(self._value("find") or "") or "").strip()
        except ValidationError as error:
            if not self.is_bound:
                self._errors = ErrorDict({"find": self.error_class(error.messages, renderer=self.renderer)})
            return ""

    def _value(self, name: str):
        return self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)

    def _values(self, name: str) -> list[int]:
        if self.is_bound:
            raw = (
                self.data.getlist(self.add_prefix(name)) if hasattr(self.data, "getlist") else self.data.get(name, [])
            )
        else:
            raw = self.initial.get(name) or []
        ids = (posted_id(value) for value in (raw if isinstance(raw, (list, tuple)) else [raw]))
        return [pk for pk in ids if pk is not None]

    def _chosen_body_id(self) -> int | None:
        return posted_id(self._value("body"))

    def clean(self):
        cleaned = super().clean()
        body, held_on = cleaned.get("body"), cleaned.get("held_on")
        if body and held_on and Meeting.objects.held().filter(body=body, held_on=held_on).exists():
            self.add_error("held_on", _constraint_message(Meeting, "meeting_unique_body_day"))
        return cleaned
