"""Backup and restore: the round trip through ``backup_tracker`` and ``restore_tracker`` loses nothing."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import stat

import pytest
from axes.models import AccessAttempt
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from commitments.models import Agreement, Commitment, HistoryIsAppendOnly, StatusUpdate
from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory, UserFactory
from core import generation
from core.roles import EDITORS
from dialogues.models import DialogueBody, Meeting, OverdueFlag
from dialogues.services import meeting_record
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory, OverdueFlagFactory
from tracker.backup import backed_up_models, snapshot

# Transactional: emptying the database (TRUNCATE on PostgreSQL) cannot run inside the test's own transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def everything(editor, reviewer):
    """A little of every kind of record, made the way the application makes them."""
    create_roles()  # a transactional test starts from an emptied database: put back what migrations create
    root = UserFactory(admin=True, username="root")
    editor.groups.add(Group.objects.get_or_create(name=EDITORS)[0])
    parent = AgreementFactory(code="SPA")
    agreement = AgreementFactory(code="SDP", parent=parent, title="Security and Defence Partnership")
    agreement._history_user = root
    agreement.summary = "Edited once"
    agreement.save()
    body = DialogueBodyFactory(short_name="SDD", agreements=[agreement])
    child = DialogueBodyFactory(short_name="CYBER", reports_to=body, overdue=True)
    ContactFactory(body=child, email="desk@example.eu")
    OverdueFlagFactory(body=child)
    commitment = CommitmentFactory(reference="SDP §7", agreement=agreement, responsible_body=body)
    StatusUpdateFactory(commitment=commitment, author=editor, note="Exercise planned")
    StatusUpdateFactory(
        commitment=commitment, author=editor, status="achieved", evidence_reference="Joint statement, 2024"
    )
    meeting_record(
        body=body,
        held_on=timezone.localdate() - dt.timedelta(days=3),
        summary="Met",
        recorded_by=editor,
        commitments=[commitment],
    )
    Token.objects.create(user=editor)
    editor.user_permissions.add(*django_apps.get_model("auth", "Permission").objects.filter(codename="view_agreement"))
    AccessAttempt.objects.create(
        username="editor-user",
        ip_address="192.0.2.1",
        user_agent="test",
        failures_since_start=2,
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
    )
    return commitment


def create_roles():
    importlib.import_module("core.migrations.0002_create_roles").create_roles(django_apps, None)


def empty_the_database():
    """What a new, migrated database holds: no rows except those that migrations create."""
    call_command("flush", interactive=False, verbosity=0)
    create_roles()


def test_round_trip_loses_nothing(everything, tmp_path):
    before = snapshot()
    assert all(
        before[label]
        for label in (
            "auth.user",
            "auth.group",
            "authtoken.token",
            "commitments.statusupdate",
            "commitments.historicalagreement",
            "commitments.historicalcommitment",
            "dialogues.historicaldialoguebody",
            "dialogues.historicalmeeting",
            "dialogues.meeting",
            "dialogues.overdueflag",
            "dialogues.contact",
            "axes.accessattempt",
        )
    ), {label: len(rows) for label, rows in before.items()}
    path = tmp_path / "tracker-backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    empty_the_database()
    assert not get_user_model().objects.exists()
    assert not StatusUpdate.objects.exists()

    call_command("restore_tracker", str(path), verbosity=0)

    after = snapshot()
    assert {label: len(rows) for label, rows in after.items()} == {label: len(rows) for label, rows in before.items()}
    assert after == before


def test_restored_data_works_as_before(everything, tmp_path, client, editor):
    """Not only equal rows: people sign in with their passwords, tokens work, history keeps who and when."""
    token = Token.objects.get(user=editor).key
    history = list(Agreement.history.order_by("history_id").values_list("history_user__username", "history_date"))
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    empty_the_database()
    generation_of_the_empty_database = generation.current()
    call_command("restore_tracker", str(path), verbosity=0)

    # Answers kept from before the restore are not served after it: the restore's writes move the generation.
    assert generation.current() != generation_of_the_empty_database
    assert client.login(username=editor.username, password="correct-horse-battery")
    assert get_user_model().objects.get(username=editor.username).groups.filter(name=EDITORS).exists()
    assert Token.objects.get(key=token).user.username == editor.username
    restored = list(Agreement.history.order_by("history_id").values_list("history_user__username", "history_date"))
    assert restored == history
    commitment = Commitment.objects.get(reference="SDP §7")
    assert commitment.status == "achieved"
    assert commitment.version == 2
    assert [u.version for u in commitment.updates.order_by("version")] == [1, 2]
    assert DialogueBody.objects.get(short_name="CYBER").overdue_flags.filter(closed_at__isnull=True).count() == 1
    assert Meeting.objects.get().commitments_advanced.get() == commitment
    # The restored history is as append-only as the original.
    with pytest.raises(HistoryIsAppendOnly):
        commitment.updates.first().save()


def test_new_records_after_a_restore_get_fresh_ids(everything, tmp_path, editor):
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    highest = StatusUpdate.objects.order_by("-pk").first().pk
    empty_the_database()
    call_command("restore_tracker", str(path), verbosity=0)
    commitment = CommitmentFactory()
    author = get_user_model().objects.get(username=editor.username)  # users are matched by name, not id
    update = StatusUpdateFactory(commitment=commitment, author=author)
    assert update.pk > highest


def test_the_backup_file_is_private(everything, tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["format"] == "eu-japan-tracker-backup"
    assert "sessions.session" not in document["counts"]
    assert document["counts"]["commitments.statusupdate"] == 2


def test_restore_refuses_a_database_that_holds_data(everything, tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    before = snapshot()
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore_tracker", str(path), verbosity=0)
    assert snapshot() == before


def test_restore_refuses_a_damaged_file_and_writes_nothing(everything, tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    empty_the_database()
    truncated = tmp_path / "truncated.json"
    truncated.write_text(path.read_text()[:-200])
    with pytest.raises(CommandError, match="not a complete backup"):
        call_command("restore_tracker", str(truncated), verbosity=0)
    document = json.loads(path.read_text())
    document["objects"] = [row for row in document["objects"] if row["model"] != "commitments.statusupdate"]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_tracker", str(tampered), verbosity=0)
    assert not get_user_model().objects.exists()
    assert not Agreement.objects.exists()


def test_restore_is_all_or_nothing(everything, tmp_path):
    """A row that cannot be inserted (here: an impossible progress) rolls the whole restore back."""
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    empty_the_database()
    document = json.loads(path.read_text())
    for row in document["objects"]:
        if row["model"] == "commitments.statusupdate":
            row["fields"]["progress"] = 250
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="nothing was restored"):
        call_command("restore_tracker", str(broken), verbosity=0)
    assert not get_user_model().objects.exists()
    assert not StatusUpdate.objects.exists()


def test_restore_refuses_a_backup_from_other_migrations(everything, tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    document = json.loads(path.read_text())
    document["migrations"]["commitments"].append("9999_from_the_future")
    path.write_text(json.dumps(document))
    empty_the_database()
    with pytest.raises(CommandError, match="9999_from_the_future"):
        call_command("restore_tracker", str(path), verbosity=0)


def test_every_table_is_backed_up():
    """A new model is in the backup unless it is deliberately left out (content types, permissions, sessions)."""
    covered = {model._meta.label_lower for model in backed_up_models()}
    every = {
        model._meta.label_lower for model in django_apps.get_models() if not model._meta.proxy and model._meta.managed
    }
    assert every - covered == {
        "contenttypes.contenttype",
        "auth.permission",
        "sessions.session",
        "django_celery_beat.periodictasks",
        "core.datageneration",
    }
    assert {"commitments.statusupdate", "authtoken.token", "auth.user", "dialogues.historicalmeeting"} <= covered
    assert {Group, OverdueFlag} <= set(backed_up_models())


@pytest.mark.postgres
def test_restore_inserts_only_under_the_append_only_triggers(everything, tmp_path):
    """On PostgreSQL the history tables refuse UPDATE and DELETE; a restore still succeeds, so it only inserts."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%%_append_only'")
        assert cursor.fetchone()[0] >= 5
    path = tmp_path / "backup.json"
    call_command("backup_tracker", output=str(path), verbosity=0)
    before = snapshot()
    empty_the_database()
    call_command("restore_tracker", str(path), verbosity=0)
    assert snapshot() == before
