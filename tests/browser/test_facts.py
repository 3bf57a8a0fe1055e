"""Facts a reader can trust, in a real browser: confirming an assumed fact of a body and of an agreement (with the
refusals and the conflict page), and the "assumed" marks of the cadence timeline chart (keyboard, tap, 390 px)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from commitments.models import Agreement
from commitments.tests.factories import AgreementFactory, SourceDocumentFactory, UserFactory
from dialogues.models import DialogueBody
from dialogues.tests.factories import DialogueBodyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def facts():
    """A body on an assumed annual cadence (overdue on it), a body whose cadence a document states, an agreement
    whose signature month is assumed, and the documents an editor can name."""
    stated_doc = SourceDocumentFactory(key="SDP-2024", title="Security and Defence Partnership")
    SourceDocumentFactory(key="EP-IDA-2024", title="EP in-depth analysis")
    guessed = DialogueBodyFactory(
        short_name="CYBER", name="EU–Japan Cyber Dialogue", assumed_cadence=True, established_on=dt.date(2014, 1, 1)
    )
    DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue", cadence_source=stated_doc)
    loi = AgreementFactory(
        code="STI-LOI",
        title="Letter of Intent on science, technology and innovation",
        signed_on=dt.date(2020, 5, 1),
        signed_on_precision="month",
        assumed_signature=True,
    )
    return {"body": guessed, "agreement": loi}


def editor(username="ana"):
    return UserFactory(editor=True, first_name="Ana", last_name="Ferreira", username=username)


def test_an_editor_confirms_a_bodys_assumed_cadence_after_a_refused_try(new_page, facts, screenshot_dir):
    body = facts["body"]
    page = new_page(editor())
    page.goto(body.get_absolute_url())
    expect(page.locator("#fact-cadence + dd")).to_contain_text("assumed")
    page.get_by_role("link", name="Confirm an assumed fact").click()
    page.get_by_role("radio", name=re.compile("Cadence: every 12 months")).check()
    page.get_by_label("Document that states it").select_option(label="EP in-depth analysis (EP-IDA-2024)")
    page.get_by_role("button", name="Confirm with this source").click()  # no locator: refused, nothing written
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Where in it")
    assert DialogueBody.objects.get(pk=body.pk).cadence_basis == "assumed"
    page.screenshot(path=screenshot_dir / "confirm-body-refused.png", full_page=True)
    page.get_by_label("Where in it").fill("section 2.4")
    page.get_by_role("button", name="Confirm with this source").click()
    expect(page.get_by_role("status")).to_contain_text(
        "cadence of EU–Japan Cyber Dialogue is now stated in EP-IDA-2024"
    )
    expect(page.locator("#fact-cadence + dd")).to_contain_text("stated in EP-IDA-2024, section 2.4")
    expect(page.locator("#body-state")).not_to_contain_text("assumed")
    body.refresh_from_db()
    assert (body.cadence_basis, body.cadence_locator) == ("stated", "section 2.4")


def test_an_editor_confirms_an_agreements_date_and_a_late_second_editor_sees_the_conflict(
    new_page, facts, screenshot_dir
):
    loi = facts["agreement"]
    first, second = new_page(editor("ana")), new_page(editor("ben"))
    for page in (first, second):  # both open the form on the assumed signature date
        page.goto(loi.get_absolute_url())
        page.get_by_role("link", name="Confirm an assumed date").click()
        page.get_by_role("radio", name=re.compile("Signature date: May 2020")).check()
    first.get_by_label("Document that states it").select_option(label="EP in-depth analysis (EP-IDA-2024)")
    first.get_by_label("Where in it").fill("section 3.1")
    first.get_by_role("button", name="Confirm with this source").click()
    expect(first.get_by_role("status")).to_contain_text("signature date of")
    expect(first.locator("dd", has_text="May 2020")).to_contain_text("stated in EP-IDA-2024, section 3.1")
    expect(first.get_by_role("link", name="Confirm an assumed date")).to_have_count(0)

    second.get_by_label("Document that states it").select_option(label="Security and Defence Partnership (SDP-2024)")
    second.get_by_label("Where in it").fill("§5")
    second.get_by_role("button", name="Confirm with this source").click()
    conflict = second.locator("section.conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("the signature date was changed after you opened the form")
    expect(conflict).to_contain_text("It is now stated in EP-IDA-2024, section 3.1")
    expect(conflict).to_contain_text("You had named SDP-2024, §5")
    second.screenshot(path=screenshot_dir / "confirm-agreement-conflict.png", full_page=True)
    loi = Agreement.objects.get(pk=loi.pk)
    assert (loi.signed_on_source.key, loi.signed_on_locator) == ("EP-IDA-2024", "section 3.1")


def _assumed_tag(page, short_name):
    return page.locator(f'svg.cadence-timeline g.body-row[data-body="{short_name}"] a.assumed-link')


def test_the_timeline_chart_marks_assumed_due_dates_for_keyboard_and_mouse(new_page, facts, screenshot_dir):
    page = new_page(UserFactory(reviewer=True, username="rita"))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/timeline/")
    tag = _assumed_tag(page, "CYBER")
    expect(tag).to_be_visible()
    expect(tag).to_have_attribute("aria-label", re.compile("CYBER: assumed.*dialogues meet annually"))
    expect(_assumed_tag(page, "SDD")).to_have_count(0)
    hatched = page.locator('svg.cadence-timeline g.body-row[data-body="CYBER"] rect.span-hatch')
    assert hatched.count() >= 1 and page.locator('g.body-row[data-body="SDD"] rect.span-hatch').count() == 0
    page.screenshot(path=screenshot_dir / "timeline-assumed-1366.png", full_page=True)
    # By keyboard: Tab reaches the tag (after the body's name), Enter opens the body's cadence fact.
    page.locator('svg.cadence-timeline g.body-row[data-body="CYBER"] a.label-link').focus()
    page.keyboard.press("Tab")
    expect(tag).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dialogues/CYBER/#fact-cadence$"))
    expect(page.locator("#fact-cadence + dd")).to_contain_text("assumed by the tracker")


def test_the_timeline_chart_marks_are_legible_and_tappable_at_390_px(new_page, facts, screenshot_dir):
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    page = new_page(UserFactory(reviewer=True, username="rita"), **phone)
    page.goto("/timeline/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
    tag = _assumed_tag(page, "CYBER")
    tag.scroll_into_view_if_needed()
    box = tag.locator("rect.assumed-tag").bounding_box()
    text = tag.locator("text.assumed-text").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 14  # a tap target, not a speck
    assert text["height"] >= 10  # legible: the chart keeps its size and scrolls in its own region
    page.screenshot(path=screenshot_dir / "timeline-assumed-390.png", full_page=False)
    tag.tap()
    page.wait_for_url(re.compile(r"/dialogues/CYBER/#fact-cadence$"))
