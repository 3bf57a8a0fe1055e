"""Pages for frameworks and commitments. Views parse input and call selectors and services; they hold no rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import DetailView, FormView
from django_filters.widgets import BaseCSVWidget

from core.forms import DateInput
from core.roles import EditorRequiredMixin
from core.views import (
    ClosedFormMixin,
    DomainErrorsMixin,
    FactConfirmView,
    FilterListView,
    already_withdrawn,
    withdrawn_note,
)

from . import selectors, services
from .exports import commitment_export_response
from .filtersets import CommitmentFilterSet
from .forms import (
    EVIDENCE_FIELDS,
    CommitmentForm,
    ConfirmUnchangedForm,
    MilestoneForm,
    MilestoneWithdrawForm,
    ProgressSourceForm,
    StatusUpdateForm,
    StatusUpdateWithdrawForm,
)
from .models import Agreement, Commitment, Milestone, StatusUpdate
from .querysets import attach_milestone_counts

# -- The commitment list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the commitment table; sortable columns link to the same list sorted by them."""

    label: str
    key: str | None = None  # the value of ``?ordering=`` (see ``CommitmentFilterSet.ordering``)
    numeric: bool = False
    sort: str | None = None  # "ascending" / "descending" when the list is sorted by this column
    url: str | None = None  # the list sorted by this column (descending if it is sorted ascending now)


COLUMNS = (
    Column("Reference", "reference"),
    Column("Commitment", "title"),
    Column("Agreement", "agreement"),
    Column("Policy area", "area"),
    Column("Strength", "strength"),
    Column("Responsible body", "body"),
    Column("State", "status"),  # the state, with the recorded status; sorts by the recorded status
    Column("Progress", "progress", numeric=True),
    Column("Milestones"),
    Column("Target date", "target_date"),
    Column("Last update", "reviewed"),  # the column shows last_reviewed_at
)


def sortable_columns(query, columns=COLUMNS) -> list[Column]:
    """The table headers for the current query string: sort state and the link that (re)sorts by each column.

    A new sort keeps every filter and goes back to the first page.
    """
    current = (query.getlist("ordering") or [""])[0].split(",")[0]
    result = []
    for column in columns:
        if column.key is None:
            result.append(column)
            continue
        sort = {column.key: "ascending", f"-{column.key}": "descending"}.get(current)
        params = query.copy()
        params.pop("page", None)
        params["ordering"] = f"-{column.key}" if sort == "ascending" else column.key
        result.append(
            Column(column.label, column.key, column.numeric, sort=sort, url=f"?{params.urlencode(safe=',')}")
        )
    return result


class HiddenCSVWidget(BaseCSVWidget, forms.HiddenInput):
    """Carries the current sort (a comma-separated list) through the filter form; the headers change it."""

    surrogate = forms.HiddenInput


class CommitmentListView(FilterListView):
    """Every commitment, filtered by ``CommitmentFilterSet`` (the API's filters), sortable and paginated.

    The filters and the sort live in the query string, so a filtered view can be bookmarked and shared.
    """

    filterset_class = CommitmentFilterSet
    template_name = "commitments/commitment_list.html"
    context_object_name = "commitments"
    paginate_by = 50

    def get_queryset(self):
        return Commitment.objects.for_listing()

    def get_filterset(self, filterset_class):
        """Present the shared filters for a browser: groups of checkboxes, a date picker, a search box."""
        filterset = super().get_filterset(filterset_class)
        fields = filterset.form.fields
        for name in ("state", "status", "strength", "area", "actor", "eu_status", "japan_status"):
            fields[name].widget = forms.CheckboxSelectMultiple(choices=fields[name].choices)
        fields["search"].widget = forms.TextInput(attrs={"type": "search", "autocomplete": "off"})
        fields["search"].help_text = "Words from the reference, title or description."
        fields["overdue_body"].widget = forms.Select(
            choices=[("", "Any"), ("true", "Overdue"), ("false", "Not overdue")]
        )
        for name, yes, no in (
            ("target_passed", "Target date passed", "Not passed"),
            ("stale", "No update in 12 months", "Updated in 12 months"),
            ("deadline_passed", "A deadline passed", "No deadline passed"),
        ):
            fields[name].widget = forms.Select(choices=[("", "Any"), ("true", yes), ("false", no)])
        fields["target_passed"].label = "Target date"
        fields["target_passed"].help_text = (
            "Passed: the target date is over (a month or a year once all of it is over) and it is not achieved or "
            "discontinued."
        )
        fields["deadline_passed"].label = "Deadlines"
        fields[
            "deadline_passed"
        ].help_text = (
            "Passed: the target date is over and it is not achieved or discontinued, or a milestone is overdue."
        )
        fields["stale"].label = "Staleness"
        fields["stale"].help_text = "Not achieved or discontinued, and no update or review in 12 months."
        fields["state"].help_text = "Stale: not achieved or discontinued, and no update or review in 12 months."
        fields["status"].help_text = "The status its latest update recorded."
        fields["updated_since"].widget = DateInput()
        changed = "Commitments changed since this day: a status update, review or withdrawal, a milestone, or an edit."
        fields["updated_since"].help_text = changed
        fields["agreement"].empty_label = "All agreements"
        fields["body"].empty_label = "All bodies"
        fields["ordering"].widget = HiddenCSVWidget()
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = sortable_columns(self.request.GET)
        attach_milestone_counts(list(context["commitments"]))
        form = self.filterset.form
        context["area_selected"] = len(form.data.getlist("area"))
        context["area_filter_open"] = bool(context["area_selected"] or form["area"].errors)
        parties = ("eu_status", "japan_status")
        context["party_selected"] = sum(len([v for v in form.data.getlist(name) if v]) for name in parties)
        context["party_filter_open"] = bool(context["party_selected"] or any(form[name].errors for name in parties))
        # One valid policy area chosen: the page links to that area's briefing pack.
        areas = form.data.getlist("area")
        context["single_area"] = areas[0] if len(areas) == 1 and areas[0] and not form["area"].errors else ""
        context["active_filters"] = [
            name for name in form.fields if name not in ("ordering",) and form.data.get(name) not in (None, "")
        ]
        context["filters_in_words"] = filters_in_words(form, context["active_filters"])
        return context


def filters_in_words(form: forms.Form, names: list[str]) -> list[tuple[str, str]]:
    """``(label, chosen values)`` of each active filter as the form shows it, for the printed list (whose filter
    form does not print): "Status", "Achieved or In progress"; an agreement by its name, a date written out."""
    cleaned = getattr(form, "cleaned_data", {})
    described = []
    for name in names:
        field = form.fields[name]
        raw = [value for value in form.data.getlist(name) if value not in (None, "")]
        choices = {
            str(key): str(label) for key, label in getattr(field.widget, "choices", ()) if key not in (None, "")
        }
        value = cleaned.get(name)
        if choices:
            words = " or ".join(choices.get(v, v) for v in raw)
        elif isinstance(value, datetime):
            words = date_format(timezone.localtime(value), "j F Y")
        else:
            words = f"“{raw[0]}”" if raw else ""
        described.append((str(field.label or name), words))
    return described


# -- One commitment ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a commitment's timeline: a status update or review, or an edit of its editorial fields."""

    at: datetime
    update: StatusUpdate | None = None
    edit: selectors.CommitmentEdit | None = None


def build_timeline(commitment: Commitment) -> list[TimelineEntry]:
    """Status updates and editorial edits of ``commitment``, newest first."""
    entries = [TimelineEntry(at=update.recorded_at, update=update) for update in commitment.timeline]
    edits = selectors.commitment_edits(commitment_id=commitment.pk)
    entries += [TimelineEntry(at=edit.at, edit=edit) for edit in edits]
    # ``sorted`` is stable: updates recorded at the same moment keep the selector's newest-first order.
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


class CommitmentDetailView(DetailView):
    template_name = "commitments/commitment_detail.html"
    context_object_name = "commitment"

    def get_object(self, queryset=None):
        try:
            return selectors.commitment_detail(pk=self.kwargs["pk"])
        except Commitment.DoesNotExist as exc:
            raise Http404("No commitment with that id.") from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selectors.attach_entry_origins(self.object.timeline, self.request.user)
        context["timeline"] = build_timeline(self.object)
        return context


# -- Forms that change a commitment ---------------------------------------------------------------------------


class CommitmentFormView(EditorRequiredMixin, DomainErrorsMixin, FormView):
    """A form about one commitment, for editors only (a reviewer gets 403 before any lookup).

    Invalid input re-renders the form with status 400; a conflict (someone else saved first) renders status
    409 with what the other save changed and the form on the current version, still holding what this person
    typed: nothing is saved (``core.views.DomainErrorsMixin`` maps the services' errors).
    """

    page_title = ""
    conflict_message = "Your change was not saved: this commitment was changed{who} since you opened the form."

    @cached_property
    def commitment(self) -> Commitment:
        return get_object_or_404(
            Commitment.objects.select_related("agreement", "responsible_body"), pk=self.kwargs["pk"]
        )

    def form_target_kwargs(self, commitment: Commitment) -> dict:
        """How the form is told which commitment it is about."""
        return {"commitment": commitment}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **self.form_target_kwargs(self.commitment)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(commitment=self.commitment, page_title=self.page_title, **kwargs)

    def get_success_url(self) -> str:
        return self.commitment.get_absolute_url()

    def done(self, message: str, *, saved: bool = True, to: str = "") -> HttpResponseRedirect:
        """After the form: say what was saved (``saved=False``: that there was nothing to save) and go back to the
        page the form is about (or to ``to``)."""
        (messages.success if saved else messages.info)(self.request, message)
        return HttpResponseRedirect(to or self.get_success_url())

    def versioned_kwargs(self, data: dict) -> dict:
        """What every write under the commitment's version takes from its form: the version the form was opened at,
        and its author."""
        return {"expected_version": data["expected_version"], "author": self.request.user}

    def entry_kwargs(self, data: dict) -> dict:
        """What every new entry in the commitment's history takes from its form: the version the form was opened
        at, its author, the note and the evidence."""
        return {
            "commitment": self.commitment,
            **self.versioned_kwargs(data),
            **{name: data[name] for name in ("note", *EVIDENCE_FIELDS)},
        }

    def current_form(self, conflict):
        """The conflict page's form: on the commitment as the other save left it (``DomainErrorsMixin`` puts back
        what this person typed)."""
        self.commitment = conflict.current
        return self.get_form_class()(**self.form_target_kwargs(conflict.current))


class CommitmentUpdateStatusView(CommitmentFormView):
    """Record a new status with its evidence; the commitment's current status moves with it."""

    template_name = "commitments/commitment_update_status.html"
    form_class = StatusUpdateForm
    page_title = "Update status"

    def form_valid(self, form):
        data = form.cleaned_data
        common = {**self.entry_kwargs(data), "status": data["status"], "progress": data["progress"]}
        if data.get("party"):
            update = services.commitment_update_party_status(**common, party=data["party"])
            return self.done(
                f"Saved: {update.get_party_display()} is “{update.get_party_status_display()}” on "
                f"{self.commitment.reference}; together “{update.get_status_display()}”."
            )
        update = services.commitment_update_status(**common)
        progress = f" ({update.progress}%)" if update.progress is not None else ""
        return self.done(f"Saved: {self.commitment.reference} is now “{update.get_status_display()}”{progress}.")


class CommitmentConfirmView(CommitmentFormView):
    """Record that the commitment was reviewed and nothing changed (resets the staleness clock)."""

    template_name = "commitments/commitment_confirm.html"
    form_class = ConfirmUnchangedForm
    page_title = "Confirm unchanged"

    def form_valid(self, form):
        data = form.cleaned_data
        services.commitment_confirm_unchanged(**self.entry_kwargs(data))
        return self.done(
            f"Saved: {self.commitment.reference} reviewed, status unchanged "
            f"(“{self.commitment.get_status_display()}”)."
        )


class CommitmentEditView(CommitmentFormView):
    """Correct what was promised and who is responsible (the editorial fields), with the same conflict rule."""

    template_name = "commitments/commitment_edit.html"
    form_class = CommitmentForm
    page_title = "Edit details"

    conflict_message = "Your changes were not saved: this commitment was edited{who} since you opened the form."

    def form_target_kwargs(self, commitment: Commitment) -> dict:
        # The form works on its own copy, so the page keeps showing the stored values while the input is invalid.
        return {"instance": Commitment.objects.select_related("responsible_body").get(pk=commitment.pk)}

    def form_valid(self, form):
        data = form.cleaned_data
        commitment, changed = services.commitment_update(
            commitment=self.commitment,
            expected_edit_version=data["expected_edit_version"],
            author=self.request.user,
            **{name: data[name] for name in form.Meta.fields},
        )
        if not changed:
            return self.done(f"Nothing to save: {commitment.reference} was left as it was.", saved=False)
        # The date and how much of it is known are one fact to the reader: "target date changed".
        names = list(dict.fromkeys("target_date" if name == "target_date_precision" else name for name in changed))
        labels = ", ".join(str(form.fields[name].label).lower() for name in names)
        return self.done(f"Saved: {commitment.reference} ({labels} changed).")


class WithdrawFormView(CommitmentFormView):
    """A withdrawal with a reason under the commitment's version (of an entry, of a milestone): the same form, and
    the same conflict page (the form on the current version, with the reason typed)."""

    form_class = StatusUpdateWithdrawForm
    conflict_message = "Nothing was withdrawn: this commitment was changed{who} since you opened the form."

    def withdrawal_kwargs(self, data: dict) -> dict:
        """The version, the author and the reason every withdrawal takes from its form."""
        return {**self.versioned_kwargs(data), "reason": data["reason"]}

    def reread_after_conflict(self, conflict) -> None:
        """The commitment as the other save left it (``ClosedFormMixin``: the entry may be withdrawn now)."""
        self.commitment = conflict.current


class StatusUpdateWithdrawView(ClosedFormMixin, WithdrawFormView):
    """Withdraw a status update or review recorded by mistake, with a reason (editors only). The entry stays on the
    timeline, struck through; the commitment's status is worked out again from the entries that still count. An
    entry already withdrawn gets no form: the page says when, by whom and why."""

    template_name = "commitments/status_update_withdraw.html"
    page_title = "Withdraw an entry"

    @cached_property
    def update(self) -> StatusUpdate:
        return get_object_or_404(
            StatusUpdate.objects.select_related("author", "withdrawal__author"),
            pk=self.kwargs["update_pk"],
            commitment_id=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(update=self.update, **kwargs)

    def closed_reason(self) -> str:
        withdrawal = self.update.withdrawal_entry
        if withdrawal is None:
            return ""
        return already_withdrawn(
            at=withdrawal.recorded_at, by=withdrawal.author, reason=withdrawal.note, reader=self.request.user
        )

    def reread_after_conflict(self, conflict) -> None:
        super().reread_after_conflict(conflict)
        self.__dict__.pop("update", None)

    def form_valid(self, form):
        withdrawal = services.status_update_withdraw(update=self.update, **self.withdrawal_kwargs(form.cleaned_data))
        return self.done(
            f"Withdrawn: {self.update.get_kind_display().lower()} of "
            f"{date_format(timezone.localtime(self.update.recorded_at), 'j F Y')}; {self.commitment.reference} is "
            f"now “{withdrawal.get_status_display()}”."
        )


# -- Milestones -----------------------------------------------------------------------------------------------


class MilestoneFormView(CommitmentFormView):
    """The milestone form, to add a milestone or to change one."""

    template_name = "commitments/milestone_form.html"
    form_class = MilestoneForm

    def milestone_kwargs(self, data: dict) -> dict:
        """What the milestone services take from the form: the version, the author and the milestone's fields."""
        return {**self.versioned_kwargs(data), **{name: data[name] for name in services.MILESTONE_FIELDS}}


class MilestoneAddView(MilestoneFormView):
    """Add a milestone; it enters the timeline and, when progress is rolled up, moves the progress."""

    page_title = "Add a milestone"

    def form_valid(self, form):
        milestone = services.milestone_add(commitment=self.commitment, **self.milestone_kwargs(form.cleaned_data))
        return self.done(
            f"Saved: milestone “{milestone.title}” added to {self.commitment.reference}.",
            to=milestone.get_absolute_url(),
        )


class MilestoneFormViewMixin:
    @cached_property
    def milestone(self) -> Milestone:
        return get_object_or_404(
            Milestone.objects.effective(), pk=self.kwargs["milestone_pk"], commitment_id=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(milestone=self.milestone, **kwargs)

    def get_success_url(self) -> str:
        return self.milestone.get_absolute_url()


class MilestoneEditView(MilestoneFormViewMixin, MilestoneFormView):
    """Change a milestone: mark it done with its evidence, move its due date, give it a weight."""

    page_title = "Change a milestone"

    def form_target_kwargs(self, commitment: Commitment) -> dict:
        # The form works on its own copy, so the page keeps showing the stored values while the input is invalid.
        return {"commitment": commitment, "instance": Milestone.objects.get(pk=self.milestone.pk)}

    def form_valid(self, form):
        milestone, changed = services.milestone_update(
            milestone=self.milestone, **self.milestone_kwargs(form.cleaned_data)
        )
        if not changed:
            return self.done(f"Nothing to save: milestone “{milestone.title}” was left as it was.", saved=False)
        return self.done(f"Saved: milestone “{milestone.title}”.")


class MilestoneWithdrawView(ClosedFormMixin, MilestoneFormViewMixin, WithdrawFormView):
    """Withdraw a milestone recorded by mistake, with a reason. It stays on the page, struck through. A milestone
    already withdrawn gets no form: the page says when, by whom and why."""

    template_name = "commitments/milestone_withdraw.html"
    form_class = MilestoneWithdrawForm
    page_title = "Withdraw a milestone"

    @cached_property
    def milestone(self) -> Milestone:
        # Withdrawn ones too, so that the page can say so (the other milestone pages know only those that count).
        return get_object_or_404(
            Milestone.objects.select_related("withdrawn_by"),
            pk=self.kwargs["milestone_pk"],
            commitment_id=self.kwargs["pk"],
        )

    def closed_reason(self) -> str:
        return withdrawn_note(self.milestone, self.request.user)

    def reread_after_conflict(self, conflict) -> None:
        super().reread_after_conflict(conflict)
        self.__dict__.pop("milestone", None)

    def form_valid(self, form):
        services.milestone_withdraw(milestone=self.milestone, **self.withdrawal_kwargs(form.cleaned_data))
        return self.done(f"Withdrawn: milestone “{self.milestone.title}”.", to=self.commitment.get_absolute_url())


class ProgressSourceView(CommitmentFormView):
    """Say whether the progress is entered by hand or rolled up from the milestones."""

    template_name = "commitments/progress_source.html"
    form_class = ProgressSourceForm
    page_title = "Where progress comes from"

    def form_valid(self, form):
        data = form.cleaned_data
        entry = services.commitment_set_progress_source(
            commitment=self.commitment, source=data["progress_source"], **self.versioned_kwargs(data)
        )
        if entry is None:
            return self.done("Nothing to save: the progress already came from there.", saved=False)
        return self.done(f"Saved: {self.commitment.reference}: {entry.note}")


class CommitmentExportCsvView(View):
    """Any filtered commitment list as CSV (or XLSX, ``export.xlsx``): the same ``CommitmentFilterSet`` and
    querystring as the list page,
    streamed in chunks so that a large export never sits in memory. The same file as the API's ``?format=csv``
    (``commitments.exports``)."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        filterset = CommitmentFilterSet(
            request.GET or None, queryset=Commitment.objects.for_listing(), request=request
        )
        if filterset.is_bound and not filterset.is_valid():
            problems = "\n".join(
                f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: {' '.join(errors)}"
                for name, errors in filterset.errors.items()
            )
            return HttpResponse(
                f"The filters are not valid, nothing was exported.\n{problems}\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return commitment_export_response(filterset.qs, request, kwargs.get("fmt", "csv"))


class AgreementFactConfirmView(EditorRequiredMixin, FactConfirmView):
    """Confirm an assumed date of an agreement (signature, entry into force) by naming its source (editors)."""

    list_url_name = "dashboards:home"
    list_label = "Overview"

    def get_record(self) -> Agreement:
        return get_object_or_404(Agreement, code=self.kwargs["code"])
