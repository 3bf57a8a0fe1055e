"""The base of every ModelAdmin of the project: Django's, with its lists answering every filter typed by hand.

Django's admin list turns a filter it cannot apply into ``IncorrectLookupParameters``, which the admin answers with
its usual redirect to the unfiltered list (``?e=1``). Not these, which were a 500:

- the date hierarchy's ``<field>__year`` (with its ``__month`` and ``__day``) beyond Python's calendar: a year of
  twenty digits (``OverflowError``), the year 9999 (the year after it does not exist: ``ValueError``), or its last
  day (``OverflowError``);
- a moment Django cannot convert to UTC for SQLite: ``recorded_at__gte=0001-01-01``, or ``recorded_at__year=1``,
  is midnight in Brussels, still the year 0 in UTC (``OverflowError`` when the list is counted);
- any other lookup on one of the model's own columns, which Django lets through, that Python or the database
  refuses when the list is counted: ``held_on__year=0`` or ``__iso_year=<twenty digits>`` (``ValueError``),
  ``id__range=1`` (one bound: ``IndexError``), ``name__trigram_similar=x`` on SQLite (``NotImplementedError``), a
  regular expression PostgreSQL refuses, ``name__regex=(`` (``DataError``), ``name__unaccent=x`` without that
  extension (``ProgrammingError``); SQLite refuses the last three as an ``OperationalError``, which is also what
  a database that cannot be reached raises: that is the filter's fault only when the list without it can be read
  (otherwise the 503 of ``tracker/errors.py``). The list is counted in a savepoint, so that the refused query leaves
  the request's transaction usable. An unfiltered list that fails so is a fault of the code, and stays a 500.

And every change form refuses to save over someone else's change (:class:`StaleFormGuard`): the admin's save writes
every field of its form, so a form opened before another person (or a page, the API, an import, a job) changed the
record would silently write the old values back. It is answered with the conflict page (409) instead.

The project's admins extend :class:`TrackerAdmin`; the site (:class:`TrackerAdminSite`) gives the third-party ones
(django-axes, django-celery-beat, DRF's tokens, the users and groups) the same list and the same guard.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, DataError, OperationalError, ProgrammingError, connection, transaction
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from .exceptions import ChangedSinceOpened, DomainConflict

# What Python or the database raises on a lookup typed in the address, when the list is counted (see above).
REFUSED_FILTER_ERRORS = (OverflowError, ValueError, IndexError, NotImplementedError, DataError, ProgrammingError)


class BoundedChangeList(ChangeList):
    """Django's list; a filter typed in the address that Python or the database cannot apply (a date beyond the
    calendar or beyond UTC, a refused regular expression) is an invalid filter, as Django's others."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        try:
            with transaction.atomic(using=self.queryset.db):
                super().get_results(request)
        except (*REFUSED_FILTER_ERRORS, OperationalError) as exc:
            if not self.get_filters_params():
                raise
            if isinstance(exc, OperationalError) and not self._answers_unfiltered():
                raise  # the database itself is unavailable: the 503 (tracker/errors.py)
            raise IncorrectLookupParameters(exc) from exc

    def _answers_unfiltered(self) -> bool:
        """Whether the database answers for the list without the filters typed in the address."""
        try:
            with transaction.atomic(using=self.root_queryset.db):
                self.root_queryset.exists()
        except DatabaseError:
            return False
        return True


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


# The change form's hidden field: what the form showed, as it was stored when the form was opened.
OPENED_STATE = "state_when_opened"


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode()).hexdigest()[:12]


def _model_field(model, name: str):
    """The model field a form field ``name`` edits (a column or a many-to-many), else ``None``."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete or (field.many_to_many and not field.auto_created) else None


def _stored_value(obj, field):
    if field.many_to_many:
        return sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return field.value_from_object(obj)


class StaleFormGuard:
    """A change form carries what it showed as stored when it was opened (a digest per field, and per editable inline,
    in the hidden field ``state_when_opened``: the admin's ``expected_version``, as ``Fact.fingerprint`` is the fact
    page's). On save the record is locked (``SELECT ... FOR NO KEY UPDATE``, in the admin's transaction) and read
    again; if anything the form shows changed meanwhile, whoever changed it, nothing is saved and the answer is the
    conflict page (409) naming what changed. So two administrators, or an administrator and a page, the API, an
    import or a job (a webhook disabled after its failures, a one-off task done) never silently overwrite each other.

    A service's :class:`~core.exceptions.DomainConflict` raised while saving gets the same page. An admin whose
    service checks a version column of its own for the same fields (the commitment's ``edit_version``) sets
    ``guard_stale_forms = False``.
    """

    guard_stale_forms = True

    def _guards(self, request, obj) -> bool:
        return (
            self.guard_stale_forms
            and obj is not None
            and obj.pk is not None
            and self.has_change_permission(request, obj)
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainConflict as conflict:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Not saved: changed by someone else",
                "conflict": conflict,
                "change_url": request.get_full_path(),
            }
            return TemplateResponse(request, "admin/domain_conflict.html", context, status=409)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._guards(request, obj) or OPENED_STATE in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], OPENED_STATE]}), *rest]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self._guards(request, obj):
            return super().get_form(request, obj, change=change, **kwargs)
        fields = kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        if fields is not None:
            kwargs["fields"] = [name for name in fields if name != OPENED_STATE]
        form = super().get_form(request, obj, change=change, **kwargs)
        stored, labels = self._stored_state(request, obj, form)
        hidden = forms.CharField(widget=forms.HiddenInput, required=False, initial=json.dumps(stored, sort_keys=True))
        return type(form.__name__, (form,), {OPENED_STATE: hidden, "stored_state": stored, "state_labels": labels})

    def _stored_state(self, request, obj, form) -> tuple[dict[str, str], dict[str, str]]:
        """What ``form`` and the editable inlines show of ``obj`` as stored now: ({key: digest}, {key: label}).

        On a POST (inside the change view's transaction) the row is locked and read again first, once: a change
        committed by someone else before the lock is seen, and none can come between this check and the save.
        """
        digests = obj.__dict__.get("_opened_state_digests")
        if digests is None:
            if request.method == "POST" and connection.in_atomic_block:
                model = type(obj)
                locked = model._base_manager.select_for_update(no_key=True).filter(pk=obj.pk).values_list("pk")
                if not list(locked):
                    raise ChangedSinceOpened(record=str(model._meta.verbose_name), changed=[])
                obj.refresh_from_db()
            digests = obj.__dict__["_opened_state_digests"] = {"inlines": self._inline_digests(request, obj)}
        stored, labels = {}, {}
        for name, form_field in form.base_fields.items():
            field = _model_field(type(obj), name)
            if field is None or form_field.disabled:
                continue
            if name not in digests:
                digests[name] = _digest(_stored_value(obj, field))
            stored[name], labels[name] = digests[name], str(form_field.label or capfirst(field.verbose_name))
        for key, digest, label in digests["inlines"]:
            stored[key], labels[key] = digest, label
        return stored, labels

    def _inline_digests(self, request, obj) -> list[tuple[str, str, str]]:
        """(key, digest, label) of each inline that edits rows (not the read-only ones): its rows as stored."""
        found = []
        for formset, inline in self.get_formsets_with_inlines(request, obj):
            names = [
                name
                for name, form_field in formset.form.base_fields.items()
                if not form_field.disabled and name != formset.fk.name and _model_field(inline.model, name)
            ]
            can_change = inline.has_change_permission(request, obj) and names
            can_delete = formset.can_delete and inline.has_delete_permission(request, obj)
            if not (can_change or can_delete):
                continue
            fields = [inline.model._meta.get_field(name) for name in names]
            rows = formset(instance=obj, queryset=inline.get_queryset(request)).get_queryset()
            digest = _digest([[row.pk, *(_stored_value(row, field) for field in fields)] for row in rows])
            found.append((f"inline:{formset.get_default_prefix()}", digest, str(capfirst(inline.verbose_name_plural))))
        return found

    def save_form(self, request, form, change):
        if change and self._guards(request, form.instance):
            try:
                seen = json.loads(form.cleaned_data.get(OPENED_STATE) or "null")
            except ValueError:
                seen = None
            record = str(self.model._meta.verbose_name)
            if not isinstance(seen, dict):
                raise ChangedSinceOpened(record=record, changed=None)
            changed = [form.state_labels[key] for key, digest in form.stored_state.items() if seen.get(key) != digest]
            if changed:
                raise ChangedSinceOpened(record=record, changed=changed)
        return super().save_form(request, form, change)


class TrackerAdmin(StaleFormGuard, BoundedLists, admin.ModelAdmin):
    """What every admin of the project extends (directly or through ``core.history.AuditedAdmin``)."""


class TrackerAdminSite(admin.AdminSite):
    """The admin site (``core.apps.TrackerAdminConfig``): Django's, except that every admin registered on it, the
    third-party ones too (django-axes, django-celery-beat, DRF's tokens, the users and groups), gets a bounded list
    and a change form guarded against stale saves."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        bases = tuple(base for base in (StaleFormGuard, BoundedLists) if not issubclass(admin_class, base))
        if bases:
            admin_class = type(admin_class.__name__, (*bases, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)
