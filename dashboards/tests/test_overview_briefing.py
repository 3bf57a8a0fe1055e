"""The overview as a briefing, on the seed data: frameworks in briefing order with instruments folded under them,
bars on one absolute scale, linked figures, passed target dates, changes since a body's last meeting, and
"what changed" grouped by framework with long notes shortened."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from commitments.models import Commitment
from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory
from core.templatetags.facts import format_approx_date_on
from dashboards import selectors
from dialogues.models import DialogueBody

pytestmark = pytest.mark.django_db


def test_six_frameworks_first_with_their_instruments_folded_under_them(seed_data):
    overview = selectors.overview()
    mains = [group.main.key for group in overview.frameworks if group.main]
    assert mains == list(selectors.MAIN_FRAMEWORKS)
    groups = {group.main.key if group.main else "": group for group in overview.frameworks}
    assert {item.key for item in groups["DP"].instruments} == {"SEMI-MOC", "CABLE-MOC"}
    assert "SOIA" in {item.key for item in groups["SDP"].instruments}
    assert "DATA-FLOWS" in {item.key for item in groups["EPA"].instruments}
    # SCQI, GA, DP and SDP sit under the SPA but are frameworks of their own, not SPA instruments.
    assert not {"SCQI", "GA", "DP", "SDP"} & {item.key for item in groups["SPA"].instruments}
    assert {"HAGUE-1991", "AP-2001", "FPA"} <= {item.key for item in groups[""].instruments}


def test_bars_share_one_absolute_scale(seed_data):
    overview = selectors.overview()
    assert overview.scale == Commitment.objects.filter(agreement__code="SDP").count()
    sdp = next(row for row in overview.by_agreement if row.key == "SDP")
    assert sum(s.width for s in sdp.segments_on(overview.scale)) == pytest.approx(100)
    small = next(row for row in overview.by_agreement if row.total == 1)
    assert sum(s.width for s in small.segments_on(overview.scale)) == pytest.approx(100 / overview.scale)


def test_every_figure_links_to_its_filtered_list(seed_data, reviewer_client):
    content = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert 'href="/commitments/?state=achieved"' in content
    assert 'href="/commitments/?state=moving"' in content
    assert 'href="/commitments/?state=stale"' in content
    assert 'href="/dialogues/?overdue=true"' in content
    assert 'href="/commitments/?target_passed=true"' in content
    assert 'href="/commitments/?agreement=SDP&amp;status=not_started"' in content
    # Following a key figure gives the number it shows, and each commitment counts in exactly one state.
    figures = {f["key"]: f["count"] for f in selectors.overview().headline.figures}
    assert sum(figures.values()) == Commitment.objects.count()
    for state, count in figures.items():
        listed = reviewer_client.get("/commitments/", {"state": state})
        assert listed.context["page_obj"].paginator.count == count, state


def test_passed_target_dates_exclude_finished_commitments(seed_data, reviewer_client):
    today = timezone.localdate()
    open_one = CommitmentFactory(reference="TST §1", target_date=today - dt.timedelta(days=40))
    done = CommitmentFactory(reference="TST §2", target_date=today - dt.timedelta(days=400))
    StatusUpdateFactory(commitment=done, status="achieved", progress=100, evidence_reference="Report")
    done.refresh_from_db()
    count, rows = selectors.target_dates_passed(on=today, limit=50)
    assert open_one in rows and done not in rows
    listed = reviewer_client.get("/commitments/", {"target_passed": "true"})
    references = {c.reference for c in listed.context["commitments"]}
    assert "TST §1" in references and "TST §2" not in references
    assert listed.context["page_obj"].paginator.count == count
    assert "Target date" in listed.content.decode()


def test_changes_since_the_last_meeting_of_the_chosen_body(seed_data, reviewer_client):
    bodies = selectors.bodies_that_met()
    chosen = bodies[-1]
    response = reviewer_client.get(reverse("dashboards:home"), {"since_body": chosen.short_name})
    since = response.context["since"]
    assert since.body == chosen and since.since == selectors.day_after_meeting(
        chosen.last_held, chosen.last_held_precision
    )
    assert f"Since the last meeting of the {chosen.name}" in response.content.decode()
    default = reviewer_client.get(reverse("dashboards:home")).context["since"]
    assert default.body == bodies[0]  # the highest-level body that has met
    assert DialogueBody.objects.get(pk=default.body.pk).level == "leaders"


def test_what_changed_is_grouped_by_framework_and_shortens_long_notes(seed_data, reviewer_client):
    commitment = Commitment.objects.filter(agreement__code="SEMI-MOC").first()
    long_note = "Word " * 80 + "the very end."
    StatusUpdateFactory(commitment=commitment, status="stalled", note=long_note)
    changes = selectors.changes_since(since=dt.date(2023, 1, 1))
    codes = [group.code for group in changes.transition_groups]
    assert codes == sorted(codes, key=lambda c: (*selectors.MAIN_FRAMEWORKS, "").index(c))
    dp = next(group for group in changes.transition_groups if group.code == "DP")
    assert commitment.reference in [u.commitment.reference for u in dp.updates]  # an instrument, under DP
    content = reviewer_client.get(reverse("dashboards:changes"), {"since": "2023-01-01"}).content.decode()
    assert "Read the whole note" in content and "the very end." in content


def test_long_overdue_periods_are_also_given_in_years(seed_data, reviewer_client):
    content = reviewer_client.get(reverse("dashboards:home")).content.decode()
    long_overdue = [item for item in selectors.overdue_bodies() if item.days_overdue >= 730]
    assert long_overdue, "the seed data has a body overdue for years"
    for item in long_overdue:
        years = f"(about {round(item.days_overdue / 365)} years)"
        if item.body.last_meeting_on is None:  # overdue from its start: the record is what is missing
            assert (
                f"no meeting recorded since it started {format_approx_date_on(*item.body.start_if_never_met)}<"
                in content
            )
        elif item.body.schedule_precision == "day":
            assert f"{item.days_overdue:,} days past due {years}" in content
        else:  # a due date known to the month or the year is no count of days
            assert f"past due since {item.due_display} {years}" in content
    # Under two years, no round number of years (the seed's one is the SDD, overdue from its start).
    short = next(item for item in selectors.overdue_bodies() if item.days_overdue < 730)
    badge = re.search(rf'data-body="{short.body.short_name}".*?class="badge overdue">(.*?)<', content, re.S).group(1)
    assert "about" not in badge and "year" not in badge
    assert badge == "no meeting recorded since it started on 1 November 2024"


def test_a_due_date_is_known_only_as_far_as_the_date_it_counts_from(seed_data, reviewer_client):
    """The Space Dialogue last met in "January 2023" and the Cyber Dialogue started in "2014" without a meeting
    since: their next meetings were due in January 2024 and in 2015, no more precisely, on every page that says so."""
    pages = {
        "overview": reverse("dashboards:home"),
        "bodies": reverse("dialogues:body_list"),
        "space": reverse("dialogues:body_detail", args=["SPACE"]),
        "cyber": reverse("dialogues:body_detail", args=["CYBER"]),
    }
    text = {}
    for name, url in pages.items():
        text[name] = " ".join(strip_tags(reviewer_client.get(url).content.decode()).split())
    for name, page in text.items():
        assert "1 Jan 2024" not in page and "1 January 2024" not in page, name
        assert "1 Jan 2015" not in page and "1 January 2015" not in page, name
    assert "past due since January 2024 (about" in text["overview"] and "due January 2024" in text["overview"]
    assert "Japan–EU Cyber Dialogue no meeting recorded since it started in 2014" in text["overview"]
    assert "due 2015 · meets every 12 months" in text["overview"]
    assert "past due since 2015" not in text["overview"]
    assert "Overdue: past due since Jan 2024" in text["space"]
    assert "its meeting was due in January 2024" in text["space"]
    assert "<dt>Next meeting due</dt><dd>January 2024</dd>" in reviewer_client.get(pages["space"]).content.decode()
    assert "Overdue: no meeting recorded since it started in 2014" in text["cyber"]
    assert "<dt>Next meeting due</dt><dd>2015</dd>" in reviewer_client.get(pages["cyber"]).content.decode()
    # A body whose last meeting has a day keeps its count of days.
    summit = DialogueBody.objects.with_last_meeting_precision().get(short_name="SUMMIT")
    assert f"{summit.days_overdue():,} days past due" in text["overview"]


def test_a_commitment_page_gives_its_bodys_due_date_to_the_same_precision(seed_data, reviewer_client):
    """COPERNICUS (EP-IDA §2.6) is the Space Dialogue's, which last met in "January 2023": its page says the body is
    past due since January 2024, as the body's own page does, not by a count of days from 1 January."""
    commitment = Commitment.objects.get(reference="COPERNICUS (EP-IDA §2.6)")
    assert commitment.responsible_body.short_name == "SPACE"
    page = " ".join(strip_tags(reviewer_client.get(commitment.get_absolute_url()).content.decode()).split())
    assert "past due since January 2024 (about" in page and "its meeting was due in January 2024" in page
    assert "1 January 2024" not in page


def test_bodies_with_no_meeting_in_the_tracker_are_not_said_never_to_have_met(seed_data, reviewer_client):
    """The documents say the Cyber Dialogue has met regularly since 2014 without dating a meeting: the tracker
    records none, which is all the pages may say; nor do they speak of the tracker's own machinery."""
    pages = {
        "overview": reverse("dashboards:home"),
        "bodies": reverse("dialogues:body_list"),
        "timeline": reverse("dashboards:timeline"),
        "framework": reverse("dashboards:agreement_detail", args=["SDP"]),
        "cyber": reverse("dialogues:body_detail", args=["CYBER"]),
    }
    for name, url in pages.items():
        text = " ".join(strip_tags(reviewer_client.get(url).content.decode()).split())
        assert "never met" not in text.lower() and "last met never" not in text, name
        assert "daily check" not in text, name
    overview = " ".join(strip_tags(reviewer_client.get(pages["overview"]).content.decode()).split())
    assert "last met none recorded" in overview  # the Cyber Dialogue, past due since 2015
    assert "contacts not yet e-mailed" in overview  # no sweep has run on a freshly seeded database
    cyber = reviewer_client.get(pages["cyber"]).content.decode()
    assert "Overdue: no meeting recorded since it started in 2014" in cyber
    assert "<dt>Last met</dt><dd>no meeting recorded</dd>" in cyber
