"""Two corrections of one record at the same moment, on PostgreSQL: the one based on what the other changed is
refused (409, or the import's conflict), never written over it.

Real races: the first correction runs in an open transaction (a request still running) holding the record's row;
the second, in its own thread and connection, cannot see it yet and would pass a check made on the old row. It
locks the row before comparing, so it waits, then sees the first correction:

- an administrator's save of a dialogue body, opened before an editor's confirmation of its cadence on the body's
  page (``core.admin_base.StaleFormGuard``: without the lock, the assumed cadence was written back over it);
- a bulk import correcting a meeting that an administrator is correcting too (``imports.kinds.MeetingKind``:
  without the lock, the file's preview passed its check and the meeting was overwritten).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from commitments.tests.factories import SourceDocumentFactory, UserFactory
from core.services import provenance_confirm
from dialogues.models import DialogueBody, Meeting
from dialogues.services import meeting_save
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from imports.models import ImportRun
from imports.services import ImportConflict, import_apply
from imports.tests.support import csv_bytes, run_import
from tests.support import admin_form_data, wait_until_a_query_waits_on_a_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_admin_save_racing_a_confirmation_on_the_body_page_is_refused_and_the_confirmation_stays():
    editor, root = UserFactory(editor=True, username="editor"), UserFactory(admin=True, username="root")
    body = DialogueBodyFactory(short_name="SDD", assumed_cadence=True)
    document = SourceDocumentFactory(key="SDP-2024")
    admin = Client()
    admin.force_login(root)
    url = reverse("admin:dialogues_dialoguebody_change", args=[body.pk])
    form = {**admin_form_data(admin.get(url)), "eu_lead": "EEAS Deputy Secretary-General"}
    responses = []

    def admin_save():
        try:
            responses.append(admin.post(url, form))
        finally:
            connections.close_all()

    with transaction.atomic():
        provenance_confirm(
            record=body,
            fact="cadence",
            source_document=document,
            locator="§31",
            expected_fingerprint=body.fact("cadence").fingerprint,
            user=editor,
        )
        thread = threading.Thread(target=admin_save)
        thread.start()
        wait_until_a_query_waits_on_a_lock(responses)
    thread.join(timeout=30)

    assert [response.status_code for response in responses] == [409]
    assert "Cadence basis" in responses[0].content.decode()
    stored = DialogueBody.objects.get(pk=body.pk)
    assert (stored.cadence_basis, stored.cadence_source, stored.cadence_locator) == ("stated", document, "§31")
    assert stored.eu_lead == body.eu_lead


def test_an_import_racing_an_administrators_correction_of_a_meeting_is_a_conflict_and_the_correction_stays():
    editor, root = UserFactory(editor=True, username="editor"), UserFactory(admin=True, username="root")
    meeting = MeetingFactory(place="Tokyo", summary="Met.", held_on=dt.date(2025, 5, 10))
    content = csv_bytes(["body", "held_on", "place"], [[meeting.body.short_name, "2025-05-10", "Brussels"]])
    run = run_import("meetings", "meetings.csv", content, editor)
    assert run.rows_changed == 1
    outcomes = []

    def confirm_import():
        try:
            import_apply(run=run, author=editor)
            outcomes.append("applied")
        except ImportConflict as conflict:
            outcomes.append(str(conflict))
        finally:
            connections.close_all()

    with transaction.atomic():
        corrected = Meeting.objects.get(pk=meeting.pk)
        corrected.summary = "Corrected in the admin."
        meeting_save(meeting=corrected, author=root)
        thread = threading.Thread(target=confirm_import)
        thread.start()
        wait_until_a_query_waits_on_a_lock(outcomes)
    thread.join(timeout=30)

    assert outcomes == [
        f"Someone changed records in this file after the preview: row 2, the meeting {meeting.body.short_name} "
        "2025-05-10 was changed by someone else. Nothing was imported: upload the file again to see a fresh preview."
    ]
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.place, stored.summary) == ("Tokyo", "Corrected in the admin.")
    assert ImportRun.objects.get(pk=run.pk).state == ImportRun.State.CONFLICT
