"""``python manage.py flag_overdue_dialogues [--date YYYY-MM-DD]``: the overdue sweep, synchronously.

The same service as the Celery task, for the embedded default (no Redis, no beat) and for cron; why running it
twice (or at once with the task) is harmless is told in ``dialogues.services``.
"""

from __future__ import annotations

import argparse
from datetime import date

from django.core.management.base import BaseCommand

from dialogues.services import overdue_sweep


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Flag the dialogue bodies overdue against their cadence, close the flags of those that have met since, "
        "and e-mail the contacts about new flags (and reminders). Safe to run at any time, and twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=iso_date, default=None, help="Sweep as of this day (YYYY-MM-DD); default: today (Brussels)."
        )

    def handle(self, *args, **options):
        summary = overdue_sweep(on=options["date"])
        opened = f" ({', '.join(summary.opened_bodies)})" if summary.opened_bodies else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Overdue sweep for {summary.on:%Y-%m-%d}: {summary.opened} flag(s) opened{opened}, "
                f"{summary.still_open} still open, {summary.closed} closed; "
                f"{summary.notices_sent} of {summary.notices_claimed} e-mail notice(s) sent."
            )
        )
