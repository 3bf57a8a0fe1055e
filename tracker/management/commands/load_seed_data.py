"""``manage.py load_seed_data``: load the traceable seed data; safe to run again."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.seeding import DEFAULT_SEED_DIR, SeedError, load_seed


class Command(BaseCommand):
    help = (
        "Load the seed frameworks, commitments, dialogue bodies, meetings and status history. Idempotent; "
        "records that already exist are kept as staff left them unless --refresh is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=DEFAULT_SEED_DIR, help="Folder of seed YAML files.")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="Write the seed's values over records that already exist (undoes staff corrections).",
        )

    def handle(self, *args, **options):
        try:
            counts = load_seed(options["dir"], refresh=options["refresh"])
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
