"""Pages for dialogue bodies and their meetings. Views parse input and call services; they hold no rules."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.formats import date_format
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from commitments.models import Commitment
from core.forms import FactConfirmForm
from core.roles import EditorRequiredMixin
from core.services import provenance_confirm

from .filtersets import DialogueBodyFilterSet
from .forms import MeetingForm
from .models import DialogueBody, Meeting
from .selectors import open_flags_for
from .services import meeting_record


class DialogueBodyListView(FilterView):
    """Every dialogue body with its cadence, last and next meeting, and whether it is overdue."""

    filterset_class = DialogueBodyFilterSet
    template_name = "dialogues/body_list.html"
    context_object_name = "bodies"
    paginate_by = 50

    def get_queryset(self):
        return DialogueBody.objects.for_listing().order_by("name")

    def get_filterset(self, filterset_class):
        """Present the shared filters for a browser: checkboxes for levels, plain words for yes/no."""
        filterset = super().get_filterset(filterset_class)
        fields = filterset.form.fields
        fields["level"].widget = forms.CheckboxSelectMultiple(choices=fields["level"].choices)
        fields["search"].widget = forms.TextInput(attrs={"type": "search", "autocomplete": "off"})
        fields["agreement"].empty_label = "All agreements"
        fields["overdue"].widget = forms.Select(choices=[("", "Any"), ("true", "Overdue"), ("false", "Not overdue")])
        fields["active"].widget = forms.Select(choices=[("", "Any"), ("true", "Active"), ("false", "Inactive")])
        return filterset


class DialogueBodyDetailView(DetailView):
    """One body: reporting line, cadence, next due date and overdue state, meetings, commitments, open flags."""

    template_name = "dialogues/body_detail.html"
    context_object_name = "body"
    slug_field = "short_name"
    slug_url_kwarg = "short_name"

    def get_queryset(self):
        return (
            DialogueBody.objects.with_last_meeting_precision()
            .select_related(
                "reports_to__reports_to__reports_to",
                "cadence_source",
                "level_source",
                "reports_to_source",
                "established_on_source",
            )
            .prefetch_related(
                "agreements",
                Prefetch("reporting_bodies", queryset=DialogueBody.objects.order_by("name")),
                Prefetch(
                    "meetings",
                    queryset=Meeting.objects.select_related("recorded_by")
                    .prefetch_related(
                        Prefetch("commitments_advanced", queryset=Commitment.objects.order_by("reference"))
                    )
                    .order_by("-held_on"),
                ),
                Prefetch("commitments", queryset=Commitment.objects.for_listing().order_by("reference")),
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(open_flags=open_flags_for(bodies=[self.object]), **kwargs)


class MeetingCreateView(EditorRequiredMixin, FormView):
    """Record a meeting that was held (editors only); the body's next due date moves at once."""

    template_name = "dialogues/meeting_form.html"
    form_class = MeetingForm

    def get_initial(self):
        """``?body=SDD`` (the link on a body's page) chooses the body in advance."""
        initial = super().get_initial()
        short_name = self.request.GET.get("body")
        if short_name:
            initial["body"] = DialogueBody.objects.filter(short_name=short_name).first()
        return initial

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        data = form.cleaned_data
        body = data["body"]
        try:
            meeting = meeting_record(
                body=body,
                held_on=data["held_on"],
                place=data["place"],
                summary=data["summary"],
                commitments=data["commitments_advanced"],
                recorded_by=self.request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        body.refresh_from_db()
        if body.is_overdue():
            due = f"it is still overdue (the next meeting was due on {date_format(body.next_due_on, 'j F Y')})"
        elif body.next_due_on:
            due = f"next meeting due by {date_format(body.next_due_on, 'j F Y')}"
        else:
            due = "it meets ad hoc"
        messages.success(
            self.request, f"Saved: meeting of {body.name} on {date_format(meeting.held_on, 'j F Y')}; {due}."
        )
        return HttpResponseRedirect(body.get_absolute_url())


class BodyFactConfirmView(EditorRequiredMixin, FormView):
    """Confirm an assumed fact of a body (cadence, level, reporting line, start) by naming its source (editors)."""

    template_name = "dialogues/body_confirm_fact.html"
    form_class = FactConfirmForm

    def dispatch(self, request, *args, **kwargs):
        self.body = get_object_or_404(DialogueBody, short_name=kwargs["short_name"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "record": self.body}

    def get_context_data(self, **kwargs):
        return super().get_context_data(body=self.body, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            provenance_confirm(
                record=self.body,
                fact=data["fact"],
                source_document=data["source_document"],
                locator=data["locator"],
                user=self.request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        label = DialogueBody.PROVENANCE_LABELS[data["fact"]]
        messages.success(
            self.request, f"Saved: {label.lower()} of {self.body.name} is now stated in {data['source_document'].key}."
        )
        return HttpResponseRedirect(self.body.get_absolute_url())
