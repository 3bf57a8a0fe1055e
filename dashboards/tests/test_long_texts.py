"""A 4,000-character note, outcome, summary or description (the most the tracker keeps) does not blow up the
dashboards, the agreement and body pages or the briefing PDFs: each is shortened, with the whole one tap away."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory
from core.models import LONG_TEXT_MAX
from core.templatetags.text import shorten_text
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db

UNBROKEN = "x" * LONG_TEXT_MAX  # one "word": a pasted URL or a garbled paste
WORDY = ("A sentence of eight words that goes on. " * 120)[:LONG_TEXT_MAX].strip()
OUTCOME = ("The meeting agreed on the next steps. " * 120)[:LONG_TEXT_MAX].strip()
TEXTS = {"UNBROKEN": UNBROKEN, "WORDY": WORDY, "OUTCOME": OUTCOME}


@pytest.fixture
def long_texts():
    agreement = AgreementFactory(code="LONG", summary=WORDY)
    body = DialogueBodyFactory(short_name="LONGB", description=UNBROKEN, agreements=[agreement])
    MeetingFactory(body=body, held_on=timezone.localdate() - dt.timedelta(days=3), summary=OUTCOME)
    commitment = CommitmentFactory(agreement=agreement, responsible_body=body, reference="LONG §1")
    StatusUpdateFactory(commitment=commitment, status="in_progress", note=UNBROKEN)
    StatusUpdateFactory(commitment=commitment, status="stalled", note=WORDY)
    return {"agreement": agreement, "body": body, "commitment": commitment}


def test_shorten_cuts_by_characters_at_a_word_boundary_where_there_is_one():
    assert shorten_text("short") == "short"
    assert shorten_text(UNBROKEN, 240) == "x" * 240 + "…"
    shortened = shorten_text(WORDY, 240)
    assert len(shortened) <= 241 and shortened.endswith("…") and not shortened.endswith(" …")
    assert WORDY.startswith(shortened[:-1])


def _whole_only_behind_details(html: str, text: str) -> None:
    """``text`` appears in full exactly once, inside a "Read the whole …" <details>, and shortened before it."""
    assert html.count(text) == 1, "the whole text is shown more than once (or not at all)"
    opened = html.rindex('<details class="note-full print-folded">', 0, html.index(text))
    assert "Read the whole" in html[opened : html.index(text)]
    assert any(shorten_text(text, limit) in html for limit in (160, 240, 600))


@pytest.mark.parametrize(
    ("page", "texts"),
    [
        ("overview", ["UNBROKEN", "WORDY"]),
        ("changes", ["UNBROKEN", "WORDY", "OUTCOME"]),
        ("agreement", ["WORDY"]),
        ("body", ["UNBROKEN", "OUTCOME"]),
    ],
)
def test_pages_shorten_long_texts_and_keep_the_whole_one_tap_away(reviewer_client, long_texts, page, texts):
    url = {
        "overview": reverse("dashboards:home"),
        "changes": reverse("dashboards:changes"),
        "agreement": long_texts["agreement"].get_absolute_url(),
        "body": long_texts["body"].get_absolute_url(),
    }[page]
    html = reviewer_client.get(url).content.decode()
    for name in texts:
        _whole_only_behind_details(html, TEXTS[name])


def test_briefing_packs_print_long_texts_shortened_on_few_pages(reviewer_client, long_texts):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    for url in (
        reverse("dashboards:agreement_briefing", args=["LONG"]),
        reverse("dashboards:body_briefing", args=["LONGB"]),
    ):
        response = reviewer_client.get(url, {"since": (timezone.localdate() - dt.timedelta(days=30)).isoformat()})
        assert response.status_code == 200
        reader = pypdf.PdfReader(io.BytesIO(response.content))
        text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
        assert len(reader.pages) <= 3, url
        assert "x" * 300 not in text and "x" * 100 in text  # the unbroken note, shortened, wrapped
        assert text.count("A sentence of eight words") < 20
