"""Every bound and every correction of issue 12, refused through the web form AND the API, leaves the whole
database as it was (compared table by table with the backup's serialisation, ``tracker.backup.snapshot``).

One row per refusal: who sends what where, and the status expected. The positive paths (what is accepted) are
tested next to each feature; here only that a refusal writes nothing at all, whatever the channel.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from commitments.choices import Status
from commitments.tests.api_support import token_client
from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory, UserFactory
from core.models import LONG_TEXT_MAX, WITHDRAWAL_REASON_MAX_LENGTH
from dialogues.services import meeting_withdraw
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory
from tracker.backup import snapshot

pytestmark = pytest.mark.django_db

TOO_LONG = "n" * (LONG_TEXT_MAX + 1)
REASON_TOO_LONG = "r" * (WITHDRAWAL_REASON_MAX_LENGTH + 1)


@pytest.fixture
def world():
    editor = UserFactory(editor=True, username="refusal-editor")
    sdp = AgreementFactory(code="SDP", signed_on=dt.date(2024, 11, 1))
    body = DialogueBodyFactory(short_name="SDD", established_on=dt.date(2024, 11, 1))
    commitment = CommitmentFactory(agreement=sdp, reference="SDP §5", responsible_body=body)
    update = StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, note="Under way")
    meeting = MeetingFactory(body=body, held_on=dt.date(2025, 3, 1))
    gone = MeetingFactory(body=body, held_on=dt.date(2025, 6, 1))
    meeting_withdraw(meeting=gone, author=editor, reason="Recorded twice")
    commitment.refresh_from_db()
    form = Client()
    form.force_login(editor)
    return {
        "form": form,
        "api": token_client(editor),
        "commitment": commitment,
        "update": update,
        "meeting": meeting,
        "gone": gone,
        "version": commitment.version,
    }


def _status_form(w, **data):
    url = reverse("commitments:commitment_update_status", args=[w["commitment"].pk])
    return w["form"].post(url, {"expected_version": w["version"], **data})


def _status_api(w, **data):
    payload = {"commitment": w["commitment"].pk, "expected_version": w["version"], **data}
    return w["api"].post("/api/v1/status-updates/", payload, format="json")


def _meeting_form(w, **data):
    return w["form"].post(reverse("dialogues:meeting_create"), {"body": w["meeting"].body_id, **data})


def _meeting_api(w, **data):
    return w["api"].post("/api/v1/meetings/", {"dialogue": "SDD", **data}, format="json")


def _withdraw_update_form(w, **data):
    c, u = w["commitment"], w["update"]
    return w["form"].post(reverse("commitments:status_update_withdraw", args=[c.pk, u.pk]), data)


def _withdraw_update_api(w, **data):
    url = f"/api/v1/status-updates/{w['update'].pk}/withdraw/"
    return w["api"].post(url, {"expected_version": w["version"], **data}, format="json")


def _withdraw_meeting_form(w, meeting="meeting", **data):
    return w["form"].post(reverse("dialogues:meeting_withdraw", args=[w[meeting].pk]), data)


def _withdraw_meeting_api(w, meeting="meeting", **data):
    return w["api"].post(f"/api/v1/meetings/{w[meeting].pk}/withdraw/", data, format="json")


def _edit_form(w, **changes):
    c = w["commitment"]
    data = {
        "title": c.title,
        "description": c.description,
        "area": c.area,
        "strength": c.strength,
        "responsible_body": c.responsible_body_id,
        "target_date": "",
        "expected_edit_version": c.edit_version,
        **changes,
    }
    return w["form"].post(reverse("commitments:commitment_edit", args=[c.pk]), data)


REFUSALS = {
    # A status update that changes nothing (same status and progress, no note, no evidence).
    "unchanged update, form": (lambda w: _status_form(w, status=Status.IN_PROGRESS), 400),
    "unchanged update, API": (lambda w: _status_api(w, status=Status.IN_PROGRESS), 400),
    # Notes, outcomes and descriptions have a maximum length.
    "note too long, form": (lambda w: _status_form(w, status=Status.STALLED, note=TOO_LONG), 400),
    "note too long, API": (lambda w: _status_api(w, status=Status.STALLED, note=TOO_LONG), 400),
    "outcome too long, form": (lambda w: _meeting_form(w, held_on="2025-09-01", summary=TOO_LONG), 400),
    "outcome too long, API": (lambda w: _meeting_api(w, held_on="2025-09-01", summary=TOO_LONG), 400),
    "description too long, form": (lambda w: _edit_form(w, description=TOO_LONG), 400),
    # A meeting cannot predate its body's start (or 1950), nor lie in the future.
    "meeting before the start, form": (lambda w: _meeting_form(w, held_on="2024-10-31"), 400),
    "meeting before the start, API": (lambda w: _meeting_api(w, held_on="2024-10-31"), 400),
    "meeting in 1900, form": (lambda w: _meeting_form(w, held_on="1900-01-01"), 400),
    "meeting in 1900, API": (lambda w: _meeting_api(w, held_on="1900-01-01"), 400),
    "meeting in the future, form": (lambda w: _meeting_form(w, held_on="2999-01-01"), 400),
    "meeting in the future, API": (lambda w: _meeting_api(w, held_on="2999-01-01"), 400),
    # A target date cannot predate its agreement's signature (commitments are edited through the form only).
    "target before signature, form": (lambda w: _edit_form(w, target_date="2024-10-31"), 400),
    # Withdrawals need a reason within bounds, once, on the current version.
    "update withdrawal without reason, form": (lambda w: _withdraw_update_form(w, reason=""), 400),
    "update withdrawal without reason, API": (lambda w: _withdraw_update_api(w, reason=""), 400),
    "update withdrawal reason too long, form": (lambda w: _withdraw_update_form(w, reason=REASON_TOO_LONG), 400),
    "update withdrawal reason too long, API": (lambda w: _withdraw_update_api(w, reason=REASON_TOO_LONG), 400),
    "update withdrawal on a stale version, API": (
        lambda w: w["api"].post(
            f"/api/v1/status-updates/{w['update'].pk}/withdraw/",
            {"expected_version": w["version"] - 1, "reason": "Wrong commitment"},
            format="json",
        ),
        409,
    ),
    "meeting withdrawal without reason, form": (lambda w: _withdraw_meeting_form(w, reason=""), 400),
    "meeting withdrawal without reason, API": (lambda w: _withdraw_meeting_api(w, reason=""), 400),
    "meeting withdrawal reason too long, form": (lambda w: _withdraw_meeting_form(w, reason=REASON_TOO_LONG), 400),
    "meeting withdrawal reason too long, API": (lambda w: _withdraw_meeting_api(w, reason=REASON_TOO_LONG), 400),
    "meeting withdrawn twice, form": (lambda w: _withdraw_meeting_form(w, meeting="gone", reason="Again"), 409),
    "meeting withdrawn twice, API": (lambda w: _withdraw_meeting_api(w, meeting="gone", reason="Again"), 409),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_bound_or_correction_writes_nothing(world, case):
    send, status = REFUSALS[case]
    before = snapshot()
    response = send(world)
    assert response.status_code == status, (case, response.content[:500])
    assert snapshot() == before, f"{case}: a refused request wrote something"
