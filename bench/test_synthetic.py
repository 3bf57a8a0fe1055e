"""The synthetic data generator: data that obeys every rule the services and the cadence enforce."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import defaultdict

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from bench.synthetic import (
    NotABenchmarkDatabase,
    SyntheticPlan,
    bulk_load_mode,
    clear_tracker_data,
    finish_progress,
    generate,
    progress_bar,
)
from commitments.choices import Status, UpdateKind
from commitments.models import Agreement, Commitment, Milestone, StatusUpdate
from commitments.services import commitment_confirm_unchanged, commitment_update_status, milestone_add, status_since
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from dialogues.models import DialogueBody, Meeting

pytestmark = pytest.mark.django_db

SMALL = {"commitments": 80, "agreements": 5, "bodies": 9, "users": 4}


@pytest.fixture
def generated():
    return generate(SyntheticPlan(**SMALL))


def test_generates_the_planned_numbers_of_each_record(generated):
    assert Commitment.objects.count() == 80
    assert Agreement.objects.count() == 5
    assert DialogueBody.objects.count() == 9
    assert Meeting.objects.exists()
    updates = StatusUpdate.objects.count()
    assert 6 * 80 <= updates <= 14 * 80, "about ten updates per commitment"
    assert generated.counts["commitments.StatusUpdate"] == updates
    assert generated.prefix == "SYN1"


def test_every_history_is_what_the_services_would_have_written(generated):
    history = defaultdict(list)
    for update in StatusUpdate.objects.order_by("commitment_id", "version"):
        history[update.commitment_id].append(update)
    for commitment in Commitment.objects.all():
        updates = history[commitment.pk]
        assert [u.version for u in updates] == list(range(1, len(updates) + 1))
        assert commitment.version == len(updates)
        status, progress, changed_at = Status.NOT_STARTED, None, None
        for update in updates:
            assert update.previous_status == status
            if update.kind in (UpdateKind.REVIEW, UpdateKind.MILESTONE):
                assert (update.status, update.progress) == (status, progress), "it repeats the current state"
            elif update.status != status or changed_at is None:
                changed_at = status_since(update, previous=changed_at)[0]
            if update.status == Status.ACHIEVED:
                assert update.progress == 100
                if update.kind == UpdateKind.STATUS_CHANGE:
                    assert update.evidence_url or update.evidence_reference
            status, progress = update.status, update.progress
        assert (commitment.status, commitment.progress) == (status, progress)
        assert commitment.status_changed_at == changed_at
        assert commitment.last_reviewed_at == (updates[-1].recorded_at if updates else None)
        if updates:
            assert updates == sorted(updates, key=lambda u: u.recorded_at)
            assert updates[0].recorded_at >= commitment.created_at


def test_a_replay_through_the_services_ends_in_the_same_state(generated):
    """Feed a few generated histories to the real services: same versions, statuses and derived fields."""
    author = UserFactory(editor=True)
    with_milestones = list(Commitment.objects.filter(version__gte=3, milestones__isnull=False).distinct()[:3])
    assert with_milestones
    for original in [*Commitment.objects.filter(version__gte=3).order_by("pk")[:3], *with_milestones]:
        copy = CommitmentFactory()
        for update in original.updates.order_by("version"):
            common = {
                "commitment": copy,
                "expected_version": copy.version,
                "author": author,
                "recorded_at": update.recorded_at,
                "note": update.note,
                "evidence_date": update.evidence_date,
                "evidence_url": update.evidence_url,
                "evidence_reference": update.evidence_reference,
            }
            if update.kind == UpdateKind.REVIEW:
                replayed = commitment_confirm_unchanged(**common)
            elif update.kind == UpdateKind.MILESTONE:
                m = update.milestone
                milestone_add(
                    commitment=copy,
                    expected_version=copy.version,
                    author=author,
                    recorded_at=update.recorded_at,
                    title=m.title,
                    due_on=m.due_on,
                    done_on=m.done_on,
                    evidence_url=m.evidence_url,
                    evidence_reference=m.evidence_reference,
                    weight=m.weight,
                )
                replayed = copy.updates.order_by("-version").first()
                assert replayed.note == update.note, "the note the service writes"
            else:
                replayed = commitment_update_status(status=update.status, progress=update.progress, **common)
            assert (replayed.version, replayed.status, replayed.previous_status, replayed.progress) == (
                update.version,
                update.status,
                update.previous_status,
                update.progress,
            )
        copy.refresh_from_db()
        for name in ("status", "progress", "version", "status_changed_at", "last_reviewed_at"):
            assert getattr(copy, name) == getattr(original, name), name


def test_records_pass_their_model_validation(generated):
    for agreement in Agreement.objects.all():
        agreement.full_clean()
    for body in DialogueBody.objects.all():
        body.full_clean()
    for commitment in Commitment.objects.order_by("pk")[:20]:
        commitment.full_clean()
    for update in StatusUpdate.objects.order_by("pk")[:200]:
        update.full_clean()
    for meeting in Meeting.objects.order_by("pk")[:50]:
        meeting.full_clean()
    milestones = list(Milestone.objects.order_by("pk")[:100])
    assert milestones, "a share of the commitments has milestones"
    for milestone in milestones:
        milestone.full_clean()
        assert milestone.entries.get().version <= milestone.commitment.version


def test_frameworks_and_bodies_form_trees(generated):
    assert Agreement.objects.filter(parent__isnull=False).exists()
    assert DialogueBody.objects.filter(reports_to__isnull=False).exists()
    for body in DialogueBody.objects.all():
        assert body not in body.reporting_line()


def test_meetings_are_in_the_past_on_distinct_days_and_schedules_follow_the_cadence_rule(generated):
    today = timezone.localdate()
    assert not Meeting.objects.filter(held_on__gt=today).exists()
    for body in DialogueBody.objects.all():
        days = list(body.meetings.values_list("held_on", flat=True))
        assert len(days) == len(set(days))
        stored = (body.last_meeting_on, body.next_due_on, body.overdue_after)
        body.refresh_schedule()  # the model's own rule, from the meetings in the database
        assert stored == (body.last_meeting_on, body.next_due_on, body.overdue_after)
    assert DialogueBody.objects.overdue().exists(), "some bodies lapse, so the sweep has work"


def test_two_runs_do_not_collide_and_the_same_seed_gives_the_same_data():
    generate(SyntheticPlan(**SMALL))
    second = generate(SyntheticPlan(**SMALL))
    assert second.prefix == "SYN2"
    assert Commitment.objects.count() == 160
    first_titles = list(Commitment.objects.filter(reference__startswith="SYN1-").order_by("pk").values_list("title"))
    second_titles = list(Commitment.objects.filter(reference__startswith="SYN2-").order_by("pk").values_list("title"))
    assert first_titles == second_titles


@override_settings(BENCHMARK_DATABASE=True)
def test_clear_tracker_data_empties_the_tracker_and_the_synthetic_users(generated):
    keeper = UserFactory(username="real-person")
    clear_tracker_data()
    assert not Commitment.objects.exists()
    assert not StatusUpdate.objects.exists()
    assert not DialogueBody.objects.exists()
    assert not type(keeper).objects.filter(username__startswith="syn1-").exists()
    assert type(keeper).objects.filter(pk=keeper.pk).exists()


@override_settings(BENCHMARK_DATABASE=True)
def test_the_command_reports_what_it_wrote_and_replaces_on_request():
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_synthetic", commitments=30, bodies=4, agreements=3, stdout=out, stderr=err)
    assert "Generated 30 commitments" in out.getvalue()
    assert "100%" in err.getvalue(), "the progress bar is drawn on stderr"
    call_command(
        "generate_synthetic", commitments=20, bodies=4, agreements=3, replace=True, no_progress=True, stdout=out
    )
    assert Commitment.objects.count() == 20
    assert Commitment.objects.filter(reference__startswith="SYN1-").count() == 20


def test_replace_refuses_a_database_the_settings_do_not_call_a_benchmark_s(generated):
    before = Commitment.objects.count()
    with pytest.raises(CommandError, match="not a benchmark database"):
        call_command("generate_synthetic", commitments=5, replace=True, no_progress=True, stdout=io.StringIO())
    assert Commitment.objects.count() == before


@override_settings(BENCHMARK_DATABASE=True)
def test_replace_refuses_a_database_holding_frameworks_no_benchmark_generated(generated):
    AgreementFactory(code="SDP")
    before = (Agreement.objects.count(), Commitment.objects.count(), StatusUpdate.objects.count())
    with pytest.raises(NotABenchmarkDatabase, match="SDP"):
        clear_tracker_data()
    with pytest.raises(CommandError, match="nothing was deleted"):
        call_command("generate_synthetic", commitments=5, replace=True, no_progress=True, stdout=io.StringIO())
    assert (Agreement.objects.count(), Commitment.objects.count(), StatusUpdate.objects.count()) == before


def test_the_generator_is_not_installed_outside_the_benchmark_and_test_settings():
    for module in ("tracker.settings.production", "tracker.settings.local"):
        result = subprocess.run(
            [sys.executable, "manage.py", "help", "generate_synthetic"],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": module,
                "SECRET_KEY": "x" * 60,
                "ALLOWED_HOSTS": "a",
                "DATABASE_URL": "sqlite:///:memory:",
            },
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
        )
        assert result.returncode != 0 and "Unknown command: 'generate_synthetic'" in result.stderr, module


def test_the_command_refuses_a_plan_that_makes_no_sense():
    with pytest.raises(CommandError, match="at least one commitment"):
        call_command("generate_synthetic", commitments=0, stdout=io.StringIO())
    assert not Commitment.objects.exists()


def test_the_progress_bar_reaches_its_total():
    stream = io.StringIO()
    bar = progress_bar(10, stream=stream)
    bar.set_description("rows")
    bar.update(4)
    finish_progress(bar)
    assert "100%" in stream.getvalue() and "10/10" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


@pytest.mark.postgres
def test_postgres_bulk_load_keeps_every_index_and_constraint():
    """COPY with the indexes and foreign keys dropped for the load, then rebuilt: the schema ends as it began."""

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s) ORDER BY 1",
                [Commitment._meta.db_table, StatusUpdate._meta.db_table],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid IN (%s::regclass, %s::regclass) ORDER BY 1",
                [Commitment._meta.db_table, StatusUpdate._meta.db_table],
            )
            return indexes, cursor.fetchall()

    before = schema()
    with bulk_load_mode([Commitment, StatusUpdate]):
        assert schema() != before
    assert schema() == before
    generate(SyntheticPlan(**SMALL))
    assert schema() == before
    assert StatusUpdate.objects.count() > 0
