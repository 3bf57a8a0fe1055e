"""``manage.py generate_synthetic --commitments N``: realistic synthetic data at scale, for benchmarks."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.synthetic import (
    NotABenchmarkDatabase,
    SyntheticPlan,
    clear_tracker_data,
    estimate_rows,
    generate,
    progress_bar,
)


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic frameworks, dialogue bodies (with reporting lines and cadences), meetings "
        "over 15 years, commitments with about ten status updates each, and users. Bulk inserts (COPY on "
        "PostgreSQL), one transaction. Records are prefixed SYN1-, SYN2-, ... so runs never collide."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, required=True, help="How many commitments to generate.")
        parser.add_argument("--agreements", type=int, help="Frameworks (default: 10 + commitments/2,000).")
        parser.add_argument("--bodies", type=int, help="Dialogue bodies (default: 30 + commitments/500).")
        parser.add_argument("--users", type=int, help="Users who author the history (default: 8 + commitments/5,000).")
        parser.add_argument("--updates", type=int, default=10, help="Status updates per commitment, on average.")
        parser.add_argument("--years", type=int, default=15, help="Years of history (meetings and updates).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed: the same seed gives the same data.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="First DELETE ALL frameworks, commitments, history, bodies, meetings and flags (benchmark databases "
            "only).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar on stderr.")

    def handle(self, *args, **options):
        try:
            plan = SyntheticPlan(
                commitments=options["commitments"],
                agreements=options["agreements"],
                bodies=options["bodies"],
                users=options["users"],
                updates_per_commitment=options["updates"],
                years=options["years"],
                seed=options["seed"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["replace"]:
            self.stdout.write(f"Deleting all tracker data in {connection.settings_dict['NAME']} ...")
            try:
                clear_tracker_data()
            except NotABenchmarkDatabase as exc:
                raise CommandError(str(exc)) from exc
        show = not options["no_progress"] and options["verbosity"] > 0
        progress = progress_bar(estimate_rows(plan), stream=self.stderr._out, enabled=show)
        result = generate(plan, progress=progress, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {plan.commitments:,} commitments ({sum(result.counts.values()):,} rows) "
                f"as {result.prefix} in {result.seconds:.1f}s on {connection.vendor}."
            )
        )
