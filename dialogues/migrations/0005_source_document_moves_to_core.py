"""The foreign keys to the source documents point at ``core.SourceDocument`` (state only: same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [('dialogues', '0004_meeting_held_on_index'), ('core', '0001_source_document_moves_to_core')]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="dialoguebody",
                    name="source_document",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="meeting",
                    name="source_document",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="historicaldialoguebody",
                    name="source_document",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="core.sourcedocument"),
                ),
                migrations.AlterField(
                    model_name="historicalmeeting",
                    name="source_document",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="core.sourcedocument"),
                ),
            ],
            database_operations=[],
        ),
    ]
