"""Facts with provenance on dialogue bodies: stated or assumed, the one state rule, confirming an assumption, and
the bounds on a meeting's date and outcome (through the form and the API, with nothing written on refusal)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from commitments.tests.api_support import _fresh_throttle_counters, assert_error, editor_api, reviewer_api
from commitments.tests.factories import SourceDocumentFactory
from core.models import LONG_TEXT_MAX
from dialogues.choices import BodyState
from dialogues.models import DialogueBody, Meeting, body_state
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

__all__ = ["_fresh_throttle_counters", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def guessed():
    """Never met since 2020, on an annual cadence that no document states: overdue, on an assumption."""
    return DialogueBodyFactory(short_name="GUESS", name="Guessed Dialogue", assumed_cadence=True)


# --- The model rules ----------------------------------------------------------------------------------------------


def test_a_known_fact_must_say_whether_it_is_stated_or_assumed():
    body = DialogueBodyFactory.build(short_name="X", cadence_basis="", cadence_source=None)
    with pytest.raises(ValidationError) as error:
        body.full_clean(exclude=["source_document"])
    assert "cadence_basis" in error.value.message_dict


def test_assumed_needs_a_reason_and_stated_needs_a_source_in_clean_and_in_the_database():
    body = DialogueBodyFactory(short_name="X")
    body.cadence_basis, body.cadence_source, body.cadence_reason = "assumed", None, ""
    with pytest.raises(ValidationError) as error:
        body.full_clean()
    assert error.value.message_dict["cadence_reason"] == ["Say why the cadence is assumed."]
    with pytest.raises(IntegrityError), transaction.atomic():
        DialogueBody.objects.filter(pk=body.pk).update(cadence_basis="assumed", cadence_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        DialogueBody.objects.filter(pk=body.pk).update(level_basis="stated", level_source=None)
    body.refresh_from_db()
    assert body.cadence_basis == "stated" and body.level_source_id is not None


def test_a_start_known_to_the_month_is_stored_on_the_first():
    body = DialogueBodyFactory(short_name="X", established_on=dt.date(2023, 7, 15), established_on_precision="month")
    with pytest.raises(ValidationError) as error:
        body.full_clean()
    assert "established_on" in error.value.message_dict


# --- The one state rule -------------------------------------------------------------------------------------------

ON = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("kwargs", "code", "label"),
    [
        ({"active": False}, BodyState.INACTIVE, "Inactive"),
        ({"cadence_months": None}, BodyState.NEVER_MET, "No meeting recorded (meets ad hoc)"),
        ({"cadence_months": None, "last_meeting_on": dt.date(2025, 1, 1)}, BodyState.AD_HOC, "Ad hoc"),
        ({"next_due_on": None, "overdue_after": None}, BodyState.CANNOT_TELL, "Cannot tell: no meeting or start date"),
        (
            {"next_due_on": dt.date(2026, 1, 1), "overdue_after": dt.date(2026, 3, 2)},
            BodyState.OVERDUE,
            "Overdue: 68 days past due, no meeting recorded",
        ),
        (
            {"next_due_on": dt.date(2026, 3, 1), "overdue_after": dt.date(2026, 4, 30)},
            BodyState.DUE,
            "Due since 1 Mar 2026, no meeting recorded",
        ),
        ({"next_due_on": dt.date(2026, 6, 1)}, BodyState.NEVER_MET, "No meeting recorded: first due by 1 Jun 2026"),
        (
            {"next_due_on": dt.date(2026, 6, 1), "last_meeting_on": dt.date(2025, 6, 1)},
            BodyState.ON_SCHEDULE,
            "Met on schedule",
        ),
    ],
)
def test_body_state_decides_each_case(kwargs, code, label):
    facts = {
        "active": True,
        "cadence_months": 12,
        "last_meeting_on": None,
        "next_due_on": None,
        "overdue_after": None,
        "on": ON,
    }
    facts.update(kwargs)
    if facts["next_due_on"] and "overdue_after" not in kwargs:
        facts["overdue_after"] = facts["next_due_on"] + dt.timedelta(days=60)
    state = body_state(**facts)
    assert (state.code, state.label) == (code, label)


def test_a_state_on_an_assumed_cadence_says_so(guessed):
    state = guessed.state()
    assert state.code == BodyState.OVERDUE and state.assumed
    assert state.text.endswith("(on an assumed cadence or start date)")
    stated = DialogueBodyFactory(short_name="STATED", established_on=dt.date(2020, 1, 1))
    assert stated.state().code == BodyState.OVERDUE and not stated.state().assumed


# --- Pages and API say which --------------------------------------------------------------------------------------


def test_the_list_the_body_page_and_the_timeline_mark_an_assumed_cadence(reviewer_client, guessed):
    listing = reviewer_client.get(reverse("dialogues:body_list")).content.decode()
    assert "<strong>assumed</strong>" in listing
    assert "rests on an <strong>assumed</strong> cadence or start date" in listing
    page = reviewer_client.get(guessed.get_absolute_url()).content.decode()
    assert "<strong>assumed</strong> by the tracker (its default): dialogues meet annually" in page
    timeline = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    assert "<strong>assumed</strong>" in timeline and "Overdue: no meeting recorded since it started" in timeline


def test_the_timeline_chart_marks_due_dates_that_rest_on_an_assumption(reviewer_client, guessed):
    """The chart itself, not only its table: hatched stretches and an "assumed" tag that links to the facts."""
    from dashboards.selectors import cadence_timeline

    stated = DialogueBodyFactory(short_name="STATED", established_on=dt.date(2020, 1, 1))
    rows = {row.body.short_name: row for row in cadence_timeline().rows}
    assert rows["GUESS"].spans and all(span.assumed for span in rows["GUESS"].spans)
    assert rows["GUESS"].assumed_facts == [
        "Cadence every 12 months, assumed by the tracker (its default): dialogues meet annually"
    ]
    assert rows["STATED"].spans and not any(span.assumed for span in rows["STATED"].spans)
    assert rows["STATED"].assumed_facts == []
    html = reviewer_client.get(reverse("dashboards:timeline")).content.decode()
    chart = html[html.index('<svg class="cadence-timeline"') : html.index("</svg>", html.index("cadence-timeline"))]
    guess = chart[chart.index('data-body="GUESS"') : chart.index("</g>", chart.index('data-body="GUESS"'))]
    assert f'<a href="{guessed.get_absolute_url()}#fact-cadence" class="assumed-link"' in guess
    assert ">assumed</text>" in guess and "dialogues meet annually" in guess
    assert 'class="span cadence assumed"' in guess and 'fill="url(#assumed-hatch)"' in guess
    plain = chart[chart.index('data-body="STATED"') : chart.index("</g>", chart.index('data-body="STATED"'))]
    assert "assumed" not in plain and stated.name in plain
    page = reviewer_client.get(guessed.get_absolute_url()).content.decode()
    assert 'id="fact-cadence"' in page


def test_the_api_gives_each_facts_basis_the_state_and_whether_it_rests_on_an_assumption(reviewer_api, guessed):
    source = SourceDocumentFactory(key="SDP-2024")
    DialogueBodyFactory(short_name="SDD", source_document=source, established_on=dt.date(2024, 11, 1))
    rows = {row["short_name"]: row for row in reviewer_api.get("/api/v1/dialogues/").json()["results"]}
    guess, sdd = rows["GUESS"], rows["SDD"]
    assert guess["cadence_basis"] == {
        "basis": "assumed",
        "source": None,
        "locator": "",
        "assumed_by": "the tracker (its default)",
        "reason": "dialogues meet annually",
    }
    assert (guess["state"], guess["is_overdue"], guess["schedule_rests_on_assumption"]) == ("overdue", True, True)
    assert "assumed" in guess["state_label"]
    assert sdd["cadence_basis"]["basis"] == "stated" and sdd["cadence_basis"]["source"] == "SDP-2024"
    assert sdd["established_on_precision"] == "day" and sdd["reports_to_basis"]["basis"] is None
    assert (sdd["state"], sdd["schedule_rests_on_assumption"]) == ("overdue", False)
    schema = reviewer_api.get(reverse("api:schema")).content.decode()
    assert "schedule_rests_on_assumption" in schema and "cadence_basis" in schema


# --- Confirming an assumption -------------------------------------------------------------------------------------


def confirm_url(body):
    return reverse("dialogues:body_confirm_fact", kwargs={"short_name": body.short_name})


def seen(record, fact="cadence"):
    """The hidden ``seen`` field as the form sends it when opened now."""
    return f"{fact}={record.fact(fact).fingerprint}"


def test_an_editor_confirms_an_assumed_cadence_by_giving_its_source(editor_client, editor, guessed):
    source = SourceDocumentFactory(key="EP-IDA-2024")
    form = editor_client.get(confirm_url(guessed)).content.decode()
    assert "Cadence: every 12 months (assumed by the tracker (its default): dialogues meet annually)" in form
    response = editor_client.post(
        confirm_url(guessed),
        {"fact": "cadence", "source_document": source.pk, "locator": "§2.4", "seen": seen(guessed)},
    )
    assert response.status_code == 302
    guessed.refresh_from_db()
    assert (guessed.cadence_basis, guessed.cadence_source, guessed.cadence_locator) == ("stated", source, "§2.4")
    assert guessed.cadence_reason == "" and not guessed.schedule_rests_on_assumption
    assert guessed.history.first().history_user == editor
    page = editor_client.get(guessed.get_absolute_url()).content.decode()
    assert "stated in EP-IDA-2024, §2.4" in page


def test_a_reviewer_cannot_confirm_and_nothing_changes(reviewer_client, guessed):
    source = SourceDocumentFactory()
    response = reviewer_client.post(
        confirm_url(guessed), {"fact": "cadence", "source_document": source.pk, "locator": "§1", "seen": seen(guessed)}
    )
    assert response.status_code == 403
    guessed.refresh_from_db()
    assert guessed.cadence_basis == "assumed"


def test_a_confirmation_without_a_locator_is_refused_and_nothing_changes(editor_client, guessed):
    source = SourceDocumentFactory()
    response = editor_client.post(
        confirm_url(guessed), {"fact": "cadence", "source_document": source.pk, "locator": "", "seen": seen(guessed)}
    )
    assert response.status_code == 400
    guessed.refresh_from_db()
    assert guessed.cadence_basis == "assumed" and guessed.cadence_source is None


def test_two_editors_confirming_the_same_assumption_the_second_gets_409_and_nothing_of_his(editor_client, guessed):
    first, second = SourceDocumentFactory(key="EP-IDA-2024"), SourceDocumentFactory(key="MARTENS-2024")
    opened = seen(guessed)  # both opened the form on the assumed cadence
    ok = editor_client.post(
        confirm_url(guessed), {"fact": "cadence", "source_document": first.pk, "locator": "§2.4", "seen": opened}
    )
    assert ok.status_code == 302
    late = editor_client.post(
        confirm_url(guessed), {"fact": "cadence", "source_document": second.pk, "locator": "p. 3", "seen": opened}
    )
    assert late.status_code == 409
    page = late.content.decode()
    assert "the cadence was changed after you opened the form" in page
    assert "It is now stated in EP-IDA-2024, §2.4" in page and "You had named MARTENS-2024, p. 3" in page
    guessed.refresh_from_db()
    assert (guessed.cadence_source, guessed.cadence_locator) == (first, "§2.4")


def test_a_confirmation_from_a_form_without_its_fingerprint_is_refused(editor_client, guessed):
    source = SourceDocumentFactory()
    response = editor_client.post(
        confirm_url(guessed), {"fact": "cadence", "source_document": source.pk, "locator": "§1"}
    )
    assert response.status_code == 400 and "This form is out of date" in response.content.decode()
    guessed.refresh_from_db()
    assert guessed.cadence_basis == "assumed"


# --- Bounds on meetings (form and API) -----------------------------------------------------------------------------


@pytest.fixture
def started():
    return DialogueBodyFactory(short_name="SDD", established_on=dt.date(2024, 11, 1))


@pytest.mark.parametrize(
    ("short_name", "held_on", "message"),
    [
        ("SDD", "2024-10-31", "SDD started on 1 November 2024: a meeting cannot predate its start."),
        ("OPEN", "1900-01-01", "A meeting cannot be dated before 1 January 1950."),
        ("SDD", "2026-03-11", "Record a meeting once it has been held: the date is in the future."),
    ],
)
def test_a_meeting_outside_its_bounds_is_refused_by_the_form_and_the_api(
    editor_client, editor_api, started, short_name, held_on, message
):
    body = DialogueBodyFactory(short_name="OPEN", established_on=None) if short_name == "OPEN" else started
    response = editor_client.post(reverse("dialogues:meeting_create"), {"body": body.pk, "held_on": held_on})
    assert response.status_code == 400
    assert message in response.content.decode()
    api = editor_api.post("/api/v1/meetings/", {"dialogue": short_name, "held_on": held_on}, format="json")
    assert assert_error(api, 400)["errors"]["held_on"] == [message]
    assert not Meeting.objects.exists()
    body.refresh_from_db()
    assert body.last_meeting_on is None


def test_a_meeting_on_the_day_its_body_started_is_accepted(editor_api, started):
    response = editor_api.post("/api/v1/meetings/", {"dialogue": "SDD", "held_on": "2024-11-01"}, format="json")
    assert response.status_code == 201


def test_an_outcome_longer_than_the_limit_is_refused_by_the_form_and_the_api(editor_client, editor_api, started):
    too_long = "x" * (LONG_TEXT_MAX + 1)
    form = editor_client.get(reverse("dialogues:meeting_create")).content.decode()
    assert f'maxlength="{LONG_TEXT_MAX}"' in form and "char-counter.js" in form
    response = editor_client.post(
        reverse("dialogues:meeting_create"), {"body": started.pk, "held_on": "2025-01-10", "summary": too_long}
    )
    assert response.status_code == 400
    api = editor_api.post(
        "/api/v1/meetings/", {"dialogue": "SDD", "held_on": "2025-01-10", "summary": too_long}, format="json"
    )
    assert "summary" in assert_error(api, 400)["errors"]
    assert not Meeting.objects.exists()


def test_a_meeting_known_to_the_month_is_shown_without_an_invented_day(reviewer_client, started):
    MeetingFactory(body=started, held_on=dt.date(2025, 1, 1), held_on_precision="month")
    page = reviewer_client.get(started.get_absolute_url()).content.decode()
    assert "Jan 2025" in page and "1 Jan 2025" not in page
