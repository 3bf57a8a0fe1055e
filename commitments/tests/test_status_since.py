"""Since when a status holds: the evidence date where the entry has one (to the precision the document gives),
never before the status it replaces; when it was recorded otherwise. The staleness clock is the day of entry.
Evidence dated to a month or a year in the forms and the import; a date alone is no evidence."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from commitments.choices import Actor, Party, Status
from commitments.forms import CommitmentForm, ConfirmUnchangedForm, MilestoneForm, StatusUpdateForm
from commitments.models import Commitment
from commitments.services import (
    commitment_update_party_status,
    commitment_update_status,
    status_update_withdraw,
)
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory, commitment_edit_data
from imports.kinds import APPROX_DATE_MESSAGE, StatusUpdateKind
from imports.tests.support import by_row, csv_bytes, run_import

from .api_support import _fresh_throttle_counters, editor_api, reviewer_api

__all__ = ["_fresh_throttle_counters", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = dt.date(2026, 12, 8)
EVIDENCE_DATE_ALONE = "An evidence date goes with a link or a reference to the document it dates."


@pytest.fixture(autouse=True)
def _on_8_december_2026():
    with time_machine.travel(dt.datetime(2026, 12, 8, 10, 30, tzinfo=BRUSSELS), tick=False):
        yield


@pytest.fixture
def author():
    return UserFactory(editor=True)


def fresh(commitment) -> Commitment:
    return Commitment.objects.get(pk=commitment.pk)


def record(commitment, author, status, **values):
    commitment = fresh(commitment)
    values.setdefault("evidence_reference", "Joint statement" if values.get("evidence_date") else "")
    return commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=author, status=status, **values
    )


def api_post(api, path: str, commitment, **values):
    """A write through the API on ``commitment`` at version 0."""
    return api.post(path, {"commitment": commitment.pk, "expected_version": 0, **values}, format="json")


def since(commitment) -> tuple[str, str]:
    commitment = fresh(commitment)
    return commitment.status_since_display, commitment.last_review_display


# --- The rule ---------------------------------------------------------------------------------------------------


def test_a_status_counts_from_its_evidence_date_and_the_review_from_the_day_of_entry(editor_client, author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 3, 15))
    assert since(commitment) == ("15 March 2025", "8 December 2026")
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "In progress</span> · since 15 March 2025" in re.sub(r"\s+", " ", page)
    assert fresh(commitment).state().code == "moving"  # reviewed today: news, not stale


def test_evidence_known_to_the_month_dates_the_status_to_the_month(author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.STALLED, evidence_date=dt.date(2025, 3, 1), evidence_date_precision="month")
    commitment = fresh(commitment)
    assert (commitment.status_since_display, commitment.status_changed_precision) == ("March 2025", "month")
    assert commitment.last_reviewed_precision == "day"


def test_without_an_evidence_date_the_status_counts_from_its_entry(author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.IN_PROGRESS, evidence_reference="Minutes")
    assert since(commitment) == ("8 December 2026", "8 December 2026")


def test_evidence_older_than_the_status_it_replaces_dates_nothing(author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 3, 15))
    # Stalled on evidence from before it was even in progress: the record's order holds, so since its entry.
    record(commitment, author, Status.STALLED, evidence_date=dt.date(2025, 1, 10))
    assert since(commitment)[0] == "8 December 2026"
    # 2 June 2025 is after 15 March, but before the stalled status took effect (the day it was entered).
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 6, 2))
    assert since(commitment)[0] == "8 December 2026"


def test_evidence_after_the_previous_status_dates_the_new_one(author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 3, 15))
    record(commitment, author, Status.STALLED, evidence_date=dt.date(2025, 3, 15), note="Same day")
    assert since(commitment)[0] == "15 March 2025"
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 3, 1), evidence_date_precision="month")
    assert since(commitment)[0] == "8 December 2026"  # "March 2025" may mean before the 15th
    achieved = CommitmentFactory()
    record(achieved, author, Status.ACHIEVED, evidence_date=dt.date(2025, 1, 1), evidence_date_precision="year")
    assert since(achieved) == ("2025", "8 December 2026")


def test_the_same_status_again_keeps_its_date(author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 3, 15))
    record(commitment, author, Status.IN_PROGRESS, progress=40, evidence_date=dt.date(2026, 11, 2))
    assert since(commitment) == ("15 March 2025", "8 December 2026")


def test_a_party_status_dates_the_combined_status_by_its_evidence(author):
    joint = CommitmentFactory(actor=Actor.BOTH)
    for who, day in ((Party.EU, dt.date(2025, 2, 3)), (Party.JAPAN, dt.date(2025, 4, 7))):
        joint = fresh(joint)
        commitment_update_party_status(
            commitment=joint,
            expected_version=joint.version,
            author=author,
            party=who,
            status=Status.IN_PROGRESS,
            evidence_reference="Council decision",
            evidence_date=day,
        )
    assert since(joint) == ("7 April 2025", "8 December 2026")  # in progress once both are


def test_a_withdrawal_replays_the_same_dates(author):
    commitment = CommitmentFactory()
    record(commitment, author, Status.IN_PROGRESS, evidence_date=dt.date(2025, 3, 1), evidence_date_precision="month")
    kept = fresh(commitment)
    wrong = record(commitment, author, Status.STALLED, evidence_date=dt.date(2025, 9, 30))
    assert since(commitment)[0] == "30 September 2025"
    status_update_withdraw(update=wrong, expected_version=2, author=author, reason="Wrong commitment.")
    replayed = fresh(commitment)
    assert (replayed.status_changed_at, replayed.status_changed_precision, replayed.status_since_display) == (
        kept.status_changed_at,
        "month",
        "March 2025",
    )
    # Replaying over an entry whose evidence predates the status before it gives the entry's time, as writing did.
    later = record(commitment, author, Status.STALLED, evidence_date=dt.date(2024, 5, 5))
    written = fresh(commitment).status_changed_at
    assert written == later.recorded_at
    note = record(commitment, author, Status.STALLED, note="Checked again")
    status_update_withdraw(update=note, expected_version=fresh(commitment).version, author=author, reason="Dup.")
    assert fresh(commitment).status_changed_at == written


def test_the_api_gives_the_evidence_date_as_the_status_date(editor_api):
    commitment = CommitmentFactory()
    response = api_post(
        editor_api,
        "/api/v1/status-updates/",
        commitment,
        status="in_progress",
        evidence_reference="Joint statement",
        evidence_date="2025-03-15",
    )
    assert response.status_code == 201, response.content
    data = editor_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    assert data["status_changed_at"].startswith("2025-03-15")
    assert data["last_reviewed_at"].startswith("2026-12-08")


def test_the_api_documents_the_status_date_rule(reviewer_api):
    schema = reviewer_api.get("/api/v1/schema/").json()
    help_text = schema["components"]["schemas"]["Commitment"]["properties"]["status_changed_at"]["description"]
    assert "evidence date" in help_text


# --- Evidence known to the month or the year --------------------------------------------------------------------


def test_the_status_form_offers_the_evidence_dates_precision_and_takes_a_month(editor_client):
    commitment = CommitmentFactory()
    url = reverse("commitments:commitment_update_status", args=[commitment.pk])
    page = editor_client.get(url).content.decode()
    assert 'name="evidence_date_precision" value="month"' in page
    response = editor_client.post(
        url,
        {
            "status": "in_progress",
            "evidence_reference": "Joint statement",
            "evidence_date": "2025-03-15",
            "evidence_date_precision": "month",
            "expected_version": 0,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    update = fresh(commitment).updates.get()
    assert (update.evidence_date, update.evidence_date_precision) == (dt.date(2025, 3, 1), "month")
    page = re.sub(r"\s+", " ", editor_client.get(commitment.get_absolute_url()).content.decode())
    assert "since March 2025" in page and "Joint statement (March 2025)" in page


def test_the_confirm_form_takes_a_year(editor_client):
    commitment = CommitmentFactory()
    response = editor_client.post(
        reverse("commitments:commitment_confirm", args=[commitment.pk]),
        {
            "note": "Checked the annual report",
            "evidence_reference": "Annual report",
            "evidence_date": "2025-06-30",
            "evidence_date_precision": "year",
            "expected_version": 0,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    update = fresh(commitment).updates.get()
    assert (update.evidence_date, update.evidence_date_display) == (dt.date(2025, 1, 1), "2025")


def test_the_status_import_takes_a_month_or_a_year_and_says_how(editor):
    one, two, three = (CommitmentFactory(reference=f"SDP §{n}") for n in (1, 2, 3))
    header = ["reference", "status", "evidence_reference", "evidence_date"]
    rows = [
        [one.reference, Status.IN_PROGRESS, "Joint statement", "2025-03"],
        [two.reference, Status.STALLED, "Annual report", "2025"],
        [three.reference, Status.STALLED, "Annual report", "2025-3"],
    ]
    run = run_import("status_updates", "updates.csv", csv_bytes(header, rows), editor)
    assert by_row(run)[4]["errors"] == [["evidence_date", APPROX_DATE_MESSAGE]]
    assert ["evidence_date", None, "2025-03"] in by_row(run)[2]["changes"]
    run_import("status_updates", "updates.csv", csv_bytes(header, rows[:2]), editor, apply=True)
    assert [since(one)[0], since(two)[0]] == ["March 2025", "2025"]
    assert fresh(two).updates.get().evidence_date_precision == "year"


def test_the_import_template_says_a_month_or_a_year_will_do(editor_client):
    (column,) = [c for c in StatusUpdateKind.columns if c.name == "evidence_date"]
    assert "YYYY-MM (a month" in column.help and "YYYY (a year" in column.help


# --- A day with "month" or "year" is read as that month or year in the forms ----------------------------------


def test_a_day_with_month_is_read_as_the_month_in_the_evidence_date():
    commitment = CommitmentFactory()
    form = StatusUpdateForm(
        data={
            "status": "in_progress",
            "evidence_reference": "Joint statement",
            "evidence_date": "2025-03-15",
            "evidence_date_precision": "month",
            "expected_version": 0,
        },
        commitment=commitment,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["evidence_date"] == dt.date(2025, 3, 1)
    assert "kept as that month or year" in str(form["evidence_date"].help_text)


def test_a_day_with_month_or_year_is_read_as_such_in_the_target_date(editor_client):
    commitment = CommitmentFactory(agreement=AgreementFactory(signed_on=dt.date(2019, 2, 1)))
    url = reverse("commitments:commitment_edit", kwargs={"pk": commitment.pk})
    response = editor_client.post(
        url, commitment_edit_data(commitment, target_date="2027-11-17", target_date_precision="year")
    )
    assert response.status_code == 302, response.context["form"].errors
    commitment = fresh(commitment)
    assert (commitment.target_date, commitment.target_date_display) == (dt.date(2027, 1, 1), "2027")
    assert "kept as that month or year" in str(CommitmentForm(instance=commitment)["target_date"].help_text)


def test_a_day_with_month_is_read_as_the_month_in_a_milestones_due_date(editor_client):
    commitment = CommitmentFactory()
    response = editor_client.post(
        reverse("commitments:milestone_add", args=[commitment.pk]),
        {"title": "First meeting", "due_on": "2027-05-20", "due_on_precision": "month", "expected_version": 0},
    )
    assert response.status_code == 302, response.context["form"].errors
    milestone = fresh(commitment).milestones.get()
    assert (milestone.due_on, milestone.due_on_display) == (dt.date(2027, 5, 1), "May 2027")
    form = MilestoneForm(commitment=commitment)
    assert "kept as that month or year" in str(form["due_on"].help_text)


def test_the_api_still_refuses_a_day_with_month(editor_api):
    commitment = CommitmentFactory()
    response = api_post(
        editor_api,
        "/api/v1/milestones/",
        commitment,
        title="First meeting",
        due_on="2027-05-20",
        due_on_precision="month",
    )
    assert response.status_code == 400, response.content
    assert "A date known to the month is stored as the 1st of that month." in response.content.decode()


# --- Leaving achieved -------------------------------------------------------------------------------------------


def test_the_progress_box_of_an_achieved_commitment_starts_empty_so_another_status_saves(editor_client):
    commitment = CommitmentFactory(achieved=True)
    url = reverse("commitments:commitment_update_status", args=[commitment.pk])
    form = editor_client.get(url).context["form"]
    assert form["progress"].value() is None
    data = {name: form[name].value() for name in ("status", "progress", "expected_version")}
    response = editor_client.post(
        url, {**{k: v for k, v in data.items() if v is not None}, "status": "stalled", "note": "Suspended"}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert (fresh(commitment).status, fresh(commitment).progress) == (Status.STALLED, None)


def test_an_achieved_commitment_sent_back_unchanged_is_told_nothing_changed(editor_client):
    commitment = CommitmentFactory(achieved=True)
    response = editor_client.post(
        reverse("commitments:commitment_update_status", args=[commitment.pk]),
        {"status": "achieved", "expected_version": 1},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing changed" in page and "required to mark it achieved" not in page
    assert fresh(commitment).version == 1


# --- A date alone is no evidence ----------------------------------------------------------------------------------


def test_the_forms_refuse_an_evidence_date_alone():
    commitment = CommitmentFactory()
    form = StatusUpdateForm(
        data={"status": "in_progress", "evidence_date": "2024-06-30", "expected_version": 0}, commitment=commitment
    )
    assert not form.is_valid()
    assert form.errors["evidence_date"] == [EVIDENCE_DATE_ALONE]
    confirm = ConfirmUnchangedForm(
        data={"note": "Checked", "evidence_date": "2024-06-30", "expected_version": 0}, commitment=commitment
    )
    assert not confirm.is_valid()
    assert confirm.errors["evidence_date"] == [EVIDENCE_DATE_ALONE]


def test_the_api_refuses_an_evidence_date_alone(editor_api):
    commitment = CommitmentFactory()
    response = api_post(
        editor_api, "/api/v1/status-updates/", commitment, status="ongoing", evidence_date="2024-06-30"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["evidence_date"] == [EVIDENCE_DATE_ALONE]
    assert fresh(commitment).version == 0


def test_the_import_refuses_an_evidence_date_alone(editor):
    commitment = CommitmentFactory(reference="SDP §1")
    content = csv_bytes(["reference", "status", "evidence_date"], [[commitment.reference, "ongoing", "2024-06-30"]])
    run = run_import("status_updates", "updates.csv", content, editor)
    assert by_row(run)[2]["errors"] == [["evidence_date", EVIDENCE_DATE_ALONE]]
