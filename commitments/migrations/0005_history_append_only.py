"""PostgreSQL refuses UPDATE and DELETE on the status history and on every audit (historical) table.

The application never edits these rows (``StatusUpdate.save``/``delete`` and its queryset refuse, the admin is
read-only); this makes the database refuse too, whatever the client: a shell, a script, raw SQL. Inserting stays
allowed, and so does TRUNCATE (used only to empty a whole database, e.g. by the test runner). On SQLite, the
embedded development database, there is no such trigger: the model-level guards still apply.
"""

from django.db import migrations

APPEND_ONLY_TABLES = [
    "commitments_statusupdate",
    "commitments_historicalagreement",
    "commitments_historicalcommitment",
    "dialogues_historicaldialoguebody",
    "dialogues_historicalmeeting",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION tracker_refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'History is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a new entry instead of changing or removing an old one.';
END
$$;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # no parameters: the % in RAISE are PL/pgSQL placeholders
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tracker_refuse_history_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS tracker_refuse_history_change();")


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0004_commitment_edit_version"),
        ("dialogues", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
