"""The data generation that keys the API's answer cache (core.generation): a one-row table, and on PostgreSQL the
sequence that holds it, starting at a random value so that a database created again meets no earlier entry."""

from django.db import migrations, models


def create_sequence(apps, schema_editor):
    from core.generation import SEQUENCE, random_start

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {random_start()} NO CYCLE")


def drop_sequence(apps, schema_editor):
    from core.generation import SEQUENCE

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


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
        migrations.RunPython(create_sequence, drop_sequence, elidable=False),
    ]
