"""The sign-in generation that keys the API's token look-ups (core.generation): on PostgreSQL its own sequence,
starting at a random value; on SQLite the second row of the one-row table, written at its first bump."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    from core.generation import AUTH_SEQUENCE, random_start

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {AUTH_SEQUENCE} START WITH {random_start()} NO CYCLE")


def drop_sequence(apps, schema_editor):
    from core.generation import AUTH_SEQUENCE

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {AUTH_SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_data_generation"),
    ]

    operations = [
        migrations.RunPython(create_sequence, drop_sequence, elidable=False),
    ]
