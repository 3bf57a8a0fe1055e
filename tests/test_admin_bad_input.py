"""Bad input in the admin (an id in the address, a tampered form or selection, a list filtered by hand) gets the
admin's own answer: its "doesn't exist" redirect, the form redrawn with its error, the ``?e=1`` redirect of an
invalid filter. Never a 500, on the project's own admins, whichever ModelAdmin they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import OperationalError, connection, models
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import StatusUpdate
from core.admin_base import BoundedChangeList, TrackerAdmin
from tests.support import a_record_in_each_admin_list

pytestmark = pytest.mark.django_db

BAD_IDS = ["abc", "1.5", "漢"]


def _is_project_app(model) -> bool:
    """The project's own apps are the packages in its directory (third-party apps live in site-packages)."""
    return (Path(settings.BASE_DIR) / model._meta.app_config.name.split(".")[0]).is_dir()


PROJECT_ADMINS = {model: model_admin for model, model_admin in admin.site._registry.items() if _is_project_app(model)}
AUDITED = [model for model, model_admin in PROJECT_ADMINS.items() if isinstance(model_admin, SimpleHistoryAdmin)]


def _label(model) -> str:
    return model._meta.label_lower


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def everything():
    return a_record_in_each_admin_list()


def test_the_project_admins_are_found():
    assert {"commitments.commitment", "dialogues.meeting", "imports.importrun", "webhooks.webhook"} <= {
        _label(model) for model in PROJECT_ADMINS
    }
    assert {_label(model) for model in AUDITED} == {
        "commitments.agreement",
        "commitments.commitment",
        "dialogues.dialoguebody",
        "dialogues.meeting",
    }


# -- An id no record can have, in the address of a history page ------------------------------------------------


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize("model", PROJECT_ADMINS, ids=_label)
def test_a_history_page_for_an_id_the_key_cannot_hold_says_it_does_not_exist(admin_client, model, bad_id):
    """As the change page does: back to the admin's index, with its message (simple_history's page was a 500)."""
    response = admin_client.get(_url(model, "history", bad_id))
    assert response.status_code == 302, response.status_code
    assert response["Location"] == reverse("admin:index")
    assert _messages(response) == [
        f"{model._meta.verbose_name} with ID “{bad_id}” doesn’t exist. Perhaps it was deleted?"
    ]


@pytest.mark.parametrize("model", AUDITED, ids=_label)
def test_an_audited_history_page_still_opens_for_a_record(admin_client, everything, model):
    record = model.objects.first()
    assert admin_client.get(_url(model, "history", record.pk)).status_code == 200


# -- A selection or a foreign key that names no row: text that is not an id (core/lookups.py) ---------------------


@pytest.mark.parametrize("model", admin.site._registry, ids=_label)
def test_a_bulk_action_on_a_selection_that_is_not_an_id_changes_nothing(admin_client, everything, model):
    """Every admin, the project's and the third-party ones: an action on ``abc`` acts on no row, as on an id deleted
    meanwhile (Django's ``pk__in`` raised ValueError: a 500)."""
    changelist = _url(model, "changelist")
    before = model._default_manager.count()
    action = {"action": "delete_selected", "_selected_action": ["abc", "1.5"], "index": "0"}
    response = admin_client.post(changelist, action)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200 and "delete_selected" in admin.site._registry[model].get_actions(
        response.wsgi_request
    ):
        text = response.content.decode()
        assert f"Are you sure you want to delete the selected {model._meta.verbose_name_plural}?" in text
        assert response.context["queryset"].count() == 0  # nothing listed to delete
        confirmed = admin_client.post(changelist, {**action, "post": "yes"})
        assert confirmed.status_code == 302 and confirmed["Location"] == changelist
    assert model._default_manager.count() == before


def test_a_bulk_action_acts_on_the_ids_of_a_selection_and_leaves_out_the_rest(admin_client):
    from subscriptions.models import Follow

    follow, other = _follow(), _follow()
    response = admin_client.post(
        _url(Follow, "changelist"),
        {"action": "delete_selected", "_selected_action": ["abc", str(follow.pk)], "index": "0", "post": "yes"},
    )
    assert response.status_code == 302
    assert _messages(response) == ["Successfully deleted 1 follow."]
    assert list(Follow.objects.all()) == [other]


def _follow():
    from commitments.tests.factories import CommitmentFactory, UserFactory
    from subscriptions.models import Follow

    return Follow.objects.create(user=UserFactory(), kind="commitment", commitment=CommitmentFactory())


ID_FIELDS = [
    (model, name)
    for model, model_admin in PROJECT_ADMINS.items()
    for name in (*model_admin.autocomplete_fields, *model_admin.raw_id_fields)
]


def test_the_id_fields_are_found():
    assert {(_label(model), name) for model, name in ID_FIELDS} >= {
        ("commitments.agreement", "parent"),
        ("commitments.commitment", "agreement"),
        ("commitments.commitment", "responsible_body"),
        ("dialogues.dialoguebody", "reports_to"),
        ("dialogues.meeting", "body"),
        ("dialogues.meeting", "commitments_advanced"),
    }


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(
    ("model", "name"), ID_FIELDS, ids=lambda value: value if isinstance(value, str) else _label(value)
)
def test_an_add_form_with_a_foreign_key_that_is_not_an_id_is_redrawn_with_its_error(admin_client, model, name, bad_id):
    """The form comes back (200) with Django's message on the field; redrawing the autocomplete widget with the
    tampered value was a 500."""
    response = admin_client.post(_url(model, "add"), {name: bad_id})
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    expected = (
        f"“{bad_id}” is not a valid value."
        if model._meta.get_field(name).many_to_many
        else "Select a valid choice. That choice is not one of the available choices."
    )
    assert form.errors[name] == [expected]
    assert expected in response.content.decode()


# -- A list filtered by hand with a date beyond the calendar (core/admin_base.py) ----------------------------------


@pytest.mark.parametrize("model", PROJECT_ADMINS, ids=_label)
def test_every_project_admin_extends_the_shared_base(model):
    """So that each of its lists answers a bad filter as below, the ones added later too."""
    model_admin = PROJECT_ADMINS[model]
    assert isinstance(model_admin, TrackerAdmin)
    assert issubclass(model_admin.get_changelist(None), BoundedChangeList)


def _date_filters():
    """(model, field, the field is the date hierarchy) for each date the admin lists filter on, the third-party
    admins' too (the site gives them the same list)."""
    found = []
    for model, model_admin in admin.site._registry.items():
        names = {name for name in model_admin.list_filter if isinstance(name, str)}
        for name in sorted(names | {model_admin.date_hierarchy} - {None}):
            if isinstance(model._meta.get_field(name), (models.DateField, models.DateTimeField)):
                found.append((model, name, name == model_admin.date_hierarchy))
    return found


DATE_FILTERS = _date_filters()
# Dates beyond Python's calendar: the date hierarchy cannot compute the year (or day) that follows.
BEYOND_THE_CALENDAR = ["{f}__year=99999999999999999999", "{f}__year=9999", "{f}__year=9999&{f}__month=12&{f}__day=31"]
# Dates Python holds, which the database driver may not (SQLite, for a moment before the year 1 in UTC).
AT_THE_ENDS = ["{f}__year=1", "{f}__gte=0001-01-01", "{f}__lt=0001-01-01", "{f}__gte=9999-12-31"]


def test_the_date_filters_are_found():
    assert {(_label(model), name, hierarchy) for model, name, hierarchy in DATE_FILTERS} >= {
        ("commitments.statusupdate", "recorded_at", True),
        ("dialogues.meeting", "held_on", True),
        ("imports.importrun", "created_at", True),
        ("subscriptions.digest", "due_on", False),
        # Third-party admins, whose lists were a 500 on these filters until the site bounded them too.
        ("axes.accessattempt", "attempt_time", True),
        ("authtoken.tokenproxy", "created", False),
        ("django_celery_beat.periodictask", "last_run_at", False),
    }


@pytest.mark.parametrize(
    ("model", "query", "beyond"),
    [
        pytest.param(
            model, query.format(f=name), query in BEYOND_THE_CALENDAR, id=f"{_label(model)}?{query.format(f=name)}"
        )
        for model, name, hierarchy in DATE_FILTERS
        for query in BEYOND_THE_CALENDAR + AT_THE_ENDS
        if hierarchy or "__year" not in query  # only the date hierarchy filters by year
    ],
)
def test_a_list_filtered_by_hand_with_a_date_beyond_the_calendar_is_an_invalid_filter(
    admin_client, everything, model, query, beyond
):
    """The admin's answer to a filter it cannot apply: back to the whole list, ``?e=1``. A date it can apply may
    also be answered with the list (on PostgreSQL, which holds the year 0); never a 500."""
    changelist = _url(model, "changelist")
    response = admin_client.get(f"{changelist}?{query}")
    if beyond:
        assert response.status_code == 302, response.status_code
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert response["Location"] == f"{changelist}?e=1"
        assert admin_client.get(response["Location"]).status_code == 200


def test_the_status_history_from_the_year_1_is_answered_on_sqlite_too(admin_client, everything):
    response = admin_client.get(_url(StatusUpdate, "changelist"), {"recorded_at__gte": "0001-01-01"})
    if connection.vendor == "sqlite":
        assert (response.status_code, response["Location"]) == (302, f"{_url(StatusUpdate, 'changelist')}?e=1")
    else:
        assert response.status_code == 200  # PostgreSQL holds the year 1: every entry is from after it
        assert set(response.context["cl"].result_list) == set(StatusUpdate.objects.all())


# -- Any other lookup typed by hand on one of the model's own columns (core/admin_base.py) --------------------------


def _typed_lookups():
    """(model, query) for every admin: lookups Django lets through on a model's own columns, which Python or the
    database then refuses when the list is counted."""
    found = []
    for model, model_admin in admin.site._registry.items():
        columns = [field for field in model._meta.concrete_fields if not field.is_relation]
        found.append((model, f"{model._meta.pk.name}__range=1"))  # one bound of two
        text = next(
            (f.name for f in columns if isinstance(f, (models.CharField, models.TextField)) and f.name != "password"),
            None,
        )  # (Django's admin refuses any lookup on a user's password: a 400)
        if text:
            found.append((model, f"{text}__regex=("))  # a regular expression neither database accepts
        day = next(
            (f.name for f in columns if isinstance(f, models.DateField) and f.name != model_admin.date_hierarchy), None
        )
        if day:
            found.append((model, f"{day}__year=0"))  # a year before the calendar's first
    return found


TYPED_LOOKUPS = _typed_lookups()


def test_the_typed_lookups_are_found():
    assert {(_label(model), query) for model, query in TYPED_LOOKUPS} >= {
        ("commitments.commitment", "id__range=1"),
        ("django_celery_beat.periodictask", "name__regex=("),
        ("django_celery_beat.crontabschedule", "minute__regex=("),
        ("django_celery_beat.clockedschedule", "clocked_time__year=0"),
        ("authtoken.tokenproxy", "key__range=1"),
    }


@pytest.fixture
def scheduled(everything):
    """A record in each list, the scheduler's too (a regular expression is only tried on a row)."""
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    crontab = CrontabSchedule.objects.create(minute="0", hour="4")
    IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    SolarSchedule.objects.create(event="sunrise", latitude="50.85", longitude="4.35")
    ClockedSchedule.objects.create(clocked_time="2030-01-01T00:00Z")
    PeriodicTask.objects.create(name="Daily check", task="dialogues.tasks.flag_overdue_dialogues", crontab=crontab)
    return everything


@pytest.mark.parametrize(("model", "query"), TYPED_LOOKUPS, ids=[f"{_label(m)}?{q}" for m, q in TYPED_LOOKUPS])
def test_a_list_filtered_by_hand_with_a_lookup_the_database_refuses_is_an_invalid_filter(
    admin_client, scheduled, model, query
):
    """Was a 500 (``IndexError``, ``ValueError``; PostgreSQL's ``DataError``), or on SQLite, whose ``OperationalError``
    for a bad regular expression is also what an unreachable database raises, a 503 "temporarily unavailable"."""
    changelist = _url(model, "changelist")
    response = admin_client.get(f"{changelist}?{query}")
    if response.status_code == 200:  # an empty list: no row to try the regular expression on, nothing refused
        assert "__regex" in query and not model._default_manager.exists()
        return
    assert (response.status_code, response.get("Location")) == (302, f"{changelist}?e=1")
    assert admin_client.get(response["Location"]).status_code == 200


def test_a_filtered_list_whose_database_goes_away_is_still_unavailable_not_an_invalid_filter(admin_user):
    """The database refusing a filter and the database gone both raise ``OperationalError`` on SQLite: the list tells
    them apart by reading itself without the filter, which fails too when the database is gone (the 503)."""
    from django_celery_beat.models import PeriodicTask

    table = PeriodicTask._meta.db_table

    def gone(execute, sql, params, many, context):
        if table in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    client = Client(raise_request_exception=False)  # what a browser gets
    client.force_login(admin_user)
    with connection.execute_wrapper(gone):
        response = client.get(_url(PeriodicTask, "changelist"), {"name__regex": "x"})
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()
