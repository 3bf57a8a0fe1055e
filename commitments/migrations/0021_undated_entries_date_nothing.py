"""An undated entry (taken by the seed loader from a document that gives no date: no author, no evidence date)
no longer dates the commitment's status or review (``commitments.services._append_update``). A database seeded
before kept the moment of loading in ``status_changed_at`` and ``last_reviewed_at``; where a value is still that
entry's time, it becomes what the service now writes: no status date, and the last *dated* entry's time (with its
precision) or none. Values anyone changed since are left alone. The history itself is not touched (append-only).
"""

from django.db import migrations


def _precision(entry) -> str:
    if entry.author_id is None and entry.source_document_id is not None and entry.evidence_date is not None:
        return entry.evidence_date_precision or "day"
    return "day"


def undate(apps, schema_editor):
    StatusUpdate = apps.get_model("commitments", "StatusUpdate")
    Commitment = apps.get_model("commitments", "Commitment")
    undated = StatusUpdate.objects.filter(author__isnull=True, evidence_date__isnull=True).exclude(kind="withdrawal")
    for entry in undated.order_by("pk"):
        commitment = Commitment.objects.get(pk=entry.commitment_id)
        changes = {}
        if commitment.status_changed_at == entry.recorded_at:
            changes.update(status_changed_at=None, status_changed_precision="day")
        if commitment.last_reviewed_at == entry.recorded_at:
            withdrawn = StatusUpdate.objects.filter(withdraws__isnull=False).values("withdraws_id")
            dated = (
                StatusUpdate.objects.filter(commitment_id=commitment.pk)
                .exclude(kind="withdrawal")
                .exclude(pk__in=withdrawn)
                .exclude(author__isnull=True, evidence_date__isnull=True)
                .order_by("-version")
                .first()
            )
            changes.update(
                last_reviewed_at=dated.recorded_at if dated else None,
                last_reviewed_precision=_precision(dated) if dated else "day",
            )
        if changes:
            Commitment.objects.filter(pk=commitment.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0020_dates_to_the_precision_known")]

    operations = [migrations.RunPython(undate, migrations.RunPython.noop)]
