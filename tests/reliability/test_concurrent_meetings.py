"""Two staff recording the same meeting at the same moment, on PostgreSQL: one meeting is stored, and the other
person is told (409) through the form and through the API alike, never a 500.

A real race, not a stand-in: one editor's meeting is recorded in an open transaction (as in a request that is
still running); the other request, in its own thread and database connection, passes validation (it cannot see
the uncommitted meeting), reaches the insert and waits on the unique index. Once it is seen waiting, the first
transaction commits: the second insert hits the one-meeting-a-day constraint, which the service turns into
``MeetingConflict`` and the one mapping of domain errors into 409.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from commitments.tests.api_support import token_client
from commitments.tests.factories import UserFactory
from dialogues.models import DialogueBody, Meeting
from dialogues.services import meeting_record
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from tests.support import wait_until_a_query_waits_on_a_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HELD_ON = dt.date(2025, 5, 20)


def _post_by_form(user, body):
    client = Client()
    client.force_login(user)
    return client.post(
        reverse("dialogues:meeting_create"),
        {"body": body.pk, "held_on": HELD_ON.isoformat(), "place": "Tokyo", "summary": "Second recording"},
    )


def _post_by_api(user, body):
    return token_client(user).post(
        "/api/v1/meetings/",
        {"dialogue": body.short_name, "held_on": HELD_ON.isoformat(), "summary": "Second recording"},
        format="json",
    )


@pytest.mark.parametrize("post", [_post_by_form, _post_by_api], ids=["form", "api"])
def test_the_same_meeting_recorded_at_once_is_stored_once_and_the_second_gets_409(post):
    first, second = UserFactory(editor=True, username="first"), UserFactory(editor=True, username="second")
    body = DialogueBodyFactory(short_name="SDD", cadence_months=12)
    MeetingFactory(body=body, held_on=dt.date(2024, 1, 10))
    responses = []

    def second_request():
        try:
            responses.append(post(second, body))
        finally:
            connections.close_all()

    with transaction.atomic():
        meeting_record(body=body, held_on=HELD_ON, place="Brussels", summary="First recording", recorded_by=first)
        thread = threading.Thread(target=second_request)
        thread.start()
        wait_until_a_query_waits_on_a_lock(responses)
    thread.join(timeout=30)

    assert len(responses) == 1
    response = responses[0]
    assert response.status_code == 409
    if post is _post_by_api:
        assert response.json()["code"] == "conflict"
        assert "already has a meeting recorded" in response.json()["detail"]
    else:
        assert "a meeting of this body on that day was recorded by someone else" in response.content.decode()
    stored = Meeting.objects.filter(body=body, held_on=HELD_ON)
    assert [m.summary for m in stored] == ["First recording"]
    assert DialogueBody.objects.get(pk=body.pk).last_meeting_on == HELD_ON
