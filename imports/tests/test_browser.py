"""The bulk import in a real browser: export, edit the file, upload, read the preview, confirm, see the change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from commitments.choices import PolicyArea, Strength
from commitments.models import Commitment
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory
from imports.models import ImportRun
from tests.browser.test_every_page import axe_violations, load_axe

from .support import csv_bytes, read_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tracker():
    sdp = AgreementFactory(code="SDP", title="Security and Defence Partnership")
    sdd = DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue")
    for n, title in ((12, "Develop maritime security cooperation"), (17, "Counter hybrid threats together")):
        CommitmentFactory(
            agreement=sdp,
            reference=f"SDP §{n}",
            title=title,
            description="Both sides will cooperate.",
            area=PolicyArea.MARITIME_SECURITY,
            strength=Strength.DEVELOP,
            responsible_body=sdd,
        )
    return sdp


def test_an_editor_exports_edits_uploads_previews_confirms_and_sees_the_change(
    new_page, tracker, tmp_path, screenshot_dir
):
    editor = UserFactory(editor=True, first_name="Ana", last_name="Ferreira", username="ana")
    page = new_page(editor)
    load_axe(page)

    # The export of the list, downloaded as a person would.
    page.goto("/commitments/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all commitments as CSV").click()
    header, rows = read_csv(download.value.path().read_bytes())
    position = {name: i for i, name in enumerate(header)}
    for row in rows:
        if row[position["reference"]] == "SDP §12":
            row[position["title"]] = "Hold joint maritime exercises every year"
    rows.append([""] * len(header))
    rows[-1][position["reference"]] = "SDP §13"
    rows[-1][position["agreement"]] = "SDP"
    rows[-1][position["title"]] = "Exchange liaison officers"
    rows[-1][position["description"]] = "Both sides will exchange liaison officers."
    rows[-1][position["area"]] = PolicyArea.DEFENCE
    rows[-1][position["strength"]] = Strength.IMPLEMENT
    edited = tmp_path / "after-the-summit.csv"
    edited.write_bytes(csv_bytes(header, rows))

    # Upload: the navigation leads editors to the page.
    page.get_by_role("link", name="Bulk import").click()
    page.get_by_role("group", name="What the file holds").get_by_label("Commitments").check()
    page.get_by_label("Spreadsheet file").set_input_files(str(edited))
    page.get_by_role("button", name="Upload and preview").click()

    # The preview: one new, one changed (old → new), one unchanged; nothing saved yet.
    expect(page.get_by_role("heading", name="Commitments from after-the-summit.csv")).to_be_visible()
    counts = page.get_by_role("list", name="Rows")
    expect(counts).to_contain_text("1 new")
    expect(counts).to_contain_text("1 changed")
    expect(counts).to_contain_text("1 unchanged")
    changed = page.locator("tr.row-changed")
    expect(changed).to_contain_text("SDP §12")
    expect(changed.locator("del")).to_have_text("Develop maritime security cooperation")
    expect(changed.locator("ins")).to_have_text("Hold joint maritime exercises every year")
    expect(page.locator("tr.row-new")).to_contain_text("Exchange liaison officers")
    assert Commitment.objects.get(reference="SDP §12").title == "Develop maritime security cooperation"
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=screenshot_dir / "import_preview_1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "import_preview_390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported from after-the-summit.csv: 1 record added, 1 changed")

    # The commitment pages show the change.
    page.goto("/commitments/")
    page.get_by_role("link", name="SDP §12", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hold joint maritime exercises every year")
    page.goto("/commitments/")
    page.get_by_role("link", name="SDP §13", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exchange liaison officers")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/imports/")
    assert axe_violations(page) == []
    page.screenshot(path=screenshot_dir / "import_start_1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "import_start_390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The preview as printed (the print stylesheet), for reviewers.
    page.goto(ImportRun.objects.get().get_absolute_url())
    page.pdf(path=str(screenshot_dir / "import_run.pdf"))
