"""Contract of /api/v1/dialogues/ and /api/v1/meetings/: the cadence fields, the filters (``overdue`` is the
model's rule), conditional requests, recording a meeting with the web form's rules, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.tests.api_support import (
    _fresh_throttle_counters,
    anon_api,
    assert_error,
    editor_api,
    reviewer_api,
    token_client,
)
from commitments.tests.factories import AgreementFactory, CommitmentFactory
from dialogues.api.serializers import DialogueBodySerializer, MeetingSerializer
from dialogues.choices import Level
from dialogues.models import DialogueBody, Meeting, OverdueFlag
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory, OverdueFlagFactory

__all__ = ["_fresh_throttle_counters", "anon_api", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 2)


@pytest.fixture(autouse=True)
def _today():
    """A fixed 'today' (Brussels) so that due dates and days overdue are exact."""
    with time_machine.travel(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def bodies():
    """The Summit (yearly, met recently), the SDD (yearly, late), a working group reporting to SDD, an ad-hoc
    body (never overdue) and an inactive one (never overdue)."""
    sdp = AgreementFactory(code="SDP")
    spa = AgreementFactory(code="SPA")
    summit = DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit", level=Level.LEADERS, agreements=[spa])
    MeetingFactory(body=summit, held_on=dt.date(2024, 12, 1), place="Brussels")
    sdd = DialogueBodyFactory(
        short_name="SDD", name="Security and Defence Dialogue", level=Level.SENIOR_OFFICIALS, agreements=[sdp, spa]
    )
    MeetingFactory(body=sdd, held_on=dt.date(2024, 1, 10), place="Tokyo")  # due 10 Jan 2025, grace to 11 Mar
    working = DialogueBodyFactory(
        short_name="MARSEC", name="Maritime working group", level=Level.WORKING, reports_to=sdd, cadence_months=6
    )
    MeetingFactory(body=working, held_on=dt.date(2025, 3, 1))
    adhoc = DialogueBodyFactory(short_name="ADHOC", name="Ad-hoc consultations", ad_hoc=True, level=Level.DIRECTOR)
    dormant = DialogueBodyFactory(
        short_name="OLD", name="Old committee", inactive=True, established_on=dt.date(2010, 1, 1)
    )
    return {"summit": summit, "sdd": sdd, "working": working, "adhoc": adhoc, "dormant": dormant, "sdp": sdp}


def by_name(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["short_name"]: row for row in response.json()["results"]}


# --- Dialogue bodies ----------------------------------------------------------------------------------------


def test_each_body_carries_its_cadence_and_schedule(reviewer_api, bodies):
    rows = by_name(reviewer_api.get("/api/v1/dialogues/"))
    sdd = rows["SDD"]
    assert sdd["cadence_months"] == 12
    assert sdd["last_meeting_on"] == "2024-01-10"
    assert sdd["next_meeting_due"] == "2025-01-10"
    assert sdd["is_overdue"] is True
    assert sdd["days_overdue"] == (TODAY - dt.date(2025, 1, 10)).days
    assert sdd["agreements"] == ["SDP", "SPA"]
    assert sdd["reports_to"] is None
    summit = rows["SUMMIT"]
    assert (summit["next_meeting_due"], summit["is_overdue"], summit["days_overdue"]) == ("2025-12-01", False, None)
    assert rows["MARSEC"]["reports_to"] == "SDD"
    assert rows["MARSEC"]["next_meeting_due"] == "2025-09-01"
    assert (rows["ADHOC"]["cadence_months"], rows["ADHOC"]["next_meeting_due"], rows["ADHOC"]["days_overdue"]) == (
        None,
        None,
        None,
    )
    assert rows["OLD"]["days_overdue"] is None  # inactive bodies are never overdue
    assert sdd["url"].endswith("/api/v1/dialogues/SDD/")
    assert sdd["meetings_url"].endswith("/api/v1/meetings/?dialogue=SDD")


def test_days_overdue_is_the_model_rule(reviewer_api, bodies):
    rows = by_name(reviewer_api.get("/api/v1/dialogues/"))
    for body in DialogueBody.objects.all():
        assert rows[body.short_name]["days_overdue"] == body.days_overdue(on=TODAY)
        assert rows[body.short_name]["is_overdue"] == body.is_overdue(on=TODAY)


def test_the_grace_period_is_respected(reviewer_api, bodies):
    """The SDD was due on 10 Jan 2025 with 60 days' grace: on time until 11 Mar, overdue from 12 Mar."""
    with time_machine.travel(dt.datetime(2025, 3, 11, 12, tzinfo=dt.UTC), tick=False):
        assert reviewer_api.get("/api/v1/dialogues/SDD/").json()["days_overdue"] is None
    with time_machine.travel(dt.datetime(2025, 3, 12, 12, tzinfo=dt.UTC), tick=False):
        assert reviewer_api.get("/api/v1/dialogues/SDD/").json()["days_overdue"] == 61


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("overdue=true", {"SDD"}),
        ("overdue=false", {"SUMMIT", "MARSEC", "ADHOC", "OLD"}),
        ("level=leaders", {"SUMMIT"}),
        ("level=leaders&level=working", {"SUMMIT", "MARSEC"}),
        ("agreement=SDP", {"SDD"}),
        ("agreement=SPA", {"SUMMIT", "SDD"}),
        ("agreement=SPA&overdue=false", {"SUMMIT"}),
        ("active=false", {"OLD"}),
        ("search=maritime", {"MARSEC"}),
    ],
)
def test_dialogue_filters(reviewer_api, bodies, query, expected):
    assert set(by_name(reviewer_api.get(f"/api/v1/dialogues/?{query}"))) == expected


def test_overdue_filter_is_the_querysets_rule(reviewer_api, bodies):
    expected = set(DialogueBody.objects.overdue().values_list("short_name", flat=True))
    assert set(by_name(reviewer_api.get("/api/v1/dialogues/?overdue=true"))) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("overdue=soon", "overdue"),
        ("level=cabinet", "level"),
        ("agreement=NOPE", "agreement"),
        ("agreement=S%00P", "agreement"),
        ("active=perhaps", "active"),
        ("page_size=x", "page_size"),
    ],
)
def test_bad_dialogue_filters_are_400(reviewer_api, bodies, query, field):
    assert field in assert_error(reviewer_api.get(f"/api/v1/dialogues/?{query}"), 400, "invalid")["errors"]


def test_dialogue_detail_by_short_name(reviewer_api, bodies):
    body = reviewer_api.get("/api/v1/dialogues/MARSEC/").json()
    assert (body["name"], body["reports_to"], body["level"]) == ("Maritime working group", "SDD", "working")
    assert_error(reviewer_api.get("/api/v1/dialogues/NOPE/"), 404, "not_found")
    assert_error(reviewer_api.get("/api/v1/dialogues/SDD%00/"), 404, "not_found")


def test_anonymous_needs_public_read(anon_api, bodies, settings):
    assert_error(anon_api.get("/api/v1/dialogues/?overdue=true"), 401, "not_authenticated")
    settings.PUBLIC_READ = True
    assert set(by_name(anon_api.get("/api/v1/dialogues/?overdue=true"))) == {"SDD"}


# --- Conditional requests -----------------------------------------------------------------------------------


@pytest.fixture
def serialiser_spy(monkeypatch):
    calls = []
    for serializer in (DialogueBodySerializer, MeetingSerializer):
        original = serializer.to_representation

        def spy(self, instance, _original=original):
            calls.append(instance)
            return _original(self, instance)

        monkeypatch.setattr(serializer, "to_representation", spy)
    return calls


@pytest.mark.parametrize(
    "url", ["/api/v1/dialogues/", "/api/v1/dialogues/?overdue=true", "/api/v1/dialogues/SDD/", "/api/v1/meetings/"]
)
def test_304_without_serialising(reviewer_api, bodies, serialiser_spy, url):
    etag = reviewer_api.get(url)["ETag"]
    serialiser_spy.clear()
    response = reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response.content == b""
    assert serialiser_spy == []


def test_recording_a_meeting_changes_the_bodies_etag(reviewer_api, editor_api, bodies):
    etag = reviewer_api.get("/api/v1/dialogues/SDD/")["ETag"]
    list_etag = reviewer_api.get("/api/v1/dialogues/")["ETag"]
    editor_api.post("/api/v1/meetings/", {"dialogue": "SDD", "held_on": "2025-05-30"}, format="json")
    response = reviewer_api.get("/api/v1/dialogues/SDD/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["days_overdue"] is None
    assert reviewer_api.get("/api/v1/dialogues/", HTTP_IF_NONE_MATCH=list_etag).status_code == 200


def test_days_overdue_moves_with_the_calendar_so_does_the_etag(reviewer_api, bodies):
    etag = reviewer_api.get("/api/v1/dialogues/SDD/")["ETag"]
    with time_machine.travel(dt.datetime(2025, 6, 3, 10, tzinfo=dt.UTC), tick=False):
        response = reviewer_api.get("/api/v1/dialogues/SDD/", HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200
        assert response.json()["days_overdue"] == (dt.date(2025, 6, 3) - dt.date(2025, 1, 10)).days


# --- Meetings -----------------------------------------------------------------------------------------------


def meeting_days(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [f"{row['dialogue']} {row['held_on']}" for row in response.json()["results"]]


def test_meetings_newest_first_with_their_commitments(reviewer_api, bodies):
    commitment = CommitmentFactory(reference="SDP §7")
    MeetingFactory(body=bodies["sdd"], held_on=dt.date(2023, 5, 5), commitments=[commitment])
    assert meeting_days(reviewer_api.get("/api/v1/meetings/")) == [
        "MARSEC 2025-03-01",
        "SUMMIT 2024-12-01",
        "SDD 2024-01-10",
        "SDD 2023-05-05",
    ]
    old = reviewer_api.get("/api/v1/meetings/?held_before=2023-12-31").json()["results"][0]
    assert old["commitments_advanced"] == [{"id": commitment.pk, "reference": "SDP §7"}]
    assert old["dialogue_name"] == "Security and Defence Dialogue"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dialogue=SDD", ["SDD 2024-01-10"]),
        ("held_after=2024-06-01", ["MARSEC 2025-03-01", "SUMMIT 2024-12-01"]),
        ("held_before=2024-12-01", ["SUMMIT 2024-12-01", "SDD 2024-01-10"]),
        ("held_after=2024-01-10&held_before=2024-01-10", ["SDD 2024-01-10"]),
        ("dialogue=SUMMIT&held_after=2025-01-01", []),
    ],
)
def test_meeting_filters(reviewer_api, bodies, query, expected):
    assert meeting_days(reviewer_api.get(f"/api/v1/meetings/?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("dialogue=NOPE", "dialogue"),
        ("held_after=yesterday", "held_after"),
        ("held_before=2024-02-30", "held_before"),
        ("page=0", "page"),
    ],
)
def test_bad_meeting_filters_are_400(reviewer_api, bodies, query, field):
    assert field in assert_error(reviewer_api.get(f"/api/v1/meetings/?{query}"), 400, "invalid")["errors"]


def test_meeting_detail(reviewer_api, bodies):
    meeting = Meeting.objects.get(body__short_name="SUMMIT")
    assert reviewer_api.get(f"/api/v1/meetings/{meeting.pk}/").json()["place"] == "Brussels"
    assert_error(reviewer_api.get("/api/v1/meetings/987654/"), 404, "not_found")


# --- Recording meetings -------------------------------------------------------------------------------------


def post_meeting(client, **payload):
    return client.post("/api/v1/meetings/", payload, format="json")


def test_editor_records_a_meeting_and_the_schedule_moves(editor_api, editor, bodies):
    flag = OverdueFlagFactory(body=bodies["sdd"], due_on=dt.date(2025, 1, 10), overdue_since=dt.date(2025, 3, 12))
    commitment = CommitmentFactory()
    response = post_meeting(
        editor_api,
        dialogue="SDD",
        held_on="2025-05-20",
        place="Brussels",
        summary="  Agreed a work plan.  ",
        commitments_advanced=[commitment.pk],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["dialogue"], body["held_on"], body["summary"]) == ("SDD", "2025-05-20", "Agreed a work plan.")
    assert body["commitments_advanced"] == [{"id": commitment.pk, "reference": commitment.reference}]
    assert body["recorded_by"] == editor.get_full_name()
    assert response["Location"].endswith(f"/api/v1/meetings/{body['id']}/")
    sdd = editor_api.get("/api/v1/dialogues/SDD/").json()
    assert (sdd["last_meeting_on"], sdd["next_meeting_due"], sdd["days_overdue"]) == ("2025-05-20", "2026-05-20", None)
    flag.refresh_from_db()
    assert flag.closed_at is not None


def test_reviewer_and_anonymous_cannot_record_meetings(reviewer_api, anon_api, bodies, settings):
    settings.PUBLIC_READ = True
    assert_error(post_meeting(reviewer_api, dialogue="SDD", held_on="2025-05-20"), 403, "permission_denied")
    assert_error(post_meeting(anon_api, dialogue="SDD", held_on="2025-05-20"), 401, "not_authenticated")
    assert Meeting.objects.count() == 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"dialogue": "SDD", "held_on": "2025-06-03"}, "held_on"),  # tomorrow: not held yet
        ({"dialogue": "SDD", "held_on": "2024-01-10"}, "non_field_errors"),  # already recorded that day
        ({"dialogue": "NOPE", "held_on": "2025-05-20"}, "dialogue"),
        ({"dialogue": "SDD\x00", "held_on": "2025-05-20"}, "dialogue"),
        ({"dialogue": 5, "held_on": "2025-05-20"}, "dialogue"),
        ({"held_on": "2025-05-20"}, "dialogue"),
        ({"dialogue": "SDD"}, "held_on"),
        ({"dialogue": "SDD", "held_on": "20/05/2025"}, "held_on"),
        ({"dialogue": "SDD", "held_on": "2025-05-20", "place": 7}, "place"),
        ({"dialogue": "SDD", "held_on": "2025-05-20", "place": "x" * 201}, "place"),
        ({"dialogue": "SDD", "held_on": "2025-05-20", "commitments_advanced": [987654]}, "commitments_advanced"),
        ({"dialogue": "SDD", "held_on": "2025-05-20", "commitments_advanced": ["1"]}, "commitments_advanced.0"),
        ({"dialogue": "SDD", "held_on": "2025-05-20", "commitments_advanced": [10**30]}, "commitments_advanced.0"),
        ({"dialogue": "SDD", "held_on": "2025-05-20", "commitments_advanced": 5}, "commitments_advanced"),
    ],
)
def test_invalid_meetings_are_400_and_write_nothing(editor_api, bodies, payload, field):
    body = assert_error(post_meeting(editor_api, **payload), 400, "invalid")
    assert field in body["errors"], body
    assert Meeting.objects.count() == 3
    sdd = DialogueBody.objects.get(short_name="SDD")
    assert sdd.last_meeting_on == dt.date(2024, 1, 10)


def test_an_empty_dialogue_is_required_not_null(editor_api, bodies):
    body = assert_error(post_meeting(editor_api, dialogue="", held_on="2025-05-20"), 400, "invalid")
    assert body["errors"] == {"dialogue": ["This field may not be blank."]}


def test_the_duplicate_message_is_the_models(editor_api, bodies):
    body = assert_error(post_meeting(editor_api, dialogue="SDD", held_on="2024-01-10"), 400)
    assert body["errors"]["non_field_errors"] == ["This body already has a meeting recorded on that day."]


def test_if_match_guards_a_meetings_withdrawal(editor_api, reviewer_api, bodies):
    """The ETag a GET of the meeting answered (with its outcomes) is the one its withdrawal is checked against."""
    meeting = Meeting.objects.filter(body__short_name="SDD").first()
    url = f"/api/v1/meetings/{meeting.pk}/"
    read = reviewer_api.get(url)["ETag"]
    stale = editor_api.post(f"{url}withdraw/", {"reason": "Wrong body"}, format="json", HTTP_IF_MATCH='"nope"')
    assert_error(stale, 412, "precondition_failed")
    assert not Meeting.objects.get(pk=meeting.pk).is_withdrawn
    response = editor_api.post(f"{url}withdraw/", {"reason": "Wrong body"}, format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 200, response.content
    assert Meeting.objects.get(pk=meeting.pk).is_withdrawn


# A duplicate recorded at the same moment (full_clean saw no meeting, the insert hits the constraint) is a 409
# on both paths: tests/reliability/test_concurrent_meetings.py races real requests on PostgreSQL.


def test_open_flags_stay_open_when_the_meeting_does_not_catch_up(editor_api, bodies):
    """Recording an old meeting for the record leaves the body overdue, so its flag stays open (service rule)."""
    flag = OverdueFlagFactory(body=bodies["sdd"], due_on=dt.date(2025, 1, 10), overdue_since=dt.date(2025, 3, 12))
    assert post_meeting(editor_api, dialogue="SDD", held_on="2023-06-01").status_code == 201
    assert OverdueFlag.objects.get(pk=flag.pk).closed_at is None


# --- Bounded queries ----------------------------------------------------------------------------------------


def build_bodies(n: int, offset: int) -> None:
    parent = DialogueBodyFactory(short_name=f"P-{offset}")
    for i in range(offset, offset + n):
        body = DialogueBodyFactory(
            short_name=f"B-{i}", reports_to=parent, agreements=[AgreementFactory(code=f"A-{i}")]
        )
        MeetingFactory(body=body, held_on=dt.date(2024, 1, 1), commitments=[CommitmentFactory(), CommitmentFactory()])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/v1/dialogues/", "/api/v1/dialogues/?overdue=true", "/api/v1/meetings/"])
def test_list_queries_do_not_grow_with_rows(reviewer, url):
    client = token_client(reviewer)
    build_bodies(2, 0)
    client.get("/api/v1/")  # the token's look-up is kept from here on: both counts below are of data alone
    few = count_queries(client, url)
    build_bodies(25, 100)
    many = count_queries(client, url)
    assert few == many, (few, many)
    assert many <= 9
