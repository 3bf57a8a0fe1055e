"""The dialogue body pages and the record-a-meeting form: who may open them, what they show, what a save does."""

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments.tests.factories import CommitmentFactory, UserFactory
from dialogues.choices import Level
from dialogues.models import DialogueBody, Meeting
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory, OverdueFlagFactory
from tests.support import page_sections

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def body():
    summit = DialogueBodyFactory(short_name="SUMMIT", name="Japan–EU Summit", level=Level.LEADERS)
    strategic = DialogueBodyFactory(short_name="SD", name="Strategic Dialogue", reports_to=summit)
    return DialogueBodyFactory(
        short_name="SDD",
        name="Security and Defence Dialogue",
        reports_to=strategic,
        cadence_months=12,
        grace_days=60,
        established_on=dt.date(2024, 11, 1),
    )


def meeting_url(**query):
    url = reverse("dialogues:meeting_create")
    return f"{url}?body={query['body']}" if query else url


def read_urls(body):
    return [reverse("dialogues:body_list"), body.get_absolute_url()]


# -- Who may open what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("public_read", [False, True])
def test_anonymous_visitors(client, body, settings, public_read):
    settings.PUBLIC_READ = public_read
    for url in read_urls(body):
        assert client.get(url).status_code == (200 if public_read else 302), url
    for response in (
        client.get(meeting_url()),
        client.post(meeting_url(), {"body": body.pk, "held_on": "2025-01-01"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("public_read", [False, True])
def test_reviewers_read_but_get_403_on_the_meeting_form(reviewer_client, body, settings, public_read):
    settings.PUBLIC_READ = public_read
    for url in read_urls(body):
        assert reviewer_client.get(url).status_code == 200, url
    response = reviewer_client.get(meeting_url())
    assert response.status_code == 403 and "Editors only" in response.content.decode()
    assert reviewer_client.post(meeting_url(), {"body": body.pk, "held_on": "2025-01-01"}).status_code == 403
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("public_read", [False, True])
def test_editors_open_everything(editor_client, body, settings, public_read):
    settings.PUBLIC_READ = public_read
    for url in [*read_urls(body), meeting_url(), meeting_url(body="SDD")]:
        assert editor_client.get(url).status_code == 200, url


@pytest.mark.parametrize(("who", "sees"), [("editor_client", True), ("reviewer_client", False), ("client", False)])
def test_record_a_meeting_link_is_for_editors_only(request, settings, body, who, sees):
    settings.PUBLIC_READ = True
    client = request.getfixturevalue(who)
    for url in read_urls(body):
        assert (reverse("dialogues:meeting_create") in client.get(url).content.decode()) is sees


def test_unknown_body_is_404(reviewer_client, db):
    assert reviewer_client.get("/dialogues/NOPE/").status_code == 404


# -- The list ------------------------------------------------------------------------------------------------


def test_list_shows_cadence_next_due_and_overdue_days(reviewer_client, frozen_today):
    overdue = DialogueBodyFactory(short_name="HLED", established_on=dt.date(2024, 1, 10), cadence_months=12)
    DialogueBodyFactory(short_name="ADHOC", cadence_months=None)
    DialogueBodyFactory(short_name="FRESH", established_on=dt.date(2026, 1, 1), cadence_months=6)
    content = reviewer_client.get(reverse("dialogues:body_list")).content.decode()
    days = (TODAY - overdue.next_due_on).days
    assert days == 424
    # It never met: the state names the missing record and its start, not a lateness it may not have.
    assert "Overdue: no meeting recorded since it started on 10 January 2024" in content
    assert f"{days} days past due" not in content
    assert "every 12 months" in content and "ad hoc" in content and "1 Jul 2026" in content
    # FRESH never met: by the one state rule it is "never met", not "on schedule" (the timeline says the same).
    assert "No meeting recorded: first due by 1 Jul 2026" in content
    assert "on schedule" not in content.lower()
    assert "assumed" not in content.split("<tbody>")[1].split("</tbody>")[0]  # every fact here is stated


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"overdue": "true"}, ["OLD"]),
        ({"overdue": "false"}, ["ADHOC", "NEW"]),
        ({"level": "leaders"}, ["NEW"]),
        ({"search": "adh"}, ["ADHOC"]),
        ({"active": "false"}, ["ADHOC"]),
    ],
)
def test_list_filters(reviewer_client, frozen_today, query, expected):
    DialogueBodyFactory(short_name="OLD", name="Old dialogue", established_on=dt.date(2020, 1, 1))
    DialogueBodyFactory(short_name="NEW", name="New dialogue", level=Level.LEADERS, established_on=TODAY)
    DialogueBodyFactory(short_name="ADHOC", name="Ad hoc talks", cadence_months=None, active=False)
    response = reviewer_client.get(reverse("dialogues:body_list"), query)
    assert sorted(b.short_name for b in response.context["bodies"]) == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"level": "abc"}, "level", "Select a valid choice. abc is not one of the available choices."),
        ({"overdue": "maybe"}, "overdue", "Use true or false."),
        ({"agreement": "NOPE"}, "agreement", "No framework has the code NOPE."),
    ],
)
def test_an_invalid_filter_is_a_400_with_the_page_the_filter_form_and_what_to_fix(
    reviewer_client, frozen_today, query, field, message
):
    DialogueBodyFactory(short_name="OLD", name="Old dialogue", established_on=dt.date(2020, 1, 1))
    response = reviewer_client.get(reverse("dialogues:body_list"), {**query, "search": "old"})
    assert response.status_code == 400  # as /api/v1/dialogues/ answers the same query
    assert list(response.context["filter"].form.errors) == [field]
    assert list(response.context["bodies"]) == []
    content = response.content.decode()
    assert "Some filters are not valid, so no dialogue body is listed" in content
    assert f'<li><a href="#id_{field}">{message}</a></li>' in content
    assert 'aria-label="Filter dialogue bodies"' in content and 'value="old"' in content
    valid = reviewer_client.get(reverse("dialogues:body_list"), {"search": "old", "overdue": "true"})
    assert valid.status_code == 200 and [b.short_name for b in valid.context["bodies"]] == ["OLD"]
    assert "Some filters are not valid" not in valid.content.decode()


def make_bodies(count):
    parent = DialogueBodyFactory()
    for i in range(count):
        body = DialogueBodyFactory(reports_to=parent, overdue=bool(i % 2))
        if i % 3 == 0:
            MeetingFactory(body=body)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(reviewer_client, django_assert_max_num_queries):
    url = reverse("dialogues:body_list")
    make_bodies(4)
    few = count_queries(reviewer_client, url)
    make_bodies(45)
    assert count_queries(reviewer_client, url) == few
    with django_assert_max_num_queries(10):
        reviewer_client.get(url)


# -- The body page -------------------------------------------------------------------------------------------


def test_body_page_shows_reporting_line_cadence_meetings_and_commitments(reviewer_client, body, frozen_today):
    commitment = CommitmentFactory(reference="SDP §11", responsible_body=body)
    MeetingFactory(body=body, held_on=dt.date(2025, 11, 20), place="Brussels", commitments=[commitment])
    body.refresh_from_db()
    content = reviewer_client.get(body.get_absolute_url()).content.decode()
    assert content.index("Strategic Dialogue") < content.index("Japan–EU Summit")
    assert "every 12 months" in content and "60 days" in content
    assert "20 November 2025" in content and "Brussels" in content
    assert "next meeting due by 20 November 2026" in content
    assert "SDP §11" in content and commitment.get_absolute_url() in content


def test_body_page_lists_its_commitments_without_repeating_itself_as_their_responsible_body(reviewer_client, body):
    CommitmentFactory(reference="SDP §11", title="Joint exercises", responsible_body=body)
    page = page_sections(reviewer_client.get(body.get_absolute_url()).content.decode())
    section = page["Commitments it is responsible for"]
    assert section.headers == ["Reference", "Commitment", "Policy area", "State", "Progress", "Target date"]
    assert [row[:2] for row in section.rows] == [["SDP §11", "Joint exercises"]]


def test_a_body_with_no_commitment_says_so(reviewer_client, body):
    page = page_sections(reviewer_client.get(body.get_absolute_url()).content.decode())
    assert page["Commitments it is responsible for"].empty == ["No commitment names this body as responsible."]


def test_body_page_shows_overdue_state_with_days_and_open_flags(reviewer_client, body, frozen_today):
    # Established 1 Nov 2024, never met: due 1 Nov 2025, overdue after 31 Dec 2025.
    flag = OverdueFlagFactory(body=body, due_on=dt.date(2025, 11, 1), overdue_since=dt.date(2026, 1, 1))
    OverdueFlagFactory(body=body, closed=True, due_on=dt.date(2024, 1, 1), overdue_since=dt.date(2024, 3, 1))
    response = reviewer_client.get(body.get_absolute_url())
    content = response.content.decode()
    assert (
        "Overdue: no meeting recorded since it started on 1 November 2024</span>: "
        "its meeting was due on 1 November 2025" in content
    )
    # The sweep's flags, shown with the sweep's own include.
    assert [f.pk for f in response.context["open_flags"]] == [flag.pk]
    assert content.count('class="message message-error overdue-flag"') == 1
    assert 'datetime="2025-11-01"' in content and 'datetime="2024-01-01"' not in content


def test_body_page_query_count_does_not_grow(reviewer_client, body, django_assert_max_num_queries):
    url = body.get_absolute_url()
    MeetingFactory(body=body, commitments=[CommitmentFactory(responsible_body=body)])
    few = count_queries(reviewer_client, url)
    for _ in range(12):
        commitment = CommitmentFactory(responsible_body=body)
        MeetingFactory(body=body, commitments=[commitment], recorded_by=UserFactory())
        DialogueBodyFactory(reports_to=body)
    assert count_queries(reviewer_client, url) == few
    with django_assert_max_num_queries(14):
        reviewer_client.get(url)


# -- Record a meeting ----------------------------------------------------------------------------------------


def test_recording_a_meeting_moves_the_next_due_date_at_once(editor_client, editor, body, frozen_today):
    assert body.is_overdue()
    commitments = [CommitmentFactory(responsible_body=body), CommitmentFactory()]
    flag = OverdueFlagFactory(body=body)
    response = editor_client.post(
        meeting_url(),
        {
            "body": body.pk,
            "held_on": "2026-03-02",
            "place": "Tokyo",
            "summary": "Agreed a joint exercise plan",
            "commitments_advanced": [c.pk for c in commitments],
        },
    )
    assert response.status_code == 302 and response["Location"] == body.get_absolute_url()
    meeting = Meeting.objects.get()
    assert (meeting.body, meeting.held_on, meeting.place, meeting.recorded_by) == (
        body,
        dt.date(2026, 3, 2),
        "Tokyo",
        editor,
    )
    assert set(meeting.commitments_advanced.all()) == set(commitments)
    body.refresh_from_db()
    assert (body.last_meeting_on, body.next_due_on, body.is_overdue()) == (
        dt.date(2026, 3, 2),
        dt.date(2027, 3, 2),
        False,
    )
    flag.refresh_from_db()
    assert flag.closed_at is not None and flag.closed_by_meeting == meeting
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Saved: meeting of Security and Defence Dialogue on 2 March 2026; next meeting due by 2 March 2027."
    ]
    page = editor_client.get(body.get_absolute_url()).content.decode()
    assert "Agreed a joint exercise plan" in page and "2 March 2027" in page


def test_the_body_can_be_chosen_in_advance(editor_client, body):
    response = editor_client.get(meeting_url(body="SDD"))
    form = response.context["form"]
    assert form["body"].value() == body.pk
    # The chosen body's own commitments are listed (others are found with the picker's search).
    other = CommitmentFactory(responsible_body=DialogueBodyFactory(name="Aaa first by name"))
    own = CommitmentFactory(responsible_body=body)
    form = editor_client.get(meeting_url(body="SDD")).context["form"]
    groups = form.fields["commitments_advanced"].widget.choices
    assert groups == [(body.name, [(own.pk, f"{own.reference}: {own.title}")])]
    assert other.pk not in {pk for _, options in groups for pk, _ in options}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"held_on": "2026-03-11"}, "held_on", "the date is in the future"),
        ({"held_on": ""}, "held_on", "This field is required."),
        ({"held_on": "10/03/2026x"}, "held_on", "Enter a valid date."),
        ({"body": ""}, "body", "This field is required."),
        ({"body": "999999"}, "body", "Select a valid choice."),
        ({"commitments_advanced": ["999999"]}, "commitments_advanced", "Select a valid choice."),
    ],
)
def test_invalid_meeting_shows_field_errors_and_saves_nothing(editor_client, body, frozen_today, data, field, message):
    CommitmentFactory(responsible_body=body)
    before = DialogueBody.objects.values().get(pk=body.pk)
    response = editor_client.post(meeting_url(), {"body": body.pk, "held_on": "2026-03-01", **data})
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    content = response.content.decode()
    assert 'class="error-summary"' in content and 'aria-invalid="true"' in content
    assert not Meeting.objects.exists()
    assert DialogueBody.objects.values().get(pk=body.pk) == before


def test_a_second_meeting_on_the_same_day_is_refused_on_the_date_field(editor_client, body, frozen_today):
    MeetingFactory(body=body, held_on=dt.date(2026, 3, 1))
    response = editor_client.post(meeting_url(), {"body": body.pk, "held_on": "2026-03-01"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"held_on": ["This body already has a meeting recorded on that day."]}
    assert Meeting.objects.count() == 1


def test_recording_an_old_meeting_keeps_an_overdue_body_overdue(editor_client, body, frozen_today):
    response = editor_client.post(meeting_url(), {"body": body.pk, "held_on": "2024-12-01"})
    assert response.status_code == 302
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert "it is still overdue" in message
    assert timezone.localdate() == TODAY


def test_meeting_form_has_bounded_queries(editor_client, body, django_assert_max_num_queries):
    CommitmentFactory.create_batch(30, responsible_body=body)
    with django_assert_max_num_queries(10):
        assert editor_client.get(meeting_url(body="SDD")).status_code == 200


def test_a_body_whose_name_carries_its_short_name_shows_it_once(reviewer_client):
    """ "Asia-Europe Parliamentary Partnership (ASEP)" is not followed by "(ASEP)" a second time."""
    body = DialogueBodyFactory(short_name="ASEP", name="Asia-Europe Parliamentary Partnership (ASEP)")
    other = DialogueBodyFactory(short_name="SUMMIT", name="Japan–EU Summit")
    listing = reviewer_client.get(reverse("dialogues:body_list")).content.decode()
    detail = reviewer_client.get(body.get_absolute_url()).content.decode()
    assert "(ASEP) (ASEP)" not in listing and "Asia-Europe Parliamentary Partnership (ASEP)" in listing
    assert "Japan–EU Summit (SUMMIT)" in listing
    assert "(ASEP)</h1>" in detail and 'class="subtitle">(ASEP)' not in detail
    assert other.full_name == "Japan–EU Summit (SUMMIT)"


def test_the_commitment_picker_is_bounded_and_finds_the_others_without_javascript(editor_client, body, frozen_today):
    """Never one checkbox per commitment: the chosen body's (at most PICKER_BODY_LIMIT) and what a search finds.
    The search is a submit button of the same form: what was entered and ticked comes back, nothing is saved."""
    from dialogues.forms import PICKER_BODY_LIMIT

    own = CommitmentFactory.create_batch(PICKER_BODY_LIMIT + 5, responsible_body=body)
    elsewhere = CommitmentFactory.create_batch(30, title="Hydrogen supply chains")
    target = CommitmentFactory(title="Critical raw materials stockpiling")
    page = editor_client.get(meeting_url(body="SDD"))
    listed = [
        pk for _, options in page.context["form"].fields["commitments_advanced"].widget.choices for pk, _ in options
    ]
    assert len(listed) == PICKER_BODY_LIMIT and not set(listed) & {c.pk for c in elsewhere}
    assert "find the others below" in page.content.decode()

    posted = {"body": body.pk, "held_on": "2026-03-02", "place": "Tokyo", "commitments_advanced": [own[0].pk]}
    found = editor_client.post(meeting_url(), {**posted, "find": "raw materials", "find_commitments": "1"})
    assert found.status_code == 200 and not Meeting.objects.exists()
    html = found.content.decode()
    assert "Critical raw materials stockpiling" in html and "Hydrogen" not in html
    assert 'value="Tokyo"' in html and 'value="2026-03-02"' in html
    assert f'value="{own[0].pk}"' in html and "checked" in html
    assert 'class="error-summary"' not in html  # a search is not a refused save

    saved = editor_client.post(meeting_url(), {**posted, "commitments_advanced": [own[0].pk, target.pk]})
    assert saved.status_code == 302
    assert set(Meeting.objects.get().commitments_advanced.all()) == {own[0], target}


def test_find_with_an_empty_search_box_asks_for_words_not_nothing_found_for_nothing(editor_client, body, frozen_today):
    posted = {"body": body.pk, "held_on": "2026-03-02", "place": "Tokyo", "find": "  ", "find_commitments": "1"}
    html = editor_client.post(meeting_url(), posted).content.decode()
    assert "Nothing found for" not in html
    assert "Type words of a reference, title or description in “Find other commitments”, then press Find." in html
    assert 'value="Tokyo"' in html and not Meeting.objects.exists()


@pytest.mark.parametrize("find", ["x" * 60_000, "%" * 30_000])
@pytest.mark.parametrize("searching", [True, False])
def test_an_over_long_search_is_the_find_fields_error_and_never_reaches_the_database(
    editor_client, body, frozen_today, find, searching
):
    """The picker searched the raw value before the field's 200-character limit applied: SQLite refused the
    pattern ("LIKE or GLOB pattern too complex"), answered as a database outage (503)."""
    commitment = CommitmentFactory(responsible_body=body)
    posted = {"body": body.pk, "held_on": "2026-03-02", "place": "Tokyo", "commitments_advanced": [commitment.pk]}
    if searching:
        posted["find_commitments"] = "1"
    response = editor_client.post(meeting_url(), {**posted, "find": find})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["find"]
    message = f"Ensure this value has at most 200 characters (it has {len(find)})."
    assert form.errors["find"] == [message]
    html = response.content.decode()
    assert f"Find other commitments: {message}" in html  # the error summary, linked to the field
    assert "Nothing found" not in html and 'value="Tokyo"' in html
    assert form.found is None
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("field", ["body", "commitments_advanced"])
def test_an_id_no_column_can_hold_is_a_field_error_not_a_crash(editor_client, body, frozen_today, field):
    """A tampered form: an id beyond 64 bits (SQLite refused to even compare with it: a 500 before)."""
    commitment = CommitmentFactory(responsible_body=body)
    data = {"body": body.pk, "held_on": "2026-03-01", "commitments_advanced": [commitment.pk]}
    data[field] = [str(2**70), str(commitment.pk)] if field == "commitments_advanced" else str(2**70)
    response = editor_client.post(meeting_url(), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert "not one of the available choices" in response.context["form"].errors[field][0]
    assert Meeting.objects.count() == 0


# -- A date the documents give as a month is a month ---------------------------------------------------------


@pytest.fixture
def met_in_january(db):
    """SPACE met in January 2023, day unknown: stored on the 1st, month-precise."""
    body = DialogueBodyFactory(
        short_name="SPACE", name="Space Policy Dialogue", cadence_months=12, established_on=dt.date(2015, 1, 1)
    )
    meeting = MeetingFactory(body=body, held_on=dt.date(2023, 1, 1), held_on_precision="month", summary="Talked")
    body.refresh_from_db()
    return meeting


def test_the_body_page_shows_a_month_precise_meeting_as_its_month(editor_client, met_in_january, frozen_today):
    content = editor_client.get(met_in_january.body.get_absolute_url()).content.decode()
    assert "<dt>Last met</dt><dd>January 2023</dd>" in content
    assert 'Withdraw<span class="visually-hidden"> the meeting of January 2023</span>' in content
    assert "1 January 2023" not in content and "1 Jan 2023" not in content


def test_a_day_precise_meeting_still_shows_its_day(reviewer_client, met_in_january, frozen_today):
    body = met_in_january.body
    MeetingFactory(body=body, held_on=dt.date(2024, 2, 5))
    assert "<dt>Last met</dt><dd>5 February 2024</dd>" in reviewer_client.get(body.get_absolute_url()).content.decode()
    assert "5 Feb 2024" in reviewer_client.get(reverse("dialogues:body_list")).content.decode()


def test_the_body_list_shows_a_month_precise_last_meeting_as_its_month(reviewer_client, met_in_january, frozen_today):
    content = reviewer_client.get(reverse("dialogues:body_list")).content.decode()
    assert '<td class="nowrap" data-label="Last met">Jan 2023</td>' in content
    assert "1 Jan 2023" not in content


def test_withdrawing_a_month_precise_meeting_names_its_month(editor_client, met_in_january, frozen_today):
    url = reverse("dialogues:meeting_withdraw", args=[met_in_january.pk])
    page = editor_client.get(url).content.decode()
    assert "Space Policy Dialogue, January 2023</span>" in page and "1 January 2023" not in page
    response = editor_client.post(url, {"reason": "Recorded for the wrong body"})
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert message.startswith("Withdrawn: meeting of Space Policy Dialogue in January 2023;")


def test_recording_an_older_meeting_gives_the_due_date_of_a_month_precise_last_meeting_as_its_month(
    editor_client, met_in_january, frozen_today
):
    """Entered for the record, a 2022 meeting leaves January 2023 the last: due in January 2024, not on the 1st."""
    body = met_in_january.body
    response = editor_client.post(meeting_url(), {"body": body.pk, "held_on": "2022-05-10", "place": "Brussels"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Saved: meeting of Space Policy Dialogue on 10 May 2022; it is still overdue (the next meeting was due in "
        "January 2024)."
    ]


def test_withdrawing_a_meeting_back_to_a_month_precise_one_gives_the_due_date_as_its_month(
    editor_client, met_in_january, frozen_today
):
    later = MeetingFactory(body=met_in_january.body, held_on=dt.date(2025, 6, 3))
    response = editor_client.post(
        reverse("dialogues:meeting_withdraw", args=[later.pk]), {"reason": "Recorded for the wrong body"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Withdrawn: meeting of Space Policy Dialogue on 3 June 2025; it is overdue again (its meeting was due in "
        "January 2024)."
    ]


def test_a_meeting_that_leaves_a_day_precise_schedule_gives_its_due_day(editor_client, met_in_january, frozen_today):
    body = met_in_january.body
    response = editor_client.post(meeting_url(), {"body": body.pk, "held_on": "2026-03-02", "place": "Tokyo"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Saved: meeting of Space Policy Dialogue on 2 March 2026; next meeting due by 2 March 2027."
    ]
