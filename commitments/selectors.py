"""Reads with logic for the commitment pages."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Agreement, Commitment, StatusUpdate


def agreement_list() -> QuerySet[Agreement]:
    """Every framework with its parent and its commitment counts, in one query."""
    return Agreement.objects.select_related("parent").with_commitment_counts().order_by("code")


def commitment_detail(*, pk: int) -> Commitment:
    """A commitment with everything its page shows: agreement, body, timeline (newest first) and meetings."""
    return (
        Commitment.objects.select_related(
            "agreement", "responsible_body", "responsible_body__reports_to", "source_document"
        )
        .prefetch_related(
            Prefetch("updates", queryset=StatusUpdate.objects.for_timeline(), to_attr="timeline"),
            "meetings__body",
        )
        .get(pk=pk)
    )
