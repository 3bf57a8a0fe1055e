"""A target date the documents give as a month or a year stays a month or a year: shown so everywhere, passed only
once the last day it can mean is over, entered so in the form and the import, never turned into an invented day."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db.models import Q
from django.urls import reverse
from icalendar import Calendar

from commitments.choices import PolicyArea
from commitments.forms import CommitmentForm
from commitments.models import Commitment
from commitments.selectors import commitment_edits
from commitments.services import commitment_update
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory, commitment_edit_data

from .api_support import _fresh_throttle_counters, reviewer_api

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=BRUSSELS), tick=False)


@pytest.fixture
def in_2023():
    """A commitment due "in the course of 2023" (stored on 1 January with year precision), still open."""
    agreement = AgreementFactory(code="JS-2023", signed_on=dt.date(2023, 7, 13))
    return CommitmentFactory(
        agreement=agreement,
        reference="JS-2023 (PRESS ¶26)",
        title="Resolve remaining trade issues",
        area=PolicyArea.TRADE,
        target_date=dt.date(2023, 1, 1),
        target_date_precision="year",
    )


def passed_refs(on: dt.date) -> set[str]:
    return set(Commitment.objects.target_passed(on=on).values_list("reference", flat=True))


# --- The rule ---------------------------------------------------------------------------------------------------


def test_a_year_target_passes_on_1_january_of_the_next_year_and_a_month_target_after_its_month(in_2023):
    may = CommitmentFactory(reference="M", target_date=dt.date(2025, 5, 1), target_date_precision="month")
    day = CommitmentFactory(reference="D", target_date=dt.date(2025, 5, 1))
    assert passed_refs(dt.date(2023, 12, 31)) == set()
    assert passed_refs(dt.date(2024, 1, 1)) == {"JS-2023 (PRESS ¶26)"}
    assert "M" not in passed_refs(dt.date(2025, 5, 31)) and "D" in passed_refs(dt.date(2025, 5, 2))
    assert "M" in passed_refs(dt.date(2025, 6, 1))
    assert in_2023.target_by == dt.date(2023, 12, 31) and may.target_by == dt.date(2025, 5, 31)
    assert not in_2023.is_target_passed(dt.date(2023, 12, 31)) and in_2023.is_target_passed(dt.date(2024, 1, 1))
    assert day.is_target_passed(dt.date(2025, 5, 2))
    deadline = set(Commitment.objects.deadline_passed(on=dt.date(2023, 12, 31)).values_list("reference", flat=True))
    assert deadline == set()


def test_the_target_passed_filter_counts_a_year_target_only_once_the_year_is_over(reviewer_api, in_2023):
    with at(dt.date(2023, 12, 31)):
        response = reviewer_api.get("/api/v1/commitments/?target_passed=true")
        assert response.status_code == 200 and response.json()["count"] == 0
    with at(dt.date(2024, 1, 1)):
        refs = [
            row["reference"] for row in reviewer_api.get("/api/v1/commitments/?target_passed=true").json()["results"]
        ]
        assert refs == ["JS-2023 (PRESS ¶26)"]


def test_a_year_target_may_fall_in_the_year_its_framework_was_signed(in_2023):
    in_2023.full_clean()  # "2023" for a framework signed on 13 July 2023 is no target before the signature
    in_2023.target_date_precision = "day"
    with pytest.raises(Exception, match="cannot predate the signature"):
        in_2023.full_clean()


# --- What the pages show ------------------------------------------------------------------------------------------


def test_the_detail_and_the_list_show_the_year_and_no_invented_day(reviewer_client, in_2023):
    with at(dt.date(2023, 11, 15)):
        detail = reviewer_client.get(in_2023.get_absolute_url()).content.decode()
        listing = reviewer_client.get(reverse("commitments:commitment_list")).content.decode()
    assert "<dt>Target date</dt><dd>2023</dd>" in detail  # not passed while 2023 lasts
    assert '<time datetime="2023">2023</time>' in listing
    for page in (detail, listing):
        assert "1 Jan 2023" not in page and "1 January 2023" not in page and "31 Dec" not in page


def test_the_detail_marks_the_target_passed_once_the_year_is_over_until_it_is_achieved(reviewer_client, in_2023):
    with at(dt.date(2024, 1, 1)):
        detail = reviewer_client.get(in_2023.get_absolute_url()).content.decode()
    assert (
        '<dd>2023 <span class="badge overdue">passed</span> <span class="muted">and not achieved</span></dd>' in detail
    )
    Commitment.objects.filter(pk=in_2023.pk).update(status="achieved", progress=100)
    with at(dt.date(2024, 1, 1)):
        detail = reviewer_client.get(in_2023.get_absolute_url()).content.decode()
    assert "<dt>Target date</dt><dd>2023</dd>" in detail


def test_the_overview_lists_a_year_target_as_passed_only_from_1_january(reviewer_client, in_2023):
    with at(dt.date(2023, 12, 31)):
        before = reviewer_client.get(reverse("dashboards:home")).content.decode()
    with at(dt.date(2024, 1, 2)):
        after = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert "· target 2023 ·" not in before
    assert "· target 2023 ·" in after and "Jan 2023" not in after


def test_the_framework_page_marks_a_year_target_passed_only_once_the_year_is_over(reviewer_client, in_2023):
    url = reverse("dashboards:agreement_detail", kwargs={"code": "JS-2023"})
    with at(dt.date(2023, 12, 31)):
        before = reviewer_client.get(url).content.decode()
    with at(dt.date(2024, 1, 1)):
        after = reviewer_client.get(url).content.decode()
    assert '<td data-label="Target date" class="date">2023</td>' in before
    assert 'class="date passed">2023 <span class="badge overdue">passed</span>' in after


def test_the_briefing_pack_shows_the_year(reviewer_client, in_2023):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    with at(dt.date(2023, 12, 31)):
        response = reviewer_client.get(reverse("dashboards:agreement_briefing", kwargs={"code": "JS-2023"}))
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Resolve remaining trade issues Not started 2023 no update recorded" in text  # was "Jan 2023"
    assert "Jan 2023" not in text


def test_the_csv_export_gives_the_year(reviewer_client, in_2023):
    response = reviewer_client.get(reverse("commitments:commitment_export_csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["target_date"] == "2023"


def test_the_calendar_spans_the_year_instead_of_inventing_a_day(client, in_2023):
    from subscriptions.models import FollowerSettings
    from subscriptions.services import follow_add

    user = UserFactory(username="reader")
    follow_add(user=user, kind="commitment", target=in_2023)
    token = FollowerSettings.objects.get(user=user).calendar_token
    events = Calendar.from_ical(client.get(f"/follow/calendar/{token}.ics").content).walk("VEVENT")
    (event,) = events
    assert str(event["SUMMARY"]).startswith("Target date in 2023: JS-2023 (PRESS ¶26)")
    assert event.decoded("DTSTART") == dt.date(2023, 1, 1) and event.decoded("DTEND") == dt.date(2024, 1, 1)
    assert "no day given" in str(event["DESCRIPTION"])


def test_the_digest_says_due_by_the_end_of_the_year_in_the_week_the_year_ends(
    in_2023, django_capture_on_commit_callbacks
):
    from subscriptions.services import digests_run, follow_add

    follow_add(user=UserFactory(username="bob", email="bob@example.eu"), kind="commitment", target=in_2023)
    for monday in (dt.date(2023, 12, 25), dt.date(2024, 1, 1)):
        with at(monday), django_capture_on_commit_callbacks(execute=True):
            digests_run(on=monday)
    (message,) = mail.outbox  # nothing the week before: the year was not over
    assert "JS-2023 (PRESS ¶26) Resolve remaining trade issues: due by the end of 2023, still" in message.body
    assert "due by the end of 2023" in message.alternatives[0][0]


# --- Input ----------------------------------------------------------------------------------------------------------


def test_the_edit_form_reads_a_day_with_month_precision_as_the_month(editor_client, in_2023):
    url = reverse("commitments:commitment_edit", kwargs={"pk": in_2023.pk})
    saved = editor_client.post(
        url, commitment_edit_data(in_2023, target_date="2023-11-17", target_date_precision="month")
    )
    assert saved.status_code == 302, saved.context["form"].errors
    in_2023.refresh_from_db()
    assert (in_2023.target_date, in_2023.target_date_precision) == (dt.date(2023, 11, 1), "month")
    assert (in_2023.target_date_display, in_2023.edit_version) == ("November 2023", 1)


def test_the_form_offers_the_precision_as_radio_buttons(in_2023):
    html = str(CommitmentForm(instance=in_2023)["target_date_precision"])
    assert 'type="radio"' in html
    assert re.search(r'value="year"[^>]* checked', html) and not re.search(r'value="day"[^>]* checked', html)


def test_the_api_gives_the_precision_and_its_schema_documents_it(reviewer_api, in_2023):
    row = reviewer_api.get(f"/api/v1/commitments/{in_2023.pk}/").json()
    assert (row["target_date"], row["target_date_precision"]) == ("2023-01-01", "year")
    listed = reviewer_api.get("/api/v1/commitments/").json()["results"][0]
    assert listed["target_date_precision"] == "year"
    schema = reviewer_api.get("/api/v1/schema/")
    assert schema.status_code == 200
    field = schema.json()["components"]["schemas"]["Commitment"]["properties"]["target_date_precision"]
    assert "day, month or year" in field["description"]


def test_the_history_shows_the_correction_to_the_precision_known(in_2023):
    editor = UserFactory(editor=True)
    commitment_update(
        commitment=in_2023,
        expected_edit_version=0,
        author=editor,
        target_date=dt.date(2023, 12, 31),
        target_date_precision="day",
    )
    (edit,) = commitment_edits(commitment_id=in_2023.pk)
    (change,) = edit.changes
    assert (change.name, change.old, change.new) == ("target_date", "2023", "31 December 2023")


def test_the_seed_correction_moves_only_the_untouched_seeded_day():
    migration = importlib.import_module("commitments.migrations.0023_seeded_target_in_2023_is_a_year")
    from django.apps import apps

    seeded = CommitmentFactory(reference="JS-2023 (PRESS ¶26)", target_date=dt.date(2023, 12, 31))
    migration.correct(apps, None)
    seeded.refresh_from_db()
    assert (seeded.target_date, seeded.target_date_precision, seeded.edit_version) == (dt.date(2023, 1, 1), "year", 1)
    Commitment.objects.filter(pk=seeded.pk).update(target_date=dt.date(2023, 9, 30), target_date_precision="day")
    migration.correct(apps, None)
    seeded.refresh_from_db()
    assert seeded.target_date == dt.date(2023, 9, 30)
    assert not Commitment.objects.filter(Q(target_date=dt.date(2023, 12, 31))).exists()


def test_the_import_reads_a_year_and_a_month_and_refuses_what_is_no_date(editor):
    from django.core.exceptions import ValidationError

    from imports.services import import_apply
    from imports.tests.support import by_row, csv_bytes, run_import

    agreement = AgreementFactory(code="JS-2023", signed_on=dt.date(2023, 7, 13))
    seeded = CommitmentFactory(agreement=agreement, reference="JS-2023 (PRESS ¶26)", target_date=dt.date(2023, 12, 31))
    header = ["reference", "agreement", "title", "description", "area", "strength", "target_date"]

    def row(reference, target):
        return [reference, "JS-2023", "A title", "Promised.", PolicyArea.TRADE, "develop", target]

    refused = run_import(
        "commitments",
        "bad.csv",
        csv_bytes(header, [row("JS-2023 (PRESS ¶26)", "2023"), row("NEW §1", "May 2025"), row("NEW §2", "2025-13")]),
        editor,
    )
    rows = by_row(refused)
    assert (
        rows[3]["errors"]
        == rows[4]["errors"]
        == [
            [
                "target_date",
                "Enter the date as far as the text gives it: YYYY-MM-DD for a day, YYYY-MM for a month or YYYY for "
                "a year.",
            ]
        ]
    )
    with pytest.raises(ValidationError):  # all or nothing: the good row is not written either
        import_apply(run=refused, author=editor)
    seeded.refresh_from_db()
    assert (seeded.target_date, seeded.target_date_precision) == (dt.date(2023, 12, 31), "day")

    good = run_import(
        "commitments",
        "good.csv",
        csv_bytes(header, [row("JS-2023 (PRESS ¶26)", "2023"), row("NEW §1", "2025-05")]),
        editor,
    )
    rows = by_row(good)
    assert ["target_date", "2023-12-31", "2023"] in rows[2]["changes"]
    assert ["target_date", "", "2025-05"] in rows[3]["changes"]
    import_apply(run=good, author=editor)
    seeded.refresh_from_db()
    new = Commitment.objects.get(reference="NEW §1")
    assert (seeded.target_date, seeded.target_date_precision) == (dt.date(2023, 1, 1), "year")
    assert (new.target_date, new.target_date_precision) == (dt.date(2025, 5, 1), "month")


def test_the_seed_gives_js_2023_the_year_2023(seed_data):
    commitment = Commitment.objects.get(reference="JS-2023 (PRESS ¶26)")
    assert (commitment.target_date, commitment.target_date_precision) == (dt.date(2023, 1, 1), "year")
    assert commitment.target_date_display == "2023"
