"""Contract of /api/v1/agreements/, commitments/ (and their history, and CSV) and status-updates/.

What a client sees: authentication and roles, every filter, pagination, conditional requests, the error shape,
the status-update write with its validation and conflict rule, and bounded queries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from commitments.api.serializers import CommitmentSerializer, StatusUpdateSerializer
from commitments.choices import PolicyArea, Status, Strength, UpdateKind
from commitments.models import Agreement, Commitment, StatusUpdate
from commitments.services import commitment_update_status
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    MilestoneFactory,
    SourceDocumentFactory,
    StatusUpdateFactory,
    UserFactory,
)
from core.roles import EDITORS, REVIEWERS
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

from .api_support import _fresh_throttle_counters, anon_api, assert_error, editor_api, reviewer_api, token_client

__all__ = ["_fresh_throttle_counters", "anon_api", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    """Two frameworks, two bodies (one overdue), four commitments in different states."""
    sdp = AgreementFactory(code="SDP", title="Security and Defence Partnership")
    spa = AgreementFactory(code="SPA", title="Strategic Partnership Agreement")
    sdd = DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue")
    MeetingFactory(body=sdd, held_on=timezone.localdate() - dt.timedelta(days=30))  # on schedule
    late = DialogueBodyFactory(short_name="LATE", name="Late Dialogue", overdue=True)
    maritime = CommitmentFactory(
        agreement=sdp,
        reference="SDP §7",
        title="Joint naval exercises",
        description="Hold joint exercises in the Gulf of Aden.",
        area=PolicyArea.MARITIME_SECURITY,
        strength=Strength.IMPLEMENT,
        responsible_body=sdd,
    )
    cyber = CommitmentFactory(
        agreement=sdp,
        reference="SDP §12(b)",
        title="Cyber dialogue",
        description="Exchange on cyber threats.",
        area=PolicyArea.CYBER,
        strength=Strength.DEVELOP,
        responsible_body=late,
    )
    trade = CommitmentFactory(
        agreement=spa,
        reference="SPA art. 3",
        title="=Trade facilitation",
        description="Facilitate trade.",
        area=PolicyArea.TRADE,
        strength=Strength.EXPLORE,
    )
    space = CommitmentFactory(agreement=spa, reference="SPA art. 9", title="Space cooperation", area=PolicyArea.SPACE)
    StatusUpdateFactory(commitment=maritime, status=Status.IN_PROGRESS, progress=40, note="Exercise held")
    StatusUpdateFactory(commitment=cyber, status=Status.STALLED, note="No meeting")
    StatusUpdateFactory(
        commitment=trade, status=Status.ACHIEVED, evidence_reference="Council decision 2024/1", note="Done"
    )
    return {
        "sdp": sdp,
        "spa": spa,
        "sdd": sdd,
        "late": late,
        "maritime": maritime,
        "cyber": cyber,
        "trade": trade,
        "space": space,
    }


def refs(response) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]


# --- Authentication and roles -------------------------------------------------------------------------------

READ_URLS = [
    "/api/v1/",
    "/api/v1/agreements/",
    "/api/v1/agreements/SDP/",
    "/api/v1/commitments/",
    "/api/v1/status-updates/",
    "/api/v1/dialogues/",
    "/api/v1/dialogues/SDD/",
    "/api/v1/meetings/",
]


def test_anonymous_reader_gets_401_with_token_challenge(anon_api, data):
    for url in READ_URLS:
        response = anon_api.get(url)
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token", url


def test_public_read_lets_anonymous_read_but_never_write(anon_api, data, settings):
    settings.PUBLIC_READ = True
    for url in READ_URLS:
        assert anon_api.get(url).status_code == 200, url
    response = anon_api.post(
        "/api/v1/status-updates/",
        {"commitment": data["space"].pk, "expected_version": 0, "status": "in_progress"},
        format="json",
    )
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("who", ["editor_api", "reviewer_api"])
def test_tokens_of_both_roles_read(request, who, data):
    client = request.getfixturevalue(who)
    for url in READ_URLS:
        assert client.get(url).status_code == 200, url


def test_session_users_read(client, reviewer, data):
    client.force_login(reviewer)
    response = client.get("/api/v1/commitments/")
    assert response.status_code == 200
    assert response.json()["count"] == 4


def test_unknown_token_is_401(data):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert_error(client.get("/api/v1/commitments/"), 401, "authentication_failed")
    client.credentials(HTTP_AUTHORIZATION="Token not a token")
    assert_error(client.get("/api/v1/commitments/"), 401, "authentication_failed")


def test_token_of_an_inactive_user_is_401(editor, data):
    client = token_client(editor)
    editor.is_active = False
    editor.save()
    assert_error(client.get("/api/v1/commitments/"), 401, "authentication_failed")


def test_reviewer_cannot_write(reviewer_api, data):
    before = StatusUpdate.objects.count()
    response = reviewer_api.post(
        "/api/v1/status-updates/",
        {"commitment": data["space"].pk, "expected_version": 0, "status": "in_progress"},
        format="json",
    )
    body = assert_error(response, 403, "permission_denied")
    assert "Editors" in body["detail"]
    assert StatusUpdate.objects.count() == before


def test_session_write_needs_the_csrf_token(editor, data):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(editor)
    payload = {"commitment": data["space"].pk, "expected_version": 0, "status": "in_progress"}
    assert_error(session.post("/api/v1/status-updates/", payload, format="json"), 403, "permission_denied")
    session.get("/accounts/login/")  # sets the CSRF cookie, as the browser would have it
    token = session.cookies["csrftoken"].value
    response = session.post("/api/v1/status-updates/", payload, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


# --- Agreements ---------------------------------------------------------------------------------------------


def test_agreement_list_and_lookup_by_code(reviewer_api, data):
    body = reviewer_api.get("/api/v1/agreements/").json()
    assert [row["code"] for row in body["results"]] == ["SDP", "SPA"]
    spa = reviewer_api.get("/api/v1/agreements/SPA/").json()
    assert spa["title"] == "Strategic Partnership Agreement"
    assert (spa["commitment_count"], spa["achieved_count"]) == (2, 1)
    assert spa["url"].endswith("/api/v1/agreements/SPA/")
    assert spa["commitments_url"].endswith("/api/v1/commitments/?agreement=SPA")
    assert spa["source"]["document"] == data["spa"].source_document.key


def test_unknown_agreement_is_a_json_404(reviewer_api, data):
    assert_error(reviewer_api.get("/api/v1/agreements/NOPE/"), 404, "not_found")
    assert_error(reviewer_api.get("/api/v1/agreements/SDP%00/"), 404, "not_found")  # PostgreSQL cannot compare NUL
    assert_error(reviewer_api.get("/api/v1/agreements/S%20P/"), 404, "not_found")


# --- Commitments: list, detail, filters ---------------------------------------------------------------------


def test_commitment_list_is_paginated_with_the_documented_fields(reviewer_api, data):
    body = reviewer_api.get("/api/v1/commitments/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    row = next(row for row in body["results"] if row["reference"] == "SDP §7")
    assert row["agreement"] == "SDP"
    assert row["responsible_body"] == "SDD"
    assert (row["status"], row["progress"], row["version"]) == ("in_progress", 40, 1)
    assert row["url"].endswith(f"/api/v1/commitments/{data['maritime'].pk}/")
    assert row["history_url"].endswith(f"/api/v1/commitments/{data['maritime'].pk}/history/")
    assert row["page_url"].endswith(f"/commitments/{data['maritime'].pk}/")


def test_commitment_detail(reviewer_api, data):
    body = reviewer_api.get(f"/api/v1/commitments/{data['trade'].pk}/").json()
    assert body["reference"] == "SPA art. 3"
    assert (body["status"], body["progress"]) == ("achieved", 100)
    assert body["responsible_body"] is None


def test_unknown_or_malformed_commitment_ids_are_json_404s(reviewer_api, data):
    assert_error(reviewer_api.get("/api/v1/commitments/999999/"), 404, "not_found")
    assert_error(reviewer_api.get(f"/api/v1/commitments/{10**30}/"), 404, "not_found")
    assert_error(reviewer_api.get("/api/v1/commitments/abc/"), 404, "not_found")
    assert_error(reviewer_api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(reviewer_api.get("/api/v2/commitments/"), 404, "not_found")
    assert_error(reviewer_api.post("/api/v2/nothing/", {}, format="json"), 404, "not_found")
    assert_error(APIClient().get("/api/v2/nothing/"), 404, "not_found")  # the same for anonymous clients
    # Without the trailing slash: Django's usual redirect to the address with it.
    response = reviewer_api.get("/api/v1/commitments?status=stalled")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/commitments/?status=stalled")


def test_unknown_pages_outside_the_api_are_still_html(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("agreement=SDP", {"SDP §7", "SDP §12(b)"}),
        ("status=stalled", {"SDP §12(b)"}),
        ("status=stalled&status=achieved", {"SDP §12(b)", "SPA art. 3"}),
        ("area=trade", {"SPA art. 3"}),
        ("area=cyber&area=space", {"SDP §12(b)", "SPA art. 9"}),
        ("strength=implement", {"SDP §7"}),
        ("body=SDD", {"SDP §7"}),
        ("overdue_body=true", {"SDP §12(b)"}),
        ("overdue_body=false", {"SDP §7", "SPA art. 3", "SPA art. 9"}),
        ("search=§12", {"SDP §12(b)"}),
        ("search=naval", {"SDP §7"}),
        ("agreement=SPA&status=not_started", {"SPA art. 9"}),
    ],
)
def test_commitment_filters(reviewer_api, data, query, expected):
    response = reviewer_api.get(f"/api/v1/commitments/?{query}")
    assert response.status_code == 200, response.content
    assert set(refs(response)) == expected


def test_overdue_body_filter_follows_the_cadence_rule(reviewer_api, data):
    from dialogues.models import DialogueBody

    overdue_bodies = set(DialogueBody.objects.overdue().values_list("short_name", flat=True))
    assert overdue_bodies == {"LATE"}
    rows = reviewer_api.get("/api/v1/commitments/?overdue_body=true").json()["results"]
    assert {row["responsible_body"] for row in rows} == overdue_bodies


def test_updated_since_filter(reviewer_api, data):
    moment = timezone.now()
    StatusUpdateFactory(commitment=data["space"], status=Status.ONGOING)
    response = reviewer_api.get("/api/v1/commitments/", {"updated_since": moment.isoformat()})
    assert refs(response) == ["SPA art. 9"]
    naive_brussels = timezone.localtime(moment).replace(tzinfo=None).isoformat()
    assert refs(reviewer_api.get("/api/v1/commitments/", {"updated_since": naive_brussels})) == ["SPA art. 9"]


def test_updated_since_accepts_any_offset_python_does(reviewer_api, data):
    """-17:16 is a valid ISO 8601 offset that PostgreSQL would refuse: it is converted to UTC first."""
    response = reviewer_api.get("/api/v1/commitments/", {"updated_since": "2000-04-13T05:44:39-17:16"})
    assert response.status_code == 200
    assert set(refs(response)) == {"SDP §7", "SDP §12(b)", "SPA art. 3", "SPA art. 9"}  # all changed since 2000


# The moments of a client's sync: the commitment's history before it, the sync, and a change after it.
BEFORE_SYNC = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SYNCED_AT = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
AFTER_SYNC = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)


def _withdraw_latest(commitment, editor):
    from commitments.services import status_update_withdraw

    latest = StatusUpdate.objects.filter(commitment=commitment, kind=UpdateKind.STATUS_CHANGE).latest("version")
    status_update_withdraw(update=latest, expected_version=commitment.version, author=editor, reason="Wrong entry")


def _set_progress_source(commitment, editor):
    from commitments.services import commitment_set_progress_source

    commitment_set_progress_source(
        commitment=commitment, expected_version=commitment.version, author=editor, source="milestones"
    )


def _milestone_done(commitment, editor):
    from commitments.services import milestone_update

    milestone = commitment.milestones.get()
    milestone_update(
        milestone=milestone,
        expected_version=commitment.version,
        author=editor,
        done_on=dt.date(2026, 6, 30),
        evidence_reference="Joint statement",
    )


def _milestone_withdrawn(commitment, editor):
    from commitments.services import milestone_withdraw

    milestone_withdraw(
        milestone=commitment.milestones.get(), expected_version=commitment.version, author=editor, reason="Duplicate"
    )


def _edit(commitment, editor):
    from commitments.services import commitment_update

    commitment_update(commitment=commitment, expected_edit_version=0, author=editor, title="Space traffic management")


CHANGES_A_CLIENT_REFETCHES = {
    "status update": lambda c, e: commitment_update_status(
        commitment=c, expected_version=c.version, author=e, status=Status.ONGOING
    ),
    "review": lambda c, e: StatusUpdateFactory(commitment=c, kind=UpdateKind.REVIEW, author=e),
    "withdrawal": _withdraw_latest,
    "milestone added": lambda c, e: MilestoneFactory(commitment=c, author=e),
    "milestone done": _milestone_done,
    "milestone withdrawn": _milestone_withdrawn,
    "progress source": _set_progress_source,
    "editorial edit": _edit,
}


@pytest.mark.parametrize("change", sorted(CHANGES_A_CLIENT_REFETCHES))
def test_updated_since_lists_every_change_a_client_must_fetch_again(reviewer_api, editor, change):
    """A client syncing with updated_since gets each commitment whose answer changed since its last sync, whatever
    the change: a withdrawal moves the review date *back*, an editorial edit does not move it at all."""
    with time_machine.travel(BEFORE_SYNC, tick=False):
        commitment = CommitmentFactory(reference="SPA art. 9")
        CommitmentFactory(reference="SPA art. 10")  # not changed since the sync
        StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, author=editor)
    with time_machine.travel(BEFORE_SYNC + dt.timedelta(days=30), tick=False):
        StatusUpdateFactory(commitment=commitment, status=Status.STALLED, author=editor)
        MilestoneFactory(commitment=commitment, author=editor)
    with time_machine.travel(SYNCED_AT, tick=False):
        synced = reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    with time_machine.travel(AFTER_SYNC, tick=False):
        commitment.refresh_from_db()
        CHANGES_A_CLIENT_REFETCHES[change](commitment, editor)
    response = reviewer_api.get("/api/v1/commitments/", {"updated_since": SYNCED_AT.isoformat()})
    assert refs(response) == ["SPA art. 9"]
    (row,) = response.json()["results"]
    assert row != {name: synced[name] for name in row}  # there was something to fetch again
    assert dt.datetime.fromisoformat(row["updated_at"]) == AFTER_SYNC


def test_a_client_syncing_by_updated_since_sees_a_withdrawal(reviewer_api, editor_api, editor):
    """The withdrawal puts the status and the review date back to the entry before: updated_since still lists the
    commitment, and ordering=-updated puts it first."""
    with time_machine.travel(BEFORE_SYNC, tick=False):
        commitment = CommitmentFactory(reference="SPA art. 9")
        other = CommitmentFactory(reference="SPA art. 10")
        StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, author=editor)
        StatusUpdateFactory(commitment=other, status=Status.ONGOING, author=editor)
    with time_machine.travel(BEFORE_SYNC + dt.timedelta(days=30), tick=False):
        mistake = StatusUpdateFactory(commitment=commitment, status=Status.ACHIEVED, evidence_reference="x")
        StatusUpdateFactory(commitment=other, status=Status.STALLED, author=editor)  # reviewed later than the first
    with time_machine.travel(AFTER_SYNC, tick=False):
        response = editor_api.post(
            f"/api/v1/status-updates/{mistake.pk}/withdraw/",
            {"expected_version": 2, "reason": "Recorded on the wrong commitment"},
            format="json",
        )
        assert response.status_code == 201, response.content
    changed = reviewer_api.get("/api/v1/commitments/", {"updated_since": SYNCED_AT.isoformat()}).json()["results"]
    assert [(row["reference"], row["status"]) for row in changed] == [("SPA art. 9", "in_progress")]
    assert dt.datetime.fromisoformat(changed[0]["last_reviewed_at"]) == BEFORE_SYNC  # the review date went back
    assert refs(reviewer_api.get("/api/v1/commitments/?ordering=-updated")) == ["SPA art. 9", "SPA art. 10"]
    # The review date is still a sort of its own.
    assert refs(reviewer_api.get("/api/v1/commitments/?ordering=-reviewed")) == ["SPA art. 10", "SPA art. 9"]


def test_the_schema_says_what_updated_since_and_the_orderings_follow(reviewer_api):
    schema = reviewer_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/commitments/"]["get"]["parameters"]}
    assert "updated_at" in parameters["updated_since"]["description"]
    assert "withdrawal" in parameters["updated_since"]["description"]
    ordering = parameters["ordering"]
    assert {"updated", "-updated", "reviewed", "-reviewed"} <= set(ordering["schema"]["items"]["enum"])
    assert "`updated` - Last change (updated_at)" in ordering["description"]
    assert "`reviewed` - Last update or review (last_reviewed_at)" in ordering["description"]


def test_ordering(reviewer_api, data):
    # Natural order of references (commitments.references): §12(b) comes after §7, not before it.
    assert refs(reviewer_api.get("/api/v1/commitments/?ordering=-reference")) == [
        "SPA art. 9",
        "SPA art. 3",
        "SDP §12(b)",
        "SDP §7",
    ]
    by_status = refs(reviewer_api.get("/api/v1/commitments/?ordering=status,-reference"))
    assert by_status == [
        "SPA art. 3",
        "SDP §7",
        "SPA art. 9",
        "SDP §12(b)",
    ]  # by stored code: achieved, in_progress, ...


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("agreement=NOPE", "agreement"),
        ("body=NOPE", "body"),
        ("status=finished", "status"),
        ("area=everything", "area"),
        ("strength=strong", "strength"),
        ("overdue_body=maybe", "overdue_body"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2025-02-30T10:00:00", "updated_since"),
        ("updated_since=0001-01-01T00:00:00%2B14:00", "updated_since"),
        ("updated_since=9999-12-31T23:59:59-12:00", "updated_since"),
        ("updated_since=1-01-01T00:00:00", "updated_since"),
        ("ordering=secret_field", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("search=%00", "search"),
        ("agreement=%00", "agreement"),
        ("body=S%00D", "body"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(reviewer_api, data, query, field):
    body = assert_error(reviewer_api.get(f"/api/v1/commitments/?{query}"), 400, "invalid")
    assert field in body["errors"], body
    assert all(isinstance(message, str) for message in body["errors"][field])


def test_page_past_the_end_is_404(reviewer_api, data):
    assert_error(reviewer_api.get("/api/v1/commitments/?page=2"), 404, "not_found")
    assert_error(reviewer_api.get(f"/api/v1/commitments/?page={10**40}"), 404, "not_found")


def test_page_size_is_capped(reviewer_api):
    agreement = AgreementFactory(code="BIG")
    source = SourceDocumentFactory()
    Commitment.objects.bulk_create(
        Commitment(
            agreement=agreement,
            reference=f"BIG §{n:03}",
            title=f"Commitment {n}",
            description="-",
            area=PolicyArea.TRADE,
            strength=Strength.DEVELOP,
            source_document=source,
        )
        for n in range(130)
    )
    body = reviewer_api.get("/api/v1/commitments/?page_size=100000").json()
    assert body["count"] == 130 and len(body["results"]) == 100 and body["next"] is not None
    assert len(reviewer_api.get("/api/v1/commitments/").json()["results"]) == 50
    second = reviewer_api.get(body["next"]).json()
    assert len(second["results"]) == 30 and second["previous"] is not None


# --- History ------------------------------------------------------------------------------------------------


def test_history_is_newest_first(reviewer_api, data):
    commitment = data["maritime"]
    StatusUpdateFactory(commitment=commitment, status=Status.ACHIEVED, evidence_reference="Report", note="Done")
    body = reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/history/").json()
    assert [row["version"] for row in body["results"]] == [2, 1]
    assert body["results"][0]["status"] == "achieved" and body["results"][0]["previous_status"] == "in_progress"
    assert body["results"][0]["commitment"] == commitment.pk


def test_history_of_an_unknown_commitment_is_404(reviewer_api, data):
    assert_error(reviewer_api.get("/api/v1/commitments/999999/history/"), 404, "not_found")


# --- CSV ----------------------------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_is_the_whole_filtered_list_streamed(reviewer_api, data):
    response = reviewer_api.get("/api/v1/commitments/?format=csv&agreement=SPA&page_size=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming
    assert response["ETag"]
    rows = read_csv(response)
    assert [row["reference"] for row in rows] == ["SPA art. 3", "SPA art. 9"]  # not cut to page_size=1
    achieved = rows[0]
    assert (achieved["status"], achieved["status_label"], achieved["progress"]) == ("achieved", "Achieved", "100")
    assert achieved["title"] == "'=Trade facilitation"  # a spreadsheet would read "=..." as a formula
    assert achieved["page_url"].endswith(f"/commitments/{data['trade'].pk}/")


def test_csv_by_accept_header(reviewer_api, data):
    response = reviewer_api.get("/api/v1/commitments/", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")
    assert len(read_csv(response)) == 4


def test_csv_errors_are_json(reviewer_api, data):
    response = reviewer_api.get("/api/v1/commitments/?format=csv&status=finished")
    assert response["Content-Type"] == "application/json"
    assert "status" in assert_error(response, 400, "invalid")["errors"]


def test_csv_only_for_the_commitment_list(reviewer_api, data):
    pk = data["trade"].pk
    for url in (f"/api/v1/commitments/{pk}/?format=csv", f"/api/v1/commitments/{pk}/history/?format=csv"):
        body = assert_error(reviewer_api.get(url), 406, "not_acceptable")
        assert body["detail"] == 'Format "csv" is not offered by this endpoint; it offers: json.', url
    body = assert_error(reviewer_api.get("/api/v1/commitments/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")
    assert body["detail"] == (
        "Could not satisfy the request Accept header; this endpoint offers: application/json, text/csv."
    )


# An unknown format is a client's mistake about this endpoint, not a missing object: 406 (as the schema says),
# naming what the endpoint offers, whether asked with ?format= or a suffix, before anything is read or written.
@pytest.mark.parametrize(
    ("url", "offered"),
    [
        ("/api/v1/commitments/?format=xyz", "json, csv"),
        ("/api/v1/commitments.xyz", "json, csv"),
        ("/api/v1/commitments/?format=%3Cscript%3E", "json, csv"),
        ("/api/v1/agreements/?format=csv", "json"),
        ("/api/v1/agreements/SPA.xyz", "json"),
        ("/api/v1/status-updates/?format=csv", "json"),
        ("/api/v1/dialogues/?format=xml", "json"),
        ("/api/v1/calendar.ics?format=csv", "json, ics"),
        ("/api/v1/schema/?format=xyz", "json, yaml"),
    ],
)
def test_an_unknown_format_is_a_406_naming_the_formats_offered(reviewer_api, data, url, offered):
    response = reviewer_api.get(url)
    assert response.status_code == 406, (url, response.status_code, response.content[:200])
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/vnd.oai.openapi+json")
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (406, "not_acceptable", {})
    assert body["detail"].endswith(f"is not offered by this endpoint; it offers: {offered}."), body["detail"]


def test_a_write_asking_for_an_unknown_format_is_a_406_and_writes_nothing(editor_api, data):
    commitment = data["maritime"]
    payload = {"commitment": commitment.pk, "expected_version": commitment.version, "status": "stalled"}
    before = StatusUpdate.objects.count(), Commitment.objects.get(pk=commitment.pk).version
    response = editor_api.post("/api/v1/status-updates/?format=csv", payload, format="json")
    assert "it offers: json." in assert_error(response, 406, "not_acceptable")["detail"]
    assert (StatusUpdate.objects.count(), Commitment.objects.get(pk=commitment.pk).version) == before


# --- Conditional requests -----------------------------------------------------------------------------------


@pytest.fixture
def serialiser_spy(monkeypatch):
    """Counts every row the commitment and status-update serializers turn into JSON."""
    calls = []
    for serializer in (CommitmentSerializer, StatusUpdateSerializer):
        original = serializer.to_representation

        def spy(self, instance, _original=original):
            calls.append(instance)
            return _original(self, instance)

        monkeypatch.setattr(serializer, "to_representation", spy)
    return calls


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/commitments/",
        "/api/v1/commitments/?agreement=SDP&ordering=-reference",
        "/api/v1/commitments/?format=csv",
        "/api/v1/status-updates/",
        "/api/v1/agreements/",
        "/api/v1/agreements/SDP/",
    ],
)
def test_matching_if_none_match_is_304_without_serialising(reviewer_api, data, serialiser_spy, url):
    first = reviewer_api.get(url)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"
    serialiser_spy.clear()
    with CaptureQueriesContext(connection) as queries:
        again = reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert serialiser_spy == []
    assert not any('"commitments_commitment"."description"' in q["sql"] for q in queries.captured_queries)


def _commitment_reads(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if 'FROM "commitments_commitment"' in q["sql"]]


def test_a_fresh_page_and_its_count_are_one_query_with_the_validators_of_a_conditional_read(
    reviewer_api, data, settings
):
    settings.API_ANSWER_CACHE = False  # every read computed, as right after a write
    url = "/api/v1/commitments/?agreement=SDP&page_size=1"
    with CaptureQueriesContext(connection) as queries:
        first = reviewer_api.get(url)
    assert len(_commitment_reads(queries)) == 1  # the page, which also counts every matching row
    body = first.json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"] and body["previous"] is None
    # A client that sends the ETag back is checked by the aggregate query, before any row is read: same ETag.
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    second = reviewer_api.get(url + "&page=2")
    assert second.json()["count"] == 2 and second.json()["next"] is None
    assert [first.json()["results"][0]["id"], second.json()["results"][0]["id"]] == [
        data["maritime"].pk,
        data["cyber"].pk,
    ]
    assert reviewer_api.get(url + "&page=2", HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304
    # A write moves the ETag computed either way.
    Commitment.objects.filter(pk=data["cyber"].pk).update(title="Cyber dialogue, renamed", edit_version=1)
    assert reviewer_api.get(url + "&page=2", HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 200


def test_an_empty_fresh_list_counts_nothing_and_validates_as_a_conditional_read(reviewer_api, data, settings):
    settings.API_ANSWER_CACHE = False
    url = "/api/v1/commitments/?agreement=SDP&status=achieved"
    empty = reviewer_api.get(url)
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=empty["ETag"]).status_code == 304
    assert_error(reviewer_api.get(url + "&page=2"), 404, "not_found")


def test_commitment_detail_304_by_etag_and_by_date(reviewer_api, data, serialiser_spy):
    url = f"/api/v1/commitments/{data['maritime'].pk}/"
    first = reviewer_api.get(url)
    serialiser_spy.clear()
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=f'"other", {first["ETag"]}').status_code == 304
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert reviewer_api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert serialiser_spy == []
    # If-None-Match decides when both are sent (RFC 9110): a stale ETag means 200 whatever the date says.
    stale = reviewer_api.get(url, HTTP_IF_NONE_MATCH='W/"stale"', HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert stale.status_code == 200


def test_if_match_on_a_read_compares_the_etag_as_read(reviewer_api, data):
    """If-Match names the representation the client has: the ETag it was sent matches (the tracker's ETags are weak,
    and compared as such); another one is a 412."""
    url = f"/api/v1/commitments/{data['maritime'].pk}/"
    etag = reviewer_api.get(url)["ETag"]
    assert etag.startswith('W/"')
    assert reviewer_api.get(url, HTTP_IF_MATCH=etag).status_code == 200
    assert reviewer_api.get(url, HTTP_IF_MATCH=etag.removeprefix("W/")).status_code == 200
    assert_error(reviewer_api.get(url, HTTP_IF_MATCH='"nope"'), 412, "precondition_failed")
    assert_error(reviewer_api.get(url, HTTP_IF_MATCH="nope"), 412, "precondition_failed")  # not an entity tag at all


def test_if_match_guards_status_updates_and_withdrawals(editor_api, reviewer_api, data):
    commitment = data["space"]
    feed = reviewer_api.get("/api/v1/status-updates/")["ETag"]
    change = {"commitment": commitment.pk, "expected_version": 0, "status": "ongoing"}
    response = editor_api.post("/api/v1/status-updates/", change, format="json", HTTP_IF_MATCH=feed)
    assert response.status_code == 201, response.content
    entry = response.json()["id"]
    # The feed has a new entry since: a write based on the feed as it was is refused.
    change = {**change, "expected_version": 1, "status": "in_progress"}
    assert_error(editor_api.post("/api/v1/status-updates/", change, format="json", HTTP_IF_MATCH=feed), 412)
    url = f"/api/v1/status-updates/{entry}/"
    read = reviewer_api.get(url)["ETag"]
    withdraw = {"expected_version": 1, "reason": "Wrong commitment"}
    assert_error(editor_api.post(f"{url}withdraw/", withdraw, format="json", HTTP_IF_MATCH='W/"nope"'), 412)
    commitment.refresh_from_db()
    assert (commitment.version, commitment.status) == (1, Status.ONGOING)
    assert editor_api.post(f"{url}withdraw/", withdraw, format="json", HTTP_IF_MATCH=read).status_code == 201
    # The entry now reads withdrawn: its ETag moved, and a second withdrawal based on the old one is a 412, not a 400.
    assert reviewer_api.get(url)["ETag"] != read
    again = {"expected_version": 2, "reason": "Twice"}
    assert_error(editor_api.post(f"{url}withdraw/", again, format="json", HTTP_IF_MATCH=read), 412)


def test_etag_changes_with_the_data_and_the_query(reviewer_api, editor, data):
    url = "/api/v1/commitments/"
    etag = reviewer_api.get(url)["ETag"]
    assert reviewer_api.get(url + "?status=stalled")["ETag"] != etag
    assert reviewer_api.get(url + "?format=csv")["ETag"] != etag
    commitment_update_status(
        commitment=data["space"], expected_version=0, author=editor, status=Status.IN_PROGRESS, note="Begun"
    )
    changed = reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_etag_changes_even_when_two_writes_share_a_timestamp(reviewer_api, editor, data):
    commitment = data["maritime"]
    with time_machine.travel(timezone.now(), tick=False):
        commitment_update_status(commitment=commitment, expected_version=1, author=editor, status=Status.ONGOING)
        etag = reviewer_api.get("/api/v1/commitments/")["ETag"]
        commitment_update_status(commitment=commitment, expected_version=2, author=editor, status=Status.STALLED)
        assert reviewer_api.get("/api/v1/commitments/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_etag_changes_with_an_editorial_edit(reviewer_api, editor, data):
    from commitments.services import commitment_update

    url = f"/api/v1/commitments/{data['space'].pk}/"
    etags = [reviewer_api.get(url)["ETag"], reviewer_api.get("/api/v1/commitments/")["ETag"]]
    commitment_update(
        commitment=data["space"], expected_edit_version=0, author=editor, title="Space situational awareness"
    )
    for address, etag in zip([url, "/api/v1/commitments/"], etags, strict=True):
        response = reviewer_api.get(address, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200, address
    assert reviewer_api.get(url).json()["title"] == "Space situational awareness"


def test_etag_changes_when_a_framework_code_shown_in_rows_changes(reviewer_api, data):
    url = "/api/v1/commitments/"
    etag = reviewer_api.get(url)["ETag"]
    agreement = Agreement.objects.get(code="SPA")
    agreement.code = "SPA-2018"
    agreement.save()
    response = reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "SPA-2018" in {row["agreement"] for row in response.json()["results"]}


def test_etag_changes_when_a_row_is_deleted(reviewer_api, data):
    url = "/api/v1/commitments/?agreement=SPA"
    etag = reviewer_api.get(url)["ETag"]
    Commitment.objects.filter(reference="SPA art. 9").delete()
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_agreement_etag_follows_commitment_counts(reviewer_api, editor, data):
    url = "/api/v1/agreements/SPA/"
    etag = reviewer_api.get(url)["ETag"]
    commitment_update_status(
        commitment=data["space"], expected_version=0, author=editor, status=Status.ACHIEVED, evidence_reference="x"
    )
    response = reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["achieved_count"] == 2


def test_list_last_modified_is_the_latest_update(reviewer_api, data):
    response = reviewer_api.get("/api/v1/commitments/?agreement=SDP")
    latest = max(Commitment.objects.filter(agreement__code="SDP").values_list("updated_at", flat=True))
    from django.utils.http import parse_http_date

    assert parse_http_date(response["Last-Modified"]) >= int(latest.timestamp())


# --- The change feed ----------------------------------------------------------------------------------------


def test_status_update_feed_is_oldest_first_and_filtered(reviewer_api, data):
    body = reviewer_api.get("/api/v1/status-updates/").json()
    assert [row["commitment_reference"] for row in body["results"]] == ["SDP §7", "SDP §12(b)", "SPA art. 3"]
    moment = timezone.now()
    StatusUpdateFactory(commitment=data["space"], status=Status.ONGOING, note="Started")
    since = reviewer_api.get("/api/v1/status-updates/", {"since": moment.isoformat()}).json()["results"]
    assert [row["commitment_reference"] for row in since] == ["SPA art. 9"]
    assert since[0]["author"]
    by_commitment = reviewer_api.get(f"/api/v1/status-updates/?commitment={data['cyber'].pk}").json()
    assert [row["status"] for row in by_commitment["results"]] == ["stalled"]
    by_agreement = reviewer_api.get("/api/v1/status-updates/?agreement=SPA").json()
    assert {row["commitment_reference"] for row in by_agreement["results"]} == {"SPA art. 3", "SPA art. 9"}


@pytest.mark.parametrize(
    "query",
    [
        "since=last-week",
        "since=2025-13-01T00:00",
        "commitment=1.5",
        "commitment=abc",
        "commitment=-259683185992734829707264",  # beyond any 64-bit column: refused, not sent to the database
        f"commitment={2**63}",
    ],
)
def test_status_update_feed_rejects_bad_filters(reviewer_api, data, query):
    body = assert_error(reviewer_api.get(f"/api/v1/status-updates/?{query}"), 400, "invalid")
    assert query.split("=")[0] in body["errors"]


def test_status_update_detail(reviewer_api, data):
    update = StatusUpdate.objects.get(commitment=data["trade"])
    response = reviewer_api.get(f"/api/v1/status-updates/{update.pk}/")
    body = response.json()
    assert (body["status"], body["evidence_reference"], body["version"]) == ("achieved", "Council decision 2024/1", 1)
    assert response["Last-Modified"]
    assert_error(reviewer_api.get("/api/v1/status-updates/424242/"), 404, "not_found")


# --- Writing status updates ---------------------------------------------------------------------------------


def post_update(client, **payload):
    return client.post("/api/v1/status-updates/", payload, format="json")


def test_editor_records_a_status_change(editor_api, editor, data):
    commitment = data["maritime"]
    response = post_update(
        editor_api,
        commitment=commitment.pk,
        expected_version=1,
        status="achieved",
        evidence_url="https://www.consilium.europa.eu/en/press/",
        evidence_reference="Joint statement",
        evidence_date="2025-01-15",
        note="Completed",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["progress"], body["version"], body["previous_status"]) == (
        "achieved",
        100,
        2,
        "in_progress",
    )
    assert body["author"] == editor.get_full_name()
    assert response["Location"].endswith(f"/api/v1/status-updates/{body['id']}/")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == (Status.ACHIEVED, 2)


def test_editor_confirms_unchanged(editor_api, data):
    commitment = data["cyber"]
    response = post_update(editor_api, commitment=commitment.pk, expected_version=1, kind="review", note="Checked")
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["status"]) == (UpdateKind.REVIEW, "stalled")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == (Status.STALLED, 2)


@pytest.mark.parametrize(
    "sent", [{"status": "achieved"}, {"progress": 40}, {"party": "eu"}], ids=["status", "progress", "party"]
)
def test_a_review_sent_with_a_new_status_or_progress_is_refused_not_dropped(editor_api, data, sent):
    """A review keeps the status: a status, progress or party sent with it would be silently lost, so it is a 400."""
    commitment = data["cyber"]
    response = post_update(
        editor_api, commitment=commitment.pk, expected_version=1, kind="review", note="Checked", **sent
    )
    body = assert_error(response, 400, "invalid")
    [field] = sent
    assert body["errors"][field] == ["A review keeps the status as it is: send kind=status_change to change it."]
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == (Status.STALLED, 1)
    assert StatusUpdate.objects.filter(commitment=commitment).count() == 1


def test_stale_version_is_409_with_the_current_state_and_writes_nothing(editor_api, data):
    commitment = data["maritime"]  # version 1
    response = post_update(editor_api, commitment=commitment.pk, expected_version=0, status="stalled", note="Late")
    body = assert_error(response, 409, "conflict")
    assert body["current"]["id"] == commitment.pk
    assert (body["current"]["version"], body["current"]["status"]) == (1, "in_progress")
    assert [update["version"] for update in body["newer_updates"]] == [1]
    assert StatusUpdate.objects.filter(commitment=commitment).count() == 1


def test_a_version_the_commitment_never_had_is_409_saying_so(editor_api, data):
    """A version from the future was never read: the answer says it is not one of the commitment's versions."""
    commitment = data["space"]  # version 0
    response = post_update(editor_api, commitment=commitment.pk, expected_version=5, status="in_progress")
    body = assert_error(response, 409, "conflict")
    assert body["detail"] == "SPA art. 9 has never had version 5: its current version is 0."
    assert (body["current"]["version"], body["newer_updates"]) == (0, [])
    stale = post_update(editor_api, commitment=data["maritime"].pk, expected_version=0, status="stalled")
    assert assert_error(stale, 409)["detail"] == (
        "SDP §7 was updated by someone else (version 0 was read, 1 is current)."
    )


def test_an_invalid_url_is_one_message(editor_api, data):
    response = post_update(
        editor_api, commitment=data["space"].pk, expected_version=0, status="in_progress", evidence_url="not a url"
    )
    assert assert_error(response, 400)["errors"] == {"evidence_url": ["Enter a valid URL."]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "achieved"}, "evidence_reference"),  # the model rule: achieved needs evidence
        ({"status": "achieved", "evidence_reference": "x", "progress": 50}, "progress"),
        ({"status": "in_progress", "evidence_date": "2999-01-01"}, "evidence_date"),
        ({"status": "in_progress", "progress": 150}, "progress"),
        ({"status": "in_progress", "progress": "50"}, "progress"),  # a string is not a number
        ({"status": "in_progress", "progress": True}, "progress"),
        ({"status": "in_progress", "note": 5}, "note"),
        ({"status": "finished"}, "status"),
        ({}, "status"),  # a status change needs a status
        ({"kind": "review"}, "note"),  # a review needs a note
        ({"kind": "gossip", "status": "in_progress"}, "kind"),
        ({"status": "in_progress", "evidence_url": "not a url"}, "evidence_url"),
        ({"status": "in_progress", "evidence_date": "15/01/2025"}, "evidence_date"),
        ({"status": "in_progress", "evidence_reference": "x" * 301}, "evidence_reference"),
        ({"status": "in_progress", "expected_version": "1"}, "expected_version"),
        ({"status": "in_progress", "expected_version": -1}, "expected_version"),
        ({"status": "in_progress", "commitment": 999999}, "commitment"),
        ({"status": "in_progress", "commitment": 10**30}, "commitment"),
        ({"status": "in_progress", "commitment": "abc"}, "commitment"),
    ],
)
def test_invalid_status_updates_are_400_with_field_errors_and_write_nothing(editor_api, data, payload, field):
    commitment = data["maritime"]
    full = {"commitment": commitment.pk, "expected_version": 1, **payload}
    body = assert_error(post_update(editor_api, **full), 400, "invalid")
    assert field in body["errors"], body
    commitment.refresh_from_db()
    assert commitment.version == 1
    assert StatusUpdate.objects.filter(commitment=commitment).count() == 1


@pytest.mark.parametrize(
    ("kind", "endpoint"),
    [
        ("withdrawal", "/api/v1/status-updates/{id}/withdraw/"),
        ("milestone", "/api/v1/milestones/"),
        ("progress_source", "/commitments/{id}/progress-source/"),
    ],
)
@pytest.mark.parametrize("with_status", [False, True])
def test_kinds_recorded_elsewhere_are_400s_naming_where_and_write_nothing(
    editor_api, data, kind, endpoint, with_status
):
    """Only status changes and reviews are recorded here: the other kinds are a 400 that says where they are
    recorded, with or without a status (never a 500, never a status change written in their place)."""
    commitment = data["space"]
    payload = {"commitment": commitment.pk, "expected_version": 0, "kind": kind, "note": "x"}
    if with_status:
        payload["status"] = "in_progress"
    body = assert_error(post_update(editor_api, **payload), 400, "invalid")
    (message,) = body["errors"]["kind"]
    assert endpoint in message, message
    commitment.refresh_from_db()
    assert (commitment.version, commitment.status) == (0, Status.NOT_STARTED)
    assert not StatusUpdate.objects.filter(commitment=commitment).exists()


def test_the_schema_offers_only_the_kinds_this_endpoint_records(reviewer_api):
    schema = reviewer_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    kind = components["StatusUpdateCreateRequest"]["properties"]["kind"]
    enum = components[kind["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert enum == ["status_change", "review"]
    # What the feed serves still names every kind of entry.
    served = components["StatusUpdate"]["properties"]["kind"]
    assert len(components[served["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]) == len(UpdateKind)


def test_a_json_list_instead_of_an_object_is_400(editor_api, data):
    response = editor_api.post("/api/v1/status-updates/", [1, 2], format="json")
    assert "non_field_errors" in assert_error(response, 400, "invalid")["errors"]


def test_non_json_bodies_are_refused(editor_api, data):
    response = editor_api.post("/api/v1/status-updates/", "{not json", content_type="application/json")
    body = assert_error(response, 400, "parse_error")
    assert body["errors"]["non_field_errors"]
    response = editor_api.post("/api/v1/status-updates/", "status=achieved", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_methods_that_do_not_exist_are_405(editor_api, data):
    response = editor_api.delete(f"/api/v1/status-updates/{StatusUpdate.objects.first().pk}/")
    assert_error(response, 405, "method_not_allowed")
    assert_error(editor_api.put(f"/api/v1/commitments/{data['maritime'].pk}/", {}, format="json"), 405)
    assert StatusUpdate.objects.count() == 3


def test_writes_are_throttled_per_user(editor_api, data, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": "2/hour"},
    }
    commitment = data["space"]
    for version, status in ((0, "ongoing"), (1, "in_progress")):
        response = post_update(editor_api, commitment=commitment.pk, expected_version=version, status=status)
        assert response.status_code == 201
    response = post_update(editor_api, commitment=commitment.pk, expected_version=2, status="stalled")
    body = assert_error(response, 429, "throttled")
    assert body["retry_after"] > 0 and int(response["Retry-After"]) == body["retry_after"]
    assert editor_api.get("/api/v1/commitments/").status_code == 200  # reading is a separate budget


def test_refused_writes_do_not_use_the_write_budget(editor_api, data, settings):
    """The write budget counts what is written: a client that sends invalid or stale writes while it fixes its
    payload is not locked out of writing for an hour."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": "2/hour"},
    }
    commitment = data["space"]
    for _ in range(3):
        assert_error(post_update(editor_api, commitment=commitment.pk, expected_version=0, status="done"), 400)
    assert_error(post_update(editor_api, commitment=commitment.pk, expected_version=7, status="ongoing"), 409)
    for version, status in ((0, "ongoing"), (1, "in_progress")):
        response = post_update(editor_api, commitment=commitment.pk, expected_version=version, status=status)
        assert response.status_code == 201, response.content
    response = post_update(editor_api, commitment=commitment.pk, expected_version=2, status="stalled")
    assert_error(response, 429, "throttled")
    assert_error(post_update(editor_api, commitment=commitment.pk, expected_version=2, status="done"), 429)


def test_refused_writes_count_against_the_users_budget_of_all_requests(editor_api, data, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"},
    }
    for _ in range(3):
        assert_error(post_update(editor_api, commitment=data["space"].pk, expected_version=0, status="done"), 400)
    assert_error(post_update(editor_api, commitment=data["space"].pk, expected_version=0, status="ongoing"), 429)
    assert_error(editor_api.get("/api/v1/commitments/"), 429)


def test_reads_are_throttled_per_user(reviewer_api, editor_api, data, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"},
    }
    for _ in range(3):
        assert reviewer_api.get("/api/v1/agreements/").status_code == 200
    assert_error(reviewer_api.get("/api/v1/agreements/"), 429, "throttled")
    assert editor_api.get("/api/v1/agreements/").status_code == 200  # another token, another budget


def test_anonymous_readers_are_throttled_separately(anon_api, data, settings):
    settings.PUBLIC_READ = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/minute"},
    }
    assert anon_api.get("/api/v1/agreements/").status_code == 200
    assert_error(anon_api.get("/api/v1/agreements/"), 429, "throttled")


# --- Bounded queries ----------------------------------------------------------------------------------------


def build_rows(n: int) -> None:
    """``n`` commitments, each under its own framework and body, each with one status update."""
    author = UserFactory(editor=True)
    for i in range(n):
        body = DialogueBodyFactory(short_name=f"Q-{i}")
        commitment = CommitmentFactory(agreement=AgreementFactory(code=f"Q-{i}"), responsible_body=body)
        StatusUpdateFactory(commitment=commitment, author=author, status=Status.IN_PROGRESS)
        if i % 2 == 0:  # milestones, one overdue and one done: the CSV counts them and names the next one
            MilestoneFactory(commitment=commitment, due_on=dt.date(2020, 1, 1))
            MilestoneFactory(commitment=commitment, done=True)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    if response.streaming:
        b"".join(response.streaming_content)
    return len(queries)


LIST_URLS = [
    "/api/v1/agreements/",
    "/api/v1/commitments/",
    "/api/v1/commitments/?search=a&overdue_body=false&ordering=-updated",
    "/api/v1/commitments/?deadline_passed=true&actor=both&eu_status=none",
    "/api/v1/milestones/?overdue=true&due_before=2030-01-01",
    "/api/v1/commitments/?format=csv",
    "/api/v1/status-updates/",
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_queries_do_not_grow_with_rows(reviewer, url):
    client = token_client(reviewer)
    build_rows(2)
    few = count_queries(client, url)
    build_rows(25)
    many = count_queries(client, url)
    assert few == many, (few, many)
    assert many <= 8


def test_history_queries_are_bounded(reviewer_api, data, django_assert_max_num_queries):
    commitment = data["maritime"]
    for _ in range(10):
        StatusUpdateFactory(commitment=commitment, status=Status.ONGOING)
    with django_assert_max_num_queries(7):
        assert reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/history/").status_code == 200


# --- Token management command -------------------------------------------------------------------------------


def test_issue_api_token_creates_a_system_user_and_prints_its_token(capsys):
    call_command("issue_api_token", "think-tank", "--create-system-user")
    key = capsys.readouterr().out.strip()
    token = Token.objects.get(key=key)
    user = token.user
    assert user.username == "think-tank" and not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [REVIEWERS]
    assert token_client(user).get("/api/v1/commitments/").status_code == 200
    # Running it again prints the same token; --rotate replaces it.
    call_command("issue_api_token", "think-tank")
    assert capsys.readouterr().out.strip() == key
    call_command("issue_api_token", "think-tank", "--rotate")
    assert capsys.readouterr().out.strip() != key
    assert not Token.objects.filter(key=key).exists()


def test_issue_api_token_for_an_editor_system(capsys, data):
    call_command("issue_api_token", "commission-tracker", "--create-system-user", "--editor")
    key = capsys.readouterr().out.strip()
    user = Token.objects.get(key=key).user
    assert list(user.groups.values_list("name", flat=True)) == [EDITORS]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(
        "/api/v1/status-updates/",
        {"commitment": data["space"].pk, "expected_version": 0, "status": "in_progress"},
        format="json",
    )
    assert response.status_code == 201


def test_issue_api_token_refuses_unknown_users_without_the_flag(db):
    with pytest.raises(CommandError, match="--create-system-user"):
        call_command("issue_api_token", "nobody")
    with pytest.raises(CommandError):
        call_command("issue_api_token", "bad name!", "--create-system-user")


def test_issue_api_token_for_an_existing_person(capsys, editor):
    call_command("issue_api_token", editor.username)
    assert Token.objects.get(user=editor).key == capsys.readouterr().out.strip()


def test_commitments_listed_in_conflict_are_serialised_like_the_list(editor_api, data):
    """The 409 body's ``current`` is the same representation a client already parses."""
    commitment = data["maritime"]
    detail = editor_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    # The detail adds the milestones nested; the rest is the list's representation.
    listed = {name: value for name, value in detail.items() if name != "milestones"}
    response = post_update(editor_api, commitment=commitment.pk, expected_version=0, status="stalled")
    assert response.json()["current"] == listed


def test_dates_in_the_future_are_measured_in_brussels(editor_api, data):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post_update(
        editor_api, commitment=data["space"].pk, expected_version=0, status="ongoing", evidence_date=str(tomorrow)
    )
    assert "evidence_date" in assert_error(response, 400)["errors"]


def test_default_throttle_rates_are_valid(settings):
    """The rates production runs with (tests run with higher ones), from tracker/settings/base.py."""
    from rest_framework.throttling import SimpleRateThrottle

    from tracker.settings import base

    rates = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) == {"anon", "user", "write"}
    for rate in rates.values():
        requests, seconds = SimpleRateThrottle.parse_rate(None, rate)
        assert requests > 0 and seconds > 0


def test_the_commitment_rows_built_directly_are_drf_s_own(rf, reviewer, data):
    """CommitmentSerializer writes its rows without DRF's per-field machinery (and one reverse() per link per row);
    they must be exactly what DRF's fields would write, nulls and time zones included."""
    import datetime as dt

    from rest_framework import serializers as drf
    from rest_framework.request import Request

    from commitments.api.serializers import CommitmentSerializer
    from commitments.models import Commitment

    Commitment.objects.filter(pk=data["space"].pk).update(
        target_date=dt.date(2030, 1, 1), last_reviewed_at=dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    )
    request = Request(rf.get("/api/v1/commitments/", HTTP_HOST="localhost"))
    rows = Commitment.objects.for_listing().select_related("source_document")
    serializer = CommitmentSerializer(rows, many=True, context={"request": request})
    for row, built in zip(rows, serializer.data, strict=True):
        assert built == drf.ModelSerializer.to_representation(serializer.child, row)
    assert serializer.data[0]["url"].startswith("http://localhost/api/v1/commitments/")
