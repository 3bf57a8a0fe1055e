"""The delegation's pages as of a past day, what changed and the cadence timeline count a body that met "June 2026"
(12 months, 30 days' grace) as the body list does: due by 30 June 2027, overdue from 31 July 2027, never earlier."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards import selectors
from dialogues.tests.factories import DialogueBodyFactory
from dialogues.tests.test_schedule_precision import _record
from dialogues.tests.test_services import at

pytestmark = pytest.mark.django_db

FIRST_OVERDUE_DAY = dt.date(2027, 7, 31)


@pytest.fixture
def met_in_june():
    body = DialogueBodyFactory(short_name="MONTHLY", cadence_months=12, grace_days=30)
    _record(body, dt.date(2026, 6, 1), "month")
    return body


def test_the_overview_as_of_a_past_day_lists_the_body_only_once_its_grace_after_june_has_passed(met_in_june):
    assert selectors.overdue_bodies_as_of(dt.date(2027, 7, 15)) == []
    assert selectors.overdue_bodies_as_of(FIRST_OVERDUE_DAY - dt.timedelta(days=1)) == []
    [item] = selectors.overdue_bodies_as_of(FIRST_OVERDUE_DAY)
    assert (item.due_on, item.overdue_since, item.days_overdue) == (dt.date(2027, 6, 30), FIRST_OVERDUE_DAY, 31)
    assert (item.due_display, item.overdue_phrase) == ("June 2027", "past due since June 2027")


def test_what_changed_and_the_timeline_say_it_fell_overdue_on_31_july(met_in_june):
    with at(dt.date(2027, 8, 15)):
        [fell] = selectors.changes_since(since=dt.date(2027, 7, 1)).became_overdue
        rows = selectors.cadence_timeline().rows
    assert (fell.due_on, fell.overdue_since, fell.due_precision) == (dt.date(2027, 6, 30), FIRST_OVERDUE_DAY, "month")
    [row] = [row for row in rows if row.body.short_name == "MONTHLY"]
    overdue = row.overdue_spans[-1]  # (the first is from its start in 2020 to the meeting of June 2026)
    assert (overdue.start, overdue.due_on, overdue.start_precision) == (
        FIRST_OVERDUE_DAY,
        dt.date(2027, 6, 30),
        "month",
    )
