"""The delegation dashboards: what each one shows, as of today and as of a past date, and in how many queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from commitments.choices import Actor, Party, PolicyArea, Status
from commitments.models import Commitment
from commitments.services import commitment_update_party_status
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    MilestoneFactory,
    StatusUpdateFactory,
    UserFactory,
)
from dashboards import selectors as dashboards
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory, OverdueFlagFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def moment(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def frozen():
    with time_machine.travel(moment(TODAY, 10), tick=False):
        yield TODAY


@pytest.fixture
def world(frozen):
    """Two frameworks with history, one without commitments, bodies on and off their cadence."""
    author = UserFactory(editor=True, username="desk-officer", first_name="Aiko", last_name="Tanaka")
    spa = AgreementFactory(code="SPA", title="Strategic Partnership Agreement", signed_on=dt.date(2018, 7, 17))
    sdp = AgreementFactory(code="SDP", title="Security and Defence Partnership", signed_on=dt.date(2024, 11, 1))
    AgreementFactory(code="EMPTY", title="A framework with nothing recorded", signed_on=dt.date(2020, 1, 1))

    summit = DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit", level="leaders", agreements=[spa])
    MeetingFactory(body=summit, held_on=dt.date(2026, 1, 10))
    sdd = DialogueBodyFactory(
        short_name="SDD",
        name="Security and Defence Dialogue",
        reports_to=summit,
        established_on=dt.date(2020, 1, 1),
        agreements=[sdp],
    )
    MeetingFactory(body=sdd, held_on=dt.date(2024, 3, 15))  # due 15 Mar 2025, overdue from 15 May 2025
    newly = DialogueBodyFactory(short_name="NEWLY", name="Newly late dialogue", cadence_months=6, grace_days=0)
    MeetingFactory(body=newly, held_on=dt.date(2025, 12, 1))  # overdue from 2 June 2026
    recovered = DialogueBodyFactory(short_name="BACK", name="Recovered dialogue", cadence_months=3, grace_days=0)
    MeetingFactory(body=recovered, held_on=dt.date(2026, 2, 20))  # overdue from 21 May 2026 ...
    MeetingFactory(body=recovered, held_on=dt.date(2026, 6, 5))  # ... until it met again

    achieved = CommitmentFactory(agreement=sdp, reference="SDP §3", area=PolicyArea.MARITIME_SECURITY)
    StatusUpdateFactory(
        commitment=achieved,
        status=Status.ACHIEVED,
        evidence_reference="Joint exercise report",
        recorded_at=moment(dt.date(2025, 2, 1)),
        author=author,
    )
    stalled = CommitmentFactory(agreement=sdp, reference="SDP §7", area=PolicyArea.CYBER, responsible_body=sdd)
    StatusUpdateFactory(commitment=stalled, status=Status.IN_PROGRESS, recorded_at=moment(dt.date(2025, 9, 1)))
    StatusUpdateFactory(
        commitment=stalled,
        status=Status.STALLED,
        note="No dialogue meeting since 2024",
        evidence_url="https://example.eu/report",
        recorded_at=moment(dt.date(2026, 6, 1)),
        author=author,
    )
    untouched = CommitmentFactory(agreement=sdp, reference="SDP §9", area=PolicyArea.CYBER)
    ongoing = CommitmentFactory(agreement=spa, reference="SPA Art. 4", area=PolicyArea.MULTILATERAL)
    StatusUpdateFactory(commitment=ongoing, status=Status.ONGOING, recorded_at=moment(dt.date(2024, 6, 1)))
    return {
        "spa": spa,
        "sdp": sdp,
        "summit": summit,
        "sdd": sdd,
        "newly": newly,
        "recovered": recovered,
        "achieved": achieved,
        "stalled": stalled,
        "untouched": untouched,
        "ongoing": ongoing,
        "author": author,
    }


def by_key(rows):
    return {row.key: row for row in rows}


# --- Overview today -------------------------------------------------------------------------------------


def test_overview_counts_each_framework_by_status(world):
    overview = dashboards.overview()
    rows = by_key(overview.by_agreement)
    assert list(rows) == ["EMPTY", "SDP", "SPA"]
    assert rows["SDP"].counts == {Status.ACHIEVED: 1, Status.STALLED: 1, Status.NOT_STARTED: 1}
    assert (rows["SDP"].total, rows["SDP"].achieved, rows["SDP"].share_achieved) == (3, 1, 33)
    assert rows["SPA"].counts == {Status.ONGOING: 1}
    assert rows["EMPTY"].total == 0 and rows["EMPTY"].share_achieved is None
    assert (overview.total.total, overview.total.achieved) == (4, 1)


def test_bar_segments_add_up_to_the_whole_bar_in_status_order(world):
    sdp = by_key(dashboards.overview().by_agreement)["SDP"]
    segments = sdp.segments
    assert [s.status for s in segments] == [Status.ACHIEVED, Status.NOT_STARTED, Status.STALLED]
    assert [s.count for s in segments] == [1, 1, 1]
    assert segments[0].offset == 0
    assert segments[-1].offset + segments[-1].width == pytest.approx(100)
    assert sdp.description == "SDP: 3 commitments: 1 achieved, 1 not started, 1 stalled; 33% achieved."


def test_overview_counts_each_policy_area(world):
    areas = by_key(dashboards.overview().by_area)
    assert set(areas) == {PolicyArea.MARITIME_SECURITY, PolicyArea.CYBER, PolicyArea.MULTILATERAL}
    assert areas[PolicyArea.CYBER].counts == {Status.STALLED: 1, Status.NOT_STARTED: 1}
    assert areas[PolicyArea.CYBER].label == "Cyber security"


def test_overview_lists_overdue_bodies_with_days_and_reporting_line(world):
    overdue = dashboards.overview().overdue_bodies
    assert [item.body.short_name for item in overdue] == ["SDD", "NEWLY"]
    sdd = overdue[0]
    assert sdd.days_overdue == (TODAY - dt.date(2025, 3, 15)).days == 457
    assert sdd.days_overdue == world["sdd"].days_overdue(on=TODAY)
    assert sdd.overdue_since == dt.date(2025, 5, 15)
    assert sdd.body.reports_to == world["summit"]


def test_overview_shows_the_open_overdue_flag_of_each_overdue_body(reviewer_client, world):
    OverdueFlagFactory(body=world["sdd"], due_on=dt.date(2025, 3, 15), overdue_since=dt.date(2025, 5, 15))
    overdue = {item.body.short_name: item for item in dashboards.overview().overdue_bodies}
    assert overdue["SDD"].flag.body == world["sdd"]
    assert overdue["NEWLY"].flag is None
    content = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert "no e-mail sent yet" in content and "not yet" in content


def test_overview_lists_stale_commitments_stalest_first(world):
    never = CommitmentFactory(agreement=world["spa"], reference="SPA Art. 9", stale=True)
    overview = dashboards.overview()
    # SPA Art. 9: never updated, entered 400 days ago; SPA Art. 4: last update June 2024. SDP §3 (last update
    # Feb 2025) is achieved: a finished commitment is never stale.
    assert [item.commitment.reference for item in overview.stale] == ["SPA Art. 9", "SPA Art. 4"]
    assert [item.last_update for item in overview.stale] == [None, moment(dt.date(2024, 6, 1))]
    assert overview.stale_count == 2
    assert set(Commitment.objects.stale(on=TODAY)) == {never, world["ongoing"]}
    as_of = dashboards.overview(on=TODAY - dt.timedelta(days=1))
    assert "SDP §3" not in [item.commitment.reference for item in as_of.stale]
    assert as_of.stale_count == 2


def test_overview_shows_the_latest_updates_newest_first(world):
    latest = dashboards.overview().latest_updates
    assert [(u.commitment.reference, u.status) for u in latest[:2]] == [
        ("SDP §7", Status.STALLED),
        ("SDP §7", Status.IN_PROGRESS),
    ]


# --- As of a date ---------------------------------------------------------------------------------------


def test_as_of_rebuilds_each_status_from_the_history(world):
    overview = dashboards.overview(on=dt.date(2026, 5, 1))
    assert overview.rebuilt_from_history
    rows = by_key(overview.by_agreement)
    # The stall of 1 June 2026 had not happened: SDP §7 was still in progress.
    assert rows["SDP"].counts == {Status.ACHIEVED: 1, Status.IN_PROGRESS: 1, Status.NOT_STARTED: 1}
    assert rows["SPA"].counts == {Status.ONGOING: 1}
    assert all(u.recorded_at < moment(dt.date(2026, 5, 2), 0) for u in overview.latest_updates)


def test_as_of_counts_the_whole_day_and_nothing_after(world):
    on_the_day = by_key(dashboards.overview(on=dt.date(2026, 6, 1)).by_agreement)["SDP"]
    day_before = by_key(dashboards.overview(on=dt.date(2026, 5, 31)).by_agreement)["SDP"]
    assert on_the_day.counts.get(Status.STALLED) == 1
    assert day_before.counts.get(Status.STALLED) is None


def test_as_of_before_a_framework_was_signed_leaves_it_out(world):
    rows = by_key(dashboards.overview(on=dt.date(2024, 1, 1)).by_agreement)
    assert "SDP" not in rows  # signed on 1 November 2024, no update before
    assert rows["SPA"].counts == {Status.NOT_STARTED: 1}  # its first update came in June 2024


def test_as_of_breaks_ties_on_the_same_moment_by_version(world):
    same_moment = moment(dt.date(2026, 3, 3))
    commitment = CommitmentFactory(agreement=world["spa"], reference="SPA Art. 12")
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, recorded_at=same_moment)
    StatusUpdateFactory(commitment=commitment, status=Status.ONGOING, recorded_at=same_moment)
    rows = by_key(dashboards.overview(on=dt.date(2026, 3, 4)).by_agreement)
    assert rows["SPA"].counts == {Status.ONGOING: 2}


def test_as_of_today_is_the_current_overview(world):
    overview = dashboards.overview(on=TODAY)
    assert not overview.rebuilt_from_history
    past = dashboards.overview(on=TODAY - dt.timedelta(days=1))
    assert past.rebuilt_from_history
    assert by_key(past.by_agreement)["SDP"].counts == by_key(overview.by_agreement)["SDP"].counts


def test_as_of_judges_bodies_on_the_meetings_held_by_then(world):
    # Before its March 2024 meeting the SDD was long overdue against its establishment in January 2020.
    before = {item.body.short_name: item for item in dashboards.overview(on=dt.date(2024, 3, 1)).overdue_bodies}
    assert before["SDD"].days_overdue == (dt.date(2024, 3, 1) - dt.date(2021, 1, 1)).days
    # The last day of its grace period after that meeting: not yet overdue; the next day: 61 days late.
    grace_end = {i.body.short_name for i in dashboards.overview(on=dt.date(2025, 5, 14)).overdue_bodies}
    assert "SDD" not in grace_end
    next_day = {i.body.short_name: i for i in dashboards.overview(on=dt.date(2025, 5, 15)).overdue_bodies}
    assert next_day["SDD"].days_overdue == 61
    # Nothing is written: the stored schedule is untouched.
    world["sdd"].refresh_from_db()
    assert world["sdd"].last_meeting_on == dt.date(2024, 3, 15)


def test_as_of_stale_uses_the_history(world):
    past = dashboards.overview(on=dt.date(2025, 3, 1))
    # SPA Art. 4 was updated in June 2024, less than 12 months before March 2025.
    assert past.stale_count == 0 and past.stale == []
    later = dashboards.overview(on=dt.date(2025, 6, 2))
    assert later.stale_count == 1
    assert [(i.commitment.reference, i.status) for i in later.stale] == [("SPA Art. 4", Status.ONGOING)]


def test_as_of_stale_counts_never_updated_commitments_from_their_entry(world):
    with time_machine.travel(moment(dt.date(2023, 1, 10)), tick=False):
        old = CommitmentFactory(agreement=world["spa"], reference="SPA Art. 20")
    overview = dashboards.overview(on=dt.date(2024, 5, 1))
    # Entered in January 2023, never updated: stale 12 months later. SPA Art. 4 had no update yet either,
    # but was entered (by the factory) "today", so it does not count.
    assert [(i.commitment.reference, i.status, i.last_update) for i in overview.stale] == [
        ("SPA Art. 20", Status.NOT_STARTED, None)
    ]
    assert overview.stale_count == 1
    assert old in Commitment.objects.stale(on=dt.date(2024, 5, 1))


def test_as_of_counts_frameworks_without_a_signature_date(world):
    undated = AgreementFactory(code="UNDATED", signed_on=None)
    CommitmentFactory(agreement=undated, reference="UNDATED 1")
    rows = by_key(dashboards.overview(on=dt.date(2019, 1, 1)).by_agreement)
    assert rows["UNDATED"].counts == {Status.NOT_STARTED: 1}


def test_overview_refuses_the_future(world):
    with pytest.raises(ValueError):
        dashboards.overview(on=TODAY + dt.timedelta(days=1))


# --- What changed since ---------------------------------------------------------------------------------


def test_changes_list_every_transition_with_who_and_evidence(world):
    changes = dashboards.changes_since(since=dt.date(2026, 5, 16))
    assert changes.transition_count == 1
    (update,) = changes.transitions
    assert (update.commitment.reference, update.previous_status, update.status) == (
        "SDP §7",
        Status.IN_PROGRESS,
        Status.STALLED,
    )
    assert update.author == world["author"]
    assert update.evidence_url == "https://example.eu/report"


def test_changes_separate_reviews_and_progress_from_transitions(world):
    StatusUpdateFactory(commitment=world["untouched"], kind="review", note="Checked with the desk")
    StatusUpdateFactory(commitment=world["ongoing"], status=Status.ONGOING, progress=60)
    changes = dashboards.changes_since(since=dt.date(2026, 5, 16))
    assert changes.transition_count == 1
    assert changes.other_count == 2
    assert {u.commitment.reference for u in changes.other_updates} == {"SDP §9", "SPA Art. 4"}


def test_changes_list_meetings_held_in_the_window(world):
    changes = dashboards.changes_since(since=dt.date(2026, 5, 16))
    assert [(m.body.short_name, m.held_on) for m in changes.meetings] == [("BACK", dt.date(2026, 6, 5))]
    assert changes.meeting_count == 1


def test_changes_list_bodies_that_fell_overdue_in_the_window(world):
    found = {
        item.body.short_name: item for item in dashboards.changes_since(since=dt.date(2026, 5, 16)).became_overdue
    }
    assert set(found) == {"NEWLY", "BACK"}  # the SDD fell overdue in 2025, before the window
    assert found["NEWLY"].overdue_since == dt.date(2026, 6, 2)
    assert found["NEWLY"].days_overdue_now == 14 == world["newly"].days_overdue(on=TODAY)
    assert found["BACK"].overdue_since == dt.date(2026, 5, 21)
    assert found["BACK"].met_again_on == dt.date(2026, 6, 5)
    assert found["BACK"].days_overdue_now is None


def test_a_body_meeting_on_its_first_overdue_day_never_fell_overdue(frozen):
    body = DialogueBodyFactory(cadence_months=1, grace_days=0)
    MeetingFactory(body=body, held_on=dt.date(2026, 4, 1))  # due 1 May, overdue from 2 May
    MeetingFactory(body=body, held_on=dt.date(2026, 5, 2))
    MeetingFactory(body=body, held_on=dt.date(2026, 6, 1))
    assert dashboards.bodies_became_overdue(since=dt.date(2026, 4, 1), until=TODAY) == []


def test_changes_of_a_window_with_nothing_in_it_are_empty(world):
    changes = dashboards.changes_since(since=TODAY)
    assert changes.is_empty


# --- Cadence timeline and agreement page ------------------------------------------------------------------


def test_timeline_draws_the_cadence_and_the_overdue_gap(world):
    timeline = dashboards.cadence_timeline()
    rows = {row.body.short_name: row for row in timeline.rows}
    assert next(iter(rows)) == "SUMMIT"  # leaders first
    sdd = rows["SDD"]
    assert sdd.meetings == [dt.date(2024, 3, 15)]
    assert sdd.days_overdue == 457
    assert sdd.overdue_spans[-1].start == dt.date(2025, 5, 15)
    assert sdd.overdue_spans[-1].end == TODAY
    assert sdd.overdue_spans[-1].days_late == 457  # counted from the due date, like days_overdue
    assert sdd.days_late_total == 457 + (dt.date(2024, 3, 15) - dt.date(2021, 1, 1)).days
    back = rows["BACK"]
    # Established in January 2020 with a 3-month cadence, it first met in February 2026: two gaps.
    assert [(s.start, s.end) for s in back.overdue_spans] == [
        (dt.date(2020, 4, 2), dt.date(2026, 2, 20)),
        (dt.date(2026, 5, 21), dt.date(2026, 6, 5)),
    ]
    assert back.days_overdue is None
    assert timeline.start == dt.date(2020, 1, 1)


def test_timeline_starts_at_what_it_draws_not_at_an_old_body_that_draws_nothing(world):
    # An ad hoc body established decades ago that never met draws nothing: it must not stretch the axis.
    DialogueBodyFactory(short_name="OLD", cadence_months=None, established_on=dt.date(1987, 1, 1))
    timeline = dashboards.cadence_timeline()
    assert timeline.start == dt.date(2020, 1, 1)


def test_timeline_filters_by_framework_and_year(world):
    timeline = dashboards.cadence_timeline(agreement="SDP", from_year=2023)
    assert [row.body.short_name for row in timeline.rows] == ["SDD"]
    assert timeline.start == dt.date(2023, 1, 1)


def test_agreement_page_groups_commitments_by_policy_area(world):
    page = dashboards.agreement_page(code="SDP")
    assert [(g.breakdown.label, [c.reference for c in g.commitments]) for g in page.areas] == [
        ("Maritime security", ["SDP §3"]),
        ("Cyber security", ["SDP §7", "SDP §9"]),
    ]
    assert page.total.counts == {Status.ACHIEVED: 1, Status.STALLED: 1, Status.NOT_STARTED: 1}
    assert [b.short_name for b in page.bodies] == ["SDD"]


# --- Pages ------------------------------------------------------------------------------------------------


def test_fresh_install_pages_read_well(reviewer_client):
    home = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert "Nothing to show yet" in home
    changes = reviewer_client.get(reverse("dashboards:changes")).content.decode()
    assert "Nothing changed in this period" in changes
    timeline = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    assert "No dialogue body is recorded yet" in timeline


def test_overview_page_shows_bars_and_their_numbers(reviewer_client, world):
    response = reviewer_client.get(reverse("dashboards:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="SDP: 3 commitments: 1 achieved, 1 not started, 1 stalled; 33% achieved."' in content
    assert "Security and Defence Dialogue" in content and "457 days" in content
    # The EMPTY framework has no commitment: named once in a folded line, not as a row of zeros.
    assert "No commitment recorded yet:" in content and ">EMPTY</a>" in content


def test_as_of_page_says_it_is_rebuilt(reviewer_client, world):
    response = reviewer_client.get(reverse("dashboards:home"), {"as_of": "2026-05-01"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "as it stood on 1 May 2026" in content
    assert "No dialogue meeting since 2024" not in content  # the stall recorded on 1 June
    # The key to the bars speaks of that day, not of today.
    assert "count its state on that day" in content and "count its state today" not in content
    today = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert "count its state today" in today


@pytest.mark.parametrize(
    ("value", "message"), [("2026-06-16", "cannot show the future"), ("yesterday", "Enter a valid date")]
)
def test_as_of_page_rejects_bad_dates_clearly(reviewer_client, world, value, message):
    response = reviewer_client.get(reverse("dashboards:home"), {"as_of": value})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_changes_page_defaults_to_30_days(reviewer_client, world):
    content = reviewer_client.get(reverse("dashboards:changes")).content.decode()
    assert "What changed since 16 May 2026" in content
    assert "the last 30 days" in content
    assert "No dialogue meeting since 2024" in content and "Aiko Tanaka" in content
    recovered = world["recovered"].meetings.get(held_on=dt.date(2026, 6, 5))
    assert f'<option value="{recovered.pk}">5 Jun 2026 — ' in content  # a past meeting to pick


def test_changes_page_lists_the_latest_first_and_more_on_request(reviewer_client, world, monkeypatch):
    # A long window lists the latest PAGE_LIST_LIMIT of each kind; the count stays the true total, and a link
    # lists the latest LIST_LIMIT.
    StatusUpdateFactory(commitment=world["untouched"], kind="review", note="Checked with the desk")
    StatusUpdateFactory(commitment=world["ongoing"], status=Status.ONGOING, progress=60)
    monkeypatch.setattr(dashboards, "PAGE_LIST_LIMIT", 1)
    content = reviewer_client.get(reverse("dashboards:changes")).content.decode()
    assert "<strong>2</strong> other updates" in content
    assert "(the latest 1 of 2; " in content
    links = re.findall(r'<a href="([^"]+)#other-updates"[^>]*>show the latest 500</a>', content)
    assert links == ["/changes/?since=2026-05-16&amp;more=1"]
    assert ("SDP §9" in content) != ("SPA Art. 4" in content)  # only the latest of the two

    more = reviewer_client.get(reverse("dashboards:changes"), {"since": "2026-05-16", "more": "1"})
    assert more.status_code == 200
    content = more.content.decode()
    assert "SDP §9" in content and "SPA Art. 4" in content
    assert "the latest 1 of 2" not in content and "show the latest" not in content


def test_changes_page_with_room_for_everything_offers_no_more(reviewer_client, world):
    content = reviewer_client.get(reverse("dashboards:changes")).content.decode()
    assert "show the latest" not in content and "Show the latest" not in content


def test_changes_page_rejects_bad_dates_clearly(reviewer_client, world):
    response = reviewer_client.get(reverse("dashboards:changes"), {"since": "2099-01-01"})
    assert response.status_code == 400
    assert "cannot show the future" in response.content.decode()


def test_timeline_page_highlights_overdue_bodies(reviewer_client, world):
    content = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    assert 'class="body-row is-overdue" data-body="SDD"' in content
    assert 'class="body-row" data-body="SUMMIT"' in content
    assert reviewer_client.get(reverse("dashboards:timeline"), {"from_year": "3000"}).status_code == 400
    assert reviewer_client.get(reverse("dashboards:timeline"), {"agreement": "NOPE"}).status_code == 400


def test_agreement_page_shows_areas_and_bodies(reviewer_client, world):
    content = reviewer_client.get(world["sdp"].get_absolute_url()).content.decode()
    # The browser's tab (and a bookmark, a printed page's header) names the framework, not only its code.
    assert f"<title>SDP: {world['sdp'].title} · EU–Japan tracker</title>" in content
    assert "Cyber security" in content and "SDP §9" in content
    assert "Overdue: 457 days past due" in content


def test_agreement_page_leaves_out_columns_no_commitment_fills(reviewer_client, world):
    # No commitment of the SDP has a target date or reports progress: no column of dashes or "not reported".
    Commitment.objects.filter(agreement=world["sdp"]).update(progress=None, target_date=None)
    content = reviewer_client.get(world["sdp"].get_absolute_url()).content.decode()
    assert "not reported" not in content and 'data-label="Target date"' not in content
    assert "reports progress or has a target date, so the tables leave those columns out" in content
    Commitment.objects.filter(pk=world["untouched"].pk).update(target_date=dt.date(2027, 6, 30))
    content = reviewer_client.get(world["sdp"].get_absolute_url()).content.decode()
    assert 'data-label="Target date"' in content and "30 Jun 2027" in content
    assert "reports progress, so the tables leave that column out" in content


# --- CSV export -------------------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_applies_the_list_filters(reviewer_client, world):
    response = reviewer_client.get(
        reverse("commitments:commitment_export_csv"), {"agreement": "SDP", "status": "stalled"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="commitments-2026-06-15.csv"'
    rows = read_csv(response)
    assert [(r["reference"], r["status_label"], r["responsible_body"]) for r in rows] == [("SDP §7", "Stalled", "SDD")]
    assert rows[0]["page_url"].endswith(world["stalled"].get_absolute_url())
    assert rows[0]["latest_note"] == "No dialogue meeting since 2024"
    assert rows[0]["latest_evidence_url"] == "https://example.eu/report"


def test_csv_export_without_filters_lists_everything(reviewer_client, world):
    rows = read_csv(reviewer_client.get(reverse("commitments:commitment_export_csv")))
    assert len(rows) == Commitment.objects.count() == 4


def test_csv_export_rejects_invalid_filters_and_exports_nothing(reviewer_client, world):
    response = reviewer_client.get(reverse("commitments:commitment_export_csv"), {"status": "finished"})
    assert response.status_code == 400
    assert "Status" in response.content.decode() and "not valid" in response.content.decode()


def test_csv_export_neutralises_spreadsheet_formulas(reviewer_client, world):
    CommitmentFactory(agreement=world["spa"], reference="SPA X", title='=HYPERLINK("http://evil")')
    rows = read_csv(reviewer_client.get(reverse("commitments:commitment_export_csv"), {"search": "SPA X"}))
    assert rows[0]["title"].startswith("'=")


def test_commitment_list_links_to_the_same_list_as_csv(reviewer_client, world):
    content = reviewer_client.get(reverse("commitments:commitment_list"), {"agreement": "SDP", "status": "stalled"})
    link = reverse("commitments:commitment_export_csv") + "?agreement=SDP&amp;status=stalled"
    assert link in content.content.decode()


def test_csv_export_needs_sign_in(client, world):
    response = client.get(reverse("commitments:commitment_export_csv"))
    assert response.status_code == 302


# --- Queries do not grow with the data --------------------------------------------------------------------


def _grow(world, n: int = 12) -> None:
    """Many more frameworks, commitments, updates, bodies, meetings and overdue flags of every kind."""
    OverdueFlagFactory(body=world["sdd"], due_on=dt.date(2025, 3, 15), overdue_since=dt.date(2025, 5, 15))
    OverdueFlagFactory(body=world["newly"], due_on=dt.date(2026, 6, 1), overdue_since=dt.date(2026, 6, 2))
    for i in range(n):
        agreement = AgreementFactory(code=f"GROW-{i}", signed_on=dt.date(2019, 1, 1))
        body = DialogueBodyFactory(short_name=f"GROW-{i}", agreements=[agreement], reports_to=world["summit"])
        MeetingFactory(body=body, held_on=dt.date(2025, 1, 1) + dt.timedelta(days=i))
        MeetingFactory(body=body, held_on=TODAY - dt.timedelta(days=i))
        for j, area in enumerate((PolicyArea.SPACE, PolicyArea.TRADE, PolicyArea.DIGITAL)):
            commitment = CommitmentFactory(agreement=agreement, area=area, responsible_body=body)
            StatusUpdateFactory(commitment=commitment, recorded_at=moment(TODAY - dt.timedelta(days=j + i)))
            StatusUpdateFactory(
                commitment=commitment,
                status=Status.ACHIEVED,
                evidence_reference="Report",
                recorded_at=moment(TODAY - dt.timedelta(days=j)),
            )
        # A joint commitment with each party's status (before the as-of day too) and an overdue milestone.
        joint = CommitmentFactory(agreement=agreement, actor=Actor.BOTH, responsible_body=body)
        for version, (party, status) in enumerate(((Party.EU, Status.IN_PROGRESS), (Party.JAPAN, Status.STALLED))):
            commitment_update_party_status(
                commitment=joint,
                expected_version=version,
                author=None,
                party=party,
                status=status,
                recorded_at=moment(dt.date(2025, 6, 1) + dt.timedelta(days=i)),
            )
        MilestoneFactory(commitment=joint, due_on=dt.date(2025, 1, 1))


def _queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured)


PAGES = [
    ("dashboards:home", {}),
    ("dashboards:home", {"as_of": "2026-01-31"}),
    ("dashboards:changes", {}),
    ("dashboards:changes", {"since": "2024-01-01"}),
    ("dashboards:timeline", {}),
    ("commitments:commitment_export_csv", {"status": ["achieved", "in_progress"]}),
]


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_dashboards_do_not_grow_in_queries_with_the_data(reviewer_client, world, name, params):
    url = reverse(name)
    few = _queries(reviewer_client, url, params)
    _grow(world)
    many = _queries(reviewer_client, url, params)
    assert many == few, f"{name} {params}: {few} queries with little data, {many} with more"
    # The overview adds the "since the last meeting" counts (4), the passed target dates (2), the overdue
    # milestones (2), the split by who must act (2; 3 as of a past day: each party's status then) and the data
    # generation its body is kept under (1) to its 11.
    assert few <= (23 if params.get("as_of") else 22)


def test_agreement_page_does_not_grow_in_queries_with_the_data(reviewer_client, world):
    few = _queries(reviewer_client, world["sdp"].get_absolute_url())
    for area in PolicyArea.values:
        commitment = CommitmentFactory(agreement=world["sdp"], area=area, responsible_body=world["sdd"])
        StatusUpdateFactory(commitment=commitment)
    world["sdp"].dialogue_bodies.add(DialogueBodyFactory(), DialogueBodyFactory(reports_to=world["summit"]))
    many = _queries(reviewer_client, world["sdp"].get_absolute_url())
    assert many == few <= 10


# --- The overview's body kept under the data generation (core.fragments) ---------------------------------------


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_a_repeated_overview_is_not_computed_again_but_any_write_or_a_new_day_is_seen(  # and what changed
    reviewer_client, editor, world, frozen
):
    from commitments.services import commitment_update_status
    from core import fragments

    fragments.clear_local()
    url = reverse("dashboards:home")
    changes = reverse("dashboards:changes")
    assert "Talks broke off over fisheries" not in reviewer_client.get(changes).content.decode()
    first = reviewer_client.get(url)
    with CaptureQueriesContext(connection) as captured:
        again = reviewer_client.get(url)
    assert _without_csrf(again) == _without_csrf(first)
    # The session, its user and the generation: no count, no list.
    assert not any("commitments_commitment" in q["sql"] for q in captured.captured_queries)
    commitment = Commitment.objects.order_by("pk").first()
    commitment_update_status(
        commitment=commitment,
        expected_version=commitment.version,
        author=editor,
        status=Status.STALLED,
        note="Talks broke off over fisheries",
    )
    assert "Talks broke off over fisheries" in reviewer_client.get(url).content.decode()
    assert "Talks broke off over fisheries" in reviewer_client.get(changes).content.decode()
    with time_machine.travel(moment(TODAY + dt.timedelta(days=1), 10), tick=False):
        with CaptureQueriesContext(connection) as captured:
            assert reviewer_client.get(url).status_code == 200
        assert any("commitments_commitment" in q["sql"] for q in captured.captured_queries)


def test_the_kept_overview_body_holds_nothing_of_the_reader(client, world, frozen):
    """The name in the print header is outside the kept body: two readers of the same role each see their own."""
    from core import fragments

    fragments.clear_local()
    first, second = (
        UserFactory(reviewer=True, username=name, first_name=name.title(), last_name="Reader")
        for name in ("hana", "kenji")
    )
    client.force_login(first)
    assert "by Hana Reader" in client.get(reverse("dashboards:home")).content.decode()
    client.force_login(second)
    page = client.get(reverse("dashboards:home")).content.decode()
    assert "by Kenji Reader" in page and "Hana" not in page


def test_the_bars_say_they_count_the_recorded_status_not_the_state(reviewer_client, world):
    """The figures at the top count states (a "not started" commitment may be stale), the bars recorded statuses: the
    overview and a framework's page say which is which, so two "not started" counts do not read as a contradiction."""
    agreement = Commitment.objects.order_by("pk").first().agreement
    for url in (reverse("dashboards:home"), agreement.get_absolute_url()):
        text = " ".join(strip_tags(reviewer_client.get(url).content.decode()).split())
        assert "The bars count each commitment's last recorded status" in text, url
        assert "a status not updated for 12 months counts as stale" in text, url


# --- A date the documents give as a month is a month --------------------------------------------------------


@pytest.fixture
def met_in_january(world):
    """SPACE met in January 2023 (day unknown: stored on the 1st), then on 5 February 2024."""
    space = DialogueBodyFactory(
        short_name="SPACE", name="Space Policy Dialogue", cadence_months=12, established_on=dt.date(2015, 1, 1)
    )
    MeetingFactory(body=space, held_on=dt.date(2023, 1, 1), held_on_precision="month")
    MeetingFactory(body=space, held_on=dt.date(2024, 2, 5))
    return space


def test_changes_page_shows_a_month_precise_meeting_as_its_month(reviewer_client, met_in_january):
    content = reviewer_client.get(reverse("dashboards:changes"), {"since": "2022-12-01"}).content.decode()
    assert '<td class="date" data-label="Held on">Jan 2023</td>' in content
    assert '<td class="date" data-label="Held on">5 Feb 2024</td>' in content  # a day that is known stays
    # The picker of a meeting to look back from: the month as its label; a date typed in picks no meeting.
    january = met_in_january.meetings.get(held_on=dt.date(2023, 1, 1))
    assert f'<option value="{january.pk}">Jan 2023 — Space Policy Dialogue</option>' in content
    assert "1 Jan 2023" not in content and "1 January 2023" not in content


def test_what_changed_since_a_month_precise_meeting_names_the_meeting_and_its_month(reviewer_client, met_in_january):
    january = met_in_january.meetings.get(held_on=dt.date(2023, 1, 1))
    response = reviewer_client.get(reverse("dashboards:changes"), {"meeting": january.pk})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>What changed since the meeting of Space Policy Dialogue in January 2023</h1>" in content
    assert f'<option value="{january.pk}" selected>Jan 2023 — Space Policy Dialogue</option>' in content
    # The window starts after the last day the meeting may have been held: what came since, not the meeting itself.
    assert '<td class="date" data-label="Held on">Jan 2023</td>' not in content
    assert '<td class="date" data-label="Held on">5 Feb 2024</td>' in content
    assert response.context["shown_since"] == dt.date(2023, 2, 1)


def test_what_changed_since_an_unknown_or_withdrawn_meeting_is_a_400_that_says_so(reviewer_client, met_in_january):
    january = met_in_january.meetings.get(held_on=dt.date(2023, 1, 1))
    type(january).objects.filter(pk=january.pk).update(withdrawn_at=timezone.now(), withdrawal_reason="Wrong body")
    for value in (january.pk, 999999, "x"):
        response = reviewer_client.get(reverse("dashboards:changes"), {"meeting": value})
        assert response.status_code == 400
        assert "That meeting is not in the tracker, or was withdrawn: pick one from the list." in (
            response.content.decode()
        )


def test_timeline_shows_a_month_precise_meeting_as_its_month(reviewer_client, met_in_january):
    content = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    assert "<li>Jan 2023</li><li>5 Feb 2024</li>" in content
    assert "Met in Jan 2023" in content and "Met on 5 Feb 2024" in content  # the chart's marks
    # The band restarts at the meeting and is due a year on, known to the month as the meeting is; the grace
    # period and the overdue stretch counted from that due date are known to the month too.
    assert "Cadence: Jan 2023 – Jan 2024" in content
    assert "Grace: Jan 2024 – " in content
    assert "1 Jan 2023" not in content and "01 Jan 2023" not in content and "1 Jan 2024" not in content


def test_a_body_that_met_again_in_a_month_and_the_overview_picker_say_the_month(reviewer_client, world):
    """BACK fell overdue on 21 May 2026 and met again in June 2026, day unknown (stored on the 1st)."""
    world["recovered"].meetings.filter(held_on=dt.date(2026, 6, 5)).update(
        held_on=dt.date(2026, 6, 1), held_on_precision="month"
    )
    changes = reviewer_client.get(reverse("dashboards:changes"), {"since": "2026-05-16"}).content.decode()
    assert "met in Jun 2026" in changes and "met on 1 Jun 2026" not in changes
    overview = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert ">Recovered dialogue (Jun 2026)</option>" in overview
    picked = reviewer_client.get(reverse("dashboards:home"), {"since_body": world["recovered"].short_name})
    # What came after a meeting of some day in June cannot be told apart before June is over.
    assert (
        '<p class="since-summary">Since its meeting in June 2026: nothing to count yet, the days after it start on '
        "1 July 2026.</p>"
    ) in picked.content.decode()
    assert "Since 1 June 2026" not in picked.content.decode()


def test_a_framework_page_names_the_instruments_under_it(reviewer_client):
    framework = AgreementFactory(code="SDPX", title="Security and Defence Partnership")
    AgreementFactory(code="SOIAX", title="Security of Information Agreement", parent=framework)
    content = reviewer_client.get(framework.get_absolute_url()).content.decode()
    assert "Security of Information Agreement</a> (SOIAX)" in content


def test_no_stale_commitment_does_not_claim_each_was_updated(reviewer_client, frozen):
    """A commitment never updated, entered less than 12 months ago, is not stale; the empty list must not say that
    every open commitment was updated or reviewed, since this one never was."""
    CommitmentFactory(reference="SDP §9")
    content = strip_tags(reviewer_client.get(reverse("dashboards:home")).content.decode())
    assert "No commitment is stale: none has gone 12 months without an update or review" in content
    assert "has been updated or reviewed" not in content
