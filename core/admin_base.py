"""The base of every ModelAdmin of the project: Django's, with its lists answering every filter typed by hand.

Django's admin list turns a filter it cannot apply into ``IncorrectLookupParameters``, which the admin answers with
its usual redirect to the unfiltered list (``?e=1``). Not these, which were a 500:

- the date hierarchy's ``<field>__year`` (with its ``__month`` and ``__day``) beyond Python's calendar: a year of
  twenty digits (``OverflowError``), the year 9999 (the year after it does not exist: ``ValueError``), or its last
  day (``OverflowError``);
- a moment Django cannot convert to UTC for SQLite: ``recorded_at__gte=0001-01-01``, or ``recorded_at__year=1``,
  is midnight in Brussels, still the year 0 in UTC (``OverflowError`` when the list is counted).

Third-party admins (django-axes, django-celery-beat, DRF's tokens) use Django's list as it is.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class BoundedChangeList(ChangeList):
    """Django's list; a date filter beyond the calendar (or beyond UTC) is an invalid filter, as Django's others."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        try:
            super().get_results(request)
        except OverflowError as exc:  # a filter's date the database driver could not convert
            raise IncorrectLookupParameters(exc) from exc


class TrackerAdmin(admin.ModelAdmin):
    """What every admin of the project extends (directly or through ``core.history.AuditedAdmin``)."""

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList
