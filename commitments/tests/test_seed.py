"""The seed data is complete, traceable and loads idempotently; a broken seed file writes nothing."""

import importlib
import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format
from django.utils.html import strip_tags

from commitments.choices import Status
from commitments.models import Agreement, Commitment, StatusUpdate
from core.models import SourceDocument
from dialogues.models import DialogueBody, Meeting
from tracker.seeding import SeedError, load_seed

pytestmark = pytest.mark.django_db

CORE_FRAMEWORKS = {"SPA", "EPA", "SCQI", "GA", "DP", "SDP"}


def test_seed_contains_the_core_frameworks_and_bodies(seed_data):
    assert set(Agreement.objects.values_list("code", flat=True)) >= CORE_FRAMEWORKS
    assert Agreement.objects.get(code="SDP").parent.code == "SPA"
    names = " ".join(DialogueBody.objects.values_list("name", flat=True))
    for body in (
        "Summit",
        "Strategic Dialogue",
        "Security and Defence Dialogue",
        "Cyber Dialogue",
        "Digital Partnership Council",
        "High-Level Economic Dialogue",
    ):
        assert body in names, body


def test_every_record_is_traceable_to_a_seed_document(seed_data):
    seed_files = set(SourceDocument.objects.values_list("seed_file", flat=True))
    assert all(seed_files), "every source names its seed file"
    for model in (Agreement, Commitment, DialogueBody, Meeting):
        missing = model.objects.filter(source_document__isnull=True) | model.objects.filter(source_locator="")
        assert not missing.exists(), f"{model.__name__} without a source: {list(missing[:5])}"
    assert not StatusUpdate.objects.filter(source_document__isnull=True).exists()


def test_every_commitment_has_an_agreement_reference_and_paraphrase(seed_data):
    assert Commitment.objects.count() >= 40
    assert not Commitment.objects.filter(reference="").exists()
    assert not Commitment.objects.filter(description="").exists()
    sdp = Commitment.objects.filter(agreement__code="SDP")
    assert sdp.count() >= 50  # one per committing paragraph of the SDP, split where it lists several
    assert sdp.filter(responsible_body__isnull=False).count() >= sdp.count() // 2


def test_every_meeting_has_a_date_and_a_source(seed_data):
    # The documents date nine meetings; each must be there with its day and place where stated.
    assert Meeting.objects.count() >= 9
    assert not Meeting.objects.filter(held_on__isnull=True).exists()
    dated = set(Meeting.objects.values_list("body__short_name", "held_on"))
    for expected in [
        ("SUMMIT", "2021-05-27"),
        ("SUMMIT", "2022-05-12"),
        ("SUMMIT", "2023-07-13"),
        ("DPC", "2023-07-03"),
        ("ASEP", "2018-09-27"),
    ]:
        assert (expected[0], date.fromisoformat(expected[1])) in dated, expected
    # The documents give these meetings only to the month: stored on the 1st, with that precision.
    for body, month in [("SPACE", "2023-01-01"), ("HLED", "2023-06-01"), ("HLED", "2022-10-01")]:
        assert Meeting.objects.get(body__short_name=body, held_on=month).held_on_precision == "month"


def test_current_status_is_the_latest_seeded_update(seed_data):
    assert StatusUpdate.objects.exists()
    for commitment in Commitment.objects.filter(version__gt=0):
        latest = commitment.updates.order_by("-version").first()
        assert (commitment.status, commitment.progress) == (latest.status, latest.progress)
    achieved = StatusUpdate.objects.filter(status=Status.ACHIEVED)
    assert achieved.exists()
    assert not achieved.filter(evidence_reference="", evidence_url="").exists()


def test_body_schedules_follow_their_last_seeded_meeting(seed_data):
    for body in DialogueBody.objects.filter(meetings__isnull=False).distinct():
        latest = body.meetings.order_by("-held_on").first().held_on
        assert body.last_meeting_on == latest


def test_loading_twice_duplicates_nothing(seed_data):
    before = {m: m.objects.count() for m in (Agreement, Commitment, DialogueBody, Meeting, StatusUpdate)}
    counts = load_seed()
    assert not any(label.endswith("created") for label in counts), counts
    assert {m: m.objects.count() for m in before} == before


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


def test_a_broken_seed_is_refused_with_every_problem_and_writes_nothing(tmp_path):
    _write(
        tmp_path,
        "01.yaml",
        """
sources:
  - {key: DOC, title: A document, seed_file: x.txt}
agreements:
  - {code: GOOD, title: Fine, kind: joint_statement, source: {doc: DOC, at: "§1"}}
  - {code: BAD, title: Bad dates, kind: memorandum, signed_on: 2020-01-01, in_force_on: 2019-01-01,
     source: {doc: DOC, at: "§2"}}
commitments:
  - {reference: "GOOD §1", agreement: NOPE, title: t, description: d, area: cyber, strength: develop,
     source: {doc: DOC, at: "§1"}}
  - {reference: "GOOD §2", agreement: GOOD, title: t, description: d, area: astrology, strength: develop,
     source: {doc: MISSING, at: "§2"}}
""",
    )
    with pytest.raises(SeedError) as excinfo:
        load_seed(tmp_path)
    text = str(excinfo.value)
    assert "agreements[BAD]: in_force_on" in text
    assert "unknown agreement 'NOPE'" in text
    assert "astrology" in text and "unknown source document 'MISSING'" in text
    assert not Agreement.objects.exists() and not SourceDocument.objects.exists()


def test_invalid_yaml_is_a_clear_command_error(tmp_path):
    _write(tmp_path, "01.yaml", "sources: [unclosed")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("load_seed_data", "--dir", str(tmp_path))


def test_empty_seed_folder_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no seed files"):
        call_command("load_seed_data", "--dir", str(tmp_path))


def test_malformed_records_are_reported_one_by_one(tmp_path):
    _write(
        tmp_path,
        "01.yaml",
        """
sources:
  - {key: DOC, title: A document, seed_file: x.txt}
agreements:
  - {code: NOTITLE, kind: joint_statement, source: {doc: DOC, at: "§1"}}
  - {code: BADDATE, title: t, kind: memorandum, signed_on: "2023-13-01", source: {doc: DOC, at: "§2"}}
bodies:
  - {short_name: B1, name: Body, level: working, cadence_months: yearly, agreements: [BADDATE],
     source: {doc: DOC, at: "§3"}}
""",
    )
    with pytest.raises(SeedError) as excinfo:
        load_seed(tmp_path)
    problems = excinfo.value.problems
    assert "agreements[NOTITLE]: missing field 'title'" in problems
    assert any(p.startswith("agreements[BADDATE]: malformed value") for p in problems)
    assert any(p.startswith("bodies[B1]: cadence_months") for p in problems)
    assert not SourceDocument.objects.exists()


def test_reloading_keeps_staff_corrections_and_staff_history(seed_data, editor):
    from commitments.services import commitment_update, commitment_update_status

    commitment = Commitment.objects.get(reference="SDP §4")
    commitment_update(
        commitment=commitment,
        expected_edit_version=commitment.edit_version,
        author=editor,
        title="Corrected by staff",
    )
    commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.STALLED
    )
    counts = load_seed()
    commitment.refresh_from_db()
    assert commitment.title == "Corrected by staff"
    assert commitment.status == Status.STALLED
    assert counts["commitments kept"] == Commitment.objects.count()

    load_seed(refresh=True)
    commitment.refresh_from_db()
    assert commitment.title != "Corrected by staff"  # --refresh restores the seed's wording
    assert commitment.status == Status.STALLED  # but never rewrites history that staff recorded


# --- Facts with provenance in the seed ----------------------------------------------------------------------------


def _seed_facts():
    for model in (DialogueBody, Agreement):
        for record in model.objects.all():
            yield from ((record, fact) for fact in record.facts.values() if fact.known)


def test_the_loader_reports_how_many_facts_are_stated_and_how_many_assumed(seed_data):
    facts = list(_seed_facts())
    stated = sum(fact.is_stated for _, fact in facts)
    assumed = sum(fact.is_assumed for _, fact in facts)
    assert (seed_data["facts stated"], seed_data["facts assumed"]) == (stated, assumed)
    assert stated + assumed == len(facts) and assumed > 0
    out = StringIO()
    call_command("load_seed_data", stdout=out)
    assert f"facts stated: {stated}" in out.getvalue() and f"facts assumed: {assumed}" in out.getvalue()


def test_every_seeded_fact_has_a_basis_and_no_cadence_is_stated_that_its_document_does_not_give(seed_data):
    for record, fact in _seed_facts():
        assert fact.basis in ("stated", "assumed"), (record, fact.name)
        if fact.is_stated:
            assert fact.source is not None and fact.locator, (record, fact.name)
        else:
            assert fact.reason and fact.assumed_by, (record, fact.name)
    stated_cadences = {
        b.short_name for b in DialogueBody.objects.filter(cadence_months__isnull=False) if b.fact("cadence").is_stated
    }
    # Each of these is "annual" in its document (SDP §5; EP-IDA 2.3 for the climate dialogue, 2.4 for the MD talks).
    assert stated_cadences == {"SUMMIT", "SD", "SDD", "HLD-CLIMATE", "SD-CONS"}
    for body in DialogueBody.objects.filter(short_name__in=["CYBER", "SPACE", "HLED", "DPC", "HLD-ENV", "NPD"]):
        cadence = body.fact("cadence")
        assert cadence.is_assumed and "meet annually" in cadence.reason, body.short_name
    # No document draws a reporting line from a sectoral dialogue to the Summit.
    assert not DialogueBody.objects.filter(reports_to__short_name="SUMMIT").exists()


def test_dates_the_documents_give_as_a_month_or_a_year_keep_that_precision(seed_data):
    loi = Agreement.objects.get(code="STI-LOI")
    assert (loi.signed_on, loi.signed_on_precision, loi.signed_on_display) == (date(2020, 5, 1), "month", "May 2020")
    assert "26 May 2021" in loi.date_note and "May 2020" in loi.date_note
    assert Agreement.objects.get(code="SP-2003").signed_on_display == "2003"
    assert DialogueBody.objects.get(short_name="CYBER").established_on_precision == "year"
    # A 1 January that is not a year-precise date would be a placeholder.
    for agreement in Agreement.objects.all():
        for name in ("signed_on", "in_force_on"):
            value = getattr(agreement, name)
            if value and (value.month, value.day) == (1, 1):
                assert getattr(agreement, f"{name}_precision") in ("month", "year"), (agreement.code, name)
    # Likewise an entry's evidence on a 1 January is dated to the month or the year, never to that day.
    assert not StatusUpdate.objects.filter(
        evidence_date__month=1, evidence_date__day=1, evidence_date_precision="day"
    ).exists()


def test_strength_follows_the_one_rule_written_in_the_readme(seed_data):
    # "committed to the full implementation" and "will ensure" name a result that can be checked: implement.
    assert Commitment.objects.get(reference="SDP §29(a)").strength == "implement"
    assert Commitment.objects.get(reference="SDP §29(b)").strength == "implement"
    # "share", "exchange" are open-ended cooperation: develop.
    for reference in ("SDP §18(a)", "SDP §19(a)", "SDP §26(b)", "SDP §30(a)"):
        assert Commitment.objects.get(reference=reference).strength == "develop", reference
    for commitment in Commitment.objects.filter(title__istartswith="explore"):
        assert commitment.strength == "explore", commitment.reference


# --- One state, everywhere: the seed data has no contradiction ----------------------------------------------------

LAUNCH = ("launch", "establish", "set up", "upgrade")


def test_the_seed_data_has_no_contradiction_between_statuses_and_dialogue_states(seed_data, client, admin_user):
    """An achieved "launch / establish a dialogue" whose dialogue never met, an achieved commitment of a body
    that never met, or a page that shows a body's state otherwise than the one rule, is a contradiction."""
    problems = []
    for commitment in Commitment.objects.filter(status=Status.ACHIEVED).select_related("responsible_body"):
        body = commitment.responsible_body
        launches_a_dialogue = commitment.title.lower().startswith(LAUNCH) and "dialogue" in commitment.title.lower()
        if launches_a_dialogue and (body is None or body.last_meeting_on is None):
            problems.append(f"{commitment.reference} achieved, but its dialogue never met")
        if body is not None and body.state().code == "never_met":
            problems.append(f"{commitment.reference} achieved by {body.short_name}, which never met")
    client.force_login(admin_user)
    pages = {
        "list": client.get(reverse("dialogues:body_list")).content.decode(),
        "timeline": client.get(reverse("dashboards:timeline")).content.decode(),
    }
    api = {row["short_name"]: row for row in client.get("/api/v1/dialogues/?page_size=100").json()["results"]}
    for body in DialogueBody.objects.all():
        state = body.state()
        if body.short_name in api and api[body.short_name]["state"] != state.code:
            problems.append(f"{body.short_name}: the API says {api[body.short_name]['state']}, the rule {state.code}")
        if state.code == "never_met" and "on schedule" in state.label.lower():
            problems.append(f"{body.short_name}: never met but called on schedule")
    for name, html in pages.items():
        if "On schedule" in html:
            problems.append(f"the {name} page still says 'On schedule' outside the one rule")
    assert problems == []


def test_the_seed_data_shows_one_commitment_state_on_every_page_the_csv_and_the_api(seed_data, client, admin_user):
    """Each seeded commitment's state by the one rule (``Commitment.state``) is what the overview counts, the list
    filters, the CSV and the API say, and what its framework's and its body's pages show."""
    import csv
    import io

    from dashboards.selectors import overview

    client.force_login(admin_user)
    rule = {c.reference: c.state().code for c in Commitment.objects.all()}
    problems = []
    counts = {f["key"]: f["count"] for f in overview().headline.figures}
    for state in set(rule.values()) | set(counts):
        expected = sum(code == state for code in rule.values())
        if counts.get(state, 0) != expected:
            problems.append(f"the overview counts {counts.get(state, 0)} {state}, the rule {expected}")
        listed = client.get(reverse("commitments:commitment_list"), {"state": state})
        if (n := listed.context["page_obj"].paginator.count) != expected:
            problems.append(f"the list filters {n} {state}, the rule {expected}")
    export = client.get(reverse("commitments:commitment_export_csv")).getvalue().decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(export)):
        if row["state"] != rule[row["reference"]]:
            problems.append(f"{row['reference']}: the CSV says {row['state']}, the rule {rule[row['reference']]}")
    api, url = [], "/api/v1/commitments/?page_size=100"
    while url:
        answer = client.get(url).json()
        api, url = api + answer["results"], answer["next"]
    for row in api:
        if row["state"] != rule[row["reference"]]:
            problems.append(f"{row['reference']}: the API says {row['state']}, the rule {rule[row['reference']]}")
    body_pages: dict[str, str] = {}
    for commitment in Commitment.objects.filter(responsible_body__isnull=False).select_related("responsible_body"):
        state = commitment.state()
        # The body's page lists the commitment with the same state badge as every other page.
        url = commitment.responsible_body.get_absolute_url()
        if url not in body_pages:
            body_pages[url] = client.get(url).content.decode()
        page = body_pages[url]
        if f'class="badge {state.badge_class}" title="{state.label}:' not in page:
            problems.append(f"{commitment.reference}: its body's page does not show it as {state.label}")
        if state.code == "achieved" and commitment.responsible_body.state().code == "never_met":
            problems.append(f"{commitment.reference} achieved by {commitment.responsible_body}, which never met")
    assert len(api) == len(rule)
    assert problems == []


# --- What readers see of the seed --------------------------------------------------------------------------------


def test_seeded_texts_speak_to_readers_without_the_teams_seed_jargon(seed_data):
    """Readers see these texts on the meeting, agreement, body and commitment pages and in source lists: they say
    what the tracker's source documents state, never "the seeds" or "seed editors"."""
    for model in (SourceDocument, Agreement, Commitment, DialogueBody, Meeting, StatusUpdate):
        columns = [
            field.name
            for field in model._meta.concrete_fields
            if field.get_internal_type() in ("CharField", "TextField") and field.name != "seed_file"
        ]
        for row in model.objects.values("pk", *columns):
            for column in columns:
                assert "seed" not in str(row[column]).lower(), (model.__name__, row["pk"], column, row[column])
    assumed = DialogueBody.objects.filter(level_basis="assumed")
    assert assumed.exists()
    assert set(assumed.values_list("level_assumed_by", flat=True)) == {"the tracker's editors"}
    press = SourceDocument.objects.get(key="PRESS-2023")
    assert press.title.endswith("(headline not included in the tracker's copy)")


def test_a_database_seeded_in_the_old_words_is_reworded_once_migrated(seed_data):
    """The loader keeps existing rows, so dialogues' migration 0010 rewrites the texts a database seeded before the
    rewording still holds, and only where they are still the seed's own words (an editor's correction stays)."""
    from django.apps import apps

    reword = importlib.import_module("dialogues.migrations.0010_seed_texts_in_readers_words").reword
    reword(apps, None, backwards=True)  # the database as the old seed files left it
    press = SourceDocument.objects.get(key="PRESS-2023")
    assert press.title.endswith("(headline not included in the seed text)")
    assert set(DialogueBody.objects.filter(level_basis="assumed").values_list("level_assumed_by", flat=True)) == {
        "seed editors"
    }
    Agreement.objects.filter(code="EPA").update(summary="Corrected by an editor (the seeds had no day).")

    reword(apps, None)
    press.refresh_from_db()
    assert press.title.endswith("(headline not included in the tracker's copy)")
    assert set(DialogueBody.objects.filter(level_basis="assumed").values_list("level_assumed_by", flat=True)) == {
        "the tracker's editors"
    }
    assert Agreement.objects.get(code="EPA").summary == "Corrected by an editor (the seeds had no day)."
    reworded = [Agreement.objects.get(code="SPA").summary, *Meeting.objects.values_list("summary", flat=True)]
    assert not [text for text in reworded if "seed" in text.lower()]


def test_an_undated_seeded_assessment_is_no_news_but_stays_on_its_commitments_timeline(seed_data, reviewer_client):
    """The documents give no date for the assessment that the 2001 Action Plan stalled (MARTENS-2024 is dated
    only by its copyright year): it is stored when the seed was loaded, which is no day anything happened."""
    commitment = Commitment.objects.get(reference="AP-2001 (MARTENS Ever-Closer)")
    entry = commitment.updates.get(status=Status.STALLED)
    assert entry.is_undated
    assert commitment.status == Status.STALLED  # the current status still comes from it

    overview = reviewer_client.get(reverse("dashboards:home"))
    latest = overview.context["overview"].latest_updates
    assert latest and entry not in latest  # the latest updates are the dated ones
    changes = reviewer_client.get(reverse("dashboards:changes")).content.decode()
    assert "What changed" in changes and "MARTENS Ever-Closer" not in changes
    assert "MARTENS Ever-Closer" not in overview.content.decode()

    page = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    assert "Undated: from MARTENS-2024" in page
    # Who wrote it, in the reader's words: no one on the staff, the tracker's source documents.
    assert "from the tracker's source documents" in page and "seed" not in strip_tags(page).lower()
    assert "the Action Plan did not go beyond declarations" in page.replace("&#x27;", "'")


def test_a_dated_seeded_update_keeps_its_evidence_date_as_when_it_happened(seed_data):
    spa = StatusUpdate.objects.filter(commitment__reference="SPA (EP-IDA §2.1)", evidence_date=date(2024, 4, 22)).get()
    assert not spa.is_undated and spa in StatusUpdate.objects.dated()
    assert spa.recorded_at.date() == date(2024, 4, 22)


def test_where_the_loader_recorded_a_commitment_was_made_reads_as_recorded_not_edited(seed_data, reviewer_client):
    """The loader ties a commitment to the meeting that made it after creating both: its timeline says the detail
    was recorded from the source documents, not that someone edited it."""
    commitment = Commitment.objects.filter(made_at__body__short_name="SUMMIT", made_at__held_on=date(2023, 7, 13))[0]
    page = " ".join(strip_tags(reviewer_client.get(commitment.get_absolute_url()).content.decode()).split())
    assert "Details recorded from the tracker's source documents" in page
    assert "Japan–EU Summit, 13 July 2023" in page and "Details edited" not in page


def _text(response) -> str:
    """The page's words, without the print header's "printed <today>, <time> by <user>"."""
    text = " ".join(strip_tags(response.content.decode()).replace("&#x27;", "'").split())
    return re.sub(r"printed \d+ \w+ \d{4}, \d\d:\d\d", "printed", text)


def test_an_undated_seeded_assessment_dates_neither_the_status_nor_a_review(seed_data, reviewer_client):
    """AP-2001's only status comes from a document that gives no date for it: the moment the seed was loaded is not
    shown as when it became stalled or was last reviewed, on the page, in the list, the CSV or the API."""
    commitment = Commitment.objects.get(reference="AP-2001 (MARTENS Ever-Closer)")
    assert commitment.status == Status.STALLED
    assert commitment.status_changed_at is None and commitment.last_reviewed_at is None
    loaded = [format(timezone.localdate(), "j F Y"), format(timezone.localdate(), "j M Y")]

    page = _text(reviewer_client.get(commitment.get_absolute_url()))
    assert "Stalled · since a date the source does not give" in page
    assert "Last update or review date not given in the source" in page
    assert not [day for day in loaded if day in page]

    listing = _text(reviewer_client.get(reverse("commitments:commitment_list"), {"agreement": "AP-2001"}))
    assert "date not given in the source" in listing and not [day for day in loaded if day in listing]

    api = reviewer_client.get(f"/api/v1/commitments/{commitment.pk}/").json()
    assert api["status"] == "stalled" and api["status_changed_at"] is None and api["last_reviewed_at"] is None

    csv = b"".join(reviewer_client.get(reverse("commitments:commitment_export_csv")).streaming_content).decode()
    row = next(line for line in csv.splitlines() if "AP-2001 (MARTENS Ever-Closer)," in line)
    assert timezone.localdate().isoformat() not in row


def test_seeded_entries_show_their_documents_date_without_an_invented_time_of_day(seed_data, reviewer_client):
    commitment = Commitment.objects.get(reference="SPA (EP-IDA §2.1)")
    page = _text(reviewer_client.get(commitment.get_absolute_url()))
    assert "22 April 2024 · Status update" in page
    assert "12:00" not in page


def test_a_month_the_documents_give_stays_a_month(seed_data, reviewer_client):
    """The STI Letter of Intent is "May 2020 per the text": STA-2011's status, its last review, its timeline entry
    and its evidence say May 2020, nowhere 1 May 2020."""
    commitment = Commitment.objects.get(reference="STA-2011 (EP-IDA §2.3)")
    entry = commitment.updates.get()
    assert entry.evidence_date_precision == "month"
    page = _text(reviewer_client.get(commitment.get_absolute_url()))
    assert "Ongoing · since May 2020" in page
    assert "Last update or review May 2020" in page
    assert "May 2020 · Status update" in page and "(May 2020)" in page
    assert "1 May 2020" not in page
    overview = _text(reviewer_client.get(reverse("dashboards:home")))
    assert "STA-2011 (EP-IDA §2.3)" in overview and "1 May 2020" not in overview
    listing = _text(reviewer_client.get(reverse("commitments:commitment_list"), {"agreement": "STA-2011"}))
    assert "May 2020" in listing and "1 May 2020" not in listing


def test_an_entry_is_dated_by_its_own_document_not_by_another_documents_date(seed_data, reviewer_client):
    """The Martens paper says "In January 2024" the EU declared its intention to conclude the security and defence
    partnership (no day). The entry was once dated 10 November 2023, the day the EP analysis was completed: a date
    of another document, before the event it reports. It is January 2024, to the month."""
    commitment = Commitment.objects.get(reference="JS-2023 (SDP §2)")
    entry = commitment.updates.get(source_document__key="MARTENS-2024")
    assert (entry.evidence_date, entry.evidence_date_precision) == (date(2024, 1, 1), "month")
    page = _text(reviewer_client.get(commitment.get_absolute_url()))
    assert "January 2024 · Status update" in page
    assert "10 November 2023" not in page and "1 January 2024" not in page


def test_an_achievement_the_documents_give_as_a_year_reads_as_that_year(seed_data, reviewer_client):
    """The EP analysis says the cross-border data flows agreement was concluded "in 2023", no day. The entry was
    dated 10 November 2023, the day the analysis was completed, which read as the day it was achieved. It is 2023."""
    commitment = Commitment.objects.get(reference="DATA-FLOWS (EP-IDA Exec. summary)")
    entry = commitment.updates.get(source_document__key="EP-IDA-2024")
    assert (entry.evidence_date, entry.evidence_date_precision) == (date(2023, 1, 1), "year")
    page = _text(reviewer_client.get(commitment.get_absolute_url()))
    assert "10 November 2023" not in page and "1 January 2023" not in page
    assert "2023 · Status update" in page
