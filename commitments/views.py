"""Pages for frameworks and commitments. Views parse input and call selectors; they hold no rules."""

from django.db.models import Prefetch
from django.http import Http404
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView

from dialogues.models import DialogueBody

from . import selectors
from .filtersets import CommitmentFilterSet
from .models import Agreement, Commitment


class HomeView(ListView):
    """The frameworks, each with how many of its commitments are achieved."""

    template_name = "commitments/home.html"
    context_object_name = "agreements"

    def get_queryset(self):
        return selectors.agreement_list()


class AgreementDetailView(DetailView):
    template_name = "commitments/agreement_detail.html"
    context_object_name = "agreement"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_queryset(self):
        return Agreement.objects.select_related("parent", "source_document").prefetch_related(
            Prefetch("commitments", queryset=Commitment.objects.for_listing().order_by("area", "reference")),
            Prefetch("dialogue_bodies", queryset=DialogueBody.objects.order_by("name")),
            "children",
        )


class CommitmentListView(FilterView):
    filterset_class = CommitmentFilterSet
    template_name = "commitments/commitment_list.html"
    context_object_name = "commitments"
    paginate_by = 50

    def get_queryset(self):
        return Commitment.objects.for_listing()


class CommitmentDetailView(DetailView):
    template_name = "commitments/commitment_detail.html"
    context_object_name = "commitment"

    def get_object(self, queryset=None):
        try:
            return selectors.commitment_detail(pk=self.kwargs["pk"])
        except Commitment.DoesNotExist as exc:
            raise Http404("No commitment with that id.") from exc
