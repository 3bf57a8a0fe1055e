""" "Since its meeting": the overview's panel and the What-changed page's meeting picker count what came after the
meeting, from the day after the last day its date can mean; the meeting itself, and whatever was recorded on its
day or fell overdue on it, is not "since" it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.choices import Status
from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory
from dashboards import selectors
from dialogues.choices import Level
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db

SUMMIT_DAY = dt.date(2025, 3, 10)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def summit(editor):
    """A summit on 10 March 2025; a status change recorded that day and one five days later; another body's meeting
    ten days later; one body falling overdue on the summit's day, one the day after."""
    body = DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit", level=Level.LEADERS, ad_hoc=True)
    meeting = MeetingFactory(body=body, held_on=SUMMIT_DAY, place="Brussels")
    MeetingFactory(body=DialogueBodyFactory(short_name="HLED", ad_hoc=True), held_on=SUMMIT_DAY + dt.timedelta(10))
    StatusUpdateFactory(status=Status.IN_PROGRESS, recorded_at=at(SUMMIT_DAY), author=editor)
    StatusUpdateFactory(status=Status.IN_PROGRESS, recorded_at=at(SUMMIT_DAY + dt.timedelta(5)), author=editor)
    # Due a year after their start, overdue 61 days later (grace 60): on the summit's day and on the day after.
    for name, started in (("LATE-ON-THE-DAY", dt.date(2024, 1, 8)), ("LATE-AFTER", dt.date(2024, 1, 9))):
        DialogueBodyFactory(short_name=name, established_on=started, cadence_months=12, grace_days=60)
    return meeting


def since_panel(page: str) -> str:
    panel = page[page.index('id="since-panel"') :]
    return " ".join(panel[: panel.index("</section>")].split())


def test_the_overview_counts_what_came_after_the_meeting(reviewer_client, summit):
    page = reviewer_client.get(reverse("dashboards:home"), {"since_body": "SUMMIT"}).content.decode()
    panel = since_panel(page)
    assert "Since its meeting on 10 March 2025:" in panel
    assert "<strong>1</strong> meeting held" in panel  # HLED's, not the summit itself
    assert "<strong>1</strong> status change<" in panel  # the one five days later
    assert "<strong>1</strong> body fell overdue" in panel  # LATE-AFTER
    assert "?since=2025-03-11#meetings-heading" in panel
    # The page the figures open says the same.
    changes = reviewer_client.get(reverse("dashboards:changes"), {"since": "2025-03-11"}).context["changes"]
    assert [m.body.short_name for m in changes.meetings] == ["HLED"]
    assert (changes.transition_count, changes.meeting_count) == (1, 1)
    assert [item.body.short_name for item in changes.became_overdue] == ["LATE-AFTER"]


def test_since_a_meeting_known_to_the_month_counts_from_the_month_after(reviewer_client, editor):
    space = DialogueBodyFactory(short_name="SPACE", name="Space Policy Dialogue", level=Level.LEADERS, ad_hoc=True)
    MeetingFactory(body=space, held_on=dt.date(2023, 1, 1), held_on_precision="month")
    StatusUpdateFactory(status=Status.IN_PROGRESS, recorded_at=at(dt.date(2023, 1, 20)), author=editor)
    StatusUpdateFactory(status=Status.IN_PROGRESS, recorded_at=at(dt.date(2023, 2, 1)), author=editor)
    bodies = selectors.bodies_that_met()
    since = selectors.since_last_meeting(bodies=bodies, short_name="SPACE")
    assert since.since == dt.date(2023, 2, 1)
    assert (since.changes.transition_count, since.changes.meeting_count) == (1, 0)
    panel = since_panel(reviewer_client.get(reverse("dashboards:home"), {"since_body": "SPACE"}).content.decode())
    assert "Since its meeting in January 2023:" in panel and "?since=2023-02-01" in panel


def test_a_meeting_held_today_has_nothing_after_it_yet(reviewer_client):
    today = timezone.localdate()
    CommitmentFactory()  # a framework to show: the overview of an empty tracker has no panels
    body = DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit", level=Level.LEADERS, ad_hoc=True)
    meeting = MeetingFactory(body=body, held_on=today)
    tomorrow = today + dt.timedelta(days=1)
    panel = since_panel(reviewer_client.get(reverse("dashboards:home")).content.decode())
    assert f"nothing to count yet, the days after it start on {tomorrow:%-d %B %Y}." in panel
    assert "since-figures" not in panel and "?since=" not in panel
    response = reviewer_client.get(reverse("dashboards:changes"), {"meeting": meeting.pk})
    assert response.status_code == 200
    content = " ".join(response.content.decode().split())
    assert f"Nothing to count yet: the days after the meeting start on {tomorrow:%-d %B %Y}." in content
    assert "Meetings held" not in content


def test_what_changed_since_a_meeting_starts_the_day_after_it(reviewer_client, summit):
    response = reviewer_client.get(reverse("dashboards:changes"), {"meeting": summit.pk})
    assert response.status_code == 200
    assert response.context["shown_since"] == dt.date(2025, 3, 11)
    content = response.content.decode()
    assert "<h1>What changed since the meeting of EU–Japan Summit on 10 March 2025</h1>" in content
    assert "From 11 March 2025 to " in content
    meetings = content[content.index('id="meetings-heading"') :]
    assert "Tokyo" in meetings and "Brussels" not in meetings  # HLED's meeting, not the summit itself
