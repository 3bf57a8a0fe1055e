"""``manage.py import_records``: the same import from a shell, with exit codes a script can test."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments.models import Commitment
from commitments.services import commitment_update
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from imports.models import ImportRun
from imports.services import import_apply as real_apply

from .support import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["reference", "agreement", "title", "description", "area", "strength"]


@pytest.fixture
def commitment():
    return CommitmentFactory(
        agreement=AgreementFactory(code="SDP"),
        reference="SDP §1",
        title="Title 1",
        description="Promised.",
        area="space",
        strength="explore",
    )


def _write(tmp_path, rows, name="file.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(HEADER, [["SDP §1", "SDP", title, "Promised.", "space", "explore"] for title in rows]))
    return path


def _exit_code(*args) -> int:
    try:
        call_command("import_records", *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def test_a_dry_run_reports_and_writes_nothing(commitment, tmp_path, capsys):
    path = _write(tmp_path, ["From the shell"])
    assert _exit_code("commitments", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "row 2 changed SDP §1: title: 'Title 1' → 'From the shell'" in out
    assert "1 row: 0 new, 1 changed, 0 unchanged, 0 with errors. Dry run: nothing was written." in out
    assert Commitment.objects.get().title == "Title 1"
    assert ImportRun.objects.get().dry_run is True


def test_a_status_update_row_says_its_note_is_added_not_replaced(commitment, tmp_path, capsys):
    from commitments.services import commitment_update_status

    commitment_update_status(commitment=commitment, expected_version=0, author=None, status="ongoing", note="Old")
    path = tmp_path / "statuses.csv"
    path.write_bytes(csv_bytes(["reference", "status", "note"], [["SDP §1", "ongoing", "New"]]))
    assert _exit_code("status_updates", str(path), "--dry-run") == 0
    assert "row 2 changed SDP §1: note: 'New' added" in capsys.readouterr().out


def test_an_import_applies_with_the_user_as_author(commitment, tmp_path):
    editor = UserFactory(username="desk", editor=True)
    assert _exit_code("commitments", str(_write(tmp_path, ["From the shell"])), "--user", "desk") == 0
    commitment.refresh_from_db()
    assert commitment.title == "From the shell"
    assert commitment.history.latest().history_user == editor
    assert ImportRun.objects.get().state == ImportRun.State.APPLIED


def test_rows_with_errors_exit_1_and_are_listed(commitment, tmp_path, capsys):
    assert _exit_code("commitments", str(_write(tmp_path, [""]))) == 1
    assert "row 2, title: This field is required." in capsys.readouterr().err
    assert Commitment.objects.get().title == "Title 1"


def test_a_refused_file_exits_1(commitment, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_bytes(b"reference;title\nx;y\n")
    assert _exit_code("commitments", str(path)) == 1


def test_a_missing_file_or_user_exits_2(commitment, tmp_path):
    assert _exit_code("commitments", str(tmp_path / "nope.csv")) == 2
    assert _exit_code("commitments", str(_write(tmp_path, ["x"])), "--user", "nobody") == 2


def test_a_conflict_while_importing_exits_3_and_writes_nothing(commitment, tmp_path, monkeypatch):
    def someone_saves_first(*, run, author, **kwargs):
        commitment_update(commitment=commitment, expected_edit_version=0, author=UserFactory(), title="Colleague")
        return real_apply(run=run, author=author, **kwargs)

    monkeypatch.setattr("imports.management.commands.import_records.import_apply", someone_saves_first)
    assert _exit_code("commitments", str(_write(tmp_path, ["From the shell"]))) == 3
    commitment.refresh_from_db()
    assert commitment.title == "Colleague"
