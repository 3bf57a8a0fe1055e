"""A withdrawn meeting never counts as held (``MeetingQuerySet.held``): the commitment's page does not list it among
the meetings that advanced it, the "made at" choice does not offer it, the briefing packs do not list it, the
overview's "since the last meeting" picker does not start from it; where it is still shown (the body's own history,
a commitment once made at it) it reads as withdrawn."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from commitments.forms import CommitmentForm
from commitments.tests.factories import AgreementFactory, CommitmentFactory, commitment_edit_data
from dashboards import selectors
from dialogues.services import meeting_withdraw
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def diet(editor):
    """The EP–Diet meetings: one held, three recorded by mistake and withdrawn."""
    agreement = AgreementFactory(code="SPA")
    body = DialogueBodyFactory(short_name="EP-DIET", name="EP–Diet Interparliamentary Meeting", established_on=None)
    body.agreements.add(agreement)
    held = MeetingFactory(body=body, held_on=dt.date(2023, 11, 20), place="Strasbourg")
    mistakes = [
        MeetingFactory(body=body, held_on=day, place="Tokyo")
        for day in (dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 6, 3))
    ]
    commitment = CommitmentFactory(reference="SPA Art. 43", agreement=agreement, responsible_body=body)
    for meeting in (held, *mistakes):
        meeting.commitments_advanced.add(commitment)
    for meeting in mistakes:
        meeting_withdraw(meeting=meeting, author=editor, reason="Recorded for the wrong body")
    return {"body": body, "held": held, "mistakes": mistakes, "commitment": commitment}


def test_the_commitment_page_lists_only_the_meetings_held_that_advanced_it(reviewer_client, diet):
    page = reviewer_client.get(diet["commitment"].get_absolute_url()).content.decode()
    advanced = page[page.index('<h2 id="meetings">Meetings that advanced it</h2>') :]
    advanced = advanced[: advanced.index("</ul>")]
    assert "20 November 2023, Strasbourg" in advanced
    assert "Tokyo" not in advanced and "2024" not in advanced


def test_a_commitment_advanced_only_at_withdrawn_meetings_lists_none(reviewer_client, diet):
    other = CommitmentFactory(reference="SPA Art. 44")
    diet["mistakes"][0].commitments_advanced.add(other)
    page = reviewer_client.get(other.get_absolute_url()).content.decode()
    assert "Meetings that advanced it" not in page


def test_the_made_at_choice_never_offers_a_withdrawn_meeting(editor_client, diet):
    commitment = diet["commitment"]
    offered = {value for value, _ in CommitmentForm(instance=commitment).fields["made_at"].choices if value}
    assert offered == {diet["held"].pk}
    form = editor_client.get(reverse("commitments:commitment_edit", args=[commitment.pk])).content.decode()
    assert "1 May 2024" not in form and "3 June 2024" not in form
    # Posted anyway (a page loaded before the withdrawal): refused, nothing written.
    response = editor_client.post(
        reverse("commitments:commitment_edit", args=[commitment.pk]),
        commitment_edit_data(commitment, made_at=diet["mistakes"][2].pk),
    )
    assert response.status_code == 400
    assert "Choose a meeting of the responsible body" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.made_at is None and commitment.edit_version == 0


def test_a_commitment_made_at_a_meeting_withdrawn_since_says_so_and_still_saves(editor_client, editor, diet):
    commitment = CommitmentFactory(
        reference="SPA Art. 45", agreement=diet["commitment"].agreement, responsible_body=diet["body"]
    )
    meeting = MeetingFactory(body=diet["body"], held_on=dt.date(2024, 9, 9), place="Brussels")
    commitment.made_at = meeting
    commitment.save(update_fields=["made_at"])
    meeting_withdraw(meeting=meeting, author=editor, reason="Held by another body")
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    made = page[page.index("<dt>Made at</dt>") : page.index("<dt>Target date</dt>")]
    assert '<del><span class="visually-hidden">Withdrawn: </span><a href="' in made
    assert "<strong>Withdrawn</strong> on " in made and "Held by another body" in made
    url = reverse("commitments:commitment_edit", args=[commitment.pk])
    form = editor_client.get(url).content.decode()
    assert (
        f'<option value="{meeting.pk}" selected>Withdrawn: EP–Diet Interparliamentary Meeting, 9 September 2024<'
        in (form)
    )
    # An edit of another field keeps it, as it is: the form is not refused for a value nobody changed.
    response = editor_client.post(url, commitment_edit_data(commitment, title="Renamed"))
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Renamed" and commitment.made_at == meeting


def test_the_body_page_still_shows_its_withdrawn_meetings_as_withdrawn(reviewer_client, diet):
    page = reviewer_client.get(diet["body"].get_absolute_url()).content.decode()
    for meeting in diet["mistakes"]:
        row = page[page.index(f'<tr id="meeting-{meeting.pk}" class="withdrawn">') :]
        row = row[: row.index("</tr>")]
        assert '<del><span class="visually-hidden">Withdrawn: </span>' in row
        assert "Recorded for the wrong body" in row
        advanced = row[row.index('data-label="Commitments advanced"') :]
        assert advanced.startswith('data-label="Commitments advanced"><del>')


pypdf = pytest.importorskip("pypdf")


def pdf_text(response) -> str:
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_briefing_packs_list_only_the_meetings_held(reviewer_client, diet):
    pytest.importorskip("weasyprint")
    body_pack = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=["EP-DIET"])))
    framework_pack = pdf_text(reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SPA"])))
    for text in (body_pack, framework_pack):
        assert "Last met 20 November 2023" in text
        assert "Meetings: 20 Nov 2023 (Strasbourg)." in text
        assert "May 2024" not in text and "3 Jun 2024" not in text


def test_withdrawing_every_meeting_leaves_no_meeting_in_the_pack(reviewer_client, editor, diet):
    pytest.importorskip("weasyprint")
    meeting_withdraw(meeting=diet["held"], author=editor, reason="Not an EP–Diet meeting")
    text = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=["EP-DIET"])))
    assert "Last met none recorded." in text
    assert "Meetings:" not in text


def test_the_since_picker_starts_from_the_last_meeting_held(reviewer_client, diet):
    bodies = {body.short_name: body for body in selectors.bodies_that_met()}
    assert bodies["EP-DIET"].last_held == dt.date(2023, 11, 20)
    page = reviewer_client.get(reverse("dashboards:home"), {"since_body": "EP-DIET"}).content.decode()
    assert ">EP–Diet Interparliamentary Meeting (20 Nov 2023)</option>" in page
    assert "Since its meeting on 20 November 2023" in page
    # A body whose every meeting was withdrawn has not met: it is not offered.
    lone = DialogueBodyFactory(short_name="LONE")
    MeetingFactory(body=lone, withdrawn=True)
    assert "LONE" not in {body.short_name for body in selectors.bodies_that_met()}
