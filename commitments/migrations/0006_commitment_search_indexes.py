"""PostgreSQL only: GIN indexes for the commitment search (full text, and the literal reference match), and the
order of the stale-commitments list.

``commitments.filtersets.search_commitments`` filters on ``SearchVector(reference, title, description)`` OR
``reference ICONTAINS value``. Without an index on each side of the OR, PostgreSQL computes ``to_tsvector`` for every
commitment on every search (about 6 s at 100,000 commitments); with both it combines two GIN bitmap scans. The index
expressions are built from the same Django expressions the filter uses, so the planner sees identical expressions.
SQLite has neither GIN nor to_tsvector: there the migration does nothing (the search falls back to LIKE).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import F, Index
from django.db.models.functions import Upper

SEARCH_CONFIG = "english"  # commitments.filtersets.SEARCH_CONFIG when this migration was written


def indexes():
    return [
        GinIndex(SearchVector("reference", "title", "description", config=SEARCH_CONFIG), name="commitment_search"),
        GinIndex(OpClass(Upper("reference"), name="gin_trgm_ops"), name="commitment_reference_trgm"),
        # Stale commitments, never-reviewed first then the longest unreviewed: PostgreSQL walks this index in that
        # order and stops at the page's limit, instead of sorting every stale commitment (NULLS FIRST in an index
        # is PostgreSQL syntax, hence here and not in the model's Meta).
        Index(
            F("last_reviewed_at").asc(nulls_first=True),
            F("created_at").asc(),
            F("reference").asc(),
            name="commitment_stale_order",
        ),
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("commitments", "Commitment")
    for index in indexes():
        schema_editor.add_index(model, index)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("commitments", "Commitment")
    for index in indexes():
        schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0005_history_append_only")]

    operations = [
        TrigramExtension(),  # a no-op on other databases
        migrations.RunPython(create, drop, elidable=False),
    ]
