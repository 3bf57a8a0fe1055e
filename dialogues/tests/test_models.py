import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dialogues.models import DialogueBody, OverdueFlag
from dialogues.services import meeting_record
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory, OverdueFlagFactory, change_body

pytestmark = pytest.mark.django_db

LAST_MEETING = dt.date(2024, 3, 15)
DUE = dt.date(2025, 3, 15)  # 12 months later
GRACE_ENDS = DUE + dt.timedelta(days=60)  # 14 May 2025


@pytest.fixture
def body():
    body = DialogueBodyFactory(short_name="CYBER", cadence_months=12, grace_days=60)
    MeetingFactory(body=body, held_on=LAST_MEETING)
    body.refresh_from_db()
    return body


def test_due_date_is_cadence_after_last_meeting(body):
    assert (body.last_meeting_on, body.next_due_on, body.overdue_after) == (LAST_MEETING, DUE, GRACE_ENDS)


@pytest.mark.parametrize(
    ("today", "overdue", "days"),
    [
        (GRACE_ENDS - dt.timedelta(days=1), False, None),  # the day before the grace period ends
        (GRACE_ENDS, False, None),  # the last day of grace
        (GRACE_ENDS + dt.timedelta(days=1), True, 61),  # the day after: overdue, counted from the due date
    ],
)
def test_overdue_only_once_the_grace_period_has_passed(body, today, overdue, days):
    with time_machine.travel(dt.datetime.combine(today, dt.time(9)), tick=False):
        assert body.is_overdue() is overdue
        assert body.days_overdue() == days
        assert DialogueBody.objects.overdue().filter(pk=body.pk).exists() is overdue


def test_never_met_body_is_due_after_establishment():
    body = DialogueBodyFactory(established_on=dt.date(2023, 1, 31), cadence_months=1, grace_days=0)
    assert body.next_due_on == dt.date(2023, 2, 28)  # month arithmetic clamps to the month's end
    assert body.is_overdue(on=dt.date(2023, 3, 1))


def test_ad_hoc_and_inactive_bodies_are_never_overdue():
    ad_hoc = DialogueBodyFactory(ad_hoc=True, established_on=dt.date(2000, 1, 1))
    inactive = DialogueBodyFactory(inactive=True, established_on=dt.date(2000, 1, 1))
    unknown_start = DialogueBodyFactory(established_on=None)
    today = dt.date(2026, 11, 27)
    assert not DialogueBody.objects.overdue(on=today).filter(pk__in=[ad_hoc.pk, inactive.pk, unknown_start.pk])
    assert ad_hoc.days_overdue(on=today) is None and not inactive.is_overdue(on=today)


def test_changing_the_cadence_moves_the_due_date(body):
    change_body(body, cadence_months=6)
    body.refresh_from_db()
    assert body.next_due_on == dt.date(2024, 9, 15)


def test_reporting_line_cannot_loop():
    summit = DialogueBodyFactory(short_name="SUMMIT")
    sd = DialogueBodyFactory(short_name="SD", reports_to=summit)
    sdd = DialogueBodyFactory(short_name="SDD", reports_to=sd)
    assert [b.short_name for b in sdd.reporting_line()] == ["SD", "SUMMIT"]
    summit.reports_to = sdd
    with pytest.raises(ValidationError) as excinfo:
        summit.full_clean()
    assert "reports_to" in excinfo.value.message_dict
    summit.reports_to = summit
    with pytest.raises(ValidationError):
        summit.full_clean()


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_recording_a_meeting_moves_the_due_date_and_closes_the_flag(body):
    flag = OverdueFlagFactory(body=body)
    meeting = meeting_record(body=body, held_on=dt.date(2026, 11, 20), place="Tokyo", summary="Sixth round")
    body.refresh_from_db()
    flag.refresh_from_db()
    assert body.next_due_on == dt.date(2027, 11, 20)
    assert flag.closed_at is not None and flag.closed_by_meeting == meeting


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_a_meeting_in_the_future_is_refused_and_nothing_is_written(body):
    with pytest.raises(ValidationError) as excinfo:
        meeting_record(body=body, held_on=dt.date(2026, 12, 1))
    assert "held_on" in excinfo.value.message_dict
    assert body.meetings.count() == 1


def test_one_meeting_per_body_per_day(body):
    with pytest.raises(ValidationError):
        meeting_record(body=body, held_on=LAST_MEETING)


def test_database_keeps_one_open_flag_per_body(body):
    OverdueFlagFactory(body=body)
    OverdueFlagFactory(body=body, closed=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        OverdueFlagFactory(body=body)
    assert OverdueFlag.objects.filter(body=body, closed_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (dt.date(2024, 7, 13), False),  # the due date itself: within grace
        (dt.date(2024, 9, 11), False),  # the last day of grace (due + 60 days)
        (dt.date(2024, 9, 12), True),  # the day after
    ],
)
def test_a_body_that_never_met_is_overdue_counted_from_its_establishment(today, overdue):
    body = DialogueBodyFactory(established_on=dt.date(2023, 7, 13), cadence_months=12, grace_days=60)
    with time_machine.travel(dt.datetime.combine(today, dt.time(9)), tick=False):
        assert body.last_meeting_on is None
        assert body.is_overdue() is overdue
        assert DialogueBody.objects.overdue().filter(pk=body.pk).exists() is overdue


@time_machine.travel(dt.datetime(2026, 11, 27, 9), tick=False)
def test_without_a_cadence_or_when_inactive_a_body_is_never_overdue_however_long_ago_it_met():
    ad_hoc = DialogueBodyFactory(ad_hoc=True)
    inactive = DialogueBodyFactory(inactive=True)
    for body in (ad_hoc, inactive):
        MeetingFactory(body=body, held_on=dt.date(2001, 1, 1))
        body.refresh_from_db()
    assert ad_hoc.next_due_on is None and inactive.next_due_on == dt.date(2002, 1, 1)
    assert not ad_hoc.is_overdue() and not inactive.is_overdue()
    assert not DialogueBody.objects.overdue().filter(pk__in=[ad_hoc.pk, inactive.pk]).exists()
    inactive.active = True
    inactive.save()
    assert DialogueBody.objects.overdue().filter(pk=inactive.pk).exists()  # reactivated: overdue at once
