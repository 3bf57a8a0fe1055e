"""The source documents' table takes the name of its app, now that no other app's state still holds it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_create_roles"),
        ("commitments", "0009_source_document_moves_to_core"),
        ("dialogues", "0005_source_document_moves_to_core"),
    ]

    operations = [migrations.AlterModelTable(name="sourcedocument", table=None)]
