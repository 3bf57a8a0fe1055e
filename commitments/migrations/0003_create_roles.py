"""Empty: the staff roles are created by ``core/0002_create_roles`` now, beside the code that names them.

Kept so that the migrations after it keep their place in the graph.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("commitments", "0002_links_to_dialogues_and_users"),
    ]

    operations = []
