"""Every page at 1366 and 390 px on the seed data: nothing scrolls sideways, axe-core finds no violation, and a
screenshot of each is written to the screenshot folder (set SCREENSHOT_DIR to keep them). The overview prints
on at most 4 A4 pages; "What changed" prints without text spilling out of its columns.

axe-core is vendored (``tests/browser/vendor/axe.min.js``, see the README there) and injected into each page
by Playwright, so the site itself serves no test script and its CSP stays strict.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from commitments.models import Commitment, StatusUpdate
from commitments.tests.factories import MilestoneFactory
from dialogues.models import DialogueBody, Meeting
from subscriptions.services import unsubscribe_token
from subscriptions.tests.factories import FollowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = (1366, 390)
# Rules that only Swagger UI's own markup breaks on the API documentation page, which we vendor and do not
# rewrite: each operation's summary is a button holding other controls (nested-interactive) and its section
# headings skip a level (heading-order). Everything else there (contrast, landmarks, width) is ours and checked.
SWAGGER_MARKUP_RULES = {"nested-interactive", "heading-order"}


def site_pages(editor) -> list[tuple[str, str]]:
    """``(name, URL)`` of every kind of page a signed-in editor sees, on the seed data."""
    sdp = Commitment.objects.filter(agreement__code="SDP").in_reference_order().first()
    body = DialogueBody.objects.filter(meetings__isnull=False).order_by("short_name").first()
    update = StatusUpdate.objects.effective().filter(commitment__agreement__code="SDP").order_by("pk").first()
    meeting = Meeting.objects.held().filter(body=body).order_by("-held_on").first()
    assumed = next(b for b in DialogueBody.objects.order_by("short_name") if b.fact("cadence").is_assumed)
    # "What I follow" with something in it: a body, a framework and a policy area.
    FollowFactory(user=editor, of_body=True, body=body)
    FollowFactory(user=editor, of_area=True, area=sdp.area)
    return [
        ("overview", reverse("dashboards:home")),
        ("overview-as-of", reverse("dashboards:home") + "?as_of=2024-06-30"),
        ("what-changed", reverse("dashboards:changes") + "?since=2023-01-01"),
        ("timeline", reverse("dashboards:timeline")),
        ("agreement", reverse("dashboards:agreement_detail", args=["SDP"])),
        ("commitment-list", reverse("commitments:commitment_list")),
        ("commitment-list-filtered", reverse("commitments:commitment_list") + "?agreement=SDP&ordering=reference"),
        ("commitment", sdp.get_absolute_url()),
        ("form-update-status", reverse("commitments:commitment_update_status", args=[sdp.pk])),
        ("form-confirm", reverse("commitments:commitment_confirm", args=[sdp.pk])),
        ("form-edit", reverse("commitments:commitment_edit", args=[sdp.pk])),
        ("body-list", reverse("dialogues:body_list")),
        ("body", body.get_absolute_url()),
        ("form-meeting", reverse("dialogues:meeting_create") + f"?body={body.short_name}"),
        ("form-meeting-withdraw", reverse("dialogues:meeting_withdraw", args=[meeting.pk])),
        (
            "form-update-withdraw",
            reverse("commitments:status_update_withdraw", args=[update.commitment_id, update.pk]),
        ),
        ("form-confirm-fact", reverse("dialogues:body_confirm_fact", args=[assumed.short_name])),
        ("body-assumed", assumed.get_absolute_url()),
        ("following", reverse("subscriptions:following")),
        ("unsubscribe", reverse("subscriptions:unsubscribe", args=[unsubscribe_token(user=editor)])),
        ("password-change", reverse("password_change")),
        ("api-docs", reverse("api:docs")),
        ("form-confirm-fact-agreement", reverse("commitments:agreement_confirm_fact", args=["SDP"])),
        ("meeting-outcomes", Meeting.objects.get(body__short_name="SUMMIT", held_on="2023-07-13").get_absolute_url()),
        ("form-milestone", reverse("commitments:milestone_add", args=[sdp.pk])),
        ("form-progress-source", reverse("commitments:progress_source", args=[sdp.pk])),
        ("commitment-list-deadlines", reverse("commitments:commitment_list") + "?deadline_passed=true&actor=both"),
    ]


def load_axe(page) -> None:
    """Have axe-core in every document this page opens (an init script, so the site's CSP is not loosened)."""
    page.context.add_init_script(path=str(AXE))


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the current page (all its default rules, WCAG A/AA and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        raise AssertionError("axe-core is not loaded: call load_axe(page) before navigating")
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in json.loads(result)
    ]


def contrast(rgb_a: str, rgb_b: tuple[int, int, int] = (255, 255, 255)) -> float:
    """WCAG contrast ratio between a CSS ``rgb(...)`` colour and ``rgb_b``."""
    channels = [int(float(x)) for x in rgb_a[rgb_a.index("(") + 1 : rgb_a.index(")")].split(",")[:3]]

    def luminance(rgb) -> float:
        def lin(c):
            c = c / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (lin(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(channels), luminance(rgb_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_passes_axe_and_is_photographed(width, new_page, editor, seed_data, screenshot_dir):
    page = new_page(editor)
    load_axe(page)
    page.set_viewport_size({"width": width, "height": 768})
    problems: list[str] = []
    for name, url in site_pages(editor):
        response = page.goto(url)
        assert response.status == 200, (name, url, response.status)
        if name == "api-docs":  # Swagger UI draws the operations after the page has loaded
            page.locator(".opblock").first.wait_for()
        page.screenshot(path=screenshot_dir / f"{name}-{width}.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{name} at {width}px scrolls sideways: {scroll_width}px wide")
        for violation in axe_violations(page):
            if name == "api-docs" and violation["id"] in SWAGGER_MARKUP_RULES:
                continue
            problems.append(f"{name} at {width}px: axe {violation}")
    # The sign-in page and the signed-out message, for anonymous visitors.
    page.goto(reverse("dashboards:home"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda u: "signed_out" in u)
    assert page.get_by_role("status").filter(has_text="You have signed out").is_visible()
    page.screenshot(path=screenshot_dir / f"signed-out-{width}.png", full_page=True)
    if page.evaluate("document.documentElement.scrollWidth") > width:
        problems.append(f"sign-in page at {width}px scrolls sideways")
    problems += [f"sign-in page at {width}px: axe {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)


def test_focus_ring_favicon_and_api_docs_link(new_page, reviewer, seed_data):
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    assert page.locator('link[rel="icon"]').get_attribute("href").endswith("favicon.svg")
    assert page.locator("footer").get_by_role("link", name="API documentation").get_attribute("href") == reverse(
        "api:docs"
    )
    # Keyboard focus on a link in the page (white background): the ring must stand out at 3:1 or more.
    link = page.locator("#key-figures a").first
    page.keyboard.press("Tab")
    link.focus()
    style = link.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert style[0] != "none" and float(style[1].rstrip("px")) >= 2, style
    assert contrast(style[2]) >= 3, style


def test_overview_prints_on_at_most_four_a4_pages(new_page, reviewer, seed_data, screenshot_dir):
    """The briefing on paper, at most 4 A4 pages (3 before it printed its progress by policy area and by who must act,
    which it left out, folded)."""
    pypdf = pytest.importorskip("pypdf")
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    pdf = page.pdf(path=screenshot_dir / "overview-print.pdf", prefer_css_page_size=True, print_background=True)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= 4, f"the overview prints on {len(reader.pages)} pages"
    text = " ".join(reader.pages[0].extract_text().split())
    assert "EU–Japan cooperation at a glance" in text and "Overdue dialogue bodies" in text
    # "Progress by framework" prints with its colour key, its scale and its first bar on one page.
    pages = [" ".join(sheet.extract_text().split()) for sheet in reader.pages]
    (progress,) = [sheet for sheet in pages if "Progress by framework" in sheet]
    assert "Not started" in progress and "All bars share one scale" in progress
    assert "Strategic Partnership Agreement between the EU" in progress
    # The key is inside its note (a list inside a paragraph would have been pushed out of it by the parser).
    assert page.locator("#progress .scale-note .legend li").count() == 6
    # Colours are kept: the status badges and bars ask the printer for exact colours.
    adjust = page.evaluate(
        "() => { document.querySelector('link[media=print]').media = 'all';"
        " return getComputedStyle(document.querySelector('.badge')).printColorAdjust; }"
    )
    assert adjust == "exact"


def test_what_changed_prints_without_overlap(new_page, reviewer, seed_data, screenshot_dir):
    page = new_page(reviewer)
    page.goto(reverse("dashboards:changes") + "?since=2023-01-01")
    page.pdf(path=screenshot_dir / "what-changed-print.pdf", prefer_css_page_size=True, print_background=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4 inside its margins
    spilled = page.evaluate(
        """() => [...document.querySelectorAll('.changes-table td, #meetings td')]
            .filter(td => td.scrollWidth > td.clientWidth + 1)
            .map(td => td.textContent.trim().slice(0, 60))"""
    )
    assert not spilled, spilled


def test_a_framework_page_prints_its_commitments_readably(new_page, reviewer, seed_data, screenshot_dir):
    """The SDP's page on A4: the commitment's own text gets the width of its table (the fixed columns once left it a
    few letters wide, 19 pages), and the links hidden on paper leave no separators behind."""
    pypdf = pytest.importorskip("pypdf")
    page = new_page(reviewer)
    page.goto(reverse("dashboards:agreement_detail", kwargs={"code": "SDP"}))
    pdf = page.pdf(path=screenshot_dir / "framework-print.pdf", prefer_css_page_size=True, print_background=True)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) <= 10
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4 inside its margins
    widths = page.evaluate(
        """() => [...document.querySelectorAll('.area-table')].map(
            table => [table.querySelector('thead th:nth-child(2)').offsetWidth, table.offsetWidth])"""
    )
    assert widths and all(column >= 0.35 * table for column, table in widths), widths
    assert page.locator(".headline").inner_text().strip().endswith("%).")  # "… achieved (n%)." and nothing after


def test_the_commitment_list_prints_within_the_page(new_page, reviewer, seed_data, screenshot_dir):
    """Its eleven columns fit A4: no cell runs past its column or the table past the page (dates were cut off)."""
    page = new_page(reviewer)
    page.goto(reverse("commitments:commitment_list"))
    page.pdf(path=screenshot_dir / "commitment-list-print.pdf", prefer_css_page_size=True, print_background=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4 inside its margins
    overflow = page.evaluate(
        """() => {
            const table = document.querySelector('table.commitments');
            const cells = [...table.querySelectorAll('td, th')]
                .filter(cell => cell.scrollWidth > cell.clientWidth + 1)
                .map(cell => cell.textContent.trim().slice(0, 40));
            return {right: table.getBoundingClientRect().right, page: document.documentElement.clientWidth, cells};
        }"""
    )
    assert overflow["right"] <= overflow["page"] and not overflow["cells"], overflow
    # Nor does a column heading break inside a word ("Responsibl / e body", "Milestone / s").
    broken = page.evaluate(
        """() => {
            const context = document.createElement('canvas').getContext('2d');
            return [...document.querySelectorAll('table.commitments thead th')].filter(th => {
                const style = getComputedStyle(th);
                context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                const room = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                return th.textContent.trim().split(/\\s+/).some(word => context.measureText(word).width > room);
            }).map(th => th.textContent.trim());
        }"""
    )
    assert not broken, broken


# The main tables and how each fits its container: a table wider than its container scrolls sideways, hiding columns.
TABLES_FIT = """() => ({
    page: document.documentElement.scrollWidth,
    tables: [...document.querySelectorAll('main table')].map(table => ({
        table: table.id || table.className,
        width: table.scrollWidth,
        room: table.parentElement.clientWidth,
        display: getComputedStyle(table).display,
    })),
})"""
LISTS = {
    "commitment list": lambda: reverse("commitments:commitment_list"),
    "body list": lambda: reverse("dialogues:body_list"),
    "framework page": lambda: reverse("dashboards:agreement_detail", args=["SDP"]),
    "body page": lambda: reverse("dialogues:body_detail", args=["SUMMIT"]),
}


@pytest.mark.parametrize("name", LISTS)
def test_on_a_phone_the_lists_are_cards_that_show_every_column(name, new_page, reviewer, seed_data, screenshot_dir):
    """At 390 px no column hides behind a sideways scroll (the list showed reference and title only): each row is a
    card whose cells say what they are; on paper the same table stays a table."""
    page = new_page(reviewer, viewport={"width": 390, "height": 800})
    page.goto(LISTS[name]())
    page.screenshot(path=screenshot_dir / f"{name.replace(' ', '-')}-cards-390.png", full_page=True)
    fit = page.evaluate(TABLES_FIT)
    assert fit["page"] <= 390, fit
    assert fit["tables"] and all(t["width"] <= t["room"] for t in fit["tables"]), fit
    state = page.locator("main table td[data-label='State']").first
    assert state.is_visible() and state.inner_text().strip()
    box = state.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.emulate_media(media="print")
    assert all(t["display"] == "table" for t in page.evaluate(TABLES_FIT)["tables"])


def test_the_commitment_list_fits_a_laptop_with_milestones(new_page, reviewer, seed_data, screenshot_dir):
    """At 1366 px the eleven columns fit without a sideways scroll once rows count milestones ("1 of 2 done",
    an overdue badge): the milestone cell once kept to one line and pushed "Last update" out of sight."""
    for commitment in Commitment.objects.in_reference_order()[:3]:
        MilestoneFactory(commitment=commitment, due_on=dt.date(2020, 1, 1))  # overdue
        MilestoneFactory(
            commitment=commitment,
            due_on=dt.date(2020, 1, 1),
            done_on=dt.date(2019, 12, 1),
            evidence_reference="Council document 1/19",
        )
    page = new_page(reviewer, viewport={"width": 1366, "height": 900})
    page.goto(reverse("commitments:commitment_list") + "?ordering=reference")
    assert page.locator("td.milestones").first.inner_text().startswith("1 of 2 done")
    page.screenshot(path=screenshot_dir / "commitment-list-milestones-1366.png", full_page=True)
    fit = page.evaluate(TABLES_FIT)
    assert fit["page"] <= 1366 and all(t["width"] <= t["room"] for t in fit["tables"]), fit
    last = page.get_by_role("columnheader", name="Last update").bounding_box()
    room = page.locator(".table-scroll").bounding_box()
    assert last["x"] + last["width"] <= room["x"] + room["width"]


@pytest.mark.parametrize("name", ["commitment list", "body list"])
def test_on_a_phone_a_link_skips_the_filters_to_the_list(name, new_page, reviewer, seed_data):
    """The filters fill the first screens of a phone: a link at the top says how many rows there are and jumps to
    them; a laptop, which shows filters and list together, and paper do without it."""
    page = new_page(reviewer, viewport={"width": 390, "height": 800})
    page.goto(LISTS[name]())
    skip = page.locator(".skip-to-results a")
    assert skip.is_visible() and re.match(r"Skip the filters: \d+ (commitments|bodies)$", skip.inner_text())
    results = page.locator("#results")
    assert not results.is_visible() or results.bounding_box()["y"] > 800  # below the first screen
    skip.click()
    box = results.bounding_box()
    assert -1 < box["y"] < 800, box  # the list's heading is now on screen (to the pixel: scrolling rounds)
    page.emulate_media(media="print")
    assert not skip.is_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert not skip.is_visible()


@pytest.mark.parametrize("width", [1366, 1280])
def test_the_commitment_list_fits_a_laptop_when_a_last_update_has_no_date(
    width, new_page, reviewer, seed_data, screenshot_dir
):
    """The list as it opens (no sort): an update recorded without its document's date reads "date not given in the
    source", which, kept on one line, made the table 1224 px in a 1184 px column and cut it off ("…in the so"). The
    phrase wraps in its cell; a date never breaks inside ("13 Jul / 2023")."""
    page = new_page(reviewer, viewport={"width": width, "height": 900})
    page.goto(reverse("commitments:commitment_list"))
    page.screenshot(path=screenshot_dir / f"commitment-list-{width}.png", full_page=True)
    fit = page.evaluate(TABLES_FIT)
    assert fit["page"] <= width and all(t["width"] <= t["room"] for t in fit["tables"]), fit
    cells = page.evaluate(
        """() => {
            const room = document.querySelector('.table-scroll').getBoundingClientRect();
            return [...document.querySelectorAll('table.commitments td[data-label="Last update"]')].map(td => ({
                text: td.innerText.trim(),
                inside: td.getBoundingClientRect().right <= room.right + 0.5 && td.scrollWidth <= td.clientWidth + 1,
                dates_whole: [...td.querySelectorAll('time')].every(time => time.getClientRects().length === 1),
            }));
        }"""
    )
    assert any(cell["text"] == "date not given in the source" for cell in cells), cells
    assert all(cell["inside"] for cell in cells), [cell["text"] for cell in cells if not cell["inside"]]
    assert all(cell["dates_whole"] for cell in cells), [cell["text"] for cell in cells if not cell["dates_whole"]]


def test_a_framework_page_prints_its_progress_bars_inside_the_page(new_page, reviewer, seed_data, screenshot_dir):
    """A progress bar (6rem on screen) ran out of its 24 mm column and past the page's right margin, where the PDF cut
    it (SDP §7): on paper each bar spans its column, inside the printable width."""
    page = new_page(reviewer)
    page.goto(reverse("dashboards:agreement_detail", kwargs={"code": "SDP"}))
    page.pdf(path=screenshot_dir / "framework-bars-print.pdf", prefer_css_page_size=True, print_background=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4 inside its margins
    bars = page.evaluate(
        """() => [...document.querySelectorAll('.area-table meter')].map(meter => {
            const bar = meter.getBoundingClientRect(), cell = meter.closest('td').getBoundingClientRect();
            return {label: meter.getAttribute('aria-label'), right: bar.right, cell: cell.right,
                    page: document.documentElement.clientWidth};
        })"""
    )
    assert bars, "the SDP has a commitment that reports its progress"
    assert all(b["right"] <= b["cell"] + 0.5 and b["right"] <= b["page"] for b in bars), bars
    assert page.evaluate("document.documentElement.scrollWidth") <= 680


def test_a_commitment_prints_its_history_dots_inside_the_page(new_page, reviewer, seed_data, screenshot_dir):
    """The dots of a commitment's timeline hang left of its line: on paper, where the page has no padding, their left
    half fell outside the printable box and was cut off. Each dot is inside the page."""
    commitment = Commitment.objects.filter(updates__isnull=False).order_by("pk").first()
    page = new_page(reviewer)
    page.goto(commitment.get_absolute_url())
    page.pdf(path=screenshot_dir / "commitment-history-print.pdf", prefer_css_page_size=True, print_background=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4 inside its margins
    dots = page.evaluate(
        """() => [...document.querySelectorAll('ol.timeline > .timeline-entry')].map(entry => {
            const dot = getComputedStyle(entry, '::before'), box = entry.getBoundingClientRect();
            const left = box.left + parseFloat(dot.left);
            return {left, right: left + parseFloat(dot.width)};
        })"""
    )
    assert dots, commitment
    assert all(d["left"] >= 0 and d["right"] <= 680 for d in dots), dots


def test_the_commitment_list_prints_codes_whole(new_page, reviewer, seed_data, screenshot_dir):
    """On A4 an agreement's code and a body's short name stay whole, on every page of the list: at 8 % of the width
    the codes broke inside ("COPERNI / CUS", "ATALANTA / -AA")."""
    page = new_page(reviewer, viewport={"width": 680, "height": 960})  # A4 inside its margins
    page.emulate_media(media="print")
    broken: set[str] = set()
    codes: set[str] = set()
    number = 1
    while True:
        page.goto(reverse("commitments:commitment_list") + f"?page={number}")
        if number == 1:
            page.pdf(path=screenshot_dir / "commitment-list-codes.pdf", prefer_css_page_size=True)
        found = page.evaluate(
            """() => [...document.querySelectorAll('table.commitments td[data-label="Agreement"] a,'
                                                  + 'table.commitments td[data-label="Responsible body"] a')]
                .map(a => {
                    const cell = a.closest('td');
                    return {code: a.textContent.trim(),
                            whole: a.getClientRects().length === 1 && cell.scrollWidth <= cell.clientWidth + 1};
                })"""
        )
        codes |= {f["code"] for f in found}
        broken |= {f["code"] for f in found if not f["whole"]}
        if not page.locator(".pagination a[rel=next]").count():
            break
        number += 1
    assert {"COPERNICUS", "ATALANTA-AA", "ST-VISION-2015", "ATALANTA-JMSDF"} <= codes, codes
    assert not broken, sorted(broken)
