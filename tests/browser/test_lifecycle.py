"""Milestones, deadlines and a meeting's outcomes walked in a real browser against the live server."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from commitments.choices import ProgressSource
from commitments.models import Milestone
from commitments.services import commitment_set_progress_source
from commitments.tests.factories import AgreementFactory, CommitmentFactory, MilestoneFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_adds_a_milestone_gets_the_errors_then_marks_it_done(new_page, screenshot_dir):
    editor = UserFactory(editor=True, first_name="Ana", last_name="Ferreira", username="ana")
    commitment = CommitmentFactory(
        agreement=AgreementFactory(code="SDP"), reference="SDP §12(b)", title="Joint naval exercises"
    )
    commitment_set_progress_source(
        commitment=commitment, expected_version=0, author=editor, source=ProgressSource.MILESTONES
    )
    MilestoneFactory(commitment=commitment, title="Exercise plan agreed", done=True, weight=1)
    page = new_page(editor)
    page.goto(commitment.get_absolute_url())
    page.get_by_role("link", name="Add a milestone").click()

    # Done without evidence: the error summary names the field, nothing is saved.
    page.get_by_label("Title").fill("First joint exercise held")
    page.get_by_label("Due on").fill("2025-05-01")
    page.get_by_role("group", name="The due date is known to the").get_by_label("Month").check()
    page.get_by_label("Done on").fill((timezone.localdate() - dt.timedelta(days=2)).isoformat())
    page.get_by_label("Weight").fill("3")
    page.get_by_role("button", name="Save milestone").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Evidence (a URL or a document reference) is required to mark it done.")
    assert Milestone.objects.count() == 1
    page.screenshot(path=screenshot_dir / "milestone_form_errors.png", full_page=True)

    page.get_by_label("Evidence URL").fill("https://example.eu/exercise")
    page.get_by_role("button", name="Save milestone").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: milestone “First joint exercise held” added")
    row = page.locator("table.milestones tbody tr", has_text="First joint exercise held")
    expect(row).to_contain_text("May 2025")
    expect(page.locator(".timeline-entry").first).to_contain_text("progress 100%")
    page.screenshot(path=screenshot_dir / "commitment_with_milestones.png", full_page=True)

    commitment.refresh_from_db()
    assert commitment.progress == 100 and commitment.version == 3


def test_the_2023_summit_page_lists_its_outcomes_with_their_status(new_page, seed_data, screenshot_dir):
    from dialogues.models import Meeting

    reviewer = UserFactory(reviewer=True, username="rita")
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    page = new_page(reviewer)
    page.goto(summit.body.get_absolute_url())
    page.locator(f'a[href="{summit.get_absolute_url()}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("13 July 2023, Brussels")
    expect(page.locator("#outcome-summary")).to_contain_text("19 commitments:")
    rows = page.locator("table.outcomes tbody tr")
    expect(rows).to_have_count(19)
    row = rows.filter(has_text="JS-2023 (PRESS ¶4)")
    expect(row).to_contain_text("Launch an annual Strategic Dialogue")
    expect(row.locator(".badge")).to_be_visible()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=screenshot_dir / f"summit_outcomes_{width}.png", full_page=True)
    page.pdf(path=str(screenshot_dir / "summit_outcomes.pdf"))
    row.get_by_role("link", name="JS-2023 (PRESS ¶4)").click()
    expect(page.get_by_role("link", name="Japan–EU Summit, 13 July 2023")).to_be_visible()
