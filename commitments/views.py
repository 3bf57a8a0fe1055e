"""Pages for frameworks and commitments. Views parse input and call selectors; they hold no rules."""

from django.http import Http404
from django.views.generic import DetailView
from django_filters.views import FilterView

from . import selectors
from .filtersets import CommitmentFilterSet
from .models import Commitment


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
