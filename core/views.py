"""The one way the web forms handle a service's refusal: invalid input is 400 with the form again, a conflict
(:class:`core.exceptions.DomainConflict`) is 409 with the view's conflict page. Views only call the service.
The same for a web list's filters: invalid ones are 400 with the page and the filter form's errors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.generic import FormView
from django_filters.views import FilterView

from .exceptions import DomainConflict, FactConflict
from .forms import FactConfirmForm, carry_opened_values, keep_typed_values
from .services import provenance_confirm


class FilterListView(FilterView):
    """A web list filtered through a FilterSet (the API's filters, in the query string).

    Invalid filters list nothing (django-filter's strict mode) and render the same page, with the filter form's
    errors and the message saying why, at status 400: the API's answer to the same query. A person sees what to
    fix; a client, a link checker or a crawler sees a 4xx, not an empty list that looks like a result.
    """

    def render_to_response(self, context, **response_kwargs):
        if self.filterset.is_bound and not self.filterset.is_valid():
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class DomainErrorsMixin:
    """For ``FormView`` subclasses whose ``form_valid`` calls a service.

    ``ValidationError`` from the service is attached to the form (status 400, nothing written); a
    :class:`DomainConflict` renders :meth:`conflict_response` (status 409, nothing written).

    The conflict page keeps what the person typed: every visible field sends back, hidden, the value the form was
    opened with (:func:`core.forms.carry_opened_values`), and the page's form is :meth:`current_form` (the record
    as it stands after the other save, at its current version) with the person's own changes put back in
    (:func:`core.forms.keep_typed_values`): a second save works once they have read the other change, and cannot
    undo it in a field they left alone. ``conflict_message`` says what was refused; its ``{who}`` slot names who
    made the other change as far as it is known (:meth:`conflict_who`).
    """

    conflict_message = ""

    def get_form(self, form_class=None):
        return carry_opened_values(super().get_form(form_class))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.form_invalid(form)
        try:
            return self.form_valid(form)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        except DomainConflict as conflict:
            return self.conflict_response(conflict, form)

    def current_form(self, conflict: DomainConflict):
        """An unbound form on the record as the conflict left it; ``None`` (the default): the form as it was sent."""
        return None

    def conflict_context(self, conflict: DomainConflict, form) -> dict:
        """What the conflict page shows besides the message: the form, with what the person typed."""
        fresh = self.current_form(conflict)
        if fresh is None:
            return {"form": form, "kept_fields": ()}
        fresh = keep_typed_values(form, fresh)
        return {"form": fresh, "kept_fields": fresh.kept_fields}

    def conflict_who(self, conflict: DomainConflict) -> str:
        """Who made the change that got in the way, for the ``{who}`` slot of the message: this same person (in
        another tab or window), someone else, or nothing when the change has no known author."""
        user_pk = getattr(self.request.user, "pk", None)
        authors = [getattr(author, "pk", None) for author in conflict.authors]
        if any(pk is not None and pk != user_pk for pk in authors):
            return " by someone else"
        if authors and all(pk == user_pk for pk in authors):
            return " by you, in another tab or window,"
        return ""

    def conflict_response(self, conflict: DomainConflict, form):
        message = (self.conflict_message or conflict.message).replace("{who}", self.conflict_who(conflict))
        context = self.get_context_data(
            conflict=conflict, conflict_message=message, **self.conflict_context(conflict, form)
        )
        return self.render_to_response(context, status=409)


def already_withdrawn(*, at, by, reason: str, reader=None) -> str:
    """What a page about a withdrawn record says at once: "Already withdrawn on 8 December 2026 by Ana Ferreira:
    “recorded for the wrong body”." ("by you" to ``reader``, who did it; ``by`` may be ``None``: a command)."""
    if by is None:
        who = ""
    elif reader is not None and by.pk == reader.pk:
        who = " by you"
    else:
        who = f" by {by.get_full_name() or by.get_username()}"
    return f"Already withdrawn on {date_format(timezone.localtime(at), 'j F Y')}{who}: “{reason}”."


def withdrawn_note(record, reader) -> str:
    """:func:`already_withdrawn` for a record that keeps its own withdrawal (``withdrawn_at``, ``withdrawn_by``,
    ``withdrawal_reason``: a meeting, a milestone); empty while it is not withdrawn."""
    if record.withdrawn_at is None:
        return ""
    return already_withdrawn(
        at=record.withdrawn_at, by=record.withdrawn_by, reason=record.withdrawal_reason, reader=reader
    )


class ClosedFormMixin:
    """A form page whose record can no longer take the form (an entry already withdrawn): :meth:`closed_reason`
    says why, and the page says it at once, with no form (200 when opened; 409 for a form sent before, nothing
    written). Put it before ``DomainErrorsMixin``, whose conflict page a subclass may close the same way."""

    def closed_reason(self) -> str:
        return ""

    def closed_response(self, reason: str, status: int = 200, **context):
        return self.render_to_response(self.get_context_data(closed=reason, form=None, **context), status=status)

    def get(self, request, *args, **kwargs):
        reason = self.closed_reason()
        return self.closed_response(reason) if reason else super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        reason = self.closed_reason()
        return self.closed_response(reason, status=409) if reason else super().post(request, *args, **kwargs)

    def reread_after_conflict(self, conflict) -> None:
        """Read the record again after a conflict (the other save may have withdrawn it); cooperative."""
        parent = getattr(super(), "reread_after_conflict", None)
        if parent is not None:
            parent(conflict)

    def conflict_context(self, conflict, form) -> dict:
        self.reread_after_conflict(conflict)
        reason = self.closed_reason()
        if reason:
            return {"closed": reason, "form": None}
        return super().conflict_context(conflict, form)


class FactConfirmView(DomainErrorsMixin, FormView):
    """Confirm an assumed fact of a record by naming its source (editors: combine with ``EditorRequiredMixin``).

    One view for every record with provenance (a dialogue body, an agreement): a subclass says how to find the
    record (:meth:`get_record`), which list it sits in (``list_url_name``, ``list_label``) and what to call it.
    The write is ``core.services.provenance_confirm``; a fact changed since the form was opened is a conflict
    (409, the current fact and a fresh form), nothing written.
    """

    template_name = "facts/confirm_fact.html"
    form_class = FactConfirmForm
    list_url_name = ""
    list_label = ""

    def get_record(self):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        self.record = self.get_record()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "record": self.record}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            record=self.record,
            record_short=getattr(self.record, "short_name", None) or getattr(self.record, "code", ""),
            record_name=getattr(self.record, "name", None) or getattr(self.record, "title", str(self.record)),
            list_url=reverse(self.list_url_name),
            list_label=self.list_label,
            **kwargs,
        )

    def current_form(self, conflict: FactConflict):
        # A form on the facts as they stand now (the record's page and its choices move with it).
        self.record = conflict.record
        return self.form_class(record=conflict.record)

    def conflict_context(self, conflict: FactConflict, form) -> dict:
        return {**super().conflict_context(conflict, form), "sent": form}

    def form_valid(self, form):
        data = form.cleaned_data
        provenance_confirm(
            record=self.record,
            fact=data["fact"],
            source_document=data["source_document"],
            locator=data["locator"],
            expected_fingerprint=data["expected_fingerprint"],
            user=self.request.user,
        )
        label = getattr(self.record, "PROVENANCE_LABELS", {}).get(data["fact"], data["fact"].replace("_", " "))
        record_name = getattr(self.record, "name", None) or getattr(self.record, "title", str(self.record))
        messages.success(
            self.request, f"Saved: {label.lower()} of {record_name} is now stated in {data['source_document'].key}."
        )
        return HttpResponseRedirect(self.record.get_absolute_url())
