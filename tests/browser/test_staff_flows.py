"""The staff workflows walked in a real browser against the live server: filter, open, update, conflict, errors."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from commitments.choices import PolicyArea, Status, Strength
from commitments.models import Commitment, StatusUpdate
from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory, UserFactory
from dialogues.models import Meeting
from dialogues.tests.factories import DialogueBodyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tracker():
    """A small tracker: two frameworks, a body that is overdue, a handful of commitments."""
    sdp = AgreementFactory(code="SDP", title="Security and Defence Partnership")
    spa = AgreementFactory(code="SPA", title="Strategic Partnership Agreement")
    sdd = DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue", overdue=True)
    target = CommitmentFactory(
        agreement=sdp,
        reference="SDP §12(b)",
        title="Develop maritime security cooperation through joint exercises",
        description="Both sides will conduct joint naval exercises.",
        area=PolicyArea.MARITIME_SECURITY,
        strength=Strength.DEVELOP,
        responsible_body=sdd,
    )
    CommitmentFactory(agreement=sdp, reference="SDP §17(a)", area=PolicyArea.HYBRID_FIMI, responsible_body=sdd)
    CommitmentFactory(agreement=sdp, reference="SDP §20", area=PolicyArea.SPACE)
    CommitmentFactory(agreement=spa, reference="SPA Art. 3", area=PolicyArea.MARITIME_SECURITY)
    StatusUpdateFactory(commitment=CommitmentFactory(agreement=sdp, reference="SDP §21"), status=Status.STALLED)
    return target


def staff(role, first, last, username):
    return UserFactory(**{role: True}, first_name=first, last_name=last, username=username)


def test_editor_filters_opens_and_marks_in_progress_with_evidence(new_page, tracker, screenshot_dir):
    editor = staff("editor", "Ana", "Ferreira", "ana")
    page = new_page(editor)
    page.get_by_role("link", name="Commitments", exact=True).click()

    # Filter: SDP, maritime security, not started. The filters end up in the URL.
    page.get_by_label("Agreement").select_option("SDP")
    page.get_by_role("group", name="Status").get_by_label("Not started").check()
    page.locator("summary", has_text="Policy area").click()
    page.get_by_label("Maritime security").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="1 commitment matches the filters")).to_be_visible()
    assert re.search(r"agreement=SDP.*status=not_started.*area=maritime_security", page.url)
    page.screenshot(path=screenshot_dir / "commitment_list_filtered.png", full_page=True)

    # A bookmarked copy of that URL shows the same list.
    shared = new_page(editor)
    shared.goto(page.url)
    expect(shared.locator("table.commitments tbody tr")).to_have_count(1)

    page.get_by_role("link", name="SDP §12(b)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tracker.title)
    expect(page.get_by_text("Security and Defence Dialogue")).to_be_visible()

    page.get_by_role("link", name="Update status").click()
    page.get_by_label("In progress").check()
    page.get_by_label("Progress (%)").fill("30")
    page.get_by_label("Note").fill("First joint exercise held in the Gulf of Aden")
    page.get_by_label("Evidence URL").fill("https://example.eu/joint-exercise")
    page.get_by_label("Evidence date").fill((timezone.localdate() - dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save status").click()

    expect(page.get_by_role("status")).to_contain_text("Saved: SDP §12(b) is now “In progress” (30%).")
    entry = page.locator(".timeline-entry").first
    expect(entry).to_contain_text("First joint exercise held in the Gulf of Aden")
    expect(entry).to_contain_text("Not started → In progress 30%")
    expect(entry).to_contain_text("by Ana Ferreira")
    expect(entry.get_by_role("link", name="https://example.eu/joint-exercise")).to_be_visible()
    page.screenshot(path=screenshot_dir / "commitment_detail_after_update.png", full_page=True)

    tracker.refresh_from_db()
    assert (tracker.status, tracker.progress, tracker.version) == (Status.IN_PROGRESS, 30, 1)
    assert StatusUpdate.objects.get(commitment=tracker).author == editor


def test_reviewer_sees_the_same_pages_without_edit_controls_and_gets_403(new_page, tracker, screenshot_dir):
    page = new_page(staff("reviewer", "Rui", "Costa", "rui"))
    page.get_by_role("link", name="Commitments", exact=True).click()
    page.get_by_role("link", name="SDP §12(b)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tracker.title)
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    for name in ("Update status", "Confirm unchanged", "Edit details"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)

    page.get_by_role("link", name="Security and Defence Dialogue").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Security and Defence Dialogue")
    expect(page.get_by_role("link", name="Record a meeting")).to_have_count(0)

    for path in (
        f"/commitments/{tracker.pk}/update-status/",
        f"/commitments/{tracker.pk}/confirm-unchanged/",
        f"/commitments/{tracker.pk}/edit/",
        "/dialogues/meetings/new/",
    ):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Editors only")
        expect(page.locator("form.form")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "reviewer_403.png", full_page=True)
    assert StatusUpdate.objects.filter(commitment=tracker).count() == 0


def test_two_editors_save_the_same_commitment_and_the_second_is_refused(new_page, tracker, screenshot_dir):
    first = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    second = new_page(staff("editor", "Kenji", "Mori", "kenji"))
    url = f"/commitments/{tracker.pk}/update-status/"
    first.goto(url)
    second.goto(url)

    first.get_by_label("Stalled").check()
    first.get_by_label("Note").fill("Exercises postponed until next year")
    first.get_by_role("button", name="Save status").click()
    expect(first.get_by_role("status")).to_contain_text("Saved")

    second.get_by_label("Achieved").check()
    second.get_by_label("Evidence document reference").fill("Joint statement, 2025 Summit")
    second.get_by_label("Note").fill("Completed")
    second.get_by_role("button", name="Save status").click()

    conflict = second.locator(".conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Your change was not saved")
    expect(conflict).to_contain_text("Ana Ferreira")
    expect(conflict).to_contain_text("Not started → Stalled")
    expect(conflict).to_contain_text("Exercises postponed until next year")
    expect(conflict).not_to_contain_text("What you entered")
    # The form keeps what Kenji typed (nothing to retype), on the new version.
    expect(second.get_by_label("Achieved")).to_be_checked()
    expect(second.get_by_label("Note")).to_have_value("Completed")
    expect(second.get_by_label("Evidence document reference")).to_have_value("Joint statement, 2025 Summit")
    expect(second.locator('input[name="expected_version"]')).to_have_value("1")
    second.screenshot(path=screenshot_dir / "conflict.png", full_page=True)

    tracker.refresh_from_db()
    assert (tracker.status, tracker.version) == (Status.STALLED, 1)
    assert list(StatusUpdate.objects.filter(commitment=tracker).values_list("author__username", flat=True)) == ["ana"]

    # Kenji can still decide, now knowing what Ana did: his new save is based on version 1 and goes through.
    second.get_by_label("Ongoing").check()
    second.get_by_role("button", name="Save status").click()
    expect(second.get_by_role("status")).to_contain_text("Saved: SDP §12(b) is now “Ongoing”")
    tracker.refresh_from_db()
    assert (tracker.status, tracker.version) == (Status.ONGOING, 2)
    assert tracker.updates.order_by("-version").first().note == "Completed"


def test_two_editors_edit_the_details_and_the_second_keeps_his_change_without_undoing_hers(new_page, tracker):
    first = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    second = new_page(staff("editor", "Kenji", "Mori", "kenji"))
    url = f"/commitments/{tracker.pk}/edit/"
    first.goto(url)
    second.goto(url)
    first.get_by_label("Title").fill("Joint naval exercises")
    first.get_by_role("button", name="Save details").click()
    expect(first.get_by_role("status")).to_contain_text("Saved: SDP §12(b) (title changed).")
    second.get_by_label("Description").fill("Both sides will hold joint naval exercises every year.")
    second.get_by_role("button", name="Save details").click()
    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("Your changes were not saved: this commitment was edited by someone else")
    expect(conflict.locator(".changes li")).to_have_count(1)  # only the field Ana changed
    expect(conflict).to_contain_text("Joint naval exercises")
    expect(second.get_by_label("Title")).to_have_value("Joint naval exercises")
    expect(second.get_by_label("Description")).to_have_value("Both sides will hold joint naval exercises every year.")
    tracker.refresh_from_db()
    assert (tracker.title, tracker.edit_version) == ("Joint naval exercises", 1)
    second.get_by_role("button", name="Save details").click()
    expect(second.get_by_role("status")).to_contain_text("Saved: SDP §12(b) (description changed).")
    tracker.refresh_from_db()
    assert (tracker.title, tracker.description, tracker.edit_version) == (
        "Joint naval exercises",
        "Both sides will hold joint naval exercises every year.",
        2,
    )


def test_the_same_editor_in_two_tabs_is_told_it_was_their_own_change(new_page, tracker):
    first = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    url = f"/commitments/{tracker.pk}/update-status/"
    first.goto(url)
    second = first.context.new_page()
    second.goto(url)
    second.get_by_label("Stalled").check()
    second.get_by_role("button", name="Save status").click()
    expect(second.get_by_role("status")).to_contain_text("Saved")
    first.get_by_label("Note").fill("Checked with the desk officer")
    first.get_by_role("button", name="Save status").click()
    conflict = first.locator(".conflict")
    expect(conflict).to_contain_text("changed by you, in another tab or window, since you opened the form")
    expect(conflict).not_to_contain_text("someone else")
    expect(first.get_by_label("Note")).to_have_value("Checked with the desk officer")
    expect(first.get_by_label("Stalled")).to_be_checked()  # her own other change is not undone


def test_an_invalid_form_shows_its_errors_linked_to_the_fields_and_saves_nothing(new_page, tracker, screenshot_dir):
    page = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    page.goto(f"/commitments/{tracker.pk}/update-status/")
    page.get_by_label("Achieved").check()
    page.get_by_label("Progress (%)").fill("80")
    page.get_by_label("Evidence date").fill("2099-12-31")
    page.get_by_role("button", name="Save status").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was saved")
    expect(summary.get_by_role("link")).to_have_count(3)
    progress = page.get_by_label("Progress (%)")
    expect(progress).to_have_attribute("aria-invalid", "true")
    expect(progress).to_have_accessible_description(re.compile("An achieved commitment is 100% complete"))
    expect(page.get_by_label("Evidence date")).to_have_accessible_description(re.compile("cannot be in the future"))
    expect(page.locator("#id_evidence_reference_error")).to_contain_text("Evidence (a URL or a document reference)")
    page.screenshot(path=screenshot_dir / "invalid_form.png", full_page=True)

    # The summary's links take keyboard users to the field.
    summary.get_by_role("link", name=re.compile("Progress")).focus()
    page.keyboard.press("Enter")
    expect(progress).to_be_focused()

    tracker.refresh_from_db()
    assert (tracker.status, tracker.version) == (Status.NOT_STARTED, 0)
    assert not StatusUpdate.objects.filter(commitment=tracker).exists()


def test_sorting_and_paging_by_keyboard(new_page, tracker):
    page = new_page(staff("reviewer", "Rui", "Costa", "rui"))
    page.goto("/commitments/?agreement=SDP")
    header = page.get_by_role("link", name=re.compile(r"^Reference"))
    header.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"agreement=SDP&ordering=reference"))
    expect(page.get_by_role("columnheader", name=re.compile("Reference"))).to_have_attribute("aria-sort", "ascending")
    first = page.locator("table.commitments tbody tr td:first-child").all_inner_texts()
    page.get_by_role("link", name=re.compile(r"^Reference")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"ordering=-reference"))
    assert page.locator("table.commitments tbody tr td:first-child").all_inner_texts() == first[::-1]


def test_confirm_unchanged_and_record_a_meeting(new_page, tracker):
    page = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    page.goto(tracker.get_absolute_url())
    page.get_by_role("link", name="Confirm unchanged").click()
    page.get_by_label("What was reviewed").fill("Checked the 2025 Summit statement: no new step")
    page.get_by_role("button", name="Confirm unchanged").click()
    expect(page.get_by_role("status")).to_contain_text("reviewed, status unchanged")
    expect(page.locator(".timeline-entry").first).to_contain_text("Reviewed, unchanged")

    body = tracker.responsible_body
    page.get_by_role("link", name="Security and Defence Dialogue").first.click()
    expect(page.locator(".state-overdue")).to_be_visible()
    page.get_by_role("link", name="Record a meeting").click()
    expect(page.get_by_label("Dialogue body")).to_have_value(str(body.pk))
    held_on = timezone.localdate() - dt.timedelta(days=1)
    page.get_by_label("Date held").fill(held_on.isoformat())
    page.locator("#id_place").fill("Tokyo")
    page.get_by_label("Outcome").fill("Agreed the exercise calendar")
    page.get_by_label(f"{tracker.reference}: {tracker.title}").check()
    page.get_by_role("button", name="Save meeting").click()

    expect(page.get_by_role("status")).to_contain_text("Saved: meeting of Security and Defence Dialogue")
    expect(page.locator(".state-ok")).to_contain_text("Met on schedule")
    expect(page.get_by_role("cell", name="Agreed the exercise calendar")).to_be_visible()
    meeting = Meeting.objects.get(body=body)
    assert list(meeting.commitments_advanced.all()) == [Commitment.objects.get(pk=tracker.pk)]


def test_enter_in_the_meeting_form_saves_and_enter_in_its_search_box_finds(new_page, tracker, screenshot_dir):
    body = tracker.responsible_body
    page = new_page(staff("editor", "Ana", "Ferreira", "ana"), viewport={"width": 390, "height": 844})
    page.goto(f"/dialogues/meetings/new/?body={body.short_name}")
    held_on = timezone.localdate() - dt.timedelta(days=1)
    page.get_by_label("Date held").fill(held_on.isoformat())
    page.locator("#id_place").fill("Tokyo")
    # Enter in the search box runs the search (what was typed stays), by keyboard as by the Find button.
    page.get_by_label("Find other commitments").fill("SPA Art. 3")
    page.get_by_label("Find other commitments").press("Enter")
    expect(page.locator(".picker-find [role=status]")).to_have_text(
        "1 found, listed first under “Commitments advanced”."
    )
    expect(page.locator("#id_place")).to_have_value("Tokyo")
    assert not Meeting.objects.exists()
    page.get_by_role("button", name="Find").click()
    expect(page.locator(".picker-find [role=status]")).to_contain_text("1 found")
    page.screenshot(path=screenshot_dir / "meeting-find-by-enter-390.png", full_page=True)
    # Enter in any other field saves the meeting, as its main button does.
    page.locator("#id_place").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved: meeting of Security and Defence Dialogue")
    assert Meeting.objects.get(body=body).place == "Tokyo"


def test_withdraw_a_meeting_and_the_due_date_and_the_timeline_change_back(new_page, tracker):
    """A meeting recorded by mistake is withdrawn from the body's page: it stays listed, struck through, and the
    body's next due date, its overdue state and the cadence timeline go back to what they were before it."""
    body = tracker.responsible_body
    before_due = body.next_due_on
    page = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    page.goto(f"/dialogues/meetings/new/?body={body.short_name}")
    held_on = timezone.localdate() - dt.timedelta(days=1)
    page.get_by_label("Date held").fill(held_on.isoformat())
    page.get_by_label("Outcome").fill("Entered for the wrong body")
    page.get_by_role("button", name="Save meeting").click()
    expect(page.locator(".state-ok")).to_contain_text("Met on schedule")
    page.goto("/timeline/")
    row = page.locator(f'#cadence-table tr[data-body="{body.short_name}"]')
    expect(row).to_contain_text("on schedule")
    expect(row.locator("td.date")).to_have_text(f"{held_on:%-d %b %Y}")

    page.goto(body.get_absolute_url())
    page.get_by_role("link", name=re.compile("^Withdraw the meeting of")).click()
    page.get_by_role("button", name="Withdraw meeting").click()  # no reason: refused, nothing written
    expect(page.get_by_role("alert").first).to_contain_text("Say why it is withdrawn")
    page.get_by_label("Reason").fill("Recorded for the wrong body")
    page.get_by_role("button", name="Withdraw meeting").click()

    expect(page.get_by_role("status")).to_contain_text("Withdrawn: meeting of Security and Defence Dialogue")
    expect(page.locator(".state-overdue")).to_be_visible()
    due_row = page.locator("dt", has_text="Next meeting due").locator("xpath=following-sibling::dd[1]")
    expect(due_row).to_have_text(f"{before_due:%-d %B %Y}")
    withdrawn = page.locator("tr.withdrawn")
    expect(withdrawn.locator("del").first).to_be_visible()
    expect(withdrawn).to_contain_text("Recorded for the wrong body")
    page.goto("/timeline/")
    row = page.locator(f'#cadence-table tr[data-body="{body.short_name}"]')
    expect(row).to_contain_text(re.compile("overdue", re.IGNORECASE))
    expect(row.locator("td.date")).to_have_text("none recorded")
    assert Meeting.objects.get(body=body).is_withdrawn


CONTRAST_SCRIPT = """
() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const seen = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.checkVisibility() || el.closest(".visually-hidden")) continue;
    seen.push({tag: el.tagName, cls: el.className, text: walker.currentNode.textContent.trim().slice(0, 30),
               fg: rgb(getComputedStyle(el).color).slice(0, 3), bg: background(el)});
  }
  return seen;
}
"""


def contrast(fg, bg):
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted([luminance(fg), luminance(bg)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_on_the_staff_pages_meets_wcag_aa_contrast(new_page, tracker):
    page = new_page(staff("editor", "Ana", "Ferreira", "ana"))
    StatusUpdateFactory(commitment=tracker, status=Status.ACHIEVED, evidence_reference="Signed")
    paths = [
        "/commitments/?status=achieved&status=stalled&status=not_started&ordering=reference",
        tracker.get_absolute_url(),
        f"/commitments/{tracker.pk}/update-status/",
        "/dialogues/",
        tracker.responsible_body.get_absolute_url(),
        "/dialogues/meetings/new/",
    ]
    for path in paths:
        page.goto(path)
        if path.endswith("update-status/"):
            page.get_by_label("Progress (%)").fill("500")
            page.get_by_role("button", name="Save status").click()
        texts = page.evaluate(CONTRAST_SCRIPT)
        assert len(texts) > 10, path
        poor = [(t["text"], round(contrast(t["fg"], t["bg"]), 2)) for t in texts if contrast(t["fg"], t["bg"]) < 4.5]
        assert poor == [], path


def test_an_overwritten_long_description_reads_back_whole_on_screen_and_on_paper(new_page, tracker, screenshot_dir):
    from commitments.services import commitment_update

    editor = staff("editor", "Ana", "Ferreira", "ana")
    long_text = "Both sides will diversify supply chains of critical raw materials and semiconductors. " * 4
    commitment_update(commitment=tracker, expected_edit_version=0, author=editor, description=long_text.strip())
    commitment_update(commitment=tracker, expected_edit_version=1, author=editor, description="Overwritten.")
    page = new_page(editor, viewport={"width": 390, "height": 844})
    page.goto(tracker.get_absolute_url())
    edit = page.locator(".timeline-entry", has_text="Details edited").first
    whole = edit.locator(".change-full del")
    expect(whole).to_be_hidden()
    edit.get_by_text("Show all").click()
    expect(whole).to_have_text(long_text.strip())
    page.screenshot(path=screenshot_dir / "timeline-show-all-390.png", full_page=True)
    page.reload()
    page.emulate_media(media="print")
    expect(edit.locator(".change-full del")).to_be_visible()  # opened on paper
    expect(edit.locator(".change-short")).to_be_hidden()  # and printed once, whole


def test_a_withdrawn_milestone_on_a_phone_has_no_empty_actions_and_its_withdraw_page_says_so(
    new_page, tracker, screenshot_dir
):
    from commitments.services import milestone_add, milestone_withdraw

    editor = staff("editor", "Ana", "Ferreira", "ana")
    kept = milestone_add(commitment=tracker, expected_version=0, author=editor, title="Exercise plan agreed")
    tracker.refresh_from_db()
    wrong = milestone_add(commitment=tracker, expected_version=tracker.version, author=editor, title="Wrong one")
    tracker.refresh_from_db()
    milestone_withdraw(milestone=wrong, expected_version=tracker.version, author=editor, reason="Belongs elsewhere")
    page = new_page(editor, viewport={"width": 390, "height": 844})
    page.goto(tracker.get_absolute_url())
    cards = page.locator("table.milestones tbody tr")
    # A card's labels are drawn by CSS from data-label: a withdrawn milestone's card shows no "Actions:" cell.
    expect(cards.filter(has_text="Exercise plan agreed").locator('td[data-label="Actions"]')).to_be_visible()
    withdrawn = cards.filter(has_text="Wrong one")
    expect(withdrawn).to_contain_text("Belongs elsewhere")
    expect(withdrawn.locator('td[data-label="Actions"]')).to_have_count(0)
    expect(withdrawn.locator("td:visible")).to_have_count(5)
    withdrawn.screenshot(path=screenshot_dir / "milestone-withdrawn-card-390.png")
    assert kept.pk != wrong.pk

    page.goto(f"/commitments/{tracker.pk}/milestones/{wrong.pk}/withdraw/")
    expect(page.get_by_role("status")).to_contain_text("Already withdrawn on")
    expect(page.get_by_role("status")).to_contain_text("by you: “Belongs elsewhere”.")
    expect(page.get_by_label("Reason")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "milestone-already-withdrawn-390.png", full_page=True)
