"""A stored sort key for the natural order of references (§4 < §5 < §10 < §12(b)(i)), backfilled for every row."""

from django.db import migrations, models

from commitments.references import reference_sort_key


def backfill(apps, schema_editor):
    """Write the key of every existing commitment (in batches; the key is a pure function of the reference)."""
    Commitment = apps.get_model("commitments", "Commitment")
    batch = []
    for commitment in Commitment.objects.only("pk", "reference").order_by("pk").iterator(chunk_size=2000):
        commitment.reference_sort_key = reference_sort_key(commitment.reference)
        batch.append(commitment)
        if len(batch) >= 2000:
            Commitment.objects.bulk_update(batch, ["reference_sort_key"])
            batch = []
    if batch:
        Commitment.objects.bulk_update(batch, ["reference_sort_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0010_status_update_withdrawals"),
        ("core", "0003_source_document_table"),
        ("dialogues", "0005_source_document_moves_to_core"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="commitment",
            options={"ordering": ["agreement__code", "reference_sort_key", "reference"]},
        ),
        migrations.AddField(
            model_name="commitment",
            name="reference_sort_key",
            field=models.CharField(default="", editable=False, max_length=255),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["reference_sort_key", "reference"], name="commitment_reference_order"),
        ),
    ]
