"""Bad values in the scheduler's admin forms (django-celery-beat: periodic tasks, crontabs, intervals, clocked
times; tracker/admin.py): the form comes back (200) with the message on the field, as typed, and nothing is saved.
Before, some were a 500 (a crontab field the library's validators refuse, an over-long custom task name, arguments
nested too deeply, a date-time of the year 1, empty headers), others were saved and then stopped Celery beat or
were silently never run (a day of the week 7, headers that are a list, an interval beyond the calendar)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask

from tests.support import admin_form_data

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
TOO_DEEP = "[" * 100_000 + "]" * 100_000
NO_INLINE_TASKS = {"periodictask_set-TOTAL_FORMS": "0", "periodictask_set-INITIAL_FORMS": "0"}
CALENDAR = "Enter a date and time between the years 1 and 9999."


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:django_celery_beat_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def crontab():
    return CrontabSchedule.objects.create(minute="0", hour="4", timezone="Europe/Brussels")


def _crontab_form(**changes) -> dict[str, str]:
    form = {"minute": "0", "hour": "6", "day_of_month": "*", "month_of_year": "*", "day_of_week": "1-5"}
    return {**form, "timezone": "Europe/Brussels", **NO_INLINE_TASKS, **changes}


def _task_form(schedule: CrontabSchedule, **changes) -> dict[str, str]:
    """A task on the crontab ``schedule``, as the add form posts it, with ``changes``."""
    form = {
        "name": "Weekly check",
        "regtask": "",
        "task": "dialogues.tasks.flag_overdue_dialogues",
        "enabled": "on",
        "description": "Checks the bodies every week.",
        "crontab": str(schedule.pk),
        **dict.fromkeys(
            ["interval", "solar", "clocked", "start_time_0", "start_time_1", "expires_0", "expires_1"], ""
        ),
        "args": "[]",
        "kwargs": "{}",
        "headers": "{}",
        **dict.fromkeys(["expire_seconds", "queue", "exchange", "routing_key", "priority"], ""),
    }
    return {**form, **changes}


def _opened(client, url: str, **changes) -> dict:
    """The change page at ``url`` as a browser sends it back, with ``changes``."""
    return {**admin_form_data(client.get(url)), **changes}


def _assert_redrawn_with(response, posted: dict, field: str, message: str) -> None:
    """The form is back with ``message`` on ``field`` (on the page too) and every value as it was posted."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    assert form.errors[field] == [message]
    assert escape(message) in response.content.decode()
    assert {name: form.data[name] for name in posted} == {name: str(value) for name, value in posted.items()}


# -- Crontab schedules --------------------------------------------------------------------------------------------

CRONTAB_CASES = [
    # The library's validators (python-crontab): a 500 when the redrawn form read the value with Celery's parser.
    pytest.param("minute", "*/", "\"No enumeration for Minutes: ''\"", id="minute-empty-step"),
    pytest.param("hour", "-1", "\"No enumeration for Hours: '-1'\"", id="hour-negative"),
    pytest.param("day_of_month", "1,,2", "\"No enumeration for Day of Month: ''\"", id="day-of-month-empty-part"),
    pytest.param("month_of_year", "*/", "Unrecognised Month: ''", id="month-empty-step"),
    # Refused by the same validators already; kept so that they stay refused.
    pytest.param("minute", "99", "'99', not in 0-59 for Minutes", id="minute-out-of-range"),
    pytest.param("minute", "abc", "\"No enumeration for Minutes: 'abc'\"", id="minute-not-a-number"),
    pytest.param("minute", "*/0", "Sequence can not be divided by zero or max", id="minute-step-zero"),
    pytest.param("minute", "1" * 241, "Ensure this value has at most 240 characters (it has 241).", id="too-long"),
    pytest.param("hour", NUL, "Null characters are not allowed.", id="nul"),
    pytest.param(
        "timezone",
        "Mars/Olympus",
        "Select a valid choice. Mars/Olympus is not one of the available choices.",
        id="unknown-timezone",
    ),
    # Accepted by the library, refused by Celery's parser: saved, then silently never run by beat.
    pytest.param(
        "day_of_week", "7", "Celery beat cannot run this value: Invalid end range: 7 > 6.", id="day-of-week-7"
    ),
]


@pytest.mark.parametrize(("field", "value", "message"), CRONTAB_CASES)
def test_a_bad_crontab_is_redrawn_with_its_error_and_not_saved(admin_client, crontab, field, value, message):
    before = set(CrontabSchedule.objects.values_list("pk", "minute", "hour", "day_of_week"))
    added = _crontab_form(**{field: value})
    _assert_redrawn_with(admin_client.post(_url(CrontabSchedule, "add"), added), added, field, message)
    change = _url(CrontabSchedule, "change", crontab.pk)
    changed = _opened(admin_client, change, **{field: value})
    _assert_redrawn_with(admin_client.post(change, changed), changed, field, message)
    assert set(CrontabSchedule.objects.values_list("pk", "minute", "hour", "day_of_week")) == before


def test_a_valid_crontab_still_saves(admin_client):
    response = admin_client.post(_url(CrontabSchedule, "add"), _crontab_form(minute="*/15", day_of_week="sun,6"))
    assert response.status_code == 302
    saved = CrontabSchedule.objects.get(minute="*/15")
    assert (saved.hour, saved.day_of_week, str(saved.timezone)) == ("6", "sun,6", "Europe/Brussels")


# -- Intervals and clocked times ------------------------------------------------------------------------------------

INTERVAL_CASES = [
    pytest.param(
        {"every": "1000000000", "period": "days"},
        "every",
        "Enter a shorter interval: 1000000000 days from now is after the year 9999.",
        id="beyond-the-calendar",
    ),
    pytest.param(
        {"every": "0", "period": "days"}, "every", "Ensure this value is greater than or equal to 1.", id="0"
    ),
    pytest.param({"every": "abc", "period": "days"}, "every", "Enter a whole number.", id="not-a-number"),
    pytest.param(
        {"every": "1", "period": "years"},
        "period",
        "Select a valid choice. years is not one of the available choices.",
        id="unknown-period",
    ),
]


@pytest.mark.parametrize(("posted", "field", "message"), INTERVAL_CASES)
def test_a_bad_interval_is_redrawn_with_its_error_and_not_saved(admin_client, posted, field, message):
    before = IntervalSchedule.objects.count()
    posted = {**posted, **NO_INLINE_TASKS}
    _assert_redrawn_with(admin_client.post(_url(IntervalSchedule, "add"), posted), posted, field, message)
    assert IntervalSchedule.objects.count() == before


CLOCKED_CASES = [
    pytest.param("0001-01-01", "00:00", CALENDAR, id="before-the-year-1-in-utc"),
    pytest.param("2030-02-30", "00:00", "Enter a valid date.", id="no-such-day"),
    pytest.param(
        "2030-03-31",
        "02:30",
        "2030-03-31 02:30:00 couldn’t be interpreted in time zone Europe/Brussels; it may be ambiguous or it may "
        "not exist.",
        id="skipped-by-summer-time",
    ),
]


@pytest.mark.parametrize(("day", "time", "message"), CLOCKED_CASES)
def test_a_bad_clocked_time_is_redrawn_with_its_error_and_not_saved(admin_client, day, time, message):
    before = ClockedSchedule.objects.count()
    posted = {"clocked_time_0": day, "clocked_time_1": time, **NO_INLINE_TASKS}
    _assert_redrawn_with(admin_client.post(_url(ClockedSchedule, "add"), posted), posted, "clocked_time", message)
    assert ClockedSchedule.objects.count() == before


# -- Periodic tasks -------------------------------------------------------------------------------------------------

OBJECT = 'Enter a JSON object, e.g. {"argument": "value"}.'
HEADERS = 'Enter a JSON object, e.g. {"header": "value"}.'
TASK_CASES = [
    # Each a 500 before.
    pytest.param({"task": "t" * 201}, "task", "Ensure this value has at most 200 characters (it has 201).", id="long"),
    pytest.param({"task": NUL}, "task", "Null characters are not allowed.", id="task-nul"),
    pytest.param({"args": TOO_DEEP}, "args", "Unable to parse JSON: it is nested too deeply.", id="args-too-deep"),
    pytest.param({"kwargs": TOO_DEEP}, "kwargs", "Unable to parse JSON: it is nested too deeply.", id="kwargs-deep"),
    pytest.param({"start_time_0": "0001-01-01", "start_time_1": "00:00"}, "start_time", CALENDAR, id="start-year-1"),
    pytest.param({"expires_0": "0001-01-01", "expires_1": "00:00"}, "expires", CALENDAR, id="expires-year-1"),
    # Saved before: any text as a "registered" task (a NUL was a 500 on PostgreSQL), arguments Celery cannot pass,
    # headers that are not JSON (the task silently dropped by beat) or a list (beat stopped), a start after which beat
    # cannot compute a run (beat stopped), a number of seconds PostgreSQL cannot hold (500 there, saved on SQLite).
    pytest.param(
        {"regtask": "no.such.task"},
        "regtask",
        "Select a valid choice. no.such.task is not one of the available choices.",
        id="unregistered-task",
    ),
    pytest.param(
        {"regtask": NUL}, "regtask", f"Select a valid choice. {NUL} is not one of the available choices.", id="reg-nul"
    ),
    pytest.param({"args": '{"a": 1}'}, "args", 'Enter a JSON array, e.g. ["arg1", "arg2"].', id="args-not-a-list"),
    pytest.param({"kwargs": "[]"}, "kwargs", OBJECT, id="kwargs-not-an-object"),
    pytest.param(
        {"headers": "{"},
        "headers",
        "Unable to parse JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        id="headers-not-json",
    ),
    pytest.param({"headers": "[]"}, "headers", HEADERS, id="headers-a-list"),
    pytest.param(
        {"start_time_0": "9999-12-31", "start_time_1": "23:59"},
        "start_time",
        "Celery beat cannot compute a run after this start: enter an earlier date.",
        id="start-without-a-next-run",
    ),
    pytest.param(
        {"expire_seconds": "2147483648"},
        "expire_seconds",
        "Ensure this value is less than or equal to 2147483647.",
        id="expire-seconds-too-many",
    ),
    # Refused already; kept so that they stay refused.
    pytest.param({"name": "n" * 201}, "name", "Ensure this value has at most 200 characters (it has 201).", id="name"),
    pytest.param({"name": NUL}, "name", "Null characters are not allowed.", id="name-nul"),
    pytest.param(
        {"args": "["},
        "args",
        "Unable to parse JSON: Expecting value: line 1 column 2 (char 1)",
        id="args-not-json",
    ),
    pytest.param({"queue": "q" * 201}, "queue", "Ensure this value has at most 200 characters (it has 201).", id="q"),
    pytest.param({"priority": "256"}, "priority", "Ensure this value is less than or equal to 255.", id="priority"),
    pytest.param({"start_time_0": "2030-02-30", "start_time_1": "00:00"}, "start_time", "Enter a valid date.", id="d"),
    pytest.param(
        {"crontab": "abc"},
        "crontab",
        "Select a valid choice. That choice is not one of the available choices.",
        id="crontab-not-an-id",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), TASK_CASES)
def test_a_bad_periodic_task_is_redrawn_with_its_error_and_not_saved(admin_client, crontab, changes, field, message):
    task = PeriodicTask.objects.create(
        name="Daily check", task="dialogues.tasks.flag_overdue_dialogues", crontab=crontab
    )
    before = list(PeriodicTask.objects.order_by("pk").values())
    added = _task_form(crontab, **changes)
    _assert_redrawn_with(admin_client.post(_url(PeriodicTask, "add"), added), added, field, message)
    change = _url(PeriodicTask, "change", task.pk)
    changed = _opened(admin_client, change, **changes)
    _assert_redrawn_with(admin_client.post(change, changed), changed, field, message)
    assert list(PeriodicTask.objects.order_by("pk").values()) == before


def test_a_valid_periodic_task_still_saves_with_a_task_from_the_list(admin_client, crontab):
    posted = _task_form(
        crontab,
        regtask="dialogues.tasks.flag_overdue_dialogues",
        task="",
        args='["2030-01-07"]',
        kwargs="{}",
        start_time_0="2030-01-01",
        start_time_1="00:00",
    )
    response = admin_client.post(_url(PeriodicTask, "add"), posted)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = PeriodicTask.objects.get(name="Weekly check")
    assert (saved.task, saved.crontab, saved.args, saved.headers) == (
        "dialogues.tasks.flag_overdue_dialogues",
        crontab,
        '["2030-01-07"]',
        "{}",
    )


def test_the_task_list_still_offers_the_registered_tasks(admin_client):
    response = admin_client.get(_url(PeriodicTask, "add"))
    assert "dialogues.tasks.flag_overdue_dialogues" in dict(
        response.context["adminform"].form.fields["regtask"].widget.choices
    )


def test_headers_left_empty_are_saved_as_no_headers(admin_client, crontab):
    """The library stored NULL in a column that refuses it (a 500); beat reads empty headers as none."""
    response = admin_client.post(_url(PeriodicTask, "add"), _task_form(crontab, headers=""))
    assert response.status_code == 302
    assert PeriodicTask.objects.get(name="Weekly check").headers == "{}"


def test_a_periodic_task_opened_and_corrected_still_saves(admin_client, crontab):
    task = PeriodicTask.objects.create(
        name="Daily check", task="dialogues.tasks.flag_overdue_dialogues", crontab=crontab
    )
    change = _url(PeriodicTask, "change", task.pk)
    response = admin_client.post(change, _opened(admin_client, change, args='["2030-01-07"]', headers=""))
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.args, task.headers) == ('["2030-01-07"]', "{}")
