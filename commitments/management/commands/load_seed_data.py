"""``manage.py load_seed_data``: load the traceable seed data; safe to run again."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.seeding import DEFAULT_SEED_DIR, SeedError, load_seed


class Command(BaseCommand):
    help = "Load the seed frameworks, commitments, dialogue bodies, meetings and status history (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=DEFAULT_SEED_DIR, help="Folder of seed YAML files.")

    def handle(self, *args, **options):
        try:
            counts = load_seed(options["dir"])
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
