"""``manage.py restore_tracker FILE``: load a backup into an empty, migrated database (all or nothing)."""

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, restore_from_file


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_tracker into an EMPTY database: create the database, run migrate, "
        "then this. Refuses a database that holds data or has different migrations; writes nothing on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="A backup written by backup_tracker.")

    def handle(self, *args, **options):
        try:
            counts = restore_from_file(options["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"Restored {total} rows into {sum(1 for n in counts.values() if n)} tables.")
        )
        self.stdout.write("Everyone signs in again: sessions are not part of a backup.")
