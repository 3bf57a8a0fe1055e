"""The admin lists, searches, filters and opens every model; status history there is read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from commitments.models import StatusUpdate
from tests.support import a_record_in_each_admin_list, admin_form_data

pytestmark = pytest.mark.django_db

TRACKER_APPS = {"core", "commitments", "dialogues"}


@pytest.fixture
def everything():
    return a_record_in_each_admin_list()


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


def test_a_list_filtered_by_hand_with_a_number_no_column_holds_is_answered(admin_client, everything):
    """Every admin list, filtered through its address by each foreign key and id with a number beyond 64 bits (or a
    bytes column with text): an empty or a full list, or a 400, never a 500 (SQLite refused such queries)."""
    huge = str(2**70)
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        relations = [
            f.name
            for f in opts.concrete_fields
            if f.is_relation or f.primary_key or f.get_internal_type() == "BinaryField"
        ]
        for name in relations:
            for lookup in (name, f"{name}__in", f"{name}__gte", f"{name}__lt"):
                response = admin_client.get(changelist, {lookup: huge})
                assert response.status_code in (200, 302, 400), (changelist, lookup, response.status_code)


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


# -- One write path: the admin saves through the services ------------------------------------------------------


def _admin_commitment_data(commitment, **changes):
    """What the admin's change form posts for ``commitment`` (opened now), with ``changes``."""
    data = {
        "reference": commitment.reference,
        "agreement": commitment.agreement_id,
        "title": commitment.title,
        "description": commitment.description,
        "area": commitment.area,
        "strength": commitment.strength,
        "responsible_body": commitment.responsible_body_id or "",
        "target_date": "",
        "source_document": commitment.source_document_id or "",
        "source_locator": commitment.source_locator,
        "expected_edit_version": commitment.edit_version,
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def _staff_edit_data(commitment, **changes):
    data = {
        "title": commitment.title,
        "description": commitment.description,
        "area": commitment.area,
        "strength": commitment.strength,
        "responsible_body": commitment.responsible_body_id or "",
        "target_date": "",
        "expected_edit_version": commitment.edit_version,
    }
    return {**data, **changes}


def test_an_admin_retitle_makes_an_editors_open_form_stale_409_not_a_silent_overwrite(admin_client, editor_client):
    from commitments.models import Commitment
    from commitments.tests.factories import CommitmentFactory

    commitment = CommitmentFactory(title="Joint exercises")
    opened = Commitment.objects.get(pk=commitment.pk)  # the editor opens the edit form now

    admin_url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    response = admin_client.post(admin_url, _admin_commitment_data(opened, title="Joint naval exercises"))
    assert response.status_code == 302
    stored = Commitment.objects.get(pk=commitment.pk)
    assert stored.title == "Joint naval exercises"
    assert stored.edit_version == opened.edit_version + 1
    assert stored.history.first().history_user.username == "admin"

    edit_url = reverse("commitments:commitment_edit", args=[commitment.pk])
    stale = editor_client.post(edit_url, _staff_edit_data(opened, description="A new description"))
    assert stale.status_code == 409
    assert "this commitment was edited by someone else" in stale.content.decode()
    assert Commitment.objects.get(pk=commitment.pk).title == "Joint naval exercises"  # the admin's change stays


def test_a_stale_admin_form_gets_a_409_and_saves_nothing(admin_client, editor_client):
    from commitments.models import Commitment
    from commitments.tests.factories import CommitmentFactory

    commitment = CommitmentFactory(title="Joint exercises")
    opened = Commitment.objects.get(pk=commitment.pk)  # the administrator opens the change form now
    edit_url = reverse("commitments:commitment_edit", args=[commitment.pk])
    assert editor_client.post(edit_url, _staff_edit_data(opened, title="Edited by staff")).status_code == 302

    admin_url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    response = admin_client.post(admin_url, _admin_commitment_data(opened, title="Edited in the admin"))
    assert response.status_code == 409
    assert "was edited by someone else" in response.content.decode()
    assert Commitment.objects.get(pk=commitment.pk).title == "Edited by staff"


def test_a_meeting_added_changed_and_deleted_in_the_admin_moves_the_schedule(admin_client):
    import datetime as dt

    from dialogues.models import DialogueBody, Meeting
    from dialogues.tests.factories import DialogueBodyFactory

    body = DialogueBodyFactory(cadence_months=12, established_on=dt.date(2020, 1, 1))
    add = admin_client.post(
        reverse("admin:dialogues_meeting_add"),
        {
            "body": body.pk,
            "held_on": "2024-03-01",
            "held_on_precision": "day",
            "place": "Tokyo",
            "summary": "",
            "source_locator": "",
        },
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    meeting = Meeting.objects.get(body=body)
    assert meeting.recorded_by.username == "admin"
    assert DialogueBody.objects.get(pk=body.pk).next_due_on == dt.date(2025, 3, 1)

    change_url = reverse("admin:dialogues_meeting_change", args=[meeting.pk])
    data = admin_form_data(admin_client.get(change_url))
    change = admin_client.post(change_url, {**data, "held_on": "2024-06-01", "place": "Brussels"})
    assert change.status_code == 302
    assert DialogueBody.objects.get(pk=body.pk).next_due_on == dt.date(2025, 6, 1)

    delete = admin_client.post(reverse("admin:dialogues_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert delete.status_code == 302
    after = DialogueBody.objects.get(pk=body.pk)
    assert (after.last_meeting_on, after.next_due_on) == (None, dt.date(2021, 1, 1))


def test_a_cadence_changed_in_the_admin_moves_the_due_date(admin_client):
    import datetime as dt

    from dialogues.models import DialogueBody
    from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

    body = DialogueBodyFactory(cadence_months=12)
    MeetingFactory(body=body, held_on=dt.date(2024, 3, 1))
    url = reverse("admin:dialogues_dialoguebody_change", args=[body.pk])
    # What the change page sends back: every field as stored (the facts' bases included), the cadence changed.
    data = {**admin_form_data(admin_client.get(url)), "cadence_months": 6}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert DialogueBody.objects.get(pk=body.pk).next_due_on == dt.date(2024, 9, 1)
