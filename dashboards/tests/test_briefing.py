"""Briefing packs: server-rendered PDFs of a framework and of a dialogue body, read back as text (pypdf)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from commitments.models import Commitment, StatusUpdate
from dialogues.models import DialogueBody

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

pytestmark = pytest.mark.django_db


def pdf_text(response) -> tuple[str, int]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), len(reader.pages)


def test_framework_pack_has_cover_key_figures_overdue_bodies_and_latest_evidence(seed_data, reviewer, reviewer_client):
    response = reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SDP"]), {"since": "2024-01-01"})
    text, pages = pdf_text(response)
    assert "Security and Defence Partnership between the European Union and Japan (SDP)" in text
    assert (
        f"Prepared by {reviewer.get_full_name() or reviewer.get_username()}" in text
        and "Changes since 1 January 2024" in text
    )
    total = Commitment.objects.filter(agreement__code="SDP").count()
    assert f"Key figures {total} commitments" in text
    overdue = [b for b in DialogueBody.objects.filter(agreements__code="SDP") if b.is_overdue()]
    assert overdue, "the seed data has overdue SDP bodies"
    for body in overdue:
        assert f"{body.name}: overdue by {body.days_overdue()} days" in text
    # A commitment's latest evidence: SDP §5 was achieved on the evidence of the adopted text.
    latest = StatusUpdate.objects.filter(commitment__reference="SDP §5").order_by("-recorded_at", "-version").first()
    assert latest.evidence_reference and " ".join(latest.evidence_reference.split()) in text
    # Commitments in natural order.
    listed = text[text.index("Commitments, their status and latest evidence") :]
    assert listed.index("SDP §4 ") < listed.index("SDP §5 ") < listed.index("SDP §10(a)") < listed.index("SDP §32")
    assert pages >= 2


def test_body_pack_has_cadence_meetings_and_its_commitments(seed_data, reviewer_client):
    body = DialogueBody.objects.filter(meetings__isnull=False, commitments__isnull=False).distinct().first()
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=[body.short_name])))
    assert body.name in text and "dialogue body" in text.lower()
    assert "Dialogue bodies: cadence and meetings" in text and "Meetings:" in text
    assert f"Key figures {body.commitments.count()} commitment" in text
    assert body.commitments.first().reference in text


def test_a_bad_since_is_refused_with_400_and_unknown_codes_404(seed_data, reviewer_client):
    response = reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SDP"]), {"since": "yesterday"})
    assert response.status_code == 400 and b"valid date" in response.content
    future = reviewer_client.get(reverse("dashboards:body_briefing", args=["SDD"]), {"since": "2999-01-01"})
    assert future.status_code == 400
    assert reviewer_client.get(reverse("dashboards:agreement_briefing", args=["NOPE"])).status_code == 404
    assert reviewer_client.get(reverse("dashboards:body_briefing", args=["NOPE"])).status_code == 404


def test_packs_need_sign_in(seed_data, client):
    response = client.get(reverse("dashboards:agreement_briefing", args=["SDP"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
