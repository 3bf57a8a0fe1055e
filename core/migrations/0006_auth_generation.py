"""The sign-in generation that keys the API's token look-ups (core.generation): on PostgreSQL its own sequence,
starting at a random value; on SQLite the second row of the one-row table, written at its first bump."""

from django.db import migrations

from core import generation


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_data_generation"),
    ]

    operations = [
        generation.sequence_operation(generation.AUTH_SEQUENCE),
    ]
