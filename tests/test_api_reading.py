"""What a client reading the API relies on (an API client's review of the read side):

- a date known only to the month or the year carries its precision wherever it is served (a status update's
  ``evidence_date`` and ``recorded_at``, a body's ``last_meeting_on``), and a meeting can be recorded so;
- a query parameter no list reads, and a code or id nothing has, is a 400 naming it on every list alike, never an
  unfiltered or an empty list; the change feed can be filtered by ``kind``;
- a meeting known only to the month is compared by its whole month, as a milestone's due date is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from commitments.choices import Status, UpdateKind
from commitments.models import due_period_end
from commitments.tests.api_support import (
    _fresh_throttle_counters,
    assert_error,
    editor_api,
    reviewer_api,
    token_client,
)
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    MilestoneFactory,
    SourceDocumentFactory,
    StatusUpdateFactory,
)
from core.models import period_ends_before, precision_errors
from dialogues.models import Meeting
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

__all__ = ["_fresh_throttle_counters", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def world(admin_user_):
    """A framework with a commitment and its history, a body with meetings, a milestone."""
    sdp = AgreementFactory(code="SDP")
    body = DialogueBodyFactory(short_name="HLED", cadence_months=12, agreements=[sdp])
    commitment = CommitmentFactory(agreement=sdp, reference="SDP §7", responsible_body=body)
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, note="Started")
    StatusUpdateFactory(commitment=commitment, kind=UpdateKind.REVIEW, note="Nothing new")
    MilestoneFactory(commitment=commitment)
    MeetingFactory(body=body, held_on=dt.date(2023, 6, 1), held_on_precision="month")
    return {"sdp": sdp, "body": body, "commitment": commitment}


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Precision of month-only dates --------------------------------------------------------------------------


def test_a_status_update_from_a_document_dated_may_2020_says_it_is_known_to_the_month(reviewer_api, editor):
    commitment = CommitmentFactory(reference="STA-2011")
    document = StatusUpdateFactory(
        commitment=commitment,
        status=Status.ONGOING,
        author=None,
        source_document=SourceDocumentFactory(),
        evidence_reference="EP-IDA-2024, section 2.3",
        evidence_date=dt.date(2020, 5, 1),
        evidence_date_precision="month",
        recorded_at=dt.datetime(2020, 5, 1, 12, tzinfo=BRUSSELS),
    )
    staff = StatusUpdateFactory(
        commitment=commitment, status=Status.ACHIEVED, author=editor, evidence_reference="Council decision"
    )
    body = reviewer_api.get(f"/api/v1/status-updates/{document.pk}/").json()
    assert (body["evidence_date"], body["evidence_date_precision"]) == ("2020-05-01", "month")
    assert (body["recorded_at"], body["recorded_precision"]) == ("2020-05-01T12:00:00+02:00", "month")
    body = reviewer_api.get(f"/api/v1/status-updates/{staff.pk}/").json()
    assert (body["evidence_date"], body["evidence_date_precision"], body["recorded_precision"]) == (None, "day", "day")
    # The feed and the history say the same.
    feed = {row["id"]: row["recorded_precision"] for row in rows(reviewer_api.get("/api/v1/status-updates/"))}
    assert feed == {document.pk: "month", staff.pk: "day"}
    history = rows(reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/history/"))
    assert [row["recorded_precision"] for row in history] == ["day", "month"]


def test_an_entry_whose_document_gives_no_date_has_no_precision(reviewer_api):
    undated = StatusUpdateFactory(
        status=Status.STALLED, author=None, source_document=SourceDocumentFactory(), evidence_date=None
    )
    body = reviewer_api.get(f"/api/v1/status-updates/{undated.pk}/").json()
    assert body["recorded_precision"] is None
    assert body["recorded_at"]  # when it was loaded: the precision says it dates nothing


def test_a_bodys_last_meeting_carries_its_precision(reviewer_api, world):
    DialogueBodyFactory(short_name="NEVER")
    day = DialogueBodyFactory(short_name="SDD")
    MeetingFactory(body=day, held_on=dt.date(2024, 1, 10))
    bodies = {row["short_name"]: row for row in rows(reviewer_api.get("/api/v1/dialogues/"))}
    assert (bodies["HLED"]["last_meeting_on"], bodies["HLED"]["last_meeting_on_precision"]) == ("2023-06-01", "month")
    assert (bodies["SDD"]["last_meeting_on"], bodies["SDD"]["last_meeting_on_precision"]) == ("2024-01-10", "day")
    assert (bodies["NEVER"]["last_meeting_on"], bodies["NEVER"]["last_meeting_on_precision"]) == (None, "day")
    detail = reviewer_api.get("/api/v1/dialogues/HLED/").json()
    assert (detail["last_meeting_on_precision"], detail["next_meeting_due"]) == ("month", "2024-06-30")


# --- Recording a meeting known only to the month ------------------------------------------------------------


def post_meeting(client, **payload):
    return client.post("/api/v1/meetings/", payload, format="json")


def test_an_editor_records_a_meeting_known_only_to_the_month(editor_api):
    body = DialogueBodyFactory(short_name="EP-DIET", cadence_months=12)
    response = post_meeting(editor_api, dialogue="EP-DIET", held_on="2024-05-01", held_on_precision="month")
    assert response.status_code == 201, response.content
    assert (response.json()["held_on"], response.json()["held_on_precision"]) == ("2024-05-01", "month")
    assert Meeting.objects.get(body=body).held_on_precision == "month"
    # Its schedule counts from the last day May 2024 can mean.
    dialogue = editor_api.get("/api/v1/dialogues/EP-DIET/").json()
    assert (dialogue["last_meeting_on_precision"], dialogue["next_meeting_due"]) == ("month", "2025-05-31")
    assert dialogue["next_meeting_due_precision"] == "month"
    year = post_meeting(editor_api, dialogue="EP-DIET", held_on="2023-01-01", held_on_precision="year")
    assert (year.status_code, year.json()["held_on_precision"]) == (201, "year")
    day = post_meeting(editor_api, dialogue="EP-DIET", held_on="2024-06-12")
    assert (day.status_code, day.json()["held_on_precision"]) == (201, "day")


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"held_on": "2024-05-15", "held_on_precision": "month"}, "held_on", "stored as the 1st of that month"),
        ({"held_on": "2024-05-01", "held_on_precision": "year"}, "held_on", "stored as 1 January of that year"),
        ({"held_on": "2024-05-01", "held_on_precision": "week"}, "held_on_precision", "not a valid choice"),
        ({"held_on": "2024-05-01", "held_on_precision": 1}, "held_on_precision", "not a valid choice"),
    ],
)
def test_a_precision_the_date_does_not_fit_is_the_web_forms_400(editor_api, payload, field, message):
    DialogueBodyFactory(short_name="EP-DIET")
    body = assert_error(post_meeting(editor_api, dialogue="EP-DIET", **payload), 400, "invalid")
    assert message in " ".join(body["errors"][field]), body
    assert not Meeting.objects.exists()


# --- Unknown query parameters, codes and ids ----------------------------------------------------------------


LISTS = [
    "/api/v1/agreements/",
    "/api/v1/commitments/",
    "/api/v1/commitments/{commitment}/history/",
    "/api/v1/status-updates/",
    "/api/v1/milestones/",
    "/api/v1/dialogues/",
    "/api/v1/meetings/",
    "/api/v1/webhooks/",
    "/api/v1/calendar.ics",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("query", ["agrement=SDP", "agrement=", "foo=1&format=json"])
def test_a_query_parameter_no_list_reads_is_a_400_naming_it(world, admin_user_, url, query):
    api = token_client(admin_user_)  # may read every list, webhooks included
    url = url.format(commitment=world["commitment"].pk)
    assert api.get(url).status_code == 200
    name = query.split("=")[0]
    body = assert_error(api.get(f"{url}?{query}"), 400, "invalid")
    assert list(body["errors"]) == [name], body
    assert body["errors"][name][0].startswith("Unknown query parameter: the ones read here are ")
    assert name in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/commitments/?page=1&page_size=5&format=json&ordering=-updated&search=x",
        "/api/v1/status-updates/?page=1&page_size=5&format=json",
        "/api/v1/commitments/?format=csv",
        "/api/v1/calendar.ics?scope=all&format=ics",
        "/api/v1/meetings/?dialogue=&held_after=",
    ],
)
def test_the_parameters_the_schema_lists_are_read(reviewer_api, world, url):
    assert reviewer_api.get(url).status_code == 200


def test_the_same_misspelt_filter_on_a_single_object_is_ignored_as_every_filter_is(reviewer_api, world):
    assert reviewer_api.get(f"/api/v1/commitments/{world['commitment'].pk}/?agrement=SDP").status_code == 200


@pytest.mark.parametrize(
    ("url", "parameter", "value", "message"),
    [
        ("/api/v1/commitments/", "agreement", "NOPE", "No framework has the code NOPE."),
        ("/api/v1/commitments/", "body", "NOPE", "No dialogue body has the short name NOPE."),
        ("/api/v1/status-updates/", "agreement", "NOPE", "No framework has the code NOPE."),
        ("/api/v1/status-updates/", "commitment", "999999", "No commitment has the id 999999."),
        ("/api/v1/milestones/", "commitment", "999999", "No commitment has the id 999999."),
        ("/api/v1/dialogues/", "agreement", "NOPE", "No framework has the code NOPE."),
        ("/api/v1/meetings/", "dialogue", "NOPE", "No dialogue body has the short name NOPE."),
        ("/api/v1/commitments/", "status", "finished", "finished is not one of the available choices."),
        ("/api/v1/status-updates/", "kind", "comment", "comment is not one of the available choices."),
    ],
)
def test_a_code_or_id_nothing_has_is_a_400_naming_it_on_every_list(
    reviewer_api, world, url, parameter, value, message
):
    body = assert_error(reviewer_api.get(url, {parameter: value}), 400, "invalid")
    assert message in body["errors"][parameter][0], body


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/commitments/", "agreement"),
        ("/api/v1/status-updates/", "agreement"),
        ("/api/v1/status-updates/", "commitment"),
        ("/api/v1/milestones/", "commitment"),
        ("/api/v1/dialogues/", "agreement"),
    ],
)
def test_a_code_or_id_that_exists_filters(reviewer_api, world, url, parameter):
    value = world["commitment"].pk if parameter == "commitment" else "SDP"
    assert rows(reviewer_api.get(url, {parameter: value}))


def test_the_change_feed_by_kind(reviewer_api, world):
    def kinds(query: str) -> list[str]:
        return [row["kind"] for row in rows(reviewer_api.get(f"/api/v1/status-updates/?{query}"))]

    everything = kinds("")
    assert {"status_change", "review", "milestone"} <= set(everything)
    assert kinds("kind=review") == ["review"]
    assert kinds("kind=review&kind=status_change") == [kind for kind in everything if kind != "milestone"]
    assert kinds("kind=") == everything
    assert kinds("kind=withdrawal") == []


# --- Meetings known only to the month: the whole period counts, as for a milestone's due date ----------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("held_before=2023-06-15", ["2023-06-10", "2022-01-01"]),
        ("held_before=2023-06-29", ["2023-06-10", "2022-01-01"]),
        ("held_before=2023-06-30", ["2023-06-10", "2023-06-01", "2022-01-01"]),
        ("held_after=2023-06-01", ["2023-06-10", "2023-06-01"]),
        ("held_after=2023-06-02", ["2023-06-10"]),
        ("held_before=2022-12-30", []),
        ("held_before=2022-12-31", ["2022-01-01"]),
        ("held_after=2022-01-01&held_before=2022-12-31", ["2022-01-01"]),
        ("held_after=2023-06-01&held_before=2023-06-30", ["2023-06-10", "2023-06-01"]),
        ("held_before=9999-12-31", ["2023-06-10", "2023-06-01", "2022-01-01"]),
    ],
)
def test_a_month_only_meeting_counts_by_its_whole_month(reviewer_api, query, expected):
    body = DialogueBodyFactory(short_name="HLED")
    MeetingFactory(body=body, held_on=dt.date(2023, 6, 1), held_on_precision="month")  # June 2023
    MeetingFactory(body=body, held_on=dt.date(2023, 6, 10))
    MeetingFactory(body=body, held_on=dt.date(2022, 1, 1), held_on_precision="year")  # 2022
    assert [row["held_on"] for row in rows(reviewer_api.get(f"/api/v1/meetings/?{query}"))] == expected


def test_the_meetings_period_rule_is_the_milestones_due_by_rule(db):
    """``period_ends_before`` (in SQL) says of every date and precision what ``due_period_end`` (a milestone's
    ``due_by``) says in Python."""
    dates = [dt.date(2024, 2, 1), dt.date(2023, 12, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 29)]
    meetings = [
        MeetingFactory(held_on=held_on, held_on_precision=precision, place=f"{held_on} {precision}")
        for held_on, precision in itertools.product(dates, ["day", "month", "year"])
        if not precision_errors(held_on, precision, "held_on")
    ]
    for day in [dt.date(2024, 2, 29), dt.date(2024, 3, 1), dt.date(2024, 1, 1), dt.date(2024, 12, 31)]:
        found = set(Meeting.objects.filter(period_ends_before("held_on", day)).values_list("place", flat=True))
        expected = {m.place for m in meetings if due_period_end(m.held_on, m.held_on_precision) < day}
        assert found == expected, day
