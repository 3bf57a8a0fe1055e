"""Bad input in the admin (an id in the address, a tampered form or selection, a list filtered by hand) gets the
admin's own answer: its "doesn't exist" redirect, the form redrawn with its error, the ``?e=1`` redirect of an
invalid filter. Never a 500, on the project's own admins, whichever ModelAdmin they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from commitments.tests.factories import MilestoneFactory, StatusUpdateFactory
from dialogues.tests.factories import ContactFactory, MeetingFactory, OverdueFlagFactory

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
    update = StatusUpdateFactory()
    meeting = MeetingFactory(commitments=[update.commitment])
    ContactFactory(body=meeting.body)
    OverdueFlagFactory(body=meeting.body)
    MilestoneFactory(commitment=update.commitment)
    return update


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
