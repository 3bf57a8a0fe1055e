"""The commitment pages and forms as a browser sees them: who may open what, what the pages show, what a save does,
and how many queries each page costs."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from commitments.choices import PolicyArea, Status, Strength, UpdateKind
from commitments.forms import STALE_FORM_MESSAGE
from commitments.models import Commitment, StatusUpdate
from commitments.services import commitment_update, commitment_update_status
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    MilestoneFactory,
    StatusUpdateFactory,
    UserFactory,
)
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from tests.support import form_values

pytestmark = pytest.mark.django_db

EDIT_URL_NAMES = (
    "commitments:commitment_update_status",
    "commitments:commitment_confirm",
    "commitments:commitment_edit",
)


@pytest.fixture
def commitment():
    body = DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue")
    agreement = AgreementFactory(code="SDP", title="Security and Defence Partnership")
    return CommitmentFactory(
        agreement=agreement,
        reference="SDP §12(b)",
        title="Develop maritime security cooperation through joint exercises",
        description="Both sides will conduct joint naval exercises in the Gulf of Aden.",
        responsible_body=body,
        area=PolicyArea.MARITIME_SECURITY,
    )


def read_urls(commitment):
    return [reverse("commitments:commitment_list"), commitment.get_absolute_url()]


def edit_urls(commitment):
    return [reverse(name, kwargs={"pk": commitment.pk}) for name in EDIT_URL_NAMES]


def valid_post(name, commitment):
    """A valid submission of each edit form, based on the commitment's current versions."""
    commitment.refresh_from_db()
    return {
        "commitments:commitment_update_status": {
            "status": Status.IN_PROGRESS,
            "progress": "25",
            "note": "Exercise held",
            "evidence_url": "https://example.eu/exercise",
            "evidence_date": "2024-10-01",
            "expected_version": commitment.version,
        },
        "commitments:commitment_confirm": {
            "note": "Checked the 2025 Summit text",
            "expected_version": commitment.version,
        },
        "commitments:commitment_edit": {
            "title": "Joint naval exercises",
            "description": commitment.description,
            "area": commitment.area,
            "strength": commitment.strength,
            "responsible_body": commitment.responsible_body_id,
            "target_date": "",
            "expected_edit_version": commitment.edit_version,
        },
    }[name]


def snapshot(commitment):
    """Everything a save could change, to prove that a refused request changed nothing."""
    row = Commitment.objects.values().get(pk=commitment.pk)
    return row, StatusUpdate.objects.count(), commitment.history.count()


# -- Who may open what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("public_read", [False, True])
def test_anonymous_visitors_read_only_under_public_read(client, commitment, settings, public_read):
    settings.PUBLIC_READ = public_read
    for url in read_urls(commitment):
        response = client.get(url)
        if public_read:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302, url
            assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("public_read", [False, True])
def test_anonymous_visitors_are_sent_to_sign_in_from_every_edit_url(client, commitment, settings, public_read):
    settings.PUBLIC_READ = public_read
    for name in EDIT_URL_NAMES:
        url = reverse(name, kwargs={"pk": commitment.pk})
        before = snapshot(commitment)
        for response in (client.get(url), client.post(url, valid_post(name, commitment))):
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
        assert snapshot(commitment) == before


@pytest.mark.parametrize("public_read", [False, True])
def test_reviewers_read_everything(reviewer_client, commitment, settings, public_read):
    settings.PUBLIC_READ = public_read
    for url in read_urls(commitment):
        assert reviewer_client.get(url).status_code == 200, url


@pytest.mark.parametrize("public_read", [False, True])
def test_reviewers_get_403_and_never_a_form_on_edit_urls(reviewer_client, commitment, settings, public_read):
    settings.PUBLIC_READ = public_read
    for name in EDIT_URL_NAMES:
        url = reverse(name, kwargs={"pk": commitment.pk})
        before = snapshot(commitment)
        response = reviewer_client.get(url)
        assert response.status_code == 403, url
        content = response.content.decode()
        assert 'method="post" class="form"' not in content
        assert "Editors only" in content
        assert reviewer_client.post(url, valid_post(name, commitment)).status_code == 403
        assert snapshot(commitment) == before


def test_the_role_is_checked_before_the_commitment_is_looked_up(reviewer, editor):
    reviewer_client, editor_client = Client(), Client()
    reviewer_client.force_login(reviewer)
    editor_client.force_login(editor)
    for name in EDIT_URL_NAMES:
        url = reverse(name, kwargs={"pk": 999999})
        assert reviewer_client.get(url).status_code == 403
        assert editor_client.get(url).status_code == 404


@pytest.mark.parametrize("public_read", [False, True])
def test_editors_open_every_page_and_form(editor_client, commitment, settings, public_read):
    settings.PUBLIC_READ = public_read
    for url in read_urls(commitment) + edit_urls(commitment):
        assert editor_client.get(url).status_code == 200, url


def test_superusers_count_as_editors(client, commitment):
    client.force_login(UserFactory(admin=True))
    for url in edit_urls(commitment):
        assert client.get(url).status_code == 200


def test_signed_in_people_in_no_group_may_read_but_not_edit(client, commitment):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(commitment.get_absolute_url()).status_code == 200
    for url in edit_urls(commitment):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("who", "sees_controls"), [("editor_client", True), ("reviewer_client", False), ("client", False)]
)
def test_edit_controls_are_shown_to_editors_only(request, settings, commitment, who, sees_controls):
    settings.PUBLIC_READ = True
    client = request.getfixturevalue(who)
    content = client.get(commitment.get_absolute_url()).content.decode()
    for url in edit_urls(commitment):
        assert (f'href="{url}"' in content) is sees_controls


def test_sign_in_page_is_open_and_signs_in_with_a_return_address(client, editor, commitment):
    url = commitment.get_absolute_url()
    page = client.get(reverse("login"), {"next": url})
    assert page.status_code == 200
    assert "Sign in to continue" in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "editor-user", "password": "correct-horse-battery", "next": url}
    )
    assert response.status_code == 302 and response["Location"] == url


def test_failed_sign_in_says_so_and_signs_nobody_in(client, editor):
    response = client.post(reverse("login"), {"username": "editor-user", "password": "wrong"})
    assert response.status_code == 200
    assert "Sign-in failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_ends_the_session(editor_client):
    response = editor_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in editor_client.session
    assert editor_client.get(reverse("commitments:commitment_list")).status_code == 302


# -- The list ------------------------------------------------------------------------------------------------


def listed(response) -> list[str]:
    return [c.reference for c in response.context["commitments"]]


@pytest.fixture
def catalogue():
    """Six commitments that differ in every filtered attribute."""
    spa, sdp = AgreementFactory(code="SPA"), AgreementFactory(code="SDP")
    overdue = DialogueBodyFactory(short_name="SUMMIT", overdue=True)
    on_time = DialogueBodyFactory(short_name="CYBER", established_on=timezone.localdate() - dt.timedelta(days=30))
    rows = [
        ("SPA §1", spa, PolicyArea.TRADE, Strength.IMPLEMENT, overdue, "Ratify the partnership agreement"),
        ("SPA §2", spa, PolicyArea.CYBER, Strength.EXPLORE, on_time, "Explore a cyber dialogue"),
        ("SDP §3", sdp, PolicyArea.MARITIME_SECURITY, Strength.DEVELOP, overdue, "Joint naval exercises"),
        ("SDP §4", sdp, PolicyArea.SPACE, Strength.DEVELOP, None, "Space situational awareness"),
        ("SDP §5", sdp, PolicyArea.CYBER, Strength.IMPLEMENT, on_time, "Cyber threat information exchange"),
        ("SDP §6", sdp, PolicyArea.DEFENCE, Strength.EXPLORE, None, "Defence industry exchanges"),
    ]
    made = {
        ref: CommitmentFactory(
            reference=ref,
            agreement=a,
            area=area,
            strength=strength,
            responsible_body=body,
            title=title,
            description=f"What was promised: {title.lower()}.",  # fixed text, so searches match only the title
        )
        for ref, a, area, strength, body, title in rows
    }
    old = timezone.now() - dt.timedelta(days=400)
    StatusUpdateFactory(commitment=made["SPA §1"], status=Status.IN_PROGRESS, progress=60, recorded_at=old)
    StatusUpdateFactory(commitment=made["SDP §3"], status=Status.ONGOING, progress=30)
    StatusUpdateFactory(commitment=made["SDP §5"], status=Status.ACHIEVED, evidence_reference="Signed")
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["SDP §3", "SDP §4", "SDP §5", "SDP §6", "SPA §1", "SPA §2"]),
        ({"agreement": "SPA"}, ["SPA §1", "SPA §2"]),
        ({"status": ["in_progress", "achieved"]}, ["SDP §5", "SPA §1"]),
        ({"status": "not_started"}, ["SDP §4", "SDP §6", "SPA §2"]),
        ({"area": "cyber"}, ["SDP §5", "SPA §2"]),
        ({"area": ["space", "trade"]}, ["SDP §4", "SPA §1"]),
        ({"strength": "explore"}, ["SDP §6", "SPA §2"]),
        ({"body": "SUMMIT"}, ["SDP §3", "SPA §1"]),
        ({"overdue_body": "true"}, ["SDP §3", "SPA §1"]),
        ({"overdue_body": "false"}, ["SDP §4", "SDP §5", "SDP §6", "SPA §2"]),
        ({"search": "cyber"}, ["SDP §5", "SPA §2"]),
        ({"search": "SDP §4"}, ["SDP §4"]),
        ({"agreement": "SDP", "area": "cyber", "strength": "implement"}, ["SDP §5"]),
    ],
)
def test_every_filter_of_the_shared_filterset_works_on_the_page(reviewer_client, catalogue, query, expected):
    response = reviewer_client.get(reverse("commitments:commitment_list"), query)
    assert response.status_code == 200
    assert listed(response) == expected


def test_updated_since_filter(client, reviewer, editor, catalogue):
    """Commitments changed since the day: an edit of the text counts as a status update does."""
    with time_machine.travel(timezone.now() + dt.timedelta(days=60)):
        commitment_update(commitment=catalogue["SDP §4"], expected_edit_version=0, author=editor, title="Space")
        StatusUpdateFactory(commitment=catalogue["SPA §2"], status=Status.ONGOING)
        client.force_login(reviewer)
        since = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
        response = client.get(reverse("commitments:commitment_list"), {"updated_since": since})
    assert listed(response) == ["SDP §4", "SPA §2"]


def test_the_last_update_column_sorts_by_the_date_it_shows(reviewer_client, editor, catalogue):
    """The column shows when each was last updated or reviewed, and its header sorts by that (an edit of the text
    since does not move a row)."""
    commitment_update(commitment=catalogue["SPA §1"], expected_edit_version=0, author=editor, title="Ratify it")
    url = reverse("commitments:commitment_list")
    columns = {c.label: c for c in reviewer_client.get(url).context["columns"]}
    response = reviewer_client.get(url + columns["Last update"].url)
    # Ascending: the one reviewed 400 days ago before the two reviewed today; the never reviewed (NULL) come last
    # on PostgreSQL, first on SQLite.
    reviewed = [ref for ref in listed(response) if Commitment.objects.get(reference=ref).last_reviewed_at]
    assert reviewed[0] == "SPA §1" and len(reviewed) == 3


def test_invalid_filter_values_list_nothing_and_say_why(reviewer_client, catalogue):
    response = reviewer_client.get(
        reverse("commitments:commitment_list"), {"agreement": "NOPE", "status": "done", "updated_since": "soon"}
    )
    assert response.status_code == 400  # as the API answers the same query
    assert listed(response) == []
    content = response.content.decode()
    assert "Some filters are not valid, so no commitment is listed" in content
    assert set(response.context["filter"].form.errors) == {"agreement", "status", "updated_since"}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"status": "abc"}, "status", "Select a valid choice. abc is not one of the available choices."),
        ({"updated_since": "2026-13-45"}, "updated_since", "Enter a valid date/time."),
        ({"ordering": "zzz"}, "ordering", "Select a valid choice. zzz is not one of the available choices."),
    ],
)
def test_an_invalid_filter_is_a_400_with_the_page_the_filter_form_and_what_to_fix(
    reviewer_client, catalogue, query, field, message
):
    response = reviewer_client.get(reverse("commitments:commitment_list"), {**query, "search": "cyber"})
    assert response.status_code == 400
    assert reviewer_client.get("/api/v1/commitments/", query).status_code == 400  # the API's answer
    assert list(response.context["filter"].form.errors) == [field]
    assert listed(response) == []
    content = response.content.decode()
    assert "Some filters are not valid, so no commitment is listed" in content
    assert f'<li><a href="#id_{field}">{message}</a></li>' in content  # the summary links to the filter
    assert 'aria-label="Filter commitments"' in content and 'value="cyber"' in content  # the form, as entered
    valid = reviewer_client.get(reverse("commitments:commitment_list"), {"search": "cyber", "ordering": "-reference"})
    assert valid.status_code == 200 and listed(valid) == ["SPA §2", "SDP §5"]


def test_filters_are_kept_in_the_form_so_the_url_can_be_shared(reviewer_client, catalogue):
    response = reviewer_client.get(
        reverse("commitments:commitment_list"), {"agreement": "SDP", "status": "not_started", "search": "space"}
    )
    content = response.content.decode()
    assert listed(response) == ["SDP §4"]
    assert re.search(r'<option value="SDP" selected>', content)
    assert re.search(r'type="checkbox" name="status" value="not_started"[^>]*checked', content)
    assert 'value="space"' in content


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("reference", ["SDP §3", "SDP §4", "SDP §5", "SDP §6", "SPA §1", "SPA §2"]),
        ("-reference", ["SPA §2", "SPA §1", "SDP §6", "SDP §5", "SDP §4", "SDP §3"]),
        ("-progress,reference", ["SDP §5", "SPA §1", "SDP §3", "SDP §4", "SDP §6", "SPA §2"]),
        ("body,reference", ["SDP §5", "SPA §2", "SDP §3", "SPA §1", "SDP §4", "SDP §6"]),
    ],
)
def test_sorting(reviewer_client, catalogue, ordering, expected, settings):
    response = reviewer_client.get(reverse("commitments:commitment_list"), {"ordering": ordering})
    result = listed(response)
    if ordering.startswith("-progress") or ordering.startswith("body"):
        # NULLs sort last ascending on PostgreSQL and first on SQLite: compare the non-null part only.
        nulls = {"-progress,reference": {"SDP §4", "SDP §6", "SPA §2"}, "body,reference": {"SDP §4", "SDP §6"}}[
            ordering
        ]
        result = [r for r in result if r not in nulls]
        expected = [r for r in expected if r not in nulls]
    assert result == expected


def test_column_headers_sort_and_keep_the_filters(reviewer_client, catalogue):
    response = reviewer_client.get(reverse("commitments:commitment_list"), {"agreement": "SDP", "page": "1"})
    columns = {c.label: c for c in response.context["columns"]}
    assert columns["Reference"].url == "?agreement=SDP&ordering=reference"
    assert columns["Reference"].sort is None
    response = reviewer_client.get(
        reverse("commitments:commitment_list"), {"agreement": "SDP", "ordering": "reference"}
    )
    columns = {c.label: c for c in response.context["columns"]}
    assert columns["Reference"].sort == "ascending"
    assert columns["Reference"].url == "?agreement=SDP&ordering=-reference"
    assert 'aria-sort="ascending"' in response.content.decode()
    # The sort travels with the filter form too.
    assert 'type="hidden" name="ordering" value="reference"' in response.content.decode()


def test_pagination_keeps_filters_and_sort(reviewer_client):
    agreement = AgreementFactory(code="BIG")
    CommitmentFactory.create_batch(60, agreement=agreement)
    url = reverse("commitments:commitment_list")
    first = reviewer_client.get(url, {"agreement": "BIG", "ordering": "-reference"})
    assert len(first.context["commitments"]) == 50
    assert first.context["page_obj"].paginator.count == 60
    content = first.content.decode()
    assert 'href="?agreement=BIG&amp;ordering=-reference&amp;page=2"' in content
    second = reviewer_client.get(url, {"agreement": "BIG", "ordering": "-reference", "page": 2})
    assert len(second.context["commitments"]) == 10
    assert set(listed(first)).isdisjoint(listed(second))


def test_a_page_past_the_end_is_404_not_500(reviewer_client, catalogue):
    assert reviewer_client.get(reverse("commitments:commitment_list"), {"page": 99}).status_code == 404


def print_scope(response) -> str:
    """The words of the block that only prints (the filter form and page links do not), tags out, spaces collapsed."""
    block = re.search(
        r'<div class="print-only print-scope" id="print-scope">(.*?)</div>', response.content.decode(), re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", block.group(1)).split())


def results_count(response) -> str:
    heading = re.search(r'<h2 class="results-count"[^>]*>(.*?)</h2>', response.content.decode(), re.S)
    return " ".join(heading.group(1).split())


def test_the_list_names_each_responsible_body_behind_its_short_code(reviewer_client):
    """The narrow column shows the code; the body's name is one hover (and one screen-reader announcement) away."""
    body = DialogueBodyFactory(short_name="SDD", name="Japan–EU Security and Defence Dialogue")
    CommitmentFactory(responsible_body=body)
    content = reviewer_client.get(reverse("commitments:commitment_list")).content.decode()
    assert '<abbr title="Japan–EU Security and Defence Dialogue">SDD</abbr>' in content


def test_a_printed_page_of_the_list_says_which_rows_of_how_many_it_holds(reviewer_client):
    CommitmentFactory.create_batch(60, agreement=AgreementFactory(code="BIG"))
    url = reverse("commitments:commitment_list")
    first, second = reviewer_client.get(url), reviewer_client.get(url, {"page": 2})
    assert "This print holds commitments 1–50 of 60 (page 1 of 2)" in print_scope(first)
    assert "This print holds commitments 51–60 of 60 (page 2 of 2)" in print_scope(second)
    assert results_count(first) == "60 commitments"  # no filter: nothing says "match"


def test_a_printed_filtered_list_names_its_filters_in_words(reviewer_client, catalogue):
    response = reviewer_client.get(
        reverse("commitments:commitment_list"),
        {"agreement": "SDP", "status": ["in_progress", "achieved"], "search": "cyber", "overdue_body": "false"},
    )
    words = print_scope(response)
    assert words.startswith("Filters: Search: “cyber”; Agreement: SDP"), words
    assert "Status: In progress or Achieved" in words
    assert "Responsible body overdue: Not overdue." in words
    assert "in_progress" not in words and "overdue_body" not in words and "This print holds" not in words
    assert results_count(response) == "1 commitment matches the filters"


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ({"strength": "explore"}, "2 commitments match the filters"),
        ({"search": "nothing like it"}, "0 commitments match the filters"),
    ],
)
def test_the_count_of_matches_agrees_in_number(reviewer_client, catalogue, query, heading):
    response = reviewer_client.get(reverse("commitments:commitment_list"), query)
    assert results_count(response) == heading
    assert print_scope(response).startswith("Filters: ")


def make_rows(count):
    agreement = AgreementFactory()
    bodies = [DialogueBodyFactory(overdue=True), DialogueBodyFactory()]
    for i in range(count):
        commitment = CommitmentFactory(agreement=agreement, responsible_body=bodies[i % 2])
        if i % 3 == 0:
            StatusUpdateFactory(commitment=commitment, progress=10)
        if i % 2 == 0:  # milestones: one overdue, one done (the list shows each row's milestones done and overdue)
            MilestoneFactory(commitment=commitment, due_on=dt.date(2020, 1, 1))
            MilestoneFactory(commitment=commitment, done=True)


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "in_progress", "overdue_body": "true", "ordering": "-body"},
        {"deadline_passed": "true", "actor": "both", "japan_status": ["stalled", "none"]},
    ],
)
def test_list_query_count_does_not_grow_with_rows(editor_client, django_assert_max_num_queries, params):
    url = reverse("commitments:commitment_list")
    make_rows(5)
    with_5 = count_queries(editor_client, url, params)
    make_rows(45)
    with_50 = count_queries(editor_client, url, params)
    assert with_5 == with_50
    with django_assert_max_num_queries(10):
        editor_client.get(url, params)


def test_detail_query_count_does_not_grow_with_the_timeline(editor_client, commitment, django_assert_max_num_queries):
    url = commitment.get_absolute_url()
    StatusUpdateFactory(commitment=commitment)
    MeetingFactory(body=commitment.responsible_body, commitments=[commitment])
    few = count_queries(editor_client, url)
    for i in range(15):
        StatusUpdateFactory(commitment=commitment, note=f"step {i}")
        commitment.refresh_from_db()
        commitment_update(
            commitment=commitment,
            expected_edit_version=commitment.edit_version,
            author=UserFactory(),
            title=f"Title {i}",
        )
        MeetingFactory(body=commitment.responsible_body, commitments=[commitment])
    assert count_queries(editor_client, url) == few
    with django_assert_max_num_queries(12):
        editor_client.get(url)


@pytest.mark.parametrize("name", EDIT_URL_NAMES)
def test_form_pages_have_bounded_queries(editor_client, commitment, name, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert editor_client.get(reverse(name, kwargs={"pk": commitment.pk})).status_code == 200


# -- The detail page -----------------------------------------------------------------------------------------


def test_detail_shows_the_promise_its_source_and_the_responsible_body(reviewer_client, commitment):
    body = commitment.responsible_body
    content = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    assert commitment.description in content
    assert "Security and Defence Partnership" in content and "SDP §12(b)" in content
    assert body.name in content and body.get_absolute_url() in content
    assert body.next_due_on.strftime("%-d %B %Y") in content


def test_detail_shows_a_month_precise_meeting_as_its_month(reviewer_client, commitment):
    """Made at a meeting known only as "January 2023" (stored on the 1st), advanced at one of "January 2024"."""
    meeting = MeetingFactory(
        body=commitment.responsible_body,
        held_on=dt.date(2023, 1, 1),
        held_on_precision="month",
        place="Tokyo",
        commitments=[commitment],
    )
    MeetingFactory(
        body=commitment.responsible_body,
        held_on=dt.date(2024, 1, 1),
        held_on_precision="month",
        place="Brussels",
        commitments=[commitment],
    )
    Commitment.objects.filter(pk=commitment.pk).update(made_at=meeting)
    content = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    assert "Security and Defence Dialogue, January 2023</a>" in content  # made at
    assert "Security and Defence Dialogue</a>, January 2024, Brussels</li>" in content  # meetings that advanced it
    assert "January 2023, Tokyo</li>" not in content  # the meeting that made it did not also advance it
    assert "1 January 2023" not in content and "1 January 2024" not in content


def test_detail_says_how_far_the_progress_is_and_where_it_comes_from(reviewer_client):
    silent = CommitmentFactory()
    content = reviewer_client.get(silent.get_absolute_url()).content.decode()
    assert re.search(r"<dt>Progress</dt>\s*<dd>Not reported · entered with each status update", content)
    reported = CommitmentFactory(status=Status.IN_PROGRESS, progress=40)
    content = reviewer_client.get(reported.get_absolute_url()).content.decode()
    assert re.search(r"<dt>Progress</dt>\s*<dd>40% complete · entered with each status update", content)


def test_detail_says_when_the_responsible_body_is_overdue(reviewer_client):
    body = MeetingFactory(held_on=timezone.localdate() - dt.timedelta(days=800)).body
    assert body.cadence_months == 12 and body.is_overdue()
    commitment = CommitmentFactory(responsible_body=body)
    content = " ".join(strip_tags(reviewer_client.get(commitment.get_absolute_url()).content.decode()).split())
    assert f"{body.days_overdue():,} days past due" in content


def test_detail_of_a_body_with_no_meeting_recorded_says_so_rather_than_that_it_has_not_met(reviewer_client):
    """A body overdue from its start, with no meeting in the tracker, may well have met (the documents call the
    Cyber Dialogue regular without dating a meeting): the page says what is missing, the record."""
    body = DialogueBodyFactory(overdue=True)
    assert body.is_overdue() and body.last_meeting_on is None
    commitment = CommitmentFactory(responsible_body=body)
    content = " ".join(strip_tags(reviewer_client.get(commitment.get_absolute_url()).content.decode()).split())
    started = f"{body.established_on.day} {body.established_on:%B %Y}"
    assert f"no meeting recorded since it started on {started}" in content
    assert "days past due" not in content


def test_detail_timeline_is_newest_first_with_evidence_and_authors(reviewer_client, commitment):
    alice = UserFactory(first_name="Alice", last_name="Martin")
    bob = UserFactory(first_name="Bob", last_name="Tanaka")
    now = timezone.now()
    StatusUpdateFactory(
        commitment=commitment,
        author=alice,
        status=Status.IN_PROGRESS,
        note="First exercise",
        evidence_url="https://example.eu/first",
        recorded_at=now - dt.timedelta(days=10),
    )
    StatusUpdateFactory(
        commitment=commitment,
        author=bob,
        kind=UpdateKind.REVIEW,
        note="Checked, nothing new",
        evidence_reference="Desk note 14",
        recorded_at=now - dt.timedelta(days=2),
    )
    commitment.refresh_from_db()
    commitment_update(commitment=commitment, expected_edit_version=0, author=alice, title="Joint naval exercises")
    response = reviewer_client.get(commitment.get_absolute_url())
    content = response.content.decode()
    timeline = response.context["timeline"]
    assert [("edit" if e.edit else e.update.kind) for e in timeline] == ["edit", "review", "status_change"]
    assert content.index("Details edited") < content.index("Checked, nothing new") < content.index("First exercise")
    assert "Alice Martin" in content and "Bob Tanaka" in content
    assert 'href="https://example.eu/first"' in content and "Desk note 14" in content
    assert "Joint naval exercises" in content


def test_the_timeline_keeps_an_overwritten_description_whole_to_read_it_back(reviewer_client, commitment, editor):
    old = "Both sides will diversify supply chains of critical raw materials. " * 5 + "The last words stay readable."
    commitment_update(commitment=commitment, expected_edit_version=0, author=editor, description=old)
    commitment_update(commitment=commitment, expected_edit_version=1, author=editor, description="Shortened.")
    commitment_update(commitment=commitment, expected_edit_version=2, author=editor, title="Joint naval exercises")
    content = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    # Each edit that wrote or overwrote the long text holds the whole of it behind "Show all"; a short change
    # (the title) stays on its line, unfolded.
    folds = [
        " ".join(strip_tags(fold).split())
        for fold in re.findall(r'<details class="change-full">(.*?)</details>', content, re.S)
    ]
    assert len(folds) == 2
    assert all(fold.startswith("Show all") and old.strip() in fold for fold in folds)
    assert folds[0].endswith("After: Shortened.")  # newest first: the edit that overwrote it
    assert "…" not in "".join(folds)


def test_a_long_text_edited_at_its_end_shows_where_it_changed_on_the_timeline_line(
    reviewer_client, commitment, editor
):
    before = "Both sides will diversify supply chains of critical raw materials. " * 4
    commitment_update(commitment=commitment, expected_edit_version=0, author=editor, description=before.strip())
    after = before + "Added at the end."
    commitment_update(commitment=commitment, expected_edit_version=1, author=editor, description=after)
    content = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    line = re.search(r'<span class="change-short">(.*?)</span>\n<details', content, re.S).group(1)
    assert "Added at the end." in strip_tags(line)  # not two shortened beginnings that read the same


# -- Update status -------------------------------------------------------------------------------------------


def status_url(commitment):
    return reverse("commitments:commitment_update_status", kwargs={"pk": commitment.pk})


def test_update_status_writes_the_update_and_the_current_status(editor_client, editor, commitment):
    data = valid_post("commitments:commitment_update_status", commitment)
    response = editor_client.post(status_url(commitment), data)
    assert response.status_code == 302 and response["Location"] == commitment.get_absolute_url()
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress, commitment.version) == (Status.IN_PROGRESS, 25, 1)
    update = commitment.updates.get()
    assert update.author == editor and update.evidence_url == "https://example.eu/exercise"
    assert update.evidence_date == dt.date(2024, 10, 1) and update.note == "Exercise held"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Saved: SDP §12(b) is now “In progress” (25%)."]


def test_achieved_without_progress_is_recorded_as_100(editor_client, commitment):
    data = {"status": Status.ACHIEVED, "evidence_reference": "Joint statement", "expected_version": 0}
    assert editor_client.post(status_url(commitment), data).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.ACHIEVED, 100)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status": "achieved"}, "evidence_reference", "required to mark it achieved"),
        ({"status": "achieved", "progress": "90", "evidence_reference": "x"}, "progress", "100% complete"),
        ({"status": "in_progress", "progress": "101"}, "progress", "from 0 to 100"),
        ({"status": "in_progress", "evidence_date": "2999-01-01"}, "evidence_date", "cannot be in the future"),
        ({"status": "in_progress", "evidence_url": "javascript:alert(1)"}, "evidence_url", "Enter a valid URL"),
    ],
)
def test_invalid_update_shows_field_errors_and_saves_nothing(editor_client, commitment, data, field, message):
    before = snapshot(commitment)
    response = editor_client.post(status_url(commitment), {**data, "expected_version": 0})
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    content = response.content.decode()
    assert 'class="error-summary"' in content and f'href="#id_{field}"' in content
    assert f'id="id_{field}_error"' in content and 'aria-invalid="true"' in content
    assert snapshot(commitment) == before
    assert not list(get_messages(response.wsgi_request))


def test_a_forged_version_is_refused_without_a_500(editor_client, commitment):
    before = snapshot(commitment)
    response = editor_client.post(status_url(commitment), {"status": "stalled", "expected_version": "x"})
    assert response.status_code == 400
    assert STALE_FORM_MESSAGE in response.content.decode()
    assert snapshot(commitment) == before


def test_second_save_on_a_stale_version_is_refused_and_shows_what_changed(editor_client, commitment):
    other = UserFactory(editor=True, first_name="Keiko", last_name="Sato")
    opened = form_values(editor_client.get(status_url(commitment)).content.decode())
    # Both opened the form at version 0; the other editor saved first.
    commitment_update_status(
        commitment=commitment, expected_version=0, author=other, status=Status.STALLED, note="Exercises postponed"
    )
    before = snapshot(commitment)
    typed = {"status": Status.ACHIEVED, "evidence_reference": "My evidence", "note": "My note"}
    response = editor_client.post(status_url(commitment), {**opened, **typed})
    assert response.status_code == 409
    content = response.content.decode()
    assert "not saved: this commitment was changed by someone else since you opened the form" in content
    assert "Keiko Sato" in content and "Exercises postponed" in content and "Stalled" in content
    assert snapshot(commitment) == before
    # The form still holds what this editor typed, now on the current version: saving it as it is works.
    shown = form_values(content)
    assert shown["status"] == [Status.ACHIEVED] and shown["note"] == ["My note"]
    assert shown["evidence_reference"] == ["My evidence"] and shown["expected_version"] == ["1"]
    assert editor_client.post(status_url(commitment), shown).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == (Status.ACHIEVED, 2)
    assert commitment.updates.order_by("-version").first().note == "My note"


def test_a_conflict_with_my_own_save_in_another_tab_does_not_blame_someone_else(editor_client, editor, commitment):
    first_tab = form_values(editor_client.get(status_url(commitment)).content.decode())
    second_tab = {**first_tab, "status": Status.STALLED, "note": "Postponed"}
    assert editor_client.post(status_url(commitment), second_tab).status_code == 302
    response = editor_client.post(status_url(commitment), {**first_tab, "note": "From the first tab"})
    assert response.status_code == 409
    text = " ".join(strip_tags(response.content.decode()).split())
    assert "this commitment was changed by you, in another tab or window, since you opened the form" in text
    assert "someone else" not in text
    assert ", by you: Status update — Not started → Stalled: “Postponed”" in text


def test_a_status_left_as_it_was_takes_the_other_change_not_the_old_value(editor_client, commitment):
    opened = form_values(editor_client.get(status_url(commitment)).content.decode())
    assert opened["status"] == [Status.NOT_STARTED]
    other = UserFactory(editor=True)
    commitment_update_status(commitment=commitment, expected_version=0, author=other, status=Status.STALLED)
    # This editor only wrote a note: the status they left alone must not go back to "not started".
    response = editor_client.post(status_url(commitment), {**opened, "note": "Talks resumed"})
    assert response.status_code == 409
    shown = form_values(response.content.decode())
    assert shown["status"] == [Status.STALLED] and shown["note"] == ["Talks resumed"]


# -- Confirm unchanged ---------------------------------------------------------------------------------------


def test_confirm_unchanged_enters_the_timeline_and_keeps_the_status(editor_client, editor, commitment):
    StatusUpdateFactory(commitment=commitment, status=Status.ONGOING, progress=40)
    commitment.refresh_from_db()
    url = reverse("commitments:commitment_confirm", kwargs={"pk": commitment.pk})
    response = editor_client.post(url, {"note": "Checked the Summit text", "expected_version": 1})
    assert response.status_code == 302
    commitment.refresh_from_db()
    review = commitment.updates.order_by("-version").first()
    assert review.kind == UpdateKind.REVIEW and review.author == editor
    assert (commitment.status, commitment.progress, commitment.version) == (Status.ONGOING, 40, 2)
    assert commitment.last_reviewed_at == review.recorded_at
    assert "reviewed, status unchanged" in str(next(iter(get_messages(response.wsgi_request))))


def test_confirm_unchanged_without_a_note_saves_nothing(editor_client, commitment):
    before = snapshot(commitment)
    url = reverse("commitments:commitment_confirm", kwargs={"pk": commitment.pk})
    response = editor_client.post(url, {"note": "", "expected_version": 0})
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == ["Say briefly what was reviewed."]
    assert snapshot(commitment) == before


def test_confirm_unchanged_on_a_stale_version_is_refused(editor_client, commitment):
    StatusUpdateFactory(commitment=commitment, status=Status.STALLED)
    before = snapshot(commitment)
    url = reverse("commitments:commitment_confirm", kwargs={"pk": commitment.pk})
    response = editor_client.post(url, {"note": "Looked again", "expected_version": 0})
    assert response.status_code == 409
    assert snapshot(commitment) == before


# -- Edit details --------------------------------------------------------------------------------------------


def edit_url(commitment):
    return reverse("commitments:commitment_edit", kwargs={"pk": commitment.pk})


def test_edit_saves_the_editorial_fields_with_their_author(editor_client, editor, commitment):
    new_body = DialogueBodyFactory(short_name="CYBER", name="Cyber Dialogue")
    data = {
        **valid_post("commitments:commitment_edit", commitment),
        "area": PolicyArea.CYBER,
        "responsible_body": new_body.pk,
        "target_date": "2027-06-30",
    }
    response = editor_client.post(edit_url(commitment), data)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.title, commitment.area, commitment.responsible_body, commitment.target_date) == (
        "Joint naval exercises",
        PolicyArea.CYBER,
        new_body,
        dt.date(2027, 6, 30),
    )
    assert (commitment.edit_version, commitment.version) == (1, 0)
    assert commitment.history.first().history_user == editor
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert message.startswith("Saved: SDP §12(b) (") and "title" in message and "target date" in message


def test_edit_without_changes_says_so(editor_client, commitment):
    data = {**valid_post("commitments:commitment_edit", commitment), "title": commitment.title}
    response = editor_client.post(edit_url(commitment), data)
    assert response.status_code == 302
    assert "Nothing to save" in str(next(iter(get_messages(response.wsgi_request))))
    commitment.refresh_from_db()
    assert commitment.edit_version == 0


def test_invalid_edit_shows_errors_and_saves_nothing(editor_client, commitment):
    before = snapshot(commitment)
    data = {**valid_post("commitments:commitment_edit", commitment), "title": "", "strength": "promise"}
    response = editor_client.post(edit_url(commitment), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "strength"}
    # The page heading still shows the stored title, not the rejected input.
    assert commitment.title in response.content.decode()
    assert snapshot(commitment) == before


def test_second_edit_on_a_stale_version_is_refused_and_shows_what_changed(editor_client, commitment):
    other = UserFactory(editor=True, first_name="Keiko", last_name="Sato")
    opened = form_values(editor_client.get(edit_url(commitment)).content.decode())
    commitment_update(commitment=commitment, expected_edit_version=0, author=other, title="Their better title")
    before = snapshot(commitment)
    response = editor_client.post(edit_url(commitment), {**opened, "title": "My title"})
    assert response.status_code == 409
    content = response.content.decode()
    assert "were not saved: this commitment was edited by someone else" in content and "Keiko Sato" in content
    assert "Their better title" in content
    shown = form_values(content)
    # Both changed the title: the form holds this editor's, the page says so next to theirs.
    assert shown["title"] == ["My title"] and shown["expected_edit_version"] == ["1"]
    assert "You changed this too" in content
    assert snapshot(commitment) == before


def test_an_edit_conflict_keeps_my_changes_and_cannot_undo_theirs(editor_client, commitment):
    other = UserFactory(editor=True, first_name="Keiko", last_name="Sato")
    opened = form_values(editor_client.get(edit_url(commitment)).content.decode())
    commitment_update(
        commitment=commitment, expected_edit_version=0, author=other, title="Their better title", strength="implement"
    )
    mine = {**opened, "description": "Both sides will hold joint naval exercises every year."}
    response = editor_client.post(edit_url(commitment), mine)
    assert response.status_code == 409
    content = response.content.decode()
    # What changed lists the other save's fields only, not every field of the form.
    changes = re.findall(r"<li>(\w[\w ]*): <span class=\"visually-hidden\">was", content)
    assert changes == ["Title", "Strength"]
    assert "What you entered" not in content and "You changed this too" not in content
    # The form: my description, their title and strength (fields I left alone show the current values).
    shown = form_values(content)
    assert shown["description"] == [mine["description"]]
    assert (shown["title"], shown["strength"]) == (["Their better title"], ["implement"])
    # Saving it as it is keeps both changes.
    assert editor_client.post(edit_url(commitment), shown).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.title, commitment.strength, commitment.description) == (
        "Their better title",
        "implement",
        mine["description"],
    )


def test_a_status_update_does_not_make_the_edit_form_stale(editor_client, commitment):
    data = valid_post("commitments:commitment_edit", commitment)
    StatusUpdateFactory(commitment=commitment, status=Status.ONGOING)
    assert editor_client.post(edit_url(commitment), data).status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Joint naval exercises" and commitment.status == Status.ONGOING


# -- Search on each database ---------------------------------------------------------------------------------


def test_search_matches_words_on_every_database(reviewer_client, catalogue):
    url = reverse("commitments:commitment_list")
    assert listed(reviewer_client.get(url, {"search": "exercises"})) == ["SDP §3"]
    assert listed(reviewer_client.get(url, {"search": "CYBER"})) == ["SDP §5", "SPA §2"]
    # SQLite has no full-text search: the fallback is a plain substring match, so part of a word is enough;
    # PostgreSQL matches whole (stemmed) words.
    partial = listed(reviewer_client.get(url, {"search": "naval exerc"}))
    assert partial == (["SDP §3"] if connection.vendor == "sqlite" else [])


@pytest.mark.postgres
def test_search_is_full_text_on_postgresql(reviewer_client, catalogue):
    url = reverse("commitments:commitment_list")
    # Stemmed: "exercise" finds "exercises"; web-search syntax: both words, in any order.
    assert listed(reviewer_client.get(url, {"search": "exercise"})) == ["SDP §3"]
    assert listed(reviewer_client.get(url, {"search": "exercises joint"})) == ["SDP §3"]
    assert listed(reviewer_client.get(url, {"search": "cyber -dialogue"})) == ["SDP §5"]
    assert listed(reviewer_client.get(url, {"search": "SDP §4"})) == ["SDP §4"]
