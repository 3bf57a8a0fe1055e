"""The foreign keys to the source documents point at ``core.SourceDocument`` (state only: same table, same
columns), and the model leaves this app's state."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [('commitments', '0008_commitment_breakdown_index'), ('core', '0001_source_document_moves_to_core'), ('dialogues', '0005_source_document_moves_to_core')]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="agreement",
                    name="source_document",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="commitment",
                    name="source_document",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="statusupdate",
                    name="source_document",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="historicalagreement",
                    name="source_document",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="historicalcommitment",
                    name="source_document",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="core.sourcedocument"),
                ),
                migrations.DeleteModel(name="SourceDocument"),
            ],
            database_operations=[],
        ),
    ]
