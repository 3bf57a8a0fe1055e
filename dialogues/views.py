"""Pages for dialogue bodies and their meetings. Views parse input and call services; they hold no rules."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views.generic import DetailView, FormView

from commitments.models import Commitment
from core.forms import WithdrawalForm
from core.roles import EditorRequiredMixin
from core.templatetags.facts import format_approx_date_on
from core.views import ClosedFormMixin, DomainErrorsMixin, FactConfirmView, FilterListView, withdrawn_note

from . import selectors
from .filtersets import DialogueBodyFilterSet
from .forms import PICKER_FOUND_LIMIT, MeetingForm
from .models import DialogueBody, Meeting
from .selectors import open_flags_for
from .services import meeting_record, meeting_withdraw


class DialogueBodyListView(FilterListView):
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


class MeetingDetailView(DetailView):
    """One meeting: when and where, what it produced, the commitments made at it with their state today, and those
    it advanced."""

    template_name = "dialogues/meeting_detail.html"
    context_object_name = "meeting"

    def get_object(self, queryset=None):
        try:
            self.outcomes = selectors.meeting_outcomes(pk=self.kwargs["pk"])
        except Meeting.DoesNotExist as exc:
            raise Http404("No meeting with that id.") from exc
        return self.outcomes.meeting

    def get_context_data(self, **kwargs):
        return super().get_context_data(outcomes=self.outcomes, **kwargs)


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
                    queryset=Meeting.objects.select_related("recorded_by", "withdrawn_by")
                    .annotate(made_count=Count("outcomes"))
                    .prefetch_related(
                        Prefetch("commitments_advanced", queryset=Commitment.objects.in_reference_order())
                    )
                    .order_by("-held_on"),
                ),
                Prefetch("commitments", queryset=Commitment.objects.for_listing().in_reference_order()),
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(open_flags=open_flags_for(bodies=[self.object]), **kwargs)


class MeetingDoneMixin:
    """After a meeting is recorded or withdrawn: say what was ``done`` and what it did to the body's schedule, then
    back to the body's page. ``overdue_phrase`` has a ``{due}`` slot for the date the body's meeting was due."""

    done = ""
    overdue_phrase = ""
    undated_phrase = ""

    def meeting_done(self, meeting: Meeting, body: DialogueBody) -> HttpResponseRedirect:
        # Read again for the schedule the change left, with how much of its last meeting's date is known: a due date
        # counted from a meeting of "January 2023" is "January 2024", not 1 January.
        body = DialogueBody.objects.with_last_meeting_precision().get(pk=body.pk)
        if body.is_overdue():
            due = self.overdue_phrase.format(due=format_approx_date_on(body.next_due_on, body.schedule_precision))
        elif body.next_due_on:
            due = f"next meeting due by {body.next_due_display}"
        else:
            due = self.undated_phrase
        held = format_approx_date_on(meeting.held_on, meeting.held_on_precision)
        messages.success(self.request, f"{self.done}: meeting of {body.name} {held}; {due}.")
        return HttpResponseRedirect(body.get_absolute_url())


class MeetingCreateView(EditorRequiredMixin, DomainErrorsMixin, MeetingDoneMixin, FormView):
    """Record a meeting that was held (editors only); the body's next due date moves at once.

    The same meeting recorded by someone else at the same moment is a conflict: status 409, the form again with
    what this person entered, nothing written (``core.views.DomainErrorsMixin``).
    """

    template_name = "dialogues/meeting_form.html"
    form_class = MeetingForm
    conflict_message = (
        "Your meeting was not saved: a meeting of this body on that day was recorded{who} while you were filling "
        "in the form."
    )
    done = "Saved"
    overdue_phrase = "it is still overdue (the next meeting was due {due})"
    undated_phrase = "it meets ad hoc"

    def get_initial(self):
        """``?body=SDD`` (the link on a body's page) chooses the body in advance."""
        initial = super().get_initial()
        short_name = self.request.GET.get("body")
        if short_name:
            initial["body"] = DialogueBody.objects.filter(short_name=short_name).first()
        return initial

    def post(self, request, *args, **kwargs):
        if "find_commitments" in request.POST:
            # The picker's search without JavaScript: the same form again, with what was entered and ticked, and
            # the matches listed; nothing is validated or saved yet.
            posted = request.POST
            initial = {name: posted.get(name, "") for name in ("body", "held_on", "place", "summary", "find")}
            initial["commitments_advanced"] = posted.getlist("commitments_advanced")
            form = self.form_class(initial=initial)
            return self.render_to_response(
                self.get_context_data(form=form, searched=True, picker_found_limit=PICKER_FOUND_LIMIT),
                status=400 if form.errors else 200,  # a search the find field refuses (too long): its error
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        body = data["body"]
        meeting = meeting_record(
            body=body,
            held_on=data["held_on"],
            place=data["place"],
            summary=data["summary"],
            commitments=data["commitments_advanced"],
            recorded_by=self.request.user,
        )
        return self.meeting_done(meeting, body)


class MeetingWithdrawView(EditorRequiredMixin, ClosedFormMixin, DomainErrorsMixin, MeetingDoneMixin, FormView):
    """Withdraw a meeting recorded by mistake, with a reason (editors only). It stays on the body's page, struck
    through; the body's next due date and overdue state are worked out again without it. A meeting already
    withdrawn gets no form: the page says when, by whom and why."""

    template_name = "dialogues/meeting_withdraw.html"
    form_class = WithdrawalForm
    done = "Withdrawn"
    overdue_phrase = "it is overdue again (its meeting was due {due})"
    undated_phrase = "no due date can be worked out"

    @cached_property
    def meeting(self) -> Meeting:
        return get_object_or_404(
            Meeting.objects.select_related("body", "recorded_by", "withdrawn_by"), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(meeting=self.meeting, body=self.meeting.body, **kwargs)

    def closed_reason(self) -> str:
        return withdrawn_note(self.meeting, self.request.user)

    def reread_after_conflict(self, conflict) -> None:
        super().reread_after_conflict(conflict)
        self.meeting = conflict.meeting  # as it stands now: who withdrew it, when and why

    def form_valid(self, form):
        meeting = meeting_withdraw(meeting=self.meeting, author=self.request.user, reason=form.cleaned_data["reason"])
        return self.meeting_done(meeting, meeting.body)


class BodyFactConfirmView(EditorRequiredMixin, FactConfirmView):
    """Confirm an assumed fact of a body (cadence, level, reporting line, start) by naming its source (editors)."""

    list_url_name = "dialogues:body_list"
    list_label = "Dialogue bodies"

    def get_record(self) -> DialogueBody:
        return get_object_or_404(DialogueBody, short_name=self.kwargs["short_name"])
