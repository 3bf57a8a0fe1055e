"""Create the two staff roles. Membership, not model permissions, decides who may edit."""

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
        ("commitments", "0002_links_to_dialogues_and_users"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
