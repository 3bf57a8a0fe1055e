"""Server-rendered SVG charts of the dashboards (no JavaScript, no CDN): stacked status bars and the cadence
timeline. The tags turn the selectors' dataclasses into coordinates; the SVG markup lives in
``templates/includes/charts/`` (the stacked bar's, drawn dozens of times a page, in ``stacked_bar`` itself).
Every chart carries a text alternative and sits next to a table of its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from core.templatetags.facts import format_approx_date, format_approx_date_on
from dashboards.selectors import StatusBreakdown, Timeline

register = template.Library()


def _num(value: float) -> str:
    """A coordinate for an SVG attribute: fixed decimals, never localised."""
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


_SEGMENT = (
    '<rect class="segment status-{}" x="{}" y="0" width="{}" height="10" data-status="{}" data-count="{}">'
    "<title>{}: {}</title></rect>"
)
_NO_SEGMENT = '<rect class="segment none" x="0" y="0" width="100" height="10"></rect>'


@register.simple_tag
def stacked_bar(breakdown: StatusBreakdown, height: int = 18, scale: int | None = None) -> str:
    """A stacked bar of a status breakdown, with its description as the accessible name.

    With ``scale`` the bar is drawn on an absolute scale (``scale`` commitments fill the width), so that bars
    of different sizes compare by length; without it, a 100 % bar.

    Built with ``format_html`` rather than an included template: the overview draws one bar per framework and
    area (about 90 at 100,000 commitments), and a template per bar cost a millisecond each.
    """
    parts = breakdown.segments_on(scale) if scale else breakdown.segments
    segments = format_html_join(
        "",
        _SEGMENT,
        ((s.status, _num(s.offset), _num(s.width), s.status, s.count, s.label, s.count) for s in parts),
    )
    description = breakdown.description
    return format_html(
        '<svg class="stacked-bar{}" viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="{}" '
        'role="img" aria-label="{}" focusable="false" data-total="{}">\n  <title>{}</title>\n  {}\n</svg>\n',
        " absolute" if scale else "",
        height,
        description,
        breakdown.total,
        description,
        segments or mark_safe(_NO_SEGMENT),  # noqa: S308 - a constant
    )


@register.inclusion_tag("includes/charts/status_legend.html")
def status_legend() -> dict:
    """The colour key of the stacked bars, in bar order."""
    from dashboards.selectors import STATUS_LABELS, STATUS_ORDER

    return {"statuses": [(status, STATUS_LABELS[status]) for status in STATUS_ORDER]}


@dataclass(frozen=True)
class _Geometry:
    start: date
    end: date
    left: float
    width: float

    def x(self, day: date) -> float:
        day = min(max(day, self.start), self.end)
        return self.left + (day - self.start).days / max((self.end - self.start).days, 1) * self.width


TIMELINE_WIDTH = 1120
TIMELINE_LABEL = 300
TIMELINE_RIGHT = 16
TIMELINE_AXIS = 30
TIMELINE_ROW = 30
TAG_WIDTH = 62
# The strip of short names that stays at the left of the chart while it scrolls on a phone.
TIMELINE_NAMES = 124


@register.inclusion_tag("includes/charts/cadence_timeline.html")
def cadence_chart(timeline: Timeline) -> dict:
    """The cadence timeline: one row per body, years across, meetings as marks, the cadence as a band."""
    geometry = _Geometry(
        timeline.start, timeline.end, TIMELINE_LABEL, TIMELINE_WIDTH - TIMELINE_LABEL - TIMELINE_RIGHT
    )
    years = list(range(timeline.start.year, timeline.end.year + 1))
    step = 1 if len(years) <= 12 else 2 if len(years) <= 24 else 5
    axis = [
        {"x": _num(geometry.x(date(year, 1, 1))), "label": str(year) if year % step == 0 else "", "year": year}
        for year in years
    ]
    rows = []
    for index, row in enumerate(timeline.rows):
        top = TIMELINE_AXIS + index * TIMELINE_ROW
        spans = []
        for span in row.spans:
            if span.end <= timeline.start or span.start >= timeline.end:
                continue
            x1, x2 = geometry.x(span.start), geometry.x(span.end)
            spans.append(
                {
                    "kind": span.kind,
                    "x": _num(x1),
                    "width": _num(max(x2 - x1, 1.0)),
                    "title": f"{span.kind.capitalize()}: "
                    f"{format_approx_date(span.start, span.start_precision, short=True)} – "
                    f"{format_approx_date(span.end, span.end_precision, short=True)}"
                    + (" (due date on an assumed cadence or start date)" if span.assumed else ""),
                    "assumed": span.assumed,
                }
            )
        marks = [
            {"x": _num(geometry.x(held_on)), "title": f"Met {format_approx_date_on(held_on, precision, short=True)}"}
            for held_on, precision in row.dated_meetings
            if timeline.start <= held_on <= timeline.end
        ]
        assumed = row.assumed_facts
        rows.append(
            {
                "row": row,
                # An "assumed" tag at the right of the label column: a link to the body's facts, with the basis.
                "assumed": assumed,
                "assumed_title": "Its due dates rest on an assumption: " + "; ".join(assumed) if assumed else "",
                "assumed_anchor": "fact-cadence" if row.body.fact("cadence").is_assumed else "fact-established_on",
                "tag_x": TIMELINE_LABEL - TAG_WIDTH - 6,
                "tag_text_x": TIMELINE_LABEL - 6 - TAG_WIDTH / 2,
                "tag_y": top + (TIMELINE_ROW - 18) / 2,
                "y": top,
                "text_y": top + TIMELINE_ROW / 2 + 4,
                "band_y": top + (TIMELINE_ROW - 12) / 2,
                "mark_y1": top + 4,
                "mark_y2": top + TIMELINE_ROW - 4,
                "label": Truncator(row.body.name).chars(30 if assumed else 40),
                "empty": not spans and not marks,
                "empty_x": TIMELINE_LABEL + 8,
                "spans": spans,
                "marks": marks,
                "overdue": row.days_overdue is not None,
                "inactive": not row.body.active,
            }
        )
    height = TIMELINE_AXIS + len(rows) * TIMELINE_ROW + 8
    return {
        "timeline": timeline,
        "axis": axis,
        "rows": rows,
        "width": TIMELINE_WIDTH,
        "names_width": TIMELINE_NAMES,
        "height": height,
        "plot_left": TIMELINE_LABEL,
        "plot_right": TIMELINE_WIDTH - TIMELINE_RIGHT,
        "row_height": TIMELINE_ROW,
        "axis_height": TIMELINE_AXIS,
        "today_x": _num(geometry.x(timeline.today)),
        "band_height": 12,
        "overdue_count": sum(1 for row in rows if row["overdue"]),
    }
