"""``SourceDocument`` moves from ``commitments`` to the shared base ``core``, which both domain apps cite.

State only: the table, created by ``commitments/0001_initial``, stays as it is here (so this migration depends on
that one); ``commitments/0009`` and ``dialogues/0005`` point their foreign keys at the new model and drop the old
one from the state, and ``0003_source_document_table`` below gives the table its new name.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("commitments", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SourceDocument",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.SlugField(help_text="Stable identifier, e.g. SDP-2024.", max_length=40, unique=True)),
                        ("title", models.CharField(max_length=300)),
                        ("publisher", models.CharField(blank=True, max_length=300)),
                        ("published_on", models.DateField(blank=True, null=True)),
                        ("seed_file", models.CharField(blank=True, help_text="File name of the seed text, if any.", max_length=200)),
                    ],
                    options={"ordering": ["key"], "db_table": "commitments_sourcedocument"},
                ),
            ],
            database_operations=[],
        ),
    ]
