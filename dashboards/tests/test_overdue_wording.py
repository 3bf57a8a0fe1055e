"""One vocabulary for a late body, on every page: "due" names the due date, "overdue since" only the first day
after the grace period, and the count of days runs from the due date as "N days past due" (or, for a due date the
documents give only to the month, "past due since January 2024"). The seed's Space Dialogue last met in "January
2023" (due by the end of January 2024, to the month; with its grace, overdue from 1 April); the High-Level Dialogue
on Environment on 23 January 2023 (due on 23 January 2024, to the day); both with 60 days' grace."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from dashboards import selectors
from dialogues.models import DialogueBody
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return " ".join(strip_tags(html).split())


def _row(html: str, table_id: str, short_name: str) -> str:
    table = html[html.index(f'id="{table_id}"') :]
    match = re.search(rf'<tr data-body="{re.escape(short_name)}".*?</tr>', table, re.S)
    assert match, short_name
    return match.group(0)


def _cell(row: str, label: str) -> str:
    match = re.search(rf'data-label="{re.escape(label)}"[^>]*>(.*?)</td>', row, re.S)
    assert match, label
    return _text(match.group(1))


@pytest.fixture
def late(seed_data):
    """The two seed bodies the review compared: (Space, month-precise), (Environment, day-precise)."""
    bodies = DialogueBody.objects.with_last_meeting_precision()
    space, env = bodies.get(short_name="SPACE"), bodies.get(short_name="HLD-ENV")
    assert (space.schedule_precision, space.next_due_on, space.grace_days) == ("month", dt.date(2024, 1, 31), 60)
    assert (env.schedule_precision, env.next_due_on, env.grace_days) == ("day", dt.date(2024, 1, 23), 60)
    assert space.is_overdue() and env.is_overdue()
    return space, env


def test_changes_page_names_one_overdue_since_date_per_row(late, reviewer_client):
    env = late[1]
    html = reviewer_client.get(reverse("dashboards:changes"), {"since": "2023-01-01"}).content.decode()
    row = _row(html, "became-overdue", "SPACE")
    assert _cell(row, "Meeting due by") == "Jan 2024"
    assert _cell(row, "Overdue since") == "Apr 2024"
    now = _cell(row, "Now")
    assert now.startswith("past due since January 2024 (about ")
    assert "overdue since" not in now.lower() and "days" not in now
    row = _row(html, "became-overdue", "HLD-ENV")
    assert _cell(row, "Meeting due by") == "23 Jan 2024"
    assert _cell(row, "Overdue since") == "24 Mar 2024"
    # The count runs from the due date shown beside it, and says so.
    assert _cell(row, "Now").startswith(f"{env.days_overdue():,} days past due")
    assert "overdue by" not in _text(html).lower()


def test_changes_headline_counts_bodies_not_times(late, reviewer_client):
    changes = selectors.changes_since(since=dt.date(2023, 1, 1))
    times = len(changes.became_overdue)
    bodies = len({item.body.pk for item in changes.became_overdue})
    assert times == bodies + 1, "the Summit fell overdue twice in the window"
    html = reviewer_client.get(reverse("dashboards:changes"), {"since": "2023-01-01"}).content.decode()
    headline = _text(html[html.index('id="changes-summary"') :].split("</p>", 1)[0])
    assert f"{bodies} bodies fell overdue ({times} times)." in headline
    assert f"{times} bodies fell overdue" not in headline


def test_body_pages_name_the_due_date_and_the_first_overdue_day_apart(late, reviewer_client):
    space, env = late
    page = _text(reviewer_client.get(space.get_absolute_url()).content.decode())
    assert "Overdue: past due since Jan 2024" in page
    assert "its meeting was due in January 2024; with 60 days' grace, it has been overdue since April 2024." in page, (
        page
    )
    assert "Overdue since Jan" not in page and "overdue since January" not in page.replace("past due since", "")
    page = _text(reviewer_client.get(env.get_absolute_url()).content.decode())
    assert f"Overdue: {env.days_overdue():,} days past due" in page
    due_and_since = (
        "its meeting was due on 23 January 2024; with 60 days' grace, it has been overdue since 24 March 2024"
    )
    assert f"{due_and_since}." in page


def test_overview_counts_from_the_due_date_it_shows(late, reviewer_client):
    env = late[1]
    html = reviewer_client.get(reverse("dashboards:home")).content.decode()
    items = {
        name: _text(re.search(rf'<li data-body="{re.escape(name)}".*?</li>', html, re.S).group(0))
        for name in ("SPACE", "HLD-ENV")
    }
    assert "past due since January 2024 (about" in items["SPACE"] and "due January 2024" in items["SPACE"]
    assert "overdue since January" not in items["SPACE"].replace("past due since", "")
    assert f"{env.days_overdue():,} days past due" in items["HLD-ENV"] and "due 23 January 2024" in items["HLD-ENV"]


def test_timeline_table_gives_no_day_count_from_a_month(late, reviewer_client):
    space, env = late
    html = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    header = "Time past due, all overdue periods"
    space_late = _cell(_row(html, "cadence-table", "SPACE"), header)
    assert re.fullmatch(r"about \d+ years", space_late), space_late
    env_row = _row(html, "cadence-table", "HLD-ENV")
    assert _cell(env_row, header) == f"{env.days_overdue():,} days"
    # The exact count stays with the row for machines, and the rows keep their order.
    rows = selectors.cadence_timeline().rows
    space_total = next(row.days_late_total for row in rows if row.body.short_name == "SPACE")
    assert space_total >= space.days_overdue() and f'data-days="{space_total}"' in _row(html, "cadence-table", "SPACE")
    order = re.findall(r'<tr data-body="([^"]+)"', html[html.index('id="cadence-table"') :])
    assert order == [row.body.short_name for row in rows]


def test_timeline_gives_the_longest_gap_between_meetings_only_as_far_as_their_dates_are_known(
    seed_data, reviewer_client
):
    """The High-Level Economic Dialogue met in "October 2022" and in "June 2023" (months only): seven to nine months
    apart, "about 8 months", not the 243 days between two firsts of the month no document gives. Two meetings
    dated to the day keep their count of days."""
    html = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    header = "Longest gap between meetings"
    assert _cell(_row(html, "cadence-table", "HLED"), header) == "about 8 months"
    assert "243" not in _row(html, "cadence-table", "HLED")
    body = DialogueBodyFactory(short_name="DAYS")
    for held_on in (dt.date(2021, 5, 3), dt.date(2022, 5, 2), dt.date(2022, 11, 30)):
        MeetingFactory(body=body, held_on=held_on)
    html = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    assert _cell(_row(html, "cadence-table", "DAYS"), header) == "364 days"
    assert _cell(_row(html, "cadence-table", "SUMMIT"), header) != "—"
    single = DialogueBodyFactory(short_name="ONCE")
    MeetingFactory(body=single, held_on=dt.date(2022, 5, 2))
    html = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    assert _cell(_row(html, "cadence-table", "ONCE"), header) == "—"
