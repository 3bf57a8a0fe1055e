"""The data generation that keys the API's answer cache (core.generation): a one-row table, and on PostgreSQL the
sequence that holds it, starting at a random value so that a database created again meets no earlier entry."""

from django.db import migrations, models

from core import generation


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_source_document_date_precision"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField()),
            ],
        ),
        generation.sequence_operation(generation.SEQUENCE),
    ]
