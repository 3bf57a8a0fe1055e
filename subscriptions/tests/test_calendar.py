"""The calendar feed: parses with icalendar, holds the expected events, and its secret address is a key."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from commitments.tests.factories import CommitmentFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from subscriptions.choices import FollowKind
from subscriptions.models import FollowerSettings
from subscriptions.services import calendar_token_rotate, follow_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_data():
    body = DialogueBodyFactory(
        short_name="SDD", name="Security and Defence Dialogue", cadence_months=12, assumed_cadence=True
    )
    MeetingFactory(body=body, held_on=dt.date(2026, 5, 4))
    other = DialogueBodyFactory(short_name="CYB", name="Cyber Dialogue", cadence_months=12)
    followed = CommitmentFactory(reference="SDP §7", title="Maritime exercises", target_date=dt.date(2027, 3, 31))
    CommitmentFactory(reference="SDP §8", title="Not followed", target_date=dt.date(2027, 6, 30))
    user = UserFactory(username="reader", email="reader@example.eu")
    follow_add(user=user, kind=FollowKind.BODY, target=body)
    follow_add(user=user, kind=FollowKind.COMMITMENT, target=followed)
    return {"user": user, "body": body, "other": other, "followed": followed}


def events_of(content: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def _feed(client, user, query=""):
    token = FollowerSettings.objects.get(user=user).calendar_token
    return client.get(f"/follow/calendar/{token}.ics{query}")


def test_the_secret_feed_holds_what_the_user_follows(client, feed_data):
    response = _feed(client, feed_data["user"])  # no sign-in: calendar programs cannot
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = events_of(response.content)
    assert set(events) == {
        "Expected meeting: Security and Defence Dialogue (SDD)",
        "Target date: SDP §7 Maritime exercises",
    }
    meeting = events["Expected meeting: Security and Defence Dialogue (SDD)"]
    assert meeting.decoded("DTSTART") == dt.date(2027, 5, 4)
    assert meeting.decoded("DTEND") == dt.date(2027, 5, 5)
    assert "Expected from an assumed cadence" in str(meeting["DESCRIPTION"]) and "assumption" in str(
        meeting["DESCRIPTION"]
    )
    assert str(meeting["X-TRACKER-BASIS"]) == "assumed"
    assert "Assumed" in meeting["CATEGORIES"].cats
    assert str(meeting["URL"]) == "http://127.0.0.1:8000/dialogues/SDD/"
    target = events["Target date: SDP §7 Maritime exercises"]
    assert target.decoded("DTSTART") == dt.date(2027, 3, 31)
    assert str(target["UID"]).startswith(f"commitment-{feed_data['followed'].pk}-target@")


def test_an_expected_meeting_says_when_the_last_one_was_to_its_precision(client, feed_data):
    """The last meeting is said as far as it is known: "on 4 May 2026", or "in June 2026" for a meeting the documents
    date only by its month; the event of the next one then spans the month it is due by (to its last day, the day the
    body is due by), and says so."""

    def description():
        events = events_of(_feed(client, feed_data["user"]).content)
        return str(events["Expected meeting: Security and Defence Dialogue (SDD)"]["DESCRIPTION"])

    assert "after its last meeting on 4 May 2026)" in description() and "Due in" not in description()
    MeetingFactory(body=feed_data["body"], held_on=dt.date(2026, 6, 1), held_on_precision="month")
    assert "after its last meeting in June 2026)" in description() and "2026-06-01" not in description()
    # No day is given: the event spans June 2027, and says the due date is known only to the month.
    assert "Due by the end of June 2027, no day given: the event spans it." in description()
    event = events_of(_feed(client, feed_data["user"]).content)[
        "Expected meeting: Security and Defence Dialogue (SDD)"
    ]
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (dt.date(2027, 6, 1), dt.date(2027, 7, 1))


def test_everything_on_request(client, feed_data):
    events = events_of(_feed(client, feed_data["user"], "?scope=all").content)
    assert "Target date: SDP §8 Not followed" in events
    # A cadence a document states gives a due meeting, not an assumed one.
    stated = events["Due meeting: Cyber Dialogue (CYB)"]
    assert str(stated["X-TRACKER-BASIS"]) == "stated" and "Stated" in stated["CATEGORIES"].cats


def test_a_wrong_or_rotated_token_is_refused(client, feed_data):
    user = feed_data["user"]
    old = FollowerSettings.objects.get(user=user).calendar_token
    assert client.get("/follow/calendar/not-the-token.ics").status_code == 404
    assert client.get(f"/follow/calendar/{old[:-1]}.ics").status_code == 404
    calendar_token_rotate(user=user)
    assert client.get(f"/follow/calendar/{old}.ics").status_code == 404
    assert _feed(client, user).status_code == 200


def test_rotating_from_the_page(client, feed_data):
    user = feed_data["user"]
    old = FollowerSettings.objects.get(user=user).calendar_token
    client.force_login(user)
    assert client.post("/follow/calendar/rotate/").status_code == 302
    assert FollowerSettings.objects.get(user=user).calendar_token != old
    assert client.get("/follow/calendar/rotate/").status_code == 405


def test_a_deactivated_user_s_feed_is_gone(client, feed_data):
    feed_data["user"].is_active = False
    feed_data["user"].save()
    assert _feed(client, feed_data["user"]).status_code == 404


def test_the_api_feed_uses_the_usual_authentication(feed_data):
    api = APIClient()
    assert api.get("/api/v1/calendar.ics").status_code == 401
    token = Token.objects.create(user=feed_data["user"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert len(events_of(response.content)) == 2
    assert len(events_of(api.get("/api/v1/calendar.ics?scope=all").content)) == 4
    again = api.get("/api/v1/calendar.ics", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    bad = api.get("/api/v1/calendar.ics?scope=everything")
    assert bad.status_code == 400 and bad.json()["errors"]["scope"]
