"""``manage.py backup_tracker --output FILE``: everything the tracker holds, in one JSON file."""

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, backup_to_file


class Command(BaseCommand):
    help = (
        "Write a backup of the whole database (records, status and audit history, users, groups, API tokens, "
        "sign-in log) to FILE, readable by its owner only. Restore it with restore_tracker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", required=True, metavar="FILE", help="Where to write the backup.")

    def handle(self, *args, **options):
        try:
            counts = backup_to_file(options["output"])
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        total = sum(counts.values())
        self.stdout.write(f"Backed up {total} rows from {sum(1 for n in counts.values() if n)} tables.")
        for label, count in counts.items():
            if count and options["verbosity"] > 1:
                self.stdout.write(f"  {label:<45} {count:>8}")
        self.stdout.write(self.style.SUCCESS(f"Backup written to {options['output']}"))
