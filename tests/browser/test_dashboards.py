"""The delegation dashboards in a real browser, on the seed data: what a person sees, and a screenshot of each.

Screenshots go to the ``screenshot_dir`` fixture (a temp folder; set SCREENSHOT_DIR to keep them).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from commitments.choices import Status
from commitments.models import Agreement, Commitment
from dialogues.models import DialogueBody, Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def counts_in_database(agreement: Agreement) -> dict[str, int]:
    return dict(
        Commitment.objects.filter(agreement=agreement)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def bar_row(page, key: str):
    return page.locator(f'#progress .fw-row[data-key="{key}"]')


def shown_counts(row) -> dict[str, int]:
    """The figures a reader sees in a framework's row, by status (only non-zero statuses are shown)."""
    counts = {}
    figures = row.locator("a.figure[data-status]")
    for i in range(figures.count()):
        figure = figures.nth(i)
        counts[figure.get_attribute("data-status")] = int(figure.inner_text().split()[0])
    return counts


def drawn_widths(row) -> dict[str, float]:
    """Each status's part of the drawn bar, in percent of the full width."""
    rects = row.locator("svg.stacked-bar rect[data-status]")
    return {
        rects.nth(i).get_attribute("data-status"): float(rects.nth(i).get_attribute("width"))
        for i in range(rects.count())
    }


def test_overview_bars_match_the_database(new_page, reviewer, seed_data, screenshot_dir):
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    assert page.get_by_role("heading", level=1).inner_text() == "EU–Japan cooperation at a glance"
    page.screenshot(path=screenshot_dir / "overview.png", full_page=True)
    # Instruments are folded under their framework; open every fold to read them all.
    page.locator("#progress details.fw-instruments > summary").evaluate_all("els => els.forEach(e => e.click())")

    agreements = list(Agreement.objects.all())
    scale = max(sum(counts_in_database(a).values()) for a in agreements)
    assert bar_row(page, "SDP").is_visible()
    for agreement in agreements:
        expected = counts_in_database(agreement)
        total = sum(expected.values())
        if not total:
            assert page.locator("#progress .fw-empty").filter(has_text=agreement.code).count() == 1, agreement.code
            continue
        row = bar_row(page, agreement.code)
        assert shown_counts(row) == expected, agreement.code
        assert int(row.get_attribute("data-total")) == total
        # One absolute scale: the largest framework fills the bar, a one-commitment instrument is a sliver.
        widths = drawn_widths(row)
        assert set(widths) == set(expected), agreement.code
        for status, width in widths.items():
            assert width == pytest.approx(100 * expected[status] / scale, abs=0.01), (agreement.code, status)
        label = row.locator("svg.stacked-bar").get_attribute("aria-label")
        assert f"{total} commitment" in label
        # Every figure links to the filtered list behind it.
        link = row.locator(f'a.figure[data-status="{next(iter(expected))}"]').get_attribute("href")
        assert f"agreement={agreement.code}" in link and "status=" in link

    # The key figures count commitments by their one state (commitments.states), each linked to its list.
    states = [c.state().code for c in Commitment.objects.all()]
    for state in ("achieved", "moving", "stalled", "stale", "not_started"):
        figure = page.locator(f'[data-figure="{state}"]')
        assert figure.locator(".kpi-figure").inner_text() == str(states.count(state)), state
        assert figure.get_attribute("href").endswith(f"?state={state}")
    # The six frameworks come first, in briefing order.
    keys = page.locator("#progress .fw-group > .fw-row").evaluate_all("els => els.map(e => e.dataset.key)")
    assert keys == ["SPA", "EPA", "SCQI", "GA", "DP", "SDP"]


def test_overview_shows_overdue_bodies_with_days_overdue(new_page, reviewer, seed_data):
    today = timezone.localdate()
    overdue = list(DialogueBody.objects.overdue(on=today).with_last_meeting_precision())
    assert overdue, "the seed data has dialogue bodies that have not met within their cadence"
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    rows = page.locator("#overdue-bodies li")
    assert rows.count() == len(overdue)
    assert page.locator('[data-figure="overdue-bodies"] .kpi-figure').inner_text() == str(len(overdue))
    for body in overdue:
        row = page.locator(f'#overdue-bodies li[data-body="{body.short_name}"]')
        text = row.inner_text()
        assert body.name in text
        days = body.days_overdue(on=today)
        if body.last_meeting_on is None:  # overdue from its start: what is missing is the record of a meeting
            assert "no meeting recorded since it started" in text and "last met none recorded" in text, text
            assert "past due" not in text, text
        elif body.schedule_precision == "day":
            # Counted from the due date, a long period also in years: "919 days past due (about 3 years)".
            assert re.search(rf"\b{days:,} days? past due( \(about \d+ years?\))?", text), text
            assert f"due {body.next_due_on:%-d %B %Y}" in text
        else:  # due in a month or a year the documents give, not on a day they do not
            assert f"past due since {body.next_due_display}" in text and f"due {body.next_due_display} " in text, text
            assert f"{days} days" not in text and f"{days:,} days" not in text


def test_a_status_update_appears_in_what_changed_and_not_as_of_the_day_before(
    new_page, reviewer, editor, seed_data, screenshot_dir
):
    # An editor records the update through the staff form, as staff do.
    commitment = Commitment.objects.filter(agreement__code="SDP", status=Status.NOT_STARTED).order_by("reference")[0]
    before = counts_in_database(commitment.agreement)
    editor_page = new_page(editor)
    editor_page.goto(reverse("commitments:commitment_update_status", args=[commitment.pk]))
    editor_page.get_by_label("In progress").check()
    editor_page.get_by_label("Progress (%)").fill("20")
    editor_page.get_by_label("Note").fill("First joint exercise planned for the spring")
    editor_page.get_by_label("Evidence document reference").fill("Council press release 123/26")
    editor_page.get_by_role("button", name="Save status").click()
    editor_page.wait_for_url(f"**{commitment.get_absolute_url()}")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.IN_PROGRESS, 20)
    after = counts_in_database(commitment.agreement)
    assert after != before

    page = new_page(reviewer)
    page.goto(reverse("dashboards:changes"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("What changed since")
    row = page.locator(f'#transitions tr[data-commitment="{commitment.reference}"]')
    text = row.inner_text()
    assert "Not started" in text and "In progress" in text and "20%" in text
    assert editor.get_full_name() in text
    assert "Council press release 123/26" in text
    assert "First joint exercise planned for the spring" in text
    page.screenshot(path=screenshot_dir / "what-changed.png", full_page=True)

    # Today's overview counts it ...
    page.goto(reverse("dashboards:home"))
    assert shown_counts(bar_row(page, "SDP")) == after
    assert "First joint exercise planned" in page.locator("#latest-updates").inner_text()

    # ... the overview as it stood yesterday does not.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    page.get_by_label("Show as it stood on").fill(yesterday.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(re.compile(r"as_of="))
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"EU–Japan cooperation as it stood on {yesterday.day} {yesterday:%B %Y}"
    )
    assert shown_counts(bar_row(page, "SDP")) == before
    latest = page.locator("#latest-updates")
    assert latest.count() == 0 or "First joint exercise planned" not in latest.inner_text()
    page.screenshot(path=screenshot_dir / "overview-as-of-yesterday.png", full_page=True)

    # What changed since today still lists it; since tomorrow cannot be asked.
    page.goto(reverse("dashboards:changes") + f"?since={timezone.localdate().isoformat()}")
    assert commitment.reference in page.locator("#transitions").inner_text()


def test_what_changed_offers_past_meeting_dates(new_page, reviewer, seed_data):
    page = new_page(reviewer)
    page.goto(reverse("dashboards:changes"))
    # The two latest meetings: "since" the earlier one lists the later one, never the meeting itself.
    earlier, latest = sorted(Meeting.objects.held().order_by("-held_on")[:2], key=lambda m: m.held_on)
    page.get_by_label("or since the meeting of").select_option(str(earlier.pk))
    page.get_by_role("button", name="Show").nth(1).click()
    page.wait_for_url(re.compile(rf"meeting={earlier.pk}"))
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith(f"What changed since the meeting of {earlier.body.name}")
    )
    meetings = page.locator("#meetings").inner_text()
    assert latest.body.name in meetings and earlier.body.name not in meetings


def test_timeline_highlights_overdue_bodies(new_page, reviewer, seed_data, screenshot_dir):
    page = new_page(reviewer)
    page.goto(reverse("dashboards:timeline"))
    chart = page.get_by_role("group", name=re.compile("Dialogue cadence timeline"))
    assert chart.is_visible()
    overdue = set(DialogueBody.objects.overdue().values_list("short_name", flat=True))
    highlighted = page.locator("svg.cadence-timeline g.body-row.is-overdue")
    assert {highlighted.nth(i).get_attribute("data-body") for i in range(highlighted.count())} == overdue
    assert page.locator("svg.cadence-timeline line.mark").count() == sum(
        DialogueBody.objects.annotate(n=Count("meetings")).values_list("n", flat=True)
    )
    assert page.locator("svg.cadence-timeline rect.span.overdue").count() >= len(overdue)
    for short_name in overdue:
        assert "overdue" in page.locator(f'#cadence-table tr[data-body="{short_name}"]').inner_text().lower()
    page.screenshot(path=screenshot_dir / "cadence-timeline.png", full_page=True)


def test_agreement_page_groups_by_area_and_exports_csv(new_page, reviewer, seed_data, screenshot_dir):
    sdp = Agreement.objects.get(code="SDP")
    page = new_page(reviewer)
    page.goto(sdp.get_absolute_url())
    areas = set(Commitment.objects.filter(agreement=sdp).values_list("area", flat=True))
    assert page.locator("section.area-group").count() == len(areas)
    assert page.locator("section.area-group tbody tr").count() == Commitment.objects.filter(agreement=sdp).count()
    page.screenshot(path=screenshot_dir / "agreement-sdp.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("commitments-")
    lines = download.path().read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + Commitment.objects.filter(agreement=sdp).count()


def test_overview_and_what_changed_print_as_a_briefing(new_page, reviewer, seed_data, screenshot_dir):
    page = new_page(reviewer)
    for name, url in (
        ("overview", reverse("dashboards:home")),
        ("what-changed", reverse("dashboards:changes") + "?since=2023-01-01"),
    ):
        page.goto(url)
        page.emulate_media(media="print")
        assert not page.locator("header.site-header").is_visible()
        assert not page.locator(".toolbar").is_visible()
        assert page.locator(".briefing-meta").is_visible()
        page.set_viewport_size({"width": 680, "height": 960})  # the width of A4 inside its margins
        page.screenshot(path=screenshot_dir / f"{name}-print.png", full_page=True)
        pdf = page.pdf(path=screenshot_dir / f"{name}-briefing.pdf", prefer_css_page_size=True, print_background=True)
        # Every page is A4: 595 × 842 points.
        boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert boxes
        assert all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes), boxes
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.locator("header.site-header").is_visible()


def test_every_page_says_on_paper_when_it_was_printed(new_page, reviewer, seed_data):
    """Days overdue and states are as of the moment of printing: a printed page of a framework, a body, a meeting or a
    commitment says when, and by whom, it was printed; on screen the line is hidden."""
    meeting = DialogueBody.objects.get(short_name="SUMMIT").meetings.order_by("-held_on").first()
    page = new_page(reviewer)
    for url in (
        reverse("dashboards:agreement_detail", kwargs={"code": "SDP"}),
        reverse("dialogues:body_detail", kwargs={"short_name": "SDD"}),
        reverse("dialogues:meeting_detail", kwargs={"pk": meeting.pk}),
        Commitment.objects.order_by("pk").first().get_absolute_url(),
        reverse("commitments:commitment_list"),
    ):
        page.goto(url)
        meta = page.locator(".briefing-meta")
        assert meta.count() == 1 and not meta.is_visible(), url
        page.emulate_media(media="print")
        assert meta.is_visible(), url
        printed = rf"printed {timezone.localdate():%-d %B %Y}, \d\d:\d\d by {re.escape(reviewer.get_full_name())}"
        assert re.search(printed, meta.inner_text()), url
        page.emulate_media(media="screen")


def test_fresh_install_dashboards_read_well(new_page, reviewer, screenshot_dir):
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    assert page.get_by_role("heading", name="Nothing to show yet").is_visible()
    page.screenshot(path=screenshot_dir / "overview-empty.png", full_page=True)
    page.goto(reverse("dashboards:changes"))
    assert page.get_by_role("heading", name="Nothing changed in this period").is_visible()
    page.goto(reverse("dashboards:timeline"))
    assert page.get_by_role("heading", name="No dialogue body to show").is_visible()


def in_view(box: dict, room: dict) -> bool:
    """Whether some of ``box`` lies inside ``room`` (both bounding boxes)."""
    return box["x"] < room["x"] + room["width"] and box["x"] + box["width"] > room["x"]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_on_a_phone_the_timeline_opens_at_today_and_says_it_scrolls(
    javascript, new_page, reviewer, seed_data, screenshot_dir
):
    """At 390 px the 1120 px chart sat in a 358 px scroller showing the names and 2013–15 only, with no cue to
    scroll: it opens at its right end (today and the overdue stretches), with the body of each row in a strip at the
    left and a hint that it scrolls, with or without JavaScript. A laptop and paper see neither strip nor hint."""
    page = new_page(reviewer, viewport={"width": 390, "height": 844}, java_script_enabled=javascript)
    page.goto(reverse("dashboards:timeline"))
    hint = page.locator(".scroll-hint")
    assert hint.is_visible() and "Swipe it sideways for earlier years" in hint.inner_text()
    page.locator(".timeline-scroll").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / f"timeline-390-{'js' if javascript else 'no-js'}.png")
    room = page.locator(".timeline-scroll").bounding_box()
    assert in_view(page.locator("svg.cadence-timeline line.today").bounding_box(), room)
    # Each overdue body's latest overdue stretch is in view, next to its name in the strip.
    overdue = DialogueBody.objects.overdue().values_list("short_name", flat=True)
    assert overdue
    for short_name in overdue:
        stretch = page.locator(f'svg.cadence-timeline g[data-body="{short_name}"] rect.span.overdue').last
        assert in_view(stretch.bounding_box(), room), short_name
        name = page.locator("svg.cadence-names text", has_text=re.compile(rf"^{re.escape(short_name)}$"))
        assert name.is_visible() and in_view(name.bounding_box(), room), short_name
    # Sideways, the earliest years and the full names (links to each body) are still there.
    page.locator(".timeline-scroll").evaluate("box => { box.scrollLeft = -box.scrollWidth; }")
    first = page.locator("svg.cadence-timeline a.label-link").first
    assert in_view(first.bounding_box(), room) and first.bounding_box()["x"] >= room["x"] + 100  # beside the strip
    page.emulate_media(media="print")
    assert not hint.is_visible() and not page.locator("svg.cadence-names").is_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert not hint.is_visible() and not page.locator("svg.cadence-names").is_visible()
    assert page.locator(".timeline-scroll").evaluate("box => box.scrollWidth <= box.clientWidth")


def pdf_text(page, pypdf, path) -> str:
    import io

    pdf = page.pdf(path=path, format="A4", prefer_css_page_size=True, print_background=True)
    return " ".join(" ".join(sheet.extract_text().split()) for sheet in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_on_paper_folded_content_is_shown(javascript, new_page, reviewer, seed_data, screenshot_dir):
    """Print showed the timeline's meeting dates folded behind their count, and left the overview's progress by policy
    area and by who must act out: on paper they print open, by print.css (::details-content) without JavaScript.
    The instruments under each framework stay folded (their summary line counts them; their rows would take a page),
    as does a long note, whose shortened text says where the whole of it is."""
    pypdf = pytest.importorskip("pypdf")
    page = new_page(reviewer, java_script_enabled=javascript)
    suffix = "js" if javascript else "no-js"
    page.goto(reverse("dashboards:timeline"))
    dates = page.locator("#cadence-table .meeting-dates li")
    assert dates.count() and not dates.first.is_visible()  # folded on screen
    text = pdf_text(page, pypdf, screenshot_dir / f"timeline-print-{suffix}.pdf")
    assert all(dates.nth(i).text_content() in text for i in range(dates.count()))
    page.emulate_media(media="print")
    assert all(dates.nth(i).is_visible() for i in range(dates.count()))

    page.goto(reverse("dashboards:home"))
    area = page.locator("details.areas .fw-name").first.text_content().strip()
    actor = page.locator("details.actors .fw-name").first.text_content().strip()
    instrument = page.locator("details.fw-instruments .fw-name").first.text_content().strip()
    text = pdf_text(page, pypdf, screenshot_dir / f"overview-print-{suffix}.pdf")
    assert "Progress by policy area" in text and "Progress by who must act" in text
    assert area in text.split("Progress by policy area", 1)[1]
    assert actor in text.split("Progress by who must act", 1)[1]
    page.emulate_media(media="print")
    assert page.locator("details.areas .fw-row").first.is_visible()
    assert page.locator("details.actors .fw-row").first.is_visible()
    assert not page.locator("details.fw-instruments .fw-row").first.is_visible(), instrument


def test_printing_opens_the_folds_and_closes_them_after(new_page, reviewer, seed_data):
    """With JavaScript (for browsers without ::details-content) printing opens every fold but those meant to stay
    folded on paper, and afterwards leaves each as the reader had it."""
    page = new_page(reviewer)
    page.goto(reverse("dashboards:home"))
    page.locator("details.actors > summary").click()  # the reader opened one
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    state = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('details')].map(d => [d.className, d.open]))"
    )
    assert state["areas"] and state["actors"] and not state["fw-instruments print-folded"], state
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert not page.locator("details.areas").evaluate("d => d.open")
    assert page.locator("details.actors").evaluate("d => d.open")
    page.goto(reverse("dashboards:timeline"))
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details.meeting-dates").evaluate_all("all => all.length > 0 && all.every(d => d.open)")
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("details.meeting-dates").evaluate_all("all => all.every(d => !d.open)")


@pytest.mark.parametrize("width", [1366, 1280, 1024])
def test_the_timeline_page_never_scrolls_sideways(width, new_page, reviewer, seed_data, screenshot_dir):
    """The table of each body's facts ran past the column (the page scrolled sideways by 10 px at 1280, 234 px at
    1024): a long state wraps, the table fits a laptop's column, and what a narrower screen cannot hold scrolls in the
    table's own labelled region, never the page. On A4 the table fits the page too."""
    page = new_page(reviewer, viewport={"width": width, "height": 900})
    page.goto(reverse("dashboards:timeline"))
    page.screenshot(path=screenshot_dir / f"timeline-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Nothing of the table shows past the right edge of the page's column (at 1366 it ran 58 px past it).
    edges = page.evaluate(
        """() => { const main = document.querySelector('main'), style = getComputedStyle(main);
            const table = document.querySelector('#cadence-table').getBoundingClientRect();
            const region = document.querySelector('#cadence-table').parentElement.getBoundingClientRect();
            return {shown: Math.min(table.right, region.right),
                    column: main.getBoundingClientRect().right - parseFloat(style.paddingRight)}; }"""
    )
    assert edges["shown"] <= edges["column"] + 0.5, edges
    region = page.get_by_role("region", name="The timeline's facts, body by body")
    assert region.get_attribute("tabindex") == "0" and region.locator("#cadence-table").count() == 1
    fit = region.evaluate("box => ({table: box.querySelector('table').scrollWidth, room: box.clientWidth})")
    if width >= 1280:
        assert fit["table"] <= fit["room"], fit
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 960})  # A4 inside its margins
    right = page.locator("#cadence-table").evaluate("table => table.getBoundingClientRect().right")
    assert right <= 680 and page.evaluate("document.documentElement.scrollWidth") <= 680, right


# Pairs of cells side by side in a row whose text runs past the left edge of the next one.
OVERLAPS = """selector => {
    const overlaps = [];
    for (const row of document.querySelectorAll(selector)) {
        const cells = [...row.children];
        for (let i = 0; i + 1 < cells.length; i++) {
            const next = cells[i + 1].getBoundingClientRect(), own = cells[i].getBoundingClientRect();
            if (own.bottom <= next.top || next.bottom <= own.top) continue;  // stacked (cards), not side by side
            const range = document.createRange();
            range.selectNodeContents(cells[i]);
            const right = Math.max(...[...range.getClientRects()].map(rect => rect.right));
            if (right > next.left + 0.5) {
                overlaps.push(`${cells[i].innerText.trim()} | ${cells[i + 1].innerText.trim()}`.slice(0, 80));
            }
        }
    }
    return overlaps;
}"""


@pytest.mark.parametrize("width", [1366, 1280, 1024, 800, 390])
def test_what_changed_cells_do_not_overlap(width, new_page, reviewer, seed_data, screenshot_dir):
    """The "By" column (a fixed 8rem) kept "source documents" on one line, into the evidence beside it ("source
    documentsSDP-2024…"): it wraps between its words; no cell's text reaches into its neighbour."""
    page = new_page(reviewer, viewport={"width": width, "height": 900})
    page.goto(reverse("dashboards:changes") + "?since=2023-07-13")
    page.screenshot(path=screenshot_dir / f"what-changed-{width}.png", full_page=True)
    assert page.locator(".changes-table td.who", has_text="source documents").count()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    overlaps = page.evaluate(OVERLAPS, ".changes-table tbody tr")
    assert not overlaps, overlaps
    # Nor is a column crushed: below a laptop's width the fixed columns left the commitment's text about 30 px, a
    # letter or two a line (at 800 px).
    narrowest = page.evaluate(
        "Math.min(...Array.from(document.querySelectorAll('.changes-table td:nth-child(2)'), c => c.clientWidth))"
    )
    assert narrowest >= 150, narrowest
