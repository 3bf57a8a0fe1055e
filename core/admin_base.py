"""The base of every ModelAdmin of the project: Django's, with its lists answering every filter typed by hand.

Django's admin list turns a filter it cannot apply into ``IncorrectLookupParameters``, which the admin answers with
its usual redirect to the unfiltered list (``?e=1``). Not these, which were a 500:

- the date hierarchy's ``<field>__year`` (with its ``__month`` and ``__day``) beyond Python's calendar: a year of
  twenty digits (``OverflowError``), the year 9999 (the year after it does not exist: ``ValueError``), or its last
  day (``OverflowError``);
- a moment Django cannot convert to UTC for SQLite: ``recorded_at__gte=0001-01-01``, or ``recorded_at__year=1``,
  is midnight in Brussels, still the year 0 in UTC (``OverflowError`` when the list is counted).

The project's admins extend :class:`TrackerAdmin`; the site (:class:`TrackerAdminSite`) gives the third-party ones
(django-axes, django-celery-beat, DRF's tokens) the same list.
"""

from __future__ import annotations

import functools

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


@functools.cache
def bounded(changelist: type[ChangeList]) -> type[ChangeList]:
    """``changelist`` (Django's or an admin's own) answering such filters as :class:`BoundedChangeList` does."""
    if issubclass(changelist, BoundedChangeList):
        return changelist
    if changelist is ChangeList:
        return BoundedChangeList
    return type(f"Bounded{changelist.__name__}", (BoundedChangeList, changelist), {})


class BoundedLists:
    """A ModelAdmin whose list is :func:`bounded`, whatever list class it uses."""

    def get_changelist(self, request, **kwargs):
        return bounded(super().get_changelist(request, **kwargs))


class TrackerAdmin(BoundedLists, admin.ModelAdmin):
    """What every admin of the project extends (directly or through ``core.history.AuditedAdmin``)."""


class TrackerAdminSite(admin.AdminSite):
    """The admin site (``core.apps.TrackerAdminConfig``): Django's, except that every admin registered on it, the
    third-party ones too (django-axes, django-celery-beat, DRF's tokens), gets a bounded list."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, BoundedLists):
            admin_class = type(
                admin_class.__name__, (BoundedLists, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)
