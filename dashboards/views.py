"""The AFET delegation dashboards: overview (today or as of a date), what changed, the cadence timeline and an
agreement's page.

Views parse the querystring with a small form and call the selectors of ``dashboards.selectors``; bad input is
answered with the page and its error (HTTP 400), never a 500.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from commitments.models import Agreement
from core import fragments

from . import briefing, selectors
from .forms import AsOfForm, ChangesSinceForm, TimelineFilterForm


class QueryFormView(TemplateView):
    """A page read through a small GET form: an invalid querystring is the page again with the form's errors and
    status 400; otherwise :meth:`page_context` builds what the page shows from the cleaned values."""

    form_class: type[forms.Form]
    # What the template gets in place of the page's data when the form is invalid.
    invalid_context: dict = {}

    def get_form(self) -> forms.Form:
        return self.form_class(self.request.GET or None)

    def shared_context(self) -> dict:
        """Context shown whether the form is valid or not."""
        return {}

    def page_context(self, data: dict) -> dict:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.get_form()
        context = {"form": form, **self.shared_context()}
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(**context, **self.invalid_context), status=400)
        data = form.cleaned_data if form.is_bound else {}
        return self.render_to_response(self.get_context_data(**context, **self.page_context(data)))


class OverviewView(QueryFormView):
    """The overview dashboard (``/``): today, or as it stood at the end of ``?as_of=YYYY-MM-DD``."""

    template_name = "dashboards/overview.html"
    form_class = AsOfForm
    invalid_context = {"overview_body": None}

    def page_context(self, data: dict) -> dict:
        today = timezone.localdate()
        on = data.get("as_of") or today
        # The body (counts over every commitment, the frameworks, the bodies that met) is rendered once per data
        # generation, day, role and address (core.fragments): any write or a new day renders it again.
        body = fragments.rendered(self.request, "overview", lambda: self.render_body(data, today))
        return {"overview_body": mark_safe(body), "shown_on": on, "rebuilt_from_history": on < today}  # noqa: S308

    def render_body(self, data: dict, today) -> str:
        overview = selectors.overview(on=data.get("as_of"), stale_limit=10, updates_limit=8)
        bodies = selectors.bodies_that_met(on=overview.on)
        since = selectors.since_last_meeting(bodies=bodies, short_name=data.get("since_body", ""), on=overview.on)
        context = {"overview": overview, "today": today, "since": since, "bodies_that_met": bodies}
        return render_to_string("dashboards/_overview_body.html", context, request=self.request)


class ChangesView(QueryFormView):
    """What changed since a date (``?since=YYYY-MM-DD``; default 30 days ago) or since a meeting (``?meeting=<id>``,
    from the day after it, ``selectors.day_after_meeting``): the delegation's pre-meeting read."""

    template_name = "dashboards/changes.html"
    form_class = ChangesSinceForm
    invalid_context = {"changes_body": None}

    def setup(self, request, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.today = timezone.localdate()
        self.default_since = self.today - timedelta(days=selectors.DEFAULT_CHANGES_DAYS)

    def get_form(self) -> forms.Form:
        return self.form_class(self.request.GET or None, initial={"since": self.default_since})

    def shared_context(self) -> dict:
        return {"today": self.today, "meetings_to_pick": selectors.meeting_dates()}

    def page_context(self, data: dict) -> dict:
        meeting = data.get("meeting")
        if meeting:
            since = selectors.day_after_meeting(meeting.held_on, meeting.held_on_precision)
        else:
            since = data.get("since") or self.default_since
        asked = {"meeting": meeting.pk} if meeting else {"since": since.isoformat()}
        limit = selectors.LIST_LIMIT if data.get("more") else selectors.PAGE_LIST_LIMIT
        # Kept as the overview's body is (core.fragments): once per data generation, day, role and address.
        body = fragments.rendered(self.request, "changes", lambda: self.render_body(since, limit, asked))
        return {"changes_body": mark_safe(body), "shown_since": since, "since_meeting": meeting}  # noqa: S308

    def render_body(self, since, limit: int, asked: dict) -> str:
        changes = selectors.changes_since(since=since, until=self.today, limit=limit)
        more_url = None
        if limit < selectors.LIST_LIMIT:
            more_url = f"{reverse('dashboards:changes')}?{urlencode({**asked, 'more': 1})}"
        context = {
            "changes": changes,
            "is_default": since == self.default_since,
            "today": self.today,
            "more_url": more_url,
            "more_limit": selectors.LIST_LIMIT,
        }
        return render_to_string("dashboards/_changes_body.html", context, request=self.request)


class TimelineView(QueryFormView):
    """The dialogue cadence timeline: each body across the years, its meetings, cadence and overdue gaps."""

    template_name = "dashboards/timeline.html"
    form_class = TimelineFilterForm
    invalid_context = {"timeline": None}

    def page_context(self, data: dict) -> dict:
        agreement = data.get("agreement")
        timeline = selectors.cadence_timeline(
            agreement=agreement.code if agreement else "", from_year=data.get("from_year")
        )
        return {"timeline": timeline, "agreement": agreement}


class AgreementDetailView(TemplateView):
    """A framework: its commitments grouped by policy area with status and progress, and its dialogue bodies."""

    template_name = "dashboards/agreement.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        try:
            context["page"] = selectors.agreement_page(code=self.kwargs["code"])
        except Agreement.DoesNotExist as exc:
            raise Http404("No framework with that code.") from exc
        context["agreement"] = context["page"].agreement
        return context


class BriefingPackView(View):
    """A briefing pack as PDF (``?since=YYYY-MM-DD``, default the last 30 days; a bad date answers 400).

    ``make_pack`` makes the pack of the object the URL names by ``lookup``; none by that name answers 404."""

    make_pack = None
    lookup = ""
    not_found = ""

    def build(self, *, since, user) -> briefing.Briefing:
        try:
            return self.make_pack(**{self.lookup: self.kwargs[self.lookup]}, since=since, user=user)
        except ObjectDoesNotExist as exc:
            raise Http404(self.not_found) from exc

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ChangesSinceForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            errors = "; ".join(form.errors.get("since", ["Invalid input."]))
            return HttpResponseBadRequest(f"The briefing pack cannot be made: {errors}", content_type="text/plain")
        since = (form.cleaned_data.get("since") if form.is_bound else None) or briefing.default_since()
        pack = self.build(since=since, user=request.user)
        response = HttpResponse(briefing.render_pdf(pack), content_type="application/pdf")
        filename = f"briefing-{pack.code}-{pack.prepared_on:%Y-%m-%d}.pdf".replace(" ", "-")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class AgreementBriefingView(BriefingPackView):
    """``/agreements/<code>/briefing.pdf``: the pack of one framework."""

    make_pack = staticmethod(briefing.agreement_briefing)
    lookup = "code"
    not_found = "No framework with that code."


class BodyBriefingView(BriefingPackView):
    """``/dialogues/<short name>/briefing.pdf``: the pack of one dialogue body."""

    make_pack = staticmethod(briefing.body_briefing)
    lookup = "short_name"
    not_found = "No dialogue body with that short name."


class AreaBriefingView(BriefingPackView):
    """``/areas/<area>/briefing.pdf``: the pack of one policy area across the frameworks."""

    make_pack = staticmethod(briefing.area_briefing)
    lookup = "area"
    not_found = "No policy area with that name."
