"""The API's answer cache (core.api.answers) and the data generation that keys it (core.generation).

A repeated read is answered without touching the data; any write, by any path, a revoked token or a changed role
is never answered from an earlier entry; a Redis outage only costs speed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.serializers import ListSerializer

from commitments.api.serializers import CommitmentSerializer
from commitments.choices import Status
from commitments.models import Commitment
from commitments.services import commitment_update, commitment_update_status, status_update_withdraw
from commitments.tests.api_support import _fresh_throttle_counters, token_client  # noqa: F401 (fixture)
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    MilestoneFactory,
    StatusUpdateFactory,
    UserFactory,
)
from core import generation
from core.api import answers
from core.roles import EDITORS
from dialogues.services import meeting_record, overdue_sweep
from dialogues.tests.factories import DialogueBodyFactory
from tests.test_admin import _admin_commitment_data

pytestmark = pytest.mark.django_db

LIST = "/api/v1/commitments/"


@pytest.fixture(autouse=True)
def _fresh_local_tables():
    answers.clear_local()
    yield
    answers.clear_local()


@pytest.fixture
def commitment():
    agreement = AgreementFactory(code="SDP")
    made = CommitmentFactory(agreement=agreement, reference="SDP §1", title="Joint exercises")
    StatusUpdateFactory(commitment=made, status=Status.IN_PROGRESS, progress=10)
    return Commitment.objects.get(pk=made.pk)


@pytest.fixture
def serialised(monkeypatch):
    """How many times a commitment list was serialised."""
    calls = []
    original = ListSerializer.to_representation

    def spy(self, data):
        if isinstance(self.child, CommitmentSerializer):
            calls.append(1)
        return original(self, data)

    monkeypatch.setattr(ListSerializer, "to_representation", spy)
    return calls


def status_of(client, pk: int) -> str:
    response = client.get(LIST)
    assert response.status_code == 200, response.content
    return {row["id"]: row["status"] for row in response.json()["results"]}[pk]


def test_a_repeated_read_is_answered_from_the_cache_with_one_query(reviewer, commitment, serialised):
    client = token_client(reviewer)
    first = client.get(LIST, {"agreement": "SDP"})
    with CaptureQueriesContext(connection) as captured:
        again = client.get(LIST, {"agreement": "SDP"})
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Cache-Control"] == first["Cache-Control"]
    # The generation is all that is read: no token look-up, no count, no page, no serialising.
    assert len(captured) == 1, [q["sql"] for q in captured.captured_queries]
    assert len(serialised) == 1
    # ... and a matching If-None-Match is still a 304.
    assert client.get(LIST, {"agreement": "SDP"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_address_and_the_media_type_are_part_of_the_key(reviewer, commitment):
    client = token_client(reviewer)
    plain = client.get(LIST)
    other_host = client.get(LIST, HTTP_HOST="localhost")
    assert plain.json()["results"][0]["url"].startswith("http://testserver/")
    assert other_host.json()["results"][0]["url"].startswith("http://localhost/")
    assert client.get(LIST, {"status": "achieved"}).json()["count"] == 0


def test_status_update_through_the_api_is_seen_at_once(editor, commitment):
    client = token_client(editor)
    assert status_of(client, commitment.pk) == Status.IN_PROGRESS
    response = client.post(
        "/api/v1/status-updates/",
        {"commitment": commitment.pk, "expected_version": commitment.version, "status": "stalled", "note": "x"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert status_of(client, commitment.pk) == Status.STALLED
    assert client.get(f"{LIST}{commitment.pk}/").json()["status"] == Status.STALLED


def test_service_writes_and_withdrawals_are_seen_at_once(editor, reviewer, commitment):
    client = token_client(reviewer)
    assert status_of(client, commitment.pk) == Status.IN_PROGRESS
    update = commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.STALLED, note="n"
    )
    assert status_of(client, commitment.pk) == Status.STALLED
    commitment.refresh_from_db()
    status_update_withdraw(update=update, expected_version=commitment.version, author=editor, reason="A mistake")
    assert status_of(client, commitment.pk) == Status.IN_PROGRESS


def test_milestones_are_answered_from_the_cache_until_a_write_or_a_new_day(editor, reviewer, commitment):
    client = token_client(reviewer)
    today = timezone.localdate()
    due = MilestoneFactory(commitment=commitment, title="Joint exercise held", due_on=today - dt.timedelta(days=7))
    later = MilestoneFactory(commitment=commitment, title="Second exercise", due_on=today)
    overdue = "/api/v1/milestones/?overdue=true"
    first = client.get(overdue)
    assert [row["id"] for row in first.json()["results"]] == [due.pk]
    with CaptureQueriesContext(connection) as captured:
        again = client.get(overdue)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert len(captured) == 1, [q["sql"] for q in captured.captured_queries]

    # Marked done through the API: no longer overdue at the next read.
    commitment.refresh_from_db()
    done = token_client(editor).patch(
        f"/api/v1/milestones/{due.pk}/",
        {"expected_version": commitment.version, "done_on": str(today), "evidence_reference": "Press release"},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert client.get(overdue).json()["count"] == 0
    # The next day the one due today is overdue, with no write in between.
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert [row["id"] for row in client.get(overdue).json()["results"]] == [later.pk]


def test_an_editorial_edit_and_an_admin_edit_are_seen_at_once(editor, reviewer, admin_client, commitment):
    client = token_client(reviewer)
    detail = f"{LIST}{commitment.pk}/"
    assert client.get(detail).json()["title"] == "Joint exercises"
    commitment_update(commitment=commitment, expected_edit_version=commitment.edit_version, author=editor, title="A")
    assert client.get(detail).json()["title"] == "A"
    opened = Commitment.objects.get(pk=commitment.pk)
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    assert admin_client.post(url, _admin_commitment_data(opened, title="B")).status_code == 302
    assert client.get(detail).json()["title"] == "B"


def test_a_meeting_and_the_sweep_are_seen_at_once(editor, reviewer, commitment):
    client = token_client(reviewer)
    body = DialogueBodyFactory(short_name="SDD", overdue=True)
    url = "/api/v1/dialogues/SDD/"
    assert client.get(url).json()["is_overdue"] is True
    before = generation.current()
    overdue_sweep(on=timezone.localdate())
    assert generation.current() != before  # flags were opened: every earlier entry is unreachable
    meeting_record(body=body, held_on=timezone.localdate() - dt.timedelta(days=1), recorded_by=editor)
    answer = client.get(url).json()
    assert answer["is_overdue"] is False
    assert answer["last_meeting_on"] == (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def test_bulk_and_raw_writes_are_seen_at_once(reviewer, commitment):
    """Paths that send no signal (queryset update, bulk_create, raw SQL) move the generation too."""
    client = token_client(reviewer)
    detail = f"{LIST}{commitment.pk}/"
    assert client.get(detail).json()["title"] == "Joint exercises"
    Commitment.objects.filter(pk=commitment.pk).update(title="Bulk")
    assert client.get(detail).json()["title"] == "Bulk"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE commitments_commitment SET title = %s WHERE id = %s", ["Raw", commitment.pk])
    assert client.get(detail).json()["title"] == "Raw"
    count = client.get(LIST).json()["count"]
    Commitment.objects.bulk_create(
        [Commitment(agreement=commitment.agreement, reference="SDP §2", title="Bulk-created", description="")]
    )
    assert client.get(LIST).json()["count"] == count + 1


def test_a_revoked_token_is_refused_at_once(reviewer, commitment):
    client = token_client(reviewer)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST).status_code == 200  # the token is now looked up from this process's table
    Token.objects.filter(user=reviewer).delete()
    assert client.get(LIST).status_code == 401


def _token_look_ups(captured) -> int:
    return sum('FROM "authtoken_token"' in q["sql"] for q in captured.captured_queries)


def test_a_data_write_keeps_the_token_look_up_but_a_sign_in_change_does_not(reviewer, editor, commitment):
    """A status update moves the data generation only: the next read computes a fresh answer but does not look the
    token up again. A write to the users, groups or tokens moves the sign-in generation: it does."""
    client = token_client(reviewer)
    assert client.get(LIST).status_code == 200
    data_before, auth_before = generation.current_with_auth()
    commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.STALLED, note="x"
    )
    data_after, auth_after = generation.current_with_auth()
    assert data_after != data_before and auth_after == auth_before
    with CaptureQueriesContext(connection) as captured:
        fresh = client.get(LIST)
    assert fresh.json()["results"][0]["status"] == "stalled"
    assert _token_look_ups(captured) == 0
    reviewer.first_name = "Renamed"
    reviewer.save(update_fields=["first_name"])
    assert generation.current_with_auth()[1] != auth_after
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    assert _token_look_ups(captured) == 1


def test_each_request_gets_its_own_user_from_a_kept_token_look_up(reviewer, commitment):
    """What one request caches on its user (here: a related object) is not seen by the next."""
    authentication = answers.CachedTokenAuthentication()
    key = Token.objects.get_or_create(user=reviewer)[0].key

    def authenticate():
        return authentication.authenticate(RequestFactory().get(LIST, HTTP_AUTHORIZATION=f"Token {key}"))

    first_user, first_token = authenticate()
    first_user.first_name = "Changed by a request"
    second_user, second_token = authenticate()
    assert second_user is not first_user and second_token is not first_token
    assert second_user.first_name == reviewer.first_name and second_user.pk == reviewer.pk
    assert second_token.user is second_user and second_token.key == key


def test_a_deactivated_user_is_refused_at_once(reviewer, commitment):
    client = token_client(reviewer)
    assert client.get(LIST).status_code == 200
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])
    assert client.get(LIST).status_code == 401


def test_a_changed_role_counts_at_once(reviewer, editors_group, commitment):
    """Joining Editors lets a token write at once; leaving it stops the next write."""
    client = token_client(reviewer)
    body = {"commitment": commitment.pk, "expected_version": commitment.version, "status": "stalled", "note": "x"}
    assert client.post("/api/v1/status-updates/", body, format="json").status_code == 403
    reviewer.groups.add(editors_group)
    assert client.post("/api/v1/status-updates/", body, format="json").status_code == 201
    reviewer.groups.remove(Group.objects.get(name=EDITORS))
    body["expected_version"] += 1
    assert client.post("/api/v1/status-updates/", body, format="json").status_code == 403


def test_readers_of_different_roles_do_not_share_entries(reviewer, editor, commitment):
    anonymous_key = answers.reader_role(None)
    assert {anonymous_key, answers.reader_role(reviewer), answers.reader_role(editor)} == {
        "anonymous",
        "reader",
        "editor",
    }
    assert answers.reader_role(UserFactory(is_superuser=True)) == "administrator"


@pytest.mark.django_db(transaction=True)
def test_the_generation_moves_again_after_commit(commitment):
    """An answer computed from the old data while a write was under way, and stored under the generation moved
    mid-transaction, is never read after the commit."""
    before = generation.current()
    with transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(title="Changed")
        during = generation.current()
        assert during != before
    assert generation.current() not in (before, during)


@pytest.mark.django_db(transaction=True)
def test_the_sign_in_generation_moves_with_a_revoked_token_and_again_after_commit(reviewer):
    Token.objects.get_or_create(user=reviewer)
    before = generation.current_with_auth()[1]
    with transaction.atomic():
        Token.objects.filter(user=reviewer).delete()
        during = generation.current_with_auth()[1]
        assert during not in (None, before)
    assert generation.current_with_auth()[1] not in (before, during)


def test_an_insert_that_skips_every_row_moves_nothing(reviewer, editors_group):
    """Adding a group a user is already in (``INSERT ... ON CONFLICT DO NOTHING``) changes nothing; adding a new
    one moves both generations."""
    reviewer.groups.add(editors_group)
    before = generation.current_with_auth()
    reviewer.groups.add(editors_group)
    assert generation.current_with_auth() == before
    reviewer.groups.add(Group.objects.create(name="Observers"))
    after = generation.current_with_auth()
    assert after[0] != before[0] and after[1] != before[1]


def test_untracked_tables_do_not_move_it(reviewer, client):
    before = generation.current()
    client.force_login(reviewer)  # a session row and last_login... the user row is tracked, the session is not
    assert generation._written_table('INSERT INTO "django_session" ("session_key") VALUES (%s)') is None
    assert generation._written_table('UPDATE "commitments_commitment" SET "title" = %s') == "commitments_commitment"
    assert generation._written_table("DELETE FROM dialogues_meeting") == "dialogues_meeting"
    assert generation._written_table('TRUNCATE "commitments_statusupdate", "x"') == "commitments_statusupdate"
    assert generation._written_table("SELECT 1") is None
    assert before is None or generation.current() is not None


def test_redis_down_costs_speed_only(settings, reviewer, editor, commitment):
    """With the cache unreachable (django-redis, IGNORE_EXCEPTIONS), reads are answered, and fresh."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    client = token_client(reviewer)
    assert status_of(client, commitment.pk) == Status.IN_PROGRESS
    assert status_of(client, commitment.pk) == Status.IN_PROGRESS
    commitment_update_status(
        commitment=commitment, expected_version=commitment.version, author=editor, status=Status.STALLED, note="n"
    )
    answers.clear_local()  # only the (unreachable) shared cache could answer now
    assert status_of(client, commitment.pk) == Status.STALLED


@pytest.mark.redis
def test_processes_share_answers_through_redis(settings, reviewer, commitment, serialised):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": __import__("os").environ["REDIS_URL"],
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    client = token_client(reviewer)
    first = client.get(LIST)
    answers.clear_local()  # as another process would be
    again = client.get(LIST)
    assert again.content == first.content
    assert len(serialised) == 1
