"""Long texts on dashboards and in print: shortened, with the whole one tap (or one link) away.

A note, outcome, summary or description holds up to 4,000 characters (``core.models.LONG_TEXT_MAX``), which may be
one unbroken "word" (a pasted URL). ``shorten`` cuts by characters, at a word boundary where there is one, so that
no page and no printed table is blown up by one entry; ``{% include "includes/long_text.html" %}`` shows the
shortened text and the whole of it behind a "Read the whole …" ``<details>`` (no JavaScript needed).
"""

from __future__ import annotations

from django import template

register = template.Library()

DEFAULT_LIMIT = 240


def shorten_text(value: str, limit: int = DEFAULT_LIMIT) -> str:
    """``value`` cut to at most ``limit`` characters (plus "…"), at the last space in its final fifth if any."""
    value = str(value or "")
    if len(value) <= limit:
        return value
    cut = value[:limit]
    space = cut.rfind(" ", limit - limit // 5)
    return (cut[:space] if space > 0 else cut).rstrip(" ,;:.") + "…"


@register.filter
def shorten(value: str, limit: int = DEFAULT_LIMIT) -> str:
    return shorten_text(value, int(limit))


@register.filter
def is_long(value: str, limit: int = DEFAULT_LIMIT) -> bool:
    return len(str(value or "")) > int(limit)


@register.filter
def from_difference(value: str, other: str) -> str:
    """``value`` from a little before where it first differs from ``other`` ("…linking Europe and Japan. Typed
    later."), so that two long versions of a text, each shortened, do not read the same: an edit's line shows
    where the change is, its "Show all" the whole of both."""
    value, other = str(value or ""), str(other or "")
    common = next(
        (i for i, (a, b) in enumerate(zip(value, other, strict=False)) if a != b), min(len(value), len(other))
    )
    lead = 60  # characters kept before the first difference, for its context
    if common <= lead:
        return value
    start = value.rfind(" ", 0, common - lead) + 1 or common - lead
    return "…" + value[start:]
