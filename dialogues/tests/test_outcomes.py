"""Where a commitment was made: the meeting that produced it, the meeting's page listing its outcomes with their state
today (as the commitment list shows it) and a one-line summary, and the commitments the meeting advanced;
``outcomes`` on the meeting in the API, and the seed data's links."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from commitments.choices import Status
from commitments.models import Commitment
from commitments.selectors import state_summary, status_summary
from commitments.services import commitment_update
from commitments.tests.api_support import _fresh_throttle_counters, reviewer_api
from commitments.tests.factories import CommitmentFactory, SourceDocumentFactory, StatusUpdateFactory, UserFactory
from dialogues.models import Meeting
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from tests.support import page_sections

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

MADE = "Commitments made at this meeting"
ADVANCED = "Commitments advanced at this meeting"

pytestmark = pytest.mark.django_db


@pytest.fixture
def summit():
    meeting = MeetingFactory(body=DialogueBodyFactory(short_name="SUMMIT", name="EU–Japan Summit"), place="Brussels")
    source = SourceDocumentFactory(key="PRESS", title="Press report of the summit")
    made = [
        CommitmentFactory(reference=f"JS §{n}", made_at=meeting, made_at_source=source, made_at_locator=f"¶{n}")
        for n in range(1, 5)
    ]
    StatusUpdateFactory(commitment=made[0], status=Status.ACHIEVED, evidence_reference="Regulation")
    StatusUpdateFactory(commitment=made[1], status=Status.IN_PROGRESS)
    StatusUpdateFactory(commitment=made[2], status=Status.IN_PROGRESS)
    return meeting


def test_the_summary_line_counts_each_status_in_order():
    assert status_summary(["in_progress", "achieved", "not_started", "in_progress"]) == (
        "4 commitments: 1 achieved, 2 in progress, 1 not started"
    )
    assert status_summary(["achieved"]) == "1 commitment: 1 achieved"
    assert status_summary([]) == "No commitments recorded."


def test_the_state_summary_counts_each_state_in_the_order_readers_meet_them():
    states = [CommitmentFactory.build(status=status).state() for status in ("not_started", "in_progress", "achieved")]
    assert state_summary(states) == "3 commitments, by their state today: 1 achieved, 1 moving, 1 not started"
    assert state_summary([]) == ""


def test_a_source_for_where_it_was_made_needs_the_meeting(summit):
    commitment = Commitment.objects.filter(made_at=summit).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(made_at=None)


def test_changing_the_meeting_by_the_edit_service_drops_the_old_source_and_is_audited(summit):
    commitment = Commitment.objects.filter(made_at=summit).first()
    other = MeetingFactory(body=summit.body)
    summit.body.agreements.add(commitment.agreement)  # a dialogue body of its framework: a meeting it may be made at
    editor = UserFactory(editor=True)
    _, changed = commitment_update(commitment=commitment, expected_edit_version=0, author=editor, made_at=other)
    assert set(changed) == {"made_at", "made_at_source", "made_at_locator"}
    commitment.refresh_from_db()
    assert (commitment.made_at, commitment.made_at_source, commitment.made_at_locator) == (other, None, "")
    assert commitment.history.first().history_user == editor


def test_the_meeting_page_lists_its_outcomes_with_their_state_today(reviewer_client, summit):
    page = page_sections(reviewer_client.get(reverse("dialogues:meeting_detail", args=[summit.pk])).content.decode())
    made = page[MADE]
    # Updated today: the achieved one is achieved, the two in progress are moving, the one never updated not started.
    assert made.summary == "4 commitments, by their state today: 1 achieved, 2 moving, 1 not started"
    assert [row[0] for row in made.rows] == ["JS §1", "JS §2", "JS §3", "JS §4"]
    assert made.headers[2] == "State" and "Status today" not in made.headers
    assert [row[2] for row in made.rows] == ["Achieved", "Moving in progress", "Moving in progress", "Not started"]
    assert made.rows[0][-1] == "Press report of the summit, ¶1"
    assert reviewer_client.get(reverse("dialogues:meeting_detail", args=[999999])).status_code == 404


def test_a_stale_outcome_reads_stale_on_the_meeting_page_as_in_the_commitment_list(reviewer_client):
    """Recorded "in progress" two years ago and not updated since: the list says stale, so the meeting page does."""
    meeting = MeetingFactory(body=DialogueBodyFactory(short_name="SUMMIT", name="Japan–EU Summit"))
    with time_machine.travel(dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC), tick=False):
        commitment = CommitmentFactory(reference="JS §7", made_at=meeting)
        StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS)
    listed = page_sections(reviewer_client.get(reverse("commitments:commitment_list")).content.decode())
    (list_row,) = [row for section in listed.values() for row in section.rows if row[:1] == ["JS §7"]]
    page = page_sections(reviewer_client.get(meeting.get_absolute_url()).content.decode())
    (row,) = page[MADE].rows
    assert row[2] == "Stale recorded: in progress" and row[2] in list_row
    assert row[4] == "1 Jul 2024"  # the recorded status's date, as the list's "Last reviewed"
    assert page[MADE].summary == "1 commitment, by their state today: 1 stale"


def test_the_meetings_breadcrumb_names_the_body(reviewer_client, summit):
    page = reviewer_client.get(summit.get_absolute_url()).content.decode()
    crumbs = page[page.index('class="breadcrumb"') : page.index("</nav>", page.index('class="breadcrumb"'))]
    assert ">EU–Japan Summit</a>" in crumbs and ">SUMMIT<" not in crumbs


def test_the_meeting_page_lists_the_commitments_it_advanced_with_their_state(reviewer_client, summit):
    council = DialogueBodyFactory(short_name="DPC", name="Japan–EU Digital Partnership Council")
    advanced = [
        CommitmentFactory(reference="DP §2", responsible_body=council, title="Cooperate on semiconductors"),
        CommitmentFactory(reference="DP §1", title="Data flows with trust", achieved=True),
    ]
    summit.commitments_advanced.set(advanced)
    page = page_sections(reviewer_client.get(summit.get_absolute_url()).content.decode())
    section = page[ADVANCED]
    assert "Responsible body" in section.headers and "State" in section.headers
    assert [row[:2] for row in section.rows] == [
        ["DP §1", "Data flows with trust"],
        ["DP §2", "Cooperate on semiconductors"],
    ]
    body = section.headers.index("Responsible body")
    state = section.headers.index("State")
    assert [(row[body], row[state]) for row in section.rows] == [
        ("—", "Achieved"),
        ("Japan–EU Digital Partnership Council", "Not started"),
    ]
    assert section.empty == []


def test_an_empty_meeting_says_so_once_per_section(reviewer_client):
    meeting = MeetingFactory()
    page = page_sections(reviewer_client.get(meeting.get_absolute_url()).content.decode())
    assert (page[MADE].empty, page[MADE].summary, page[MADE].rows) == (
        ["No commitment is recorded as made at this meeting."],
        "",
        [],
    )
    assert page[ADVANCED].empty == ["No commitment is recorded as advanced at this meeting."]
    assert page[ADVANCED].rows == []
    assert "No commitments recorded." not in reviewer_client.get(meeting.get_absolute_url()).content.decode()


def test_the_meeting_page_costs_the_same_queries_for_4_or_20_outcomes_and_advanced(
    reviewer_client, summit, django_assert_max_num_queries
):
    url = reverse("dialogues:meeting_detail", args=[summit.pk])
    summit.commitments_advanced.set([CommitmentFactory(with_body=True)])
    with django_assert_max_num_queries(11) as few:
        reviewer_client.get(url)
    for n in range(5, 21):
        CommitmentFactory(reference=f"JS §{n}", made_at=summit)
        summit.commitments_advanced.add(CommitmentFactory(with_body=True))
    with django_assert_max_num_queries(len(few)):
        page = page_sections(reviewer_client.get(url).content.decode())
    assert len(page[MADE].rows) == 20 and len(page[ADVANCED].rows) == 17


def test_a_meeting_is_named_by_its_bodys_name_in_the_edit_form_and_the_timeline(editor_client, editor):
    summit = MeetingFactory(
        body=DialogueBodyFactory(short_name="SUMMIT", name="Japan–EU Summit"), held_on=dt.date(2023, 7, 13)
    )
    commitment = CommitmentFactory(reference="JS §9")
    summit.body.agreements.add(commitment.agreement)
    form = editor_client.get(reverse("commitments:commitment_edit", args=[commitment.pk])).content.decode()
    assert f'<option value="{summit.pk}">Japan–EU Summit, 13 July 2023</option>' in form
    assert "SUMMIT — " not in form
    commitment_update(commitment=commitment, expected_edit_version=0, author=editor, made_at=summit)
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "Japan–EU Summit, 13 July 2023" in page and "SUMMIT — " not in page
    assert str(summit) == "Japan–EU Summit, 13 July 2023"


def test_the_commitment_page_names_the_meeting_it_was_made_at(reviewer_client, summit):
    commitment = Commitment.objects.filter(made_at=summit).first()
    page = reviewer_client.get(commitment.get_absolute_url()).content.decode()
    assert summit.get_absolute_url() in page and "EU–Japan Summit" in page


def test_outcomes_on_the_meeting_in_the_api_and_made_at_on_the_commitment(reviewer_api, summit):
    body = reviewer_api.get(f"/api/v1/meetings/{summit.pk}/").json()
    assert body["outcomes_summary"] == "4 commitments: 1 achieved, 2 in progress, 1 not started"
    assert [o["reference"] for o in body["outcomes"]] == ["JS §1", "JS §2", "JS §3", "JS §4"]
    assert body["outcomes"][0]["status"] == "achieved"
    assert "outcomes" not in reviewer_api.get("/api/v1/meetings/").json()["results"][0]
    commitment = Commitment.objects.get(reference="JS §1")
    detail = reviewer_api.get(f"/api/v1/commitments/{commitment.pk}/").json()
    assert detail["made_at"] == summit.pk and detail["made_at_url"].endswith(f"/api/v1/meetings/{summit.pk}/")


def test_a_status_update_changes_the_meetings_etag(reviewer_api, summit):
    url = f"/api/v1/meetings/{summit.pk}/"
    etag = reviewer_api.get(url)["ETag"]
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    StatusUpdateFactory(commitment=Commitment.objects.get(reference="JS §4"), status=Status.IN_PROGRESS)
    assert reviewer_api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_seed_ties_the_2023_summits_statement_to_the_summit(seed_data, reviewer_client):
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    outcomes = Commitment.objects.filter(made_at=summit)
    assert outcomes.count() == 19 and set(outcomes.values_list("agreement__code", flat=True)) == {"JS-2023"}
    assert all(c.made_at_source_id and c.made_at_locator for c in outcomes)
    page = reviewer_client.get(summit.get_absolute_url()).content.decode()
    assert "JS-2023 (PRESS ¶4)" in page and "Launch an annual Strategic Dialogue" in page
    states = [c.state().label for c in outcomes]
    summary = page_sections(page)[MADE].summary
    assert summary.startswith("19 commitments, by their state today: ")
    for label in set(states):
        assert f"{states.count(label)} {label.lower()}" in summary
    # Only what the documents state: the Green Alliance at the 2021 summit, the Digital Partnership at the 2022 one.
    assert set(Commitment.objects.filter(made_at__held_on="2021-05-27").values_list("agreement__code", flat=True)) == {
        "GA"
    }
    assert Commitment.objects.filter(made_at__isnull=False).count() == 32


def test_the_api_documentation_example_of_a_meetings_outcomes_is_what_the_seed_answers(seed_data, reviewer_api):
    """The OpenAPI example of ``GET /api/v1/meetings/{id}/`` quotes the seeded 13 July 2023 summit: every field it
    shows (but the ids and the moment the seed was loaded, which depend on the database) is what the API answers for
    that meeting; its two lists are abridged to entries the answer has."""
    schema = reviewer_api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    content = schema["paths"]["/api/v1/meetings/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]
    (example,) = [example["value"] for example in content["examples"].values()]
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    answer = reviewer_api.get(f"/api/v1/meetings/{summit.pk}/").json()
    assert set(example) == set(answer)
    ids, lists = {"id", "url"}, {"outcomes", "commitments_advanced"}
    assert {key: value for key, value in example.items() if key not in ids | lists | {"created_at"}} == {
        key: answer[key] for key in example if key not in ids | lists | {"created_at"}
    }
    for name in lists:
        answered = {entry["reference"]: entry for entry in answer[name]}
        assert example[name]
        for shown in example[name]:
            assert {key: value for key, value in shown.items() if key not in ids} == {
                key: answered[shown["reference"]][key] for key in shown if key not in ids
            }
