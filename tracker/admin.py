"""The scheduler's admin pages (django-celery-beat): the library's own, with each value a form takes checked before
anything is saved or shown, so that a bad one redraws the form with its error instead of a 500.

The library's forms let these through, each a 500 (or, worse, a schedule that stops Celery beat):

- a crontab field its own validators refuse (``*/``, ``-1``, ``1,,2``): the redrawn form's "human readable" line
  reads the refused value back through Celery's parser (``ParseException``). Its validators now run before the value
  reaches the schedule, then Celery's parser (which beat uses): a day of the week ``7`` passed the library but beat
  silently dropped every task on it;
- a custom task name that is too long or holds a NUL: the library's ``clean`` then looks for the name (``KeyError``);
  a "registered" task posted as any text (the dropdown accepted anything): a NUL reached PostgreSQL;
- arguments nested thousands deep (``RecursionError``), headers left empty (the library stores ``NULL`` in a
  ``NOT NULL`` column), arguments of the wrong shape and headers that are not a JSON object (beat cannot send the
  task; headers ``[]`` stopped beat altogether);
- a date-time of the year 1 (before the year 1 in UTC: ``OverflowError`` on SQLite, ``DataError`` on PostgreSQL);
  a crontab task's start after which beat cannot compute a run (the last days of 9999: beat stopped);
- an interval beyond the calendar (``1000000000`` days: beat's ``OverflowError`` stopped it).

The library's pages are otherwise unchanged (the dropdown of registered tasks, the human-readable crontab, the
actions); solar schedules needed nothing. Their lists are the project's (``core.admin_base``).
"""

from __future__ import annotations

import datetime as dt

from celery import schedules
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask
from kombu.utils.json import loads

from core.admin_base import TrackerAdmin
from core.validators import in_utc

# What Django documents as safe for a PositiveIntegerField on every database (SQLite holds more, PostgreSQL not).
POSITIVE_INTEGER_MAX = 2**31 - 1

CRON_FIELDS = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"]

# The JSON each text of a task must hold: what Celery passes as the arguments and the message headers.
JSON_SHAPES = {
    "args": (list, 'Enter a JSON array, e.g. ["arg1", "arg2"].'),
    "kwargs": (dict, 'Enter a JSON object, e.g. {"argument": "value"}.'),
    "headers": (dict, 'Enter a JSON object, e.g. {"header": "value"}.'),
}


class RegisteredTaskField(beat_admin.TaskChoiceField):
    """The library's dropdown of the tasks the workers know; a name it does not offer is refused as any other choice
    not offered (the library accepted any text)."""

    def valid_value(self, value):
        return value in {name for name, _ in self.widget.choices}


class PeriodicTaskForm(beat_admin.PeriodicTaskForm):
    regtask = RegisteredTaskField(label=beat_admin.PeriodicTaskForm.base_fields["regtask"].label, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seconds = self.fields["expire_seconds"]
        seconds.validators.append(MaxValueValidator(POSITIVE_INTEGER_MAX))
        seconds.widget.attrs["max"] = str(POSITIVE_INTEGER_MAX)

    def clean(self):
        # When the custom name was refused (too long, a NUL) its message says why; the library's own checks read the
        # name, which the form then does not have.
        cleaned = forms.ModelForm.clean(self) if self.has_error("task") else super().clean()
        crontab, start = cleaned.get("crontab"), cleaned.get("start_time")
        if crontab and start:
            try:  # what beat computes while the start is ahead (an error there stops beat, every task with it)
                crontab.due_start_time(start, timezone.get_current_timezone())
            except (OverflowError, ValueError):
                self.add_error(
                    "start_time", "Celery beat cannot compute a run after this start: enter an earlier date."
                )
        return cleaned

    def _clean_json(self, field):
        """The library's check that the text is JSON (``Unable to parse JSON: …``), then that it is what Celery
        takes there."""
        try:
            value = super()._clean_json(field)
        except RecursionError as exc:
            raise ValidationError("Unable to parse JSON: it is nested too deeply.") from exc
        kind, message = JSON_SHAPES[field]
        if not isinstance(loads(value), kind):
            raise ValidationError(message)
        return value

    def clean_headers(self):
        if not self.cleaned_data["headers"].strip():
            return "{}"  # no headers, as beat reads an empty text
        return self._clean_json("headers")

    def clean_start_time(self):
        return self.cleaned_data["start_time"] and in_utc(self.cleaned_data["start_time"])

    def clean_expires(self):
        return self.cleaned_data["expires"] and in_utc(self.cleaned_data["expires"])


class CrontabScheduleForm(forms.ModelForm):
    class Meta:
        model = CrontabSchedule
        fields = [*CRON_FIELDS, "timezone"]
        help_texts = {
            # Celery's parser, which beat runs the schedule with, counts the days 0-6 (the library says "0 or 7").
            "day_of_week": 'Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0, Monday is 1. '
            '(Example: "0,5")',
        }

    def _clean_cron_field(self, name: str) -> str:
        """The library's validator of the field, then Celery's parser: before the value reaches the schedule, whose
        "human readable" line, shown on the redrawn form, reads it with Celery's parser."""
        value = self.cleaned_data[name]
        for validate in CrontabSchedule._meta.get_field(name).validators:
            validate(value)
        try:
            schedules.crontab(**{name: value})
        except (ValueError, schedules.ParseException) as exc:
            raise ValidationError(f"Celery beat cannot run this value: {exc}") from exc
        return value

    def clean_minute(self):
        return self._clean_cron_field("minute")

    def clean_hour(self):
        return self._clean_cron_field("hour")

    def clean_day_of_month(self):
        return self._clean_cron_field("day_of_month")

    def clean_month_of_year(self):
        return self._clean_cron_field("month_of_year")

    def clean_day_of_week(self):
        return self._clean_cron_field("day_of_week")


class IntervalScheduleForm(forms.ModelForm):
    class Meta:
        model = IntervalSchedule
        fields = ["every", "period"]

    def clean(self):
        cleaned = super().clean()
        every, period = cleaned.get("every"), cleaned.get("period")
        if every and period:
            try:
                timezone.now() + dt.timedelta(**{period: every})  # beat's next run
            except OverflowError:
                self.add_error("every", f"Enter a shorter interval: {every} {period} from now is after the year 9999.")
        return cleaned


class ClockedScheduleForm(forms.ModelForm):
    class Meta:
        model = ClockedSchedule
        fields = ["clocked_time"]

    def clean_clocked_time(self):
        return in_utc(self.cleaned_data["clocked_time"])


# The library's admins with the forms above (and, as every admin of the site, the project's list and stale-form guard).
CHECKED = {
    PeriodicTask: (beat_admin.PeriodicTaskAdmin, PeriodicTaskForm),
    CrontabSchedule: (beat_admin.CrontabScheduleAdmin, CrontabScheduleForm),
    IntervalSchedule: (beat_admin.IntervalScheduleAdmin, IntervalScheduleForm),
    ClockedSchedule: (beat_admin.ClockedScheduleAdmin, ClockedScheduleForm),
}
for model, (library_admin, form) in CHECKED.items():
    admin.site.unregister(model)
    attributes = {"form": form, "__module__": __name__}
    admin.site.register(model, type(library_admin.__name__, (TrackerAdmin, library_admin), attributes))
