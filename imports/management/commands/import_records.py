"""``python manage.py import_records KIND FILE [--dry-run] [--user NAME]``: the staff page's import, from a shell.

Exit status: 0 when the file was applied (or, with ``--dry-run``, would apply cleanly), 1 when the file is refused
or has rows with errors (nothing written), 2 for a wrong kind or file name, 3 on a conflict (someone saved between
the preview and the writes; nothing written).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from imports.kinds import CHANGED, ERROR, KINDS, NEW
from imports.services import ImportConflict, import_apply, import_preview, import_run_create

MAX_LISTED = 50


class Command(BaseCommand):
    help = "Import commitments, status updates or meetings from a CSV or XLSX file (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS), help="What the file holds.")
        parser.add_argument("file", help="A .csv (UTF-8, commas) or .xlsx file with a header row.")
        parser.add_argument("--dry-run", action="store_true", help="Only show what would change; write nothing.")
        parser.add_argument("--user", help="Username recorded as the author of the changes (default: none).")

    def handle(self, *args, kind, file, dry_run, user, verbosity, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.", returncode=2)
        author = None
        if user:
            author = get_user_model().objects.filter(username=user).first()
            if author is None:
                raise CommandError(f"No user {user}.", returncode=2)
        run = import_run_create(
            kind=kind, file_name=path.name, file_size=path.stat().st_size, user=author, dry_run=dry_run
        )
        with path.open("rb") as handle:
            run = import_preview(run=run, file=handle)
        if run.state == run.State.REFUSED:
            raise CommandError(f"{path.name} refused: {run.message}", returncode=1)
        plan = run.plan or []
        listed = 0
        for entry in plan:
            if entry["action"] == ERROR:
                for column, message in entry["errors"]:
                    self.stderr.write(f"row {entry['row']}{', ' + column if column else ''}: {message}")
            elif entry["action"] in (NEW, CHANGED) and verbosity > 0 and (verbosity > 1 or listed < MAX_LISTED):
                listed += 1
                changes = "; ".join(
                    f"{name}: {new!r} added" if old is None else f"{name}: {old!r} → {new!r}"  # None: nothing replaced
                    for name, old, new in entry.get("changes", [])
                )
                self.stdout.write(f"row {entry['row']} {entry['action']} {entry['key']}: {changes}")
        summary = (
            f"{run.rows_total} row{'' if run.rows_total == 1 else 's'}: {run.rows_new} new, "
            f"{run.rows_changed} changed, {run.rows_unchanged} unchanged, {run.rows_error} with errors"
        )
        if run.rows_error:
            raise CommandError(f"{summary}. Nothing was imported: correct the rows above.", returncode=1)
        if dry_run:
            self.stdout.write(f"{summary}. Dry run: nothing was written.")
            return
        if not (run.rows_new or run.rows_changed):
            self.stdout.write(f"{summary}. Nothing to write.")
            return
        try:
            import_apply(run=run, author=author)
        except ImportConflict as conflict:
            raise CommandError(str(conflict), returncode=3) from conflict
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=1) from exc
        self.stdout.write(self.style.SUCCESS(f"{summary}. Imported (import run {run.pk})."))
