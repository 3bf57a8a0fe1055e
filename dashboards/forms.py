"""The small GET forms of the dashboards: a date for "as of", a date for "what changed since", timeline filters.

They only parse and check input; a bad value becomes a field error shown on the page (HTTP 400), never a 500.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from commitments.models import Agreement
from core.forms import DateInput
from dialogues.models import Meeting

EARLIEST_DATE = date(1950, 1, 1)


class PastDateField(forms.DateField):
    """A day from :data:`EARLIEST_DATE` up to today (the history cannot show the future), picked in the browser's
    date picker, which offers nothing after today."""

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        super().__init__(required=False, widget=DateInput(), **kwargs)

    def get_bound_field(self, form, field_name):
        # "Today" moves: the picker's upper bound is set each time a form is built, not once at import.
        self.widget.attrs["max"] = timezone.localdate().isoformat()
        return super().get_bound_field(form, field_name)

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is None:
            return
        if value > timezone.localdate():
            raise forms.ValidationError(f"Pick {self.what} up to today: the history cannot show the future.")
        if value < EARLIEST_DATE:
            raise forms.ValidationError(f"Pick {self.what} from {EARLIEST_DATE:%Y} onwards.")


class AsOfForm(forms.Form):
    """The overview as it stood at the end of a past day (empty: today)."""

    as_of = PastDateField(what="a date", label="Show as it stood on", help_text="Empty for today.")
    # The body whose last meeting starts the "what changed since" panel (empty: the highest-level body).
    since_body = forms.CharField(required=False, max_length=40)


class ChangesSinceForm(forms.Form):
    """The start of the "What changed since…" window (empty: the default window)."""

    since = PastDateField(what="a start date", label="Changes since")
    # Or a past meeting to look back from (the picker): the window starts the day after it and the page names the
    # meeting, whose day the documents may not give ("since the meeting of ... in January 2023", not "since 1
    # January").
    meeting = forms.ModelChoiceField(
        queryset=Meeting.objects.held().select_related("body"),
        required=False,
        error_messages={
            "invalid_choice": "That meeting is not in the tracker, or was withdrawn: pick one from the list."
        },
    )
    # The longer lists (``selectors.LIST_LIMIT`` of each kind instead of ``PAGE_LIST_LIMIT``).
    more = forms.BooleanField(required=False)


class TimelineFilterForm(forms.Form):
    """Which bodies the cadence timeline shows (one framework's, or all) and from which year."""

    agreement = forms.ModelChoiceField(
        queryset=Agreement.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="All frameworks",
        label="Framework",
    )
    from_year = forms.IntegerField(label="From year", required=False, min_value=EARLIEST_DATE.year)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_year"].widget.attrs["max"] = timezone.localdate().year

    def clean_from_year(self) -> int | None:
        year = self.cleaned_data.get("from_year")
        if year is not None and year > timezone.localdate().year:
            raise forms.ValidationError("Pick a year up to the current one.")
        return year
