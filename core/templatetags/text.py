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
