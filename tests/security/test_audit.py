"""The audit trail: every change to frameworks, commitments, bodies and meetings says who and when; it is
viewable by administrators and cannot be edited or deleted through any interface."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.models import registered_models
from simple_history.utils import get_history_model_for_model

from commitments.models import Agreement, Commitment, HistoryIsAppendOnly, StatusUpdate
from commitments.services import commitment_update_status
from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory, UserFactory
from dialogues.models import DialogueBody, Meeting
from dialogues.services import meeting_record
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from tests.support import admin_form_data

pytestmark = pytest.mark.django_db

AUDITED = [Agreement, Commitment, DialogueBody, Meeting]


def historical_models() -> list:
    """Every historical model that django-simple-history registered (one per audited model)."""
    models = [get_history_model_for_model(model) for model in registered_models.values()]
    return sorted(models, key=lambda model: model._meta.db_table)


@pytest.fixture
def root():
    return UserFactory(admin=True, username="root")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def records():
    body = DialogueBodyFactory(short_name="SDD")
    commitment = CommitmentFactory(reference="SDP §7", responsible_body=body)
    meeting = MeetingFactory(body=body, held_on=dt.date(2024, 5, 1))
    return {Agreement: commitment.agreement, Commitment: commitment, DialogueBody: body, Meeting: meeting}


def test_every_audited_model_keeps_history():
    audited = {model._meta.label for model in AUDITED}
    recorded = {model.instance_type._meta.label for model in historical_models()}
    assert recorded == audited


TEXT_FIELD = {Agreement: "title", Commitment: "title", DialogueBody: "name", Meeting: "place"}


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m.__name__)
def test_a_change_in_the_admin_records_who_and_when(admin_client, root, records, model):
    obj = records[model]
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    data = admin_form_data(admin_client.get(url))
    field = TEXT_FIELD[model]
    data[field] = "Changed in the admin"
    before = timezone.now()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    latest = obj.history.latest()
    assert getattr(latest, field) == "Changed in the admin"
    assert latest.history_type == "~"
    assert latest.history_user == root
    assert latest.history_date >= before


def test_the_admin_history_page_shows_who_changed_what(admin_client, root, records):
    agreement = records[Agreement]
    agreement._history_user = root
    agreement.title = "Renamed framework"
    agreement.save()
    url = reverse("admin:commitments_agreement_history", args=[agreement.pk])
    page = admin_client.get(url).content.decode()
    assert "Renamed framework" in page
    assert "root" in page


def test_a_meeting_recorded_through_the_service_names_its_recorder(editor):
    body = DialogueBodyFactory()
    meeting = meeting_record(body=body, held_on=timezone.localdate(), summary="Met", recorded_by=editor)
    created = meeting.history.get()
    assert created.history_type == "+"
    assert created.history_user == editor


def test_a_request_stamps_the_signed_in_user(editor_client, editor, rf):
    """HistoryRequestMiddleware: whatever a page or the API saves during a request is stamped with its user."""
    from simple_history.models import HistoricalRecords

    agreement = AgreementFactory()
    request = rf.post("/")
    request.user = editor
    HistoricalRecords.context.request = request
    try:
        agreement.summary = "Edited during a request"
        agreement.save()
    finally:
        del HistoricalRecords.context.request
    assert agreement.history.latest().history_user == editor


def test_status_history_names_author_and_time(editor):
    commitment = CommitmentFactory()
    before = timezone.now()
    update = commitment_update_status(
        commitment=commitment, expected_version=0, author=editor, status="in_progress", note="Started"
    )
    assert update.author == editor
    assert update.recorded_at >= before


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m.__name__)
def test_past_versions_cannot_be_reverted_or_edited_from_the_admin(admin_client, records, model):
    obj = records[model]
    field = TEXT_FIELD[model]
    original = getattr(obj, field)
    setattr(obj, field, "Second version")
    obj.save()
    first = obj.history.earliest()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, first.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    data = admin_form_data(page)
    response = admin_client.post(url, data)
    assert response.status_code == 403
    obj.refresh_from_db()
    assert getattr(obj, field) == "Second version"
    assert obj.history.count() == 2
    assert getattr(obj.history.earliest(), field) == original


def test_historical_records_have_no_admin_pages():
    for history_model in historical_models():
        assert history_model not in admin.site._registry
        opts = history_model._meta
        for action in ("add", "change", "delete", "changelist"):
            with pytest.raises(NoReverseMatch):
                args = [] if action in ("add", "changelist") else [1]
                reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=args)


def test_status_updates_cannot_be_changed_from_the_admin(admin_client, records):
    update = StatusUpdateFactory(commitment=records[Commitment])
    url = reverse("admin:commitments_statusupdate_change", args=[update.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"note": "rewritten"}).status_code == 403
    delete = reverse("admin:commitments_statusupdate_delete", args=[update.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert StatusUpdate.objects.get(pk=update.pk).note == update.note


def test_status_updates_refuse_edits_in_code(records):
    update = StatusUpdateFactory(commitment=records[Commitment])
    with pytest.raises(HistoryIsAppendOnly):
        update.save()
    with pytest.raises(HistoryIsAppendOnly):
        update.delete()
    with pytest.raises(HistoryIsAppendOnly):
        StatusUpdate.objects.filter(pk=update.pk).update(note="rewritten")
    with pytest.raises(HistoryIsAppendOnly):
        StatusUpdate.objects.filter(pk=update.pk).delete()


def append_only_tables() -> list[str]:
    return sorted([StatusUpdate._meta.db_table, *(model._meta.db_table for model in historical_models())])


@pytest.mark.postgres
def test_every_history_table_has_the_append_only_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_append_only' AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
        )
        guarded = sorted(row[0] for row in cursor.fetchall())
    assert guarded == append_only_tables()


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_history_whatever_the_client(records, statement):
    StatusUpdateFactory(commitment=records[Commitment])
    records[Agreement].save()
    for table in append_only_tables():
        column = "note" if table == StatusUpdate._meta.db_table else "history_date"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names from the models
            count = cursor.fetchone()[0]
        assert count > 0, table
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table, column=column))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            assert cursor.fetchone()[0] == count


def test_changes_through_the_staff_forms_record_the_editor(client):
    """The pages: editing a commitment and recording a meeting stamp the signed-in editor on the audit rows."""
    from core.roles import EDITORS

    editor = UserFactory(username="form-editor", role=EDITORS)
    client.force_login(editor)
    body = DialogueBodyFactory(short_name="FORMS")
    commitment = CommitmentFactory(responsible_body=body)
    response = client.post(
        reverse("commitments:commitment_edit", args=[commitment.pk]),
        {
            "title": "Edited through the form",
            "description": commitment.description,
            "area": commitment.area,
            "strength": commitment.strength,
            "responsible_body": body.pk,
            "target_date": "",
            "expected_edit_version": commitment.edit_version,
        },
    )
    assert response.status_code == 302
    edit = commitment.history.latest()
    assert (edit.title, edit.history_user, edit.history_type) == ("Edited through the form", editor, "~")
    response = client.post(
        reverse("dialogues:meeting_create"),
        {"body": body.pk, "held_on": timezone.localdate().isoformat(), "place": "Brussels", "summary": "Met"},
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(body=body)
    assert meeting.history.get().history_user == editor
