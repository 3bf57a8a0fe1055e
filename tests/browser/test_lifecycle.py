"""Milestones, deadlines and a meeting's outcomes walked in a real browser against the live server."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from commitments.choices import Actor, ProgressSource, Status
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

    # A milestone recorded by mistake is withdrawn with a reason: struck through, and the roll-up leaves it out.
    MilestoneFactory(commitment=commitment, title="Second exercise held", weight=4)
    page.reload()
    expect(page.locator("main")).to_contain_text("50% complete")
    page.get_by_role("link", name="Withdraw “Second exercise held”").click()
    page.get_by_label("Reason").fill("Entered under the wrong commitment")
    page.get_by_role("button", name="Withdraw milestone").click()
    page.wait_for_url(f"**{commitment.get_absolute_url()}**")
    withdrawn = page.locator("table.milestones tbody tr.withdrawn")
    expect(withdrawn.locator("del")).to_contain_text("Second exercise held")
    expect(withdrawn).to_contain_text("Entered under the wrong commitment")
    expect(page.locator("main")).to_contain_text("all milestones done, not achieved")
    page.screenshot(path=screenshot_dir / "commitment_milestone_withdrawn.png", full_page=True)
    commitment.refresh_from_db()
    assert commitment.progress == 100


def test_the_2023_summit_page_lists_its_outcomes_with_their_state(new_page, seed_data, screenshot_dir):
    from dialogues.models import Meeting

    reviewer = UserFactory(reviewer=True, username="rita")
    summit = Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13")
    page = new_page(reviewer)
    page.goto(summit.body.get_absolute_url())
    page.locator(f'a[href="{summit.get_absolute_url()}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("13 July 2023, Brussels")
    expect(page.locator("#outcome-summary")).to_contain_text("19 commitments, by their state today:")
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


def test_passed_deadlines_on_the_overview_lead_to_the_filtered_list(new_page, screenshot_dir):
    today = timezone.localdate()
    reviewer = UserFactory(reviewer=True, username="rita")
    CommitmentFactory(reference="SDP §4", title="Target gone by", target_date=today - dt.timedelta(days=60))
    late = CommitmentFactory(reference="SDP §6", title="Milestone late", target_date=today + dt.timedelta(days=400))
    MilestoneFactory(commitment=late, title="Exercise held", due_on=today - dt.timedelta(days=30))
    on_time = CommitmentFactory(reference="SDP §7", title="On time", target_date=today + dt.timedelta(days=400))
    MilestoneFactory(commitment=on_time, title="Plan agreed", due_on=today + dt.timedelta(days=30))
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    panel = page.locator("section[aria-labelledby=targets-heading]")
    expect(panel.locator("#target-passed")).to_contain_text("SDP §4")
    expect(panel.locator("#milestones-overdue")).to_contain_text("SDP §6")
    expect(panel.locator("#milestones-overdue")).to_contain_text("Exercise held")
    expect(panel).not_to_contain_text("SDP §7")
    page.screenshot(path=screenshot_dir / "overview_deadlines_passed.png", full_page=True)

    panel.get_by_role("link", name="Every commitment with a deadline passed").click()
    page.wait_for_url("**deadline_passed=true**")
    expect(page.locator("#results")).to_contain_text("2 commitments match the filters")
    rows = page.locator("table.commitments tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="SDP §4")).to_contain_text("Target gone by")
    expect(rows.filter(has_text="SDP §6")).to_contain_text("Milestone late")
    expect(page.get_by_label("Deadlines")).to_have_value("true")
    page.screenshot(path=screenshot_dir / "commitments_deadline_passed.png", full_page=True)


def test_an_editor_records_a_party_status_that_lowers_the_combined_one(new_page, screenshot_dir):
    from commitments.choices import Party
    from commitments.services import commitment_update_party_status

    editor = UserFactory(editor=True, first_name="Ana", last_name="Ferreira", username="ana")
    joint = CommitmentFactory(reference="SDP §12(b)", title="Joint naval exercises", actor=Actor.BOTH)
    commitment_update_party_status(
        commitment=joint,
        expected_version=0,
        author=editor,
        party=Party.EU,
        status=Status.ACHIEVED,
        evidence_reference="Council decision",
    )
    joint.refresh_from_db()
    commitment_update_party_status(
        commitment=joint,
        expected_version=joint.version,
        author=editor,
        party=Party.JAPAN,
        status=Status.ACHIEVED,
        evidence_url="https://example.jp/cabinet",
    )
    joint.refresh_from_db()
    assert joint.status == Status.ACHIEVED
    page = new_page(editor)
    page.goto(joint.get_absolute_url())
    page.get_by_role("link", name="Update status").click()
    page.get_by_role("group", name="Whose status").get_by_label("Japan").check()
    page.get_by_role("group", name="New status").get_by_label("Stalled").check()
    page.get_by_label("Note").fill("The Diet postponed the vote")
    page.get_by_role("button", name="Save status").click()
    assert page.locator(".error-summary").count() == 0, page.locator(".error-summary").inner_text()
    page.wait_for_url(f"**{joint.get_absolute_url()}")
    per_party = page.locator("dt", has_text="Status per party").locator("xpath=following-sibling::dd[1]")
    expect(per_party).to_contain_text("The EU: Achieved")
    expect(per_party).to_contain_text("Japan: Stalled")
    expect(page.locator(".timeline-entry").first).to_contain_text("for Japan: Stalled; together")
    # Its 100 % went with the achieved status: "Stalled" never stands beside "100% complete".
    expect(page.locator("main")).not_to_contain_text("100% complete")
    page.screenshot(path=screenshot_dir / "joint_commitment_party_status.png", full_page=True)

    joint.refresh_from_db()
    assert (joint.eu_status, joint.japan_status, joint.status) == (Status.ACHIEVED, Status.STALLED, Status.STALLED)
    assert joint.progress is None


def test_the_split_by_party_as_of_a_past_day_leads_to_the_list_filtered_by_that_partys_status(
    new_page, screenshot_dir
):
    from commitments.choices import Party
    from commitments.services import commitment_update_party_status

    reviewer = UserFactory(reviewer=True, username="rita")
    then = timezone.now() - dt.timedelta(days=40)
    joint = CommitmentFactory(reference="SDP §12(b)", title="Joint naval exercises", actor=Actor.BOTH)
    other = CommitmentFactory(reference="SDP §12(c)", title="Maritime presences", actor=Actor.BOTH)
    for commitment, japan in ((joint, Status.STALLED), (other, Status.IN_PROGRESS)):
        for version, (party, status) in enumerate(((Party.EU, Status.IN_PROGRESS), (Party.JAPAN, japan))):
            commitment_update_party_status(
                commitment=commitment,
                expected_version=version,
                author=None,
                party=party,
                status=status,
                recorded_at=then,
            )
    # Since then Japan moved on the first one: today it is in progress for both.
    commitment_update_party_status(
        commitment=joint, expected_version=2, author=None, party=Party.JAPAN, status=Status.IN_PROGRESS
    )
    page = new_page(reviewer)
    as_of = (then + dt.timedelta(days=1)).date().isoformat()
    page.goto(f"{reverse('dashboards:home')}?as_of={as_of}")
    page.get_by_text("Progress by who must act").click()  # the section opens on demand
    japan = page.locator('[data-key="both-japan"]')
    expect(japan).to_contain_text("Joint, Japan's own status")
    expect(japan.locator('a[data-status="stalled"]')).to_contain_text("1 stalled")
    page.screenshot(path=screenshot_dir / "overview_as_of_split_by_party.png", full_page=True)

    japan.locator('a[data-status="stalled"]').click()
    page.wait_for_url("**japan_status=stalled**")
    # The list shows today's commitments: none stalled for Japan now, and the party filter is open and set.
    expect(page.locator("#results")).to_contain_text("0 commitments match the filters")
    expect(page.get_by_role("group", name="Japan's own status").get_by_label("Stalled")).to_be_checked()
    page.goto(f"{reverse('commitments:commitment_list')}?actor=both&japan_status=in_progress")
    expect(page.locator("table.commitments tbody tr")).to_have_count(2)
    page.screenshot(path=screenshot_dir / "commitments_by_party_status.png", full_page=True)


def test_every_milestone_done_on_a_commitment_not_achieved_does_not_read_as_complete(new_page, screenshot_dir):
    reviewer = UserFactory(reviewer=True, username="rita")
    commitment = CommitmentFactory(reference="SDP §7", title="Security of information agreement")
    commitment_set_progress_source(
        commitment=commitment, expected_version=0, author=None, source=ProgressSource.MILESTONES
    )
    MilestoneFactory(commitment=commitment, title="Talks opened", done=True)
    page = new_page(reviewer)
    page.goto(commitment.get_absolute_url())
    expect(page.locator("main")).to_contain_text("all milestones done, not achieved")
    expect(page.locator("main")).not_to_contain_text("100% complete")
    page.screenshot(path=screenshot_dir / "commitment_all_milestones_done.png", full_page=True)


def test_an_editor_records_where_a_commitment_was_made_from_the_meetings_offered(new_page, screenshot_dir):
    from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

    editor = UserFactory(editor=True, username="ana")
    agreement = AgreementFactory(code="SDP")
    council = DialogueBodyFactory(short_name="SDP-JC", name="SDP Joint Committee")
    council.agreements.add(agreement)
    elsewhere = DialogueBodyFactory(short_name="HLIED", name="High-Level Industrial Dialogue")
    MeetingFactory(body=council, held_on=dt.date(2024, 3, 12), place="Tokyo")
    MeetingFactory(body=elsewhere, held_on=dt.date(2024, 9, 1), place="Brussels")
    commitment = CommitmentFactory(agreement=agreement, reference="SDP §3", title="Regular security consultations")
    page = new_page(editor)
    page.goto(commitment.get_absolute_url())
    page.get_by_role("link", name="Edit details").click()
    made_at = page.get_by_label("Made at")
    options = made_at.locator("option")
    expect(options).to_have_count(2)  # "Not recorded" and the framework body's meeting, not the other body's
    expect(made_at).not_to_contain_text("High-Level Industrial Dialogue")
    expect(options.nth(1)).to_have_text("SDP Joint Committee, 12 March 2024")  # the body's name, not its code
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=screenshot_dir / f"commitment_edit_made_at_{width}.png", full_page=True)
    page.pdf(path=str(screenshot_dir / "commitment_edit_made_at.pdf"))
    made_at.select_option(index=1)
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: SDP §3 (made at changed)")
    commitment.refresh_from_db()
    assert commitment.made_at.body == council
