"""The admin lists, searches, filters and opens every model; status history there is read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from commitments.models import StatusUpdate
from commitments.tests.factories import StatusUpdateFactory
from dialogues.tests.factories import ContactFactory, MeetingFactory, OverdueFlagFactory

pytestmark = pytest.mark.django_db

TRACKER_APPS = {"core", "commitments", "dialogues"}


@pytest.fixture
def everything():
    update = StatusUpdateFactory()
    meeting = MeetingFactory(commitments=[update.commitment])
    ContactFactory(body=meeting.body)
    OverdueFlagFactory(body=meeting.body)
    return update


def tracker_models():
    return [m for m in admin.site._registry if m._meta.app_label in TRACKER_APPS]


def test_every_tracker_model_is_in_the_admin():
    registered = {m.__name__ for m in tracker_models()}
    assert {
        "Agreement",
        "Commitment",
        "StatusUpdate",
        "SourceDocument",
        "DialogueBody",
        "Meeting",
        "OverdueFlag",
    } <= registered


def test_admin_changelists_search_and_change_pages_open(admin_client, everything):
    for model in tracker_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        assert admin_client.get(changelist, {"q": "a"}).status_code == 200, changelist
        obj = model.objects.first()
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert admin_client.get(change).status_code == 200, change


def test_status_history_cannot_be_changed_or_deleted_in_the_admin(admin_client, everything):
    url = reverse("admin:commitments_statusupdate_change", args=[everything.pk])
    response = admin_client.post(url, {"note": "rewritten"})
    assert response.status_code == 403
    delete = reverse("admin:commitments_statusupdate_delete", args=[everything.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert StatusUpdate.objects.get(pk=everything.pk).note == everything.note


def test_admin_is_closed_to_non_staff(reviewer_client):
    response = reviewer_client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
