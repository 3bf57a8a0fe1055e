"""A date the documents give as a month is a month: a body that met "June 2026" (stored 1 June, precision month)
may have met on 30 June, so with a 12-month cadence it is due by 30 June 2027 and overdue only once its grace after
that day has passed; a body started "2015" is due by the end of 2016. Never due, or flagged, before anyone can
know it. A meeting known to the day counts from that day, as before."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from core.templatetags.facts import about_years
from dialogues.choices import BodyState, FlagCloseReason
from dialogues.models import DialogueBody, Meeting, OverdueFlag
from dialogues.selectors import open_flags_for
from dialogues.services import meeting_save, overdue_sweep
from dialogues.tests.factories import DialogueBodyFactory, OverdueFlagFactory
from dialogues.tests.test_services import at

pytestmark = pytest.mark.django_db

RECORDED = dt.date(2026, 11, 27)  # the day the meetings are recorded (a meeting is recorded once held)
DUE = dt.date(2027, 6, 30)  # "June 2026" + 12 months: due by the end of June 2027
LAST_DAY_OF_GRACE = dt.date(2027, 7, 30)  # DUE + 30 days' grace; overdue the day after (overdue_after < on)


def _record(body: DialogueBody, held_on: dt.date, precision: str) -> None:
    """Record a meeting by the service the admin, the import and the API use."""
    with at(RECORDED):
        meeting_save(meeting=Meeting(body=body, held_on=held_on, held_on_precision=precision, place="Tokyo"))


def _listed(short_name: str) -> DialogueBody:
    return DialogueBody.objects.with_last_meeting_precision().get(short_name=short_name)


@pytest.fixture
def met_in_june():
    """Met "June 2026" (the day not known), every 12 months, 30 days' grace."""
    body = DialogueBodyFactory(short_name="MONTHLY", cadence_months=12, grace_days=30)
    _record(body, dt.date(2026, 6, 1), "month")
    return _listed("MONTHLY")


def test_a_body_that_met_in_june_is_due_by_the_end_of_june_a_year_on(met_in_june):
    body = met_in_june
    assert (body.next_due_on, body.overdue_after) == (DUE, LAST_DAY_OF_GRACE)
    assert (body.next_due_display, body.overdue_since_display) == ("June 2027", "July 2027")
    assert body.state(on=dt.date(2027, 6, 29)).code == BodyState.ON_SCHEDULE  # it may still meet by 30 June
    assert body.state(on=DUE).text == "Due since Jun 2027"


@pytest.mark.parametrize(
    ("on", "overdue"),
    [
        (dt.date(2027, 7, 15), False),  # counted from 1 June it was overdue from 2 July
        (LAST_DAY_OF_GRACE, False),
        (LAST_DAY_OF_GRACE + dt.timedelta(days=1), True),  # 31 July 2027
    ],
)
def test_a_body_that_met_in_june_is_overdue_only_after_its_grace_from_the_end_of_june(met_in_june, on, overdue):
    body = met_in_june
    assert body.is_overdue(on=on) is overdue
    assert DialogueBody.objects.overdue(on=on).filter(pk=body.pk).exists() is overdue
    state = body.state(on=on)
    if overdue:
        # Said to the month; the day count (sorting, the API) runs from the last day it was due by.
        assert (state.code, state.text) == (BodyState.OVERDUE, "Overdue: past due since Jun 2027")
        assert body.days_overdue(on=on) == 31
    else:
        assert (state.code, state.text, body.days_overdue(on=on)) == (BodyState.DUE, "Due since Jun 2027", None)


def test_a_meeting_known_to_the_day_still_counts_from_that_day():
    body = DialogueBodyFactory(short_name="DAILY", cadence_months=12, grace_days=30)
    _record(body, dt.date(2026, 6, 1), "day")
    body = _listed("DAILY")
    assert (body.next_due_on, body.overdue_after, body.next_due_display) == (
        dt.date(2027, 6, 1),
        dt.date(2027, 7, 1),
        "1 June 2027",
    )
    assert body.is_overdue(on=dt.date(2027, 7, 2)) and body.days_overdue(on=dt.date(2027, 7, 2)) == 31


def test_the_body_list_on_15_july_2027_says_due_not_overdue(met_in_june, client, reviewer):
    with at(dt.date(2027, 7, 15)):
        client.force_login(reviewer)  # signed in that day (a session from today would have expired by then)
        html = client.get(reverse("dialogues:body_list")).content.decode()
    assert "Due since Jun 2027" in html
    assert "Overdue: past due since Jun 2027" not in html


def test_a_body_started_in_a_year_is_due_by_the_end_of_the_year_a_cadence_later():
    """Started "2015" (stored 1 January), never met: due by 31 December 2016 (shown "2016"), not 1 January."""
    body = DialogueBodyFactory(
        short_name="YEARLY", cadence_months=12, grace_days=60, established_on=dt.date(2015, 1, 1)
    )
    DialogueBody.objects.filter(pk=body.pk).update(established_on_precision="year")
    body = _listed("YEARLY")
    body.refresh_schedule()
    assert (body.next_due_on, body.overdue_after, body.next_due_display) == (
        dt.date(2016, 12, 31),
        dt.date(2017, 3, 1),
        "2016",
    )
    assert body.state(on=dt.date(2016, 6, 1)).code == BodyState.NEVER_MET  # "first due by 2016", not overdue
    assert not body.is_overdue(on=dt.date(2017, 3, 1))
    assert body.state(on=dt.date(2017, 3, 2)).text == "Overdue: no meeting recorded since it started in 2015"


def test_a_cadence_of_months_from_a_year_is_due_by_the_end_of_a_month():
    """Started "2015", every 6 months: it may have started on 31 December, so it is due by 30 June 2016."""
    body = DialogueBodyFactory(short_name="HALF", cadence_months=6, grace_days=0, established_on=dt.date(2015, 1, 1))
    DialogueBody.objects.filter(pk=body.pk).update(established_on_precision="year")
    body = _listed("HALF")
    body.refresh_schedule()
    assert (body.next_due_on, body.next_due_display, body.schedule_precision) == (
        dt.date(2016, 6, 30),
        "June 2016",
        "month",
    )
    # The schedule the timeline and "what changed" read says the same of the due date.
    assert body.schedule().precision == "month"


def test_a_month_precise_meeting_is_due_by_the_last_day_of_a_shorter_month():
    body = DialogueBodyFactory(short_name="FEB", cadence_months=1, grace_days=0)
    _record(body, dt.date(2026, 1, 1), "month")  # met "January 2026": due by 28 February, then...
    assert _listed("FEB").next_due_on == dt.date(2026, 2, 28)
    _record(body, dt.date(2026, 2, 1), "month")  # ...met "February 2026": due by 31 March (not 28 March)
    assert _listed("FEB").next_due_on == dt.date(2026, 3, 31)


def test_the_sweep_opens_no_flag_before_the_grace_after_the_month_has_passed(
    met_in_june, django_capture_on_commit_callbacks
):
    for day in (dt.date(2027, 7, 15), LAST_DAY_OF_GRACE):
        with at(day), django_capture_on_commit_callbacks(execute=True):
            assert overdue_sweep().opened == 0
    assert not OverdueFlag.objects.exists()
    with at(LAST_DAY_OF_GRACE + dt.timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        assert overdue_sweep().opened_bodies == ("MONTHLY",)
    flag = OverdueFlag.objects.get()
    assert (flag.due_on, flag.overdue_since, flag.days_overdue_at_opening) == (DUE, dt.date(2027, 7, 31), 31)
    [shown] = open_flags_for(on=dt.date(2027, 7, 31))  # as the body page shows it
    assert shown.due_display == "June 2027"


def test_the_api_gives_the_day_due_by_and_its_precision(met_in_june, client, reviewer):
    with at(dt.date(2027, 7, 15)):
        client.force_login(reviewer)
        response = client.get("/api/v1/dialogues/MONTHLY/")
    assert response.status_code == 200, response.content
    row = response.json()
    assert (row["next_meeting_due"], row["next_meeting_due_precision"]) == ("2027-06-30", "month")
    assert (row["is_overdue"], row["days_overdue"], row["state"]) == (False, None, "due")


def test_the_migration_corrects_a_stored_schedule_and_the_open_flag_about_it(met_in_june):
    """A database written by the old rule (due 1 June 2027, flagged from 2 July) is put right on migrating."""
    body = met_in_june
    DialogueBody.objects.filter(pk=body.pk).update(
        next_due_on=dt.date(2027, 6, 1), overdue_after=dt.date(2027, 7, 1), has_open_flag=True
    )
    with at(dt.date(2027, 7, 10)):
        flag = OverdueFlagFactory(
            body=body, due_on=dt.date(2027, 6, 1), overdue_since=dt.date(2027, 7, 2), days_overdue_at_opening=39
        )
    migration = importlib.import_module("dialogues.migrations.0011_schedules_count_from_the_last_day")
    migration.recompute_schedules(apps, None)
    stored = DialogueBody.objects.get(pk=body.pk)
    assert (stored.next_due_on, stored.overdue_after) == (DUE, LAST_DAY_OF_GRACE)
    flag.refresh_from_db()
    assert (flag.due_on, flag.overdue_since, flag.days_overdue_at_opening) == (DUE, dt.date(2027, 7, 31), 10)
    # The next sweep closes the flag opened too early, saying the body is no longer overdue (not that it met).
    with at(dt.date(2027, 7, 15)):
        assert overdue_sweep().closed == 1
    flag.refresh_from_db()
    assert flag.close_reason == FlagCloseReason.NO_LONGER_OVERDUE and flag.closed_by_meeting is None


@pytest.mark.parametrize(("days", "words"), [(729, ""), (730, "about 2 years"), (1049, "about 3 years")])
def test_about_n_years_is_said_from_two_years_on(days, words):
    assert about_years(days) == words


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (dt.date(2026, 12, 7), BodyState.ON_SCHEDULE),
        (DUE, BodyState.DUE),
    ],
)
def test_the_state_of_a_month_schedule_carries_its_precision(met_in_june, on, code):
    """The state's own due date (what the body page prints after "next meeting due by") is a month too."""
    state = met_in_june.state(on=on)
    assert (state.code, state.due_precision, state.due_display) == (code, "month", "June 2027")


def test_a_body_that_never_met_states_its_first_due_month():
    body = DialogueBodyFactory(
        short_name="NEWBODY", cadence_months=12, established_on=dt.date(2026, 3, 1), established_on_precision="month"
    )
    body.refresh_schedule()
    state = DialogueBody.objects.with_last_meeting_precision().get(pk=body.pk).state(on=dt.date(2026, 12, 7))
    assert (state.code, state.text) == (BodyState.NEVER_MET, "No meeting recorded: first due by Mar 2027")
    assert (state.due_precision, state.due_display) == ("month", "March 2027")


def test_a_body_refreshed_after_a_month_meeting_shows_its_due_month_at_once():
    """The instance the service refreshed (the page that recorded the meeting shows it) knows the meeting's
    precision without being read again."""
    body = DialogueBodyFactory(short_name="FRESH", cadence_months=12, grace_days=30)
    _record(body, dt.date(2026, 6, 1), "month")
    body.refresh_schedule()
    assert (body.last_meeting_precision, body.next_due_display) == ("month", "June 2027")


def test_the_cadence_rule_refuses_a_last_meeting_without_its_precision():
    body = DialogueBodyFactory(short_name="NOPREC", cadence_months=12)
    with pytest.raises(
        TypeError, match=r"^schedule\(\): a last meeting needs its precision \(last_meeting_precision\)$"
    ):
        body.schedule(last_meeting_on=dt.date(2026, 6, 1))


def test_a_meeting_committed_in_between_is_named_to_its_own_precision():
    """The race branch of saving a meeting: the unique key finds the meeting another writer committed; the conflict
    names that meeting's month, not another body's or another day's precision."""
    from dialogues.services import MeetingConflict, _save_meeting

    body = DialogueBodyFactory(short_name="RACED", name="Zeta Dialogue", cadence_months=12)
    other = DialogueBodyFactory(short_name="OTHER", name="Alpha Dialogue", cadence_months=12)
    _record(other, dt.date(2026, 6, 1), "day")  # another body's meeting that day, listed first by name
    _record(body, dt.date(2026, 6, 1), "month")  # what the other writer committed: "June 2026"
    _record(body, dt.date(2026, 9, 10), "day")  # a later meeting of the same body, known to the day
    with pytest.raises(MeetingConflict) as conflict:
        _save_meeting(Meeting(body=body, held_on=dt.date(2026, 6, 1), place="Tokyo"), author=None)
    assert conflict.value.precision == "month"
    assert str(conflict.value) == (
        "Zeta Dialogue already has a meeting recorded in June 2026, which takes the date you entered (1 June 2026): "
        "nothing was saved."
    )
