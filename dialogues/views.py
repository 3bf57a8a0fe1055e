"""Pages for dialogue bodies and their meetings."""

from django.db.models import Prefetch
from django.views.generic import DetailView
from django_filters.views import FilterView

from commitments.models import Commitment

from .filtersets import DialogueBodyFilterSet
from .models import DialogueBody, Meeting


class DialogueBodyListView(FilterView):
    filterset_class = DialogueBodyFilterSet
    template_name = "dialogues/body_list.html"
    context_object_name = "bodies"
    paginate_by = 50

    def get_queryset(self):
        return DialogueBody.objects.for_listing().order_by("name")


class DialogueBodyDetailView(DetailView):
    template_name = "dialogues/body_detail.html"
    context_object_name = "body"
    slug_field = "short_name"
    slug_url_kwarg = "short_name"

    def get_queryset(self):
        return DialogueBody.objects.select_related("reports_to__reports_to__reports_to").prefetch_related(
            "agreements",
            "reporting_bodies",
            Prefetch("meetings", queryset=Meeting.objects.order_by("-held_on")),
            Prefetch("commitments", queryset=Commitment.objects.for_listing().order_by("reference")),
        )
