"""Create the two staff roles (moved here from ``commitments/0003_create_roles``, which is now empty).

Membership, not model permissions, decides who may edit. ``get_or_create``: on a database where the old
migration already created them, this changes nothing.
"""

from django.db import migrations

ROLES = ("Editors", "Reviewers")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0001_source_document_moves_to_core"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
