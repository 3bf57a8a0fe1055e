"""The AFET delegation dashboards: overview (today or as of a date), what changed, the cadence timeline, an
agreement's page, and the CSV export of a filtered commitment list.

Views parse the querystring with a form or the shared ``CommitmentFilterSet`` and call the selectors of
``commitments.dashboards``; bad input is answered with the page and its error (HTTP 400), never a 500.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from . import dashboards
from .dashboard_forms import AsOfForm, ChangesSinceForm, TimelineFilterForm
from .filtersets import CommitmentFilterSet
from .models import Agreement, Commitment


class OverviewView(TemplateView):
    """The overview dashboard (``/``): today, or as it stood at the end of ``?as_of=YYYY-MM-DD``."""

    template_name = "commitments/dashboard/overview.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = AsOfForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, overview=None), status=400)
        on = form.cleaned_data.get("as_of") if form.is_bound else None
        overview = dashboards.overview(on=on)
        return self.render_to_response(self.get_context_data(form=form, overview=overview, today=timezone.localdate()))


class ChangesView(TemplateView):
    """What changed since a date (``?since=YYYY-MM-DD``; default 30 days ago): the delegation's pre-meeting read."""

    template_name = "commitments/dashboard/changes.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        today = timezone.localdate()
        default_since = today - timedelta(days=dashboards.DEFAULT_CHANGES_DAYS)
        form = ChangesSinceForm(request.GET or None, initial={"since": default_since})
        context = {"form": form, "today": today, "meetings_to_pick": dashboards.meeting_dates()}
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(changes=None, **context), status=400)
        since = (form.cleaned_data.get("since") if form.is_bound else None) or default_since
        changes = dashboards.changes_since(since=since, until=today)
        return self.render_to_response(
            self.get_context_data(changes=changes, is_default=since == default_since, **context)
        )


class TimelineView(TemplateView):
    """The dialogue cadence timeline: each body across the years, its meetings, cadence and overdue gaps."""

    template_name = "commitments/dashboard/timeline.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = TimelineFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, timeline=None), status=400)
        data = form.cleaned_data if form.is_bound else {}
        agreement = data.get("agreement")
        timeline = dashboards.cadence_timeline(
            agreement=agreement.code if agreement else "", from_year=data.get("from_year")
        )
        return self.render_to_response(self.get_context_data(form=form, timeline=timeline, agreement=agreement))


class AgreementDetailView(TemplateView):
    """A framework: its commitments grouped by policy area with status and progress, and its dialogue bodies."""

    template_name = "commitments/dashboard/agreement.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        try:
            context["page"] = dashboards.agreement_page(code=self.kwargs["code"])
        except Agreement.DoesNotExist as exc:
            raise Http404("No framework with that code.") from exc
        context["agreement"] = context["page"].agreement
        return context


# --- CSV export -------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "reference",
    "title",
    "framework",
    "framework title",
    "policy area",
    "strength",
    "responsible body",
    "status",
    "progress (%)",
    "target date",
    "status changed",
    "last update",
    "source",
    "page",
)
# A cell starting with one of these is read as a formula by spreadsheet programs; it is exported as text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns the line, so ``csv.writer`` can feed a streamed response."""

    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def commitment_csv_lines(commitments: Iterable[Commitment], *, base_url: str) -> Iterator[str]:
    """The CSV lines of ``commitments`` (header first), one at a time, with a byte-order mark for spreadsheets."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for c in commitments:
        body = c.responsible_body
        yield writer.writerow(
            [
                _text(c.reference),
                _text(c.title),
                c.agreement.code,
                _text(c.agreement.title),
                c.get_area_display(),
                c.get_strength_display(),
                body.short_name if body else "",
                c.get_status_display(),
                "" if c.progress is None else c.progress,
                c.target_date.isoformat() if c.target_date else "",
                _moment(c.status_changed_at),
                _moment(c.last_reviewed_at),
                _text(c.source_locator),
                base_url + c.get_absolute_url(),
            ]
        )


class CommitmentExportCsvView(View):
    """Any filtered commitment list as CSV: the same ``CommitmentFilterSet`` and querystring as the list page,
    streamed in chunks so that a large export never sits in memory."""

    chunk_size = 2000

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
        commitments = filterset.qs.iterator(chunk_size=self.chunk_size)
        base_url = request.build_absolute_uri("/").rstrip("/")
        response = StreamingHttpResponse(
            commitment_csv_lines(commitments, base_url=base_url), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="commitments-{timezone.localdate():%Y-%m-%d}.csv"'
        return response
