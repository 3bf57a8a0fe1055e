"""The import service: the dry run's preview row by row, all-or-nothing application, conflicts, round trips."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from commitments.choices import PolicyArea, Status, Strength
from commitments.models import Commitment, StatusUpdate
from commitments.services import commitment_update, commitment_update_status
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from dialogues.models import Meeting
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from imports.models import ImportRun
from imports.services import ImportConflict, import_apply, import_preview, import_run_create

from .support import by_row, csv_bytes, read_csv, run_import, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["reference", "agreement", "title", "description", "area", "strength", "responsible_body", "target_date"]


def _row(c: Commitment, **changes) -> list[str]:
    values = {
        "reference": c.reference,
        "agreement": c.agreement.code,
        "title": c.title,
        "description": c.description,
        "area": c.area,
        "strength": c.strength,
        "responsible_body": c.responsible_body.short_name if c.responsible_body else "",
        "target_date": c.target_date.isoformat() if c.target_date else "",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def _snapshot():
    return (
        list(Commitment.objects.order_by("pk").values()),
        StatusUpdate.objects.count(),
        list(Meeting.objects.order_by("pk").values()),
        Commitment.history.count(),
    )


# --- Round trip ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_seed_datas_export_reimports_with_zero_changes(seed_data, editor_client, editor, fmt):
    response = editor_client.get(reverse(f"commitments:commitment_export_{fmt}"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    before = _snapshot()

    run = run_import("commitments", f"export.{fmt}", content, editor, apply=False)

    assert run.state == ImportRun.State.PREVIEWED, run.message
    assert run.rows_total == Commitment.objects.count() == 123
    assert (run.rows_new, run.rows_changed, run.rows_error) == (0, 0, 0)
    assert run.rows_unchanged == 123
    assert not run.can_apply  # nothing to write
    assert _snapshot() == before


def test_a_filtered_export_reimports_with_zero_changes_and_status_updates_too(seed_data, editor_client, editor):
    response = editor_client.get(reverse("commitments:commitment_export_csv") + "?status=achieved&status=in_progress")
    content = b"".join(response.streaming_content)
    header, rows = read_csv(content)
    assert rows, "the seed data has achieved and in-progress commitments"
    run = run_import("commitments", "filtered.csv", content, editor)
    assert (run.rows_unchanged, run.rows_total) == (len(rows), len(rows))

    # The same export, as a status-update file (reference, status, progress, the latest note and evidence),
    # records nothing either: importing the current state twice never adds history.
    position = {name: i for i, name in enumerate(header)}
    status_rows = [
        [
            r[position["reference"]],
            r[position["status"]],
            r[position["progress"]],
            r[position["latest_note"]],
            r[position["latest_evidence_url"]],
            r[position["latest_evidence_reference"]],
        ]
        for r in rows
    ]
    status_file = csv_bytes(
        ["reference", "status", "progress", "note", "evidence_url", "evidence_reference"], status_rows
    )
    run = run_import("status_updates", "statuses.csv", status_file, editor)
    assert run.rows_error == 0, run.plan
    assert run.rows_unchanged == len(rows)


# --- A mixed file -------------------------------------------------------------------------------------------------


@pytest.fixture
def three_commitments():
    agreement = AgreementFactory(code="SDP", signed_on=dt.date(2024, 11, 1))
    body = DialogueBodyFactory(short_name="SDD")
    return [
        CommitmentFactory(agreement=agreement, reference=f"SDP §{n}", title=f"Title {n}", responsible_body=body)
        for n in (1, 2, 3)
    ]


def test_a_mixed_file_previews_each_row_and_writes_nothing(three_commitments, editor):
    one, two, three = three_commitments
    content = csv_bytes(
        HEADER,
        [
            _row(one),  # row 2: unchanged
            _row(two, title="A corrected title", responsible_body=""),  # row 3: changed
            _row(three, target_date="2020-01-01"),  # row 4: before the SDP's signature
            ["SDP §4", "SDP", "A new one", "Promised.", PolicyArea.SPACE, Strength.EXPLORE, "SDD", "2027-06-30"],
            # 05/10/2027: 5 October to a European reader, 10 May to the forms' US format: refused, never guessed.
            ["SDP §5", "SDP", "", "Promised.", "cooking", Strength.EXPLORE, "NOPE", "05/10/2027"],
        ],
    )
    before = _snapshot()

    run = run_import("commitments", "mixed.csv", content, editor)

    rows = by_row(run)
    assert run.state == ImportRun.State.HAS_ERRORS
    assert (run.rows_new, run.rows_changed, run.rows_unchanged, run.rows_error) == (1, 1, 1, 2)
    assert rows[2]["action"] == "unchanged"
    assert rows[3]["action"] == "changed"
    assert rows[3]["changes"] == [["title", "Title 2", "A corrected title"], ["responsible_body", "SDD", ""]]
    assert rows[4]["action"] == "error"
    assert rows[4]["errors"] == [
        ["target_date", "The target date cannot predate the signature of SDP (1 November 2024)."]
    ]
    assert rows[5]["action"] == "new"
    assert ["title", "", "A new one"] in rows[5]["changes"]
    assert rows[6]["action"] == "error"
    assert dict(rows[6]["errors"]) == {
        "title": "This field is required.",
        "area": "Select a valid choice. cooking is not one of the available choices.",
        "responsible_body": "No dialogue body “NOPE” in the tracker.",
        "target_date": "Enter the date as far as the text gives it: YYYY-MM-DD for a day, YYYY-MM for a month or "
        "YYYY for a year.",
    }
    with pytest.raises(ValidationError):
        import_apply(run=run, author=editor)
    assert _snapshot() == before


def test_the_mixed_file_once_fixed_applies_exactly_its_preview(three_commitments, editor):
    one, two, three = three_commitments
    content = csv_bytes(
        HEADER,
        [
            _row(one),
            _row(two, title="A corrected title", responsible_body=""),
            _row(three, target_date="2027-01-01"),
            ["SDP §4", "SDP", "A new one", "Promised.", PolicyArea.SPACE, Strength.EXPLORE, "SDD", "2027-06-30"],
        ],
    )
    run = run_import("commitments", "fixed.csv", content, editor)
    assert run.state == ImportRun.State.PREVIEWED
    assert (run.rows_new, run.rows_changed, run.rows_unchanged, run.rows_error) == (1, 2, 1, 0)
    history_before = Commitment.history.count()

    import_apply(run=run, author=editor)

    run.refresh_from_db()
    assert run.state == ImportRun.State.APPLIED and run.applied_by == editor
    two.refresh_from_db()
    three.refresh_from_db()
    assert (two.title, two.responsible_body, two.edit_version) == ("A corrected title", None, 1)
    assert three.target_date == dt.date(2027, 1, 1)
    new = Commitment.objects.get(reference="SDP §4")
    assert (new.title, new.area, new.responsible_body.short_name, new.status) == (
        "A new one",
        PolicyArea.SPACE,
        "SDD",
        Status.NOT_STARTED,
    )
    # Each write is in the audit history with its author.
    assert Commitment.history.count() == history_before + 3
    assert set(Commitment.history.filter(history_user=editor).values_list("reference", flat=True)) == {
        "SDP §2",
        "SDP §3",
        "SDP §4",
    }
    one.refresh_from_db()
    assert one.edit_version == 0
    # Re-importing the same file now changes nothing.
    again = run_import("commitments", "fixed.csv", content, editor)
    assert (again.rows_unchanged, again.rows_total) == (4, 4)


def test_a_status_cell_that_differs_is_an_error_not_a_silent_no_op(three_commitments, editor):
    one = three_commitments[0]
    content = csv_bytes([*HEADER, "status"], [[*_row(one), Status.ACHIEVED]])
    run = run_import("commitments", "status.csv", content, editor)
    assert by_row(run)[2]["errors"][0][0] == "status"
    assert "status update" in by_row(run)[2]["errors"][0][1]


# --- Concurrency ----------------------------------------------------------------------------------------------------


def test_a_change_saved_between_preview_and_confirm_stops_the_import_and_writes_nothing(three_commitments, editor):
    one, two, _ = three_commitments
    content = csv_bytes(
        HEADER,
        [
            _row(one, title="From the file"),
            ["SDP §9", "SDP", "New", "Promised.", PolicyArea.SPACE, Strength.EXPLORE, "", ""],
        ],
    )
    run = run_import("commitments", "race.csv", content, editor)
    assert run.state == ImportRun.State.PREVIEWED
    # Someone else edits a commitment the file does not change but touches (row unchanged in preview? no: changed)
    commitment_update(commitment=two, expected_edit_version=0, author=UserFactory(), title="Not in the file")
    commitment_update(commitment=one, expected_edit_version=0, author=UserFactory(), title="Saved by a colleague")
    before = _snapshot()

    with pytest.raises(ImportConflict) as excinfo:
        import_apply(run=run, author=editor)

    assert excinfo.value.run == run
    assert _snapshot() == before
    one.refresh_from_db()
    assert one.title == "Saved by a colleague"
    assert not Commitment.objects.filter(reference="SDP §9").exists()
    run.refresh_from_db()
    assert run.state == ImportRun.State.CONFLICT
    assert run.message == (
        "Someone changed records in this file after the preview. Nothing was imported: upload the file again to see"
        " a fresh preview."
    )


def test_a_status_update_saved_between_preview_and_confirm_is_a_conflict(three_commitments, editor):
    one = three_commitments[0]
    content = csv_bytes(["reference", "status", "progress"], [[one.reference, Status.IN_PROGRESS, "40"]])
    run = run_import("status_updates", "race.csv", content, editor)
    assert run.rows_changed == 1
    commitment_update_status(commitment=one, expected_version=0, author=UserFactory(), status=Status.STALLED)
    with pytest.raises(ImportConflict):
        import_apply(run=run, author=editor)
    one.refresh_from_db()
    assert (one.status, one.version) == (Status.STALLED, 1)


def test_a_run_is_applied_once(three_commitments, editor):
    content = csv_bytes(HEADER, [_row(three_commitments[0], title="Once")])
    run = run_import("commitments", "once.csv", content, editor)
    import_apply(run=run, author=editor)
    with pytest.raises(ValidationError, match="cannot be applied"):
        import_apply(run=ImportRun.objects.get(pk=run.pk), author=editor)
    assert Commitment.history.filter(title="Once").count() == 1


def test_a_row_the_service_refuses_at_write_time_rolls_back_every_row(three_commitments, editor, monkeypatch):
    one, two, _ = three_commitments
    content = csv_bytes(HEADER, [_row(one, title="First"), _row(two, title="Second")])
    run = run_import("commitments", "rollback.csv", content, editor)
    from commitments import services

    real = services.commitment_update

    def refuse_the_second(**kwargs):
        if kwargs.get("title") == "Second":
            raise ValidationError({"title": "Refused by the service."})
        return real(**kwargs)

    monkeypatch.setattr("imports.kinds.commitment_update", refuse_the_second)
    with pytest.raises(ValidationError):
        import_apply(run=run, author=editor)
    one.refresh_from_db()
    assert one.title == "Title 1"  # the first row, written before the refusal, was rolled back
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED
    assert "Row 3 (SDP §2): title: Refused by the service." in run.message


# --- Status updates and meetings ------------------------------------------------------------------------------------


def test_status_updates_go_through_the_forms_rules_and_service(three_commitments, editor):
    one, two, three = three_commitments
    content = csv_bytes(
        ["reference", "status", "progress", "note", "evidence_url", "evidence_reference", "evidence_date"],
        [
            [one.reference, Status.ACHIEVED, "", "Done.", "", "", ""],  # no evidence
            [two.reference, Status.ACHIEVED, "", "Done.", "https://example.eu/statement", "", "2025-03-01"],
            [three.reference, Status.NOT_STARTED, "", "", "", "", ""],  # what it is: unchanged
            ["SDP §404", Status.ONGOING, "", "", "", "", ""],
            [one.reference.replace("1", "7"), Status.ONGOING, "150", "", "", "", "2999-01-01"],
        ],
    )
    run = run_import("status_updates", "updates.csv", content, editor)
    rows = by_row(run)
    assert rows[2]["errors"] == [
        ["evidence_reference", "Evidence (a URL or a document reference) is required to mark it achieved."]
    ]
    assert rows[3]["action"] == "changed"
    assert ["status", "not_started", "achieved"] in rows[3]["changes"]
    assert ["progress", "", "100"] in rows[3]["changes"]
    assert rows[4]["action"] == "unchanged"
    assert rows[5]["errors"] == [["reference", "No commitment “SDP §404” in the tracker."]]
    assert ["progress", "Progress is a percentage from 0 to 100."] in rows[6]["errors"]

    fixed = csv_bytes(
        ["reference", "status", "evidence_url", "evidence_date"],
        [[two.reference, Status.ACHIEVED, "https://example.eu/statement", "2025-03-01"]],
    )
    run = run_import("status_updates", "fixed.csv", fixed, editor, apply=True)
    two.refresh_from_db()
    assert (two.status, two.progress, two.version) == (Status.ACHIEVED, 100, 1)
    update = two.updates.get()
    assert (update.author, update.evidence_url, update.evidence_date) == (
        editor,
        "https://example.eu/statement",
        dt.date(2025, 3, 1),
    )
    assert run_import("status_updates", "fixed.csv", fixed, editor).rows_unchanged == 1


def test_meetings_are_recorded_and_corrected_by_body_and_date(three_commitments, editor):
    one, two, _ = three_commitments
    body = one.responsible_body
    existing = MeetingFactory(body=body, held_on=dt.date(2025, 5, 10), place="Tokyo", summary="Met.")
    header = ["body", "held_on", "place", "summary", "commitments_advanced"]
    content = csv_bytes(
        header,
        [
            ["SDD", "2025-05-10", "Brussels", "Met.", f"{one.reference}; {two.reference}"],
            ["SDD", "2025-11-20", "Tokyo", "Second round.", one.reference],
            ["SDD", "2999-01-01", "", "", ""],
            ["SDD", "2025-11-20", "Again", "", ""],
        ],
    )
    run = run_import("meetings", "meetings.csv", content, editor)
    rows = by_row(run)
    assert rows[2]["action"] == "changed"
    assert rows[2]["changes"] == [
        ["place", "Tokyo", "Brussels"],
        ["commitments_advanced", "", "SDP §1;SDP §2"],
    ]
    assert rows[3]["action"] == "new"
    assert rows[4]["errors"] == [["held_on", "Record a meeting once it has been held: the date is in the future."]]
    assert rows[5]["errors"][0][1].startswith("The same body and held_on as row 3")

    fixed = csv_bytes(
        header,
        [content.decode("utf-8-sig").splitlines()[i + 1].split(",") for i in range(0)]
        or [
            ["SDD", "2025-05-10", "Brussels", "Met.", f"{one.reference}; {two.reference}"],
            ["SDD", "2025-11-20", "Tokyo", "Second round.", one.reference],
        ],
    )
    run = run_import("meetings", "meetings.csv", fixed, editor, apply=True)
    existing.refresh_from_db()
    assert existing.place == "Brussels"
    assert sorted(existing.commitments_advanced.values_list("reference", flat=True)) == ["SDP §1", "SDP §2"]
    recorded = Meeting.objects.get(body=body, held_on=dt.date(2025, 11, 20))
    assert recorded.recorded_by == editor
    body.refresh_from_db()
    assert body.last_meeting_on == dt.date(2025, 11, 20)  # the schedule moved, as the form's service does
    assert run_import("meetings", "again.csv", fixed, editor).rows_unchanged == 2


# --- Queries --------------------------------------------------------------------------------------------------------


def _commitments_file(count: int, agreement) -> bytes:
    return csv_bytes(
        HEADER,
        [
            [f"BULK §{n}", agreement.code, f"Title {n}", "Promised.", PolicyArea.SPACE, Strength.EXPLORE, "SDD", ""]
            for n in range(count)
        ],
    )


def test_the_dry_runs_queries_do_not_grow_with_the_rows(three_commitments, editor, django_assert_max_num_queries):
    agreement = three_commitments[0].agreement
    small, large = _commitments_file(20, agreement), _commitments_file(480, agreement)
    run = import_run_create(kind="commitments", file_name="small.csv", file_size=len(small), user=editor)
    with django_assert_max_num_queries(8):
        import_preview(run=run, file=io.BytesIO(small))
    run = import_run_create(kind="commitments", file_name="large.csv", file_size=len(large), user=editor)
    with django_assert_max_num_queries(8):
        import_preview(run=run, file=io.BytesIO(large))
    assert run.rows_new == 480


def test_an_xlsx_file_is_read_like_a_csv(three_commitments, editor):
    one = three_commitments[0]
    row = _row(one, title="From a workbook")
    row[HEADER.index("target_date")] = dt.datetime(2027, 3, 1)  # a real date cell
    run = run_import("commitments", "book.xlsx", xlsx_bytes(HEADER, [row]), editor)
    assert by_row(run)[2]["changes"] == [["title", "Title 1", "From a workbook"], ["target_date", "", "2027-03-01"]]


def test_text_that_looks_like_a_formula_survives_the_export_and_the_reimport(three_commitments, editor_client, editor):
    one = three_commitments[0]
    Commitment.objects.filter(pk=one.pk).update(title="=1+1 is not a formula here", description="- a bullet; -b")
    for fmt in ("csv", "xlsx"):
        response = editor_client.get(reverse(f"commitments:commitment_export_{fmt}"))
        content = b"".join(response.streaming_content) if response.streaming else response.content
        run = run_import("commitments", f"guarded.{fmt}", content, editor)
        assert (run.rows_error, run.rows_changed, run.rows_unchanged) == (0, 0, 3), run.plan


def test_a_meeting_corrected_between_preview_and_confirm_is_a_conflict(three_commitments, editor):
    body = three_commitments[0].responsible_body
    meeting = MeetingFactory(body=body, held_on=dt.date(2025, 5, 10), place="Tokyo", summary="Met.")
    content = csv_bytes(["body", "held_on", "place"], [["SDD", "2025-05-10", "Brussels"]])
    run = run_import("meetings", "race.csv", content, editor)
    assert run.rows_changed == 1
    meeting.summary = "Corrected by a colleague."
    meeting.save()
    with pytest.raises(ImportConflict):
        import_apply(run=run, author=editor)
    meeting.refresh_from_db()
    assert (meeting.place, meeting.summary) == ("Tokyo", "Corrected by a colleague.")


def test_a_conflict_met_while_writing_names_the_row_and_the_record(three_commitments, editor, monkeypatch):
    from commitments.services import CommitmentEditConflict

    one, two, _ = three_commitments
    content = csv_bytes(HEADER, [_row(one, title="First"), _row(two, title="Second")])
    run = run_import("commitments", "late.csv", content, editor)

    def edited_meanwhile(*, commitment, **kwargs):
        raise CommitmentEditConflict(current=commitment, expected_edit_version=0)

    monkeypatch.setattr("imports.kinds.commitment_update", edited_meanwhile)
    with pytest.raises(ImportConflict) as excinfo:
        import_apply(run=run, author=editor)
    assert excinfo.value.run == run
    run.refresh_from_db()
    assert run.state == ImportRun.State.CONFLICT and run.message == str(excinfo.value)
    assert run.message.startswith("Someone changed records in this file after the preview: row 2, ")
    assert run.message.endswith(". Nothing was imported: upload the file again to see a fresh preview.")


def test_a_refusal_of_the_whole_record_is_told_with_every_message_of_the_row(three_commitments, editor, monkeypatch):
    one = three_commitments[0]
    run = run_import("commitments", "refused.csv", csv_bytes(HEADER, [_row(one, title="Changed")]), editor)

    def refuse(**kwargs):
        raise ValidationError({"__all__": ["Refused.", "Twice."], "title": ["Too long."]})

    monkeypatch.setattr("imports.kinds.commitment_update", refuse)
    with pytest.raises(ValidationError):
        import_apply(run=run, author=editor)
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED
    assert run.message == "Row 2 (SDP §1): Refused. Twice. title: Too long. Nothing was imported."


def test_applying_reports_its_progress_once_done_and_a_second_confirmation_is_told_it_is_under_way(
    three_commitments, editor
):
    from imports.services import import_apply_claim

    rows = [_row(c, title=f"Renamed {n}") for n, c in enumerate(three_commitments, start=1)]
    run = run_import("commitments", "three.csv", csv_bytes(HEADER, rows), editor)
    second_tab = ImportRun.objects.get(pk=run.pk)
    other = run_import("commitments", "other.csv", csv_bytes(HEADER, rows[:1]), editor)
    import_apply_claim(run=run)
    assert run.state == ImportRun.State.APPLYING
    with pytest.raises(ValidationError) as excinfo:
        import_apply_claim(run=second_tab)
    assert excinfo.value.messages == ["This import is already being applied."]
    assert ImportRun.objects.get(pk=other.pk).state == ImportRun.State.PREVIEWED  # another run is not claimed

    reports = []
    import_apply(run=run, author=editor, progress=lambda done, total: reports.append((done, total)), claimed=True)
    assert reports == [(3, 3)]
    with pytest.raises(ValidationError) as excinfo:
        import_apply(run=ImportRun.objects.get(pk=run.pk), author=editor)
    assert excinfo.value.messages == ["This import cannot be applied: it is applied."]


def test_an_unexpected_error_while_applying_fails_the_run_and_says_nothing_was_imported(
    three_commitments, editor, monkeypatch
):
    run = run_import("commitments", "crash.csv", csv_bytes(HEADER, [_row(three_commitments[0], title="X")]), editor)

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("imports.kinds.commitment_update", crash)
    with pytest.raises(RuntimeError):
        import_apply(run=run, author=editor)
    run.refresh_from_db()
    assert (run.state, run.message) == (
        ImportRun.State.FAILED,
        "An unexpected error stopped the import. Nothing was imported.",
    )
    assert run.applied_at is None


def test_an_unexpected_error_while_reading_fails_the_run_instead_of_leaving_it_queued(
    three_commitments, editor, monkeypatch
):
    from imports.services import PREVIEW_FAILED

    before = _snapshot()
    content = csv_bytes(HEADER, [_row(three_commitments[0], title="X")])
    run = import_run_create(kind="commitments", file_name="crash.csv", file_size=len(content), user=editor)

    def crash(*args, **kwargs):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr("imports.kinds.CommitmentKind.load", crash)
    with pytest.raises(RuntimeError):
        import_preview(run=run, file=io.BytesIO(content))
    run.refresh_from_db()
    assert (run.state, run.message, run.plan) == (ImportRun.State.FAILED, PREVIEW_FAILED, None)
    assert not run.is_working
    assert _snapshot() == before


def test_a_runs_progress_is_kept_for_an_hour(time_machine, settings):
    from django.core.cache import cache

    # The in-process cache, whose clock time_machine moves (Redis keeps its own).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    from imports.services import progress_key, report_progress

    time_machine.move_to(dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), tick=False)
    report_progress(41, "applying", 100, 300)
    report_progress(42, "reading", 250, 1000)
    assert cache.get(progress_key(42)) == {"phase": "reading", "done": 250, "total": 1000}
    time_machine.move_to(dt.datetime(2026, 12, 7, 9, 59, 59, tzinfo=dt.UTC), tick=False)
    assert cache.get(progress_key(41)) == {"phase": "applying", "done": 100, "total": 300}
    time_machine.move_to(dt.datetime(2026, 12, 7, 10, 0, 1, tzinfo=dt.UTC), tick=False)
    assert cache.get(progress_key(41)) is None


def test_a_run_records_whether_it_is_a_dry_run_and_at_most_255_characters_of_the_file_name(editor):
    dry = import_run_create(kind="commitments", file_name="a" * 300 + ".csv", file_size=10, user=editor, dry_run=True)
    dry.refresh_from_db()
    assert dry.dry_run is True and dry.file_name == "a" * 255
    assert import_run_create(kind="commitments", file_name="x.csv", file_size=1, user=editor).dry_run is False


def test_a_good_preview_and_its_application_are_timed_and_carry_no_message(three_commitments, editor):
    before = timezone.now()
    run = run_import("commitments", "good.csv", csv_bytes(HEADER, [_row(three_commitments[0], title="Good")]), editor)
    run.refresh_from_db()
    assert run.state == ImportRun.State.PREVIEWED and run.message == ""
    assert before <= run.previewed_at <= timezone.now() and run.applied_at is None
    import_apply(run=run, author=editor)
    run.refresh_from_db()
    assert run.state == ImportRun.State.APPLIED and run.message == "" and run.applied_by == editor
    assert run.previewed_at <= run.applied_at <= timezone.now()


def test_a_file_with_a_header_row_only_is_refused_with_that_reason(editor):
    run = run_import("commitments", "header.csv", csv_bytes(HEADER, []), editor)
    assert (run.state, run.message) == (ImportRun.State.REFUSED, "The file has a header row but no data rows.")


def test_a_run_not_claimed_first_cannot_be_applied_as_claimed(three_commitments, editor):
    run = run_import("commitments", "unclaimed.csv", csv_bytes(HEADER, [_row(three_commitments[0], title="X")]))
    with pytest.raises(ValidationError) as excinfo:
        import_apply(run=run, author=editor, claimed=True)
    assert excinfo.value.messages == ["This import cannot be applied: it is previewed: ready to apply."]
    assert ImportRun.objects.get(pk=run.pk).state == ImportRun.State.PREVIEWED


def _new_rows(count: int, *, start: int = 100) -> list[list[str]]:
    return [
        [f"SDP §{n}", "SDP", f"Title {n}", "Promised.", PolicyArea.SPACE, Strength.EXPLORE, "", ""]
        for n in range(start, start + count)
    ]


def test_applying_reports_its_progress_every_100_rows_and_at_the_end(three_commitments, editor):
    run = run_import("commitments", "many.csv", csv_bytes(HEADER, _new_rows(101)), editor)
    assert run.rows_new == 101
    reports = []
    import_apply(run=run, author=editor, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(100, 101), (101, 101)]


def test_reading_a_long_file_reports_its_progress_per_batch_with_an_estimate_of_the_rows(three_commitments, editor):
    """The first batch of 500 rows comes from part of the file: the total is estimated from the share read."""
    rows = _new_rows(501)
    rows[-1][3] = "x" * 30_000  # a last row long enough that the first 500 rows are well short of the whole file
    content = csv_bytes(HEADER, rows)
    run = import_run_create(kind="commitments", file_name="long.csv", file_size=len(content), user=editor)
    reports = []
    import_preview(run=run, file=io.BytesIO(content), progress=lambda done, total: reports.append((done, total)))
    assert [done for done, _ in reports] == [500, 501]
    assert 500 < reports[0][1] < 1000 and reports[1] == (501, 501)
