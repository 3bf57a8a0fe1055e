"""The natural order of commitment references: SDP §4 < §5 < §5(a) < §10 < §12(b)(i) < §12(b)(ii) < §12(c).

References sort as text in a database (§10 before §4), so every commitment stores a sort key derived from its
reference (``Commitment.reference_sort_key``, written by ``Commitment.save`` and backfilled by migration 0010).
Ordering and pagination then stay in SQL, on an indexed column, in lists, the CSV and the API alike.

The key uses only lower-case ASCII letters and digits, which every collation (SQLite's binary one, PostgreSQL's
``C`` or ``en_US``) orders the same way: numbers are zero-padded to a fixed width, lower-case Roman numerals in
brackets after a lettered point (``(b)(iv)``) count as numbers, and punctuation is dropped.
"""

from __future__ import annotations

import re

NUMBER_WIDTH = 8
KEY_LENGTH = 255
_TOKEN = re.compile(r"\d+|\([^\W\d_]+\)|[^\W\d_]+")
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_ROMAN_FORM = re.compile(r"^c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")


def roman_to_int(text: str) -> int | None:
    """The value of a lower-case Roman numeral up to 399 (``"iv"`` → 4), or ``None`` if ``text`` is not one."""
    if not text or not _ROMAN_FORM.match(text):
        return None
    total = 0
    for index, char in enumerate(text):
        value = _ROMAN[char]
        following = _ROMAN[text[index + 1]] if index + 1 < len(text) else 0
        total += -value if value < following else value
    return total


def _number(value: int) -> str:
    return str(value).zfill(NUMBER_WIDTH)[-NUMBER_WIDTH:]


def reference_sort_key(reference: str) -> str:
    """The key that sorts ``reference`` in natural order (see the module docstring)."""
    parts: list[str] = []
    after_letter_point = False
    for token in _TOKEN.findall(reference or ""):
        if token.isdigit():
            parts.append(_number(int(token)))
            after_letter_point = False
        elif token.startswith("("):
            inner = token[1:-1].lower()
            roman = roman_to_int(inner) if after_letter_point else None
            if roman is not None:
                parts.append(_number(roman))
            else:
                parts.append(inner)
                after_letter_point = True
        else:
            parts.append(token.lower().encode("ascii", "ignore").decode() or "z")
            after_letter_point = False
    return "".join(parts)[:KEY_LENGTH]
