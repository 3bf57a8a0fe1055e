"""Path converters for the codes that name records in page URLs (``/agreements/SDP/``, ``/dialogues/SDD/``).

A URL matches only if its code could be one: the pattern is the models' own ``code_validator`` (capitals, digits
and hyphens) with their maximum length. Anything else (a NUL byte, a control character, lower case, 200
characters) does not resolve at all, so it is a 404 before any view runs or any query reaches the database.
"""

from __future__ import annotations

from django.urls import register_converter

from .models import code_validator

# The ``max_length`` of Agreement.code and DialogueBody.short_name, which both use ``code_validator``.
CODE_MAX_LENGTH = 20


def _pattern_of(validator, max_length: int) -> str:
    """``^[A-Z0-9][A-Z0-9-]*$`` becomes ``[A-Z0-9][A-Z0-9-]{0,19}``: the validator's pattern, length-bounded."""
    pattern = validator.regex.pattern.removeprefix("^").removesuffix("$")
    first, rest = pattern[: pattern.index("]") + 1], pattern[pattern.index("]") + 1 :]
    if not rest.endswith("*"):
        raise ValueError(f"unexpected code pattern {validator.regex.pattern!r}")
    return f"{first}{rest[:-1]}{{0,{max_length - 1}}}"


class CodeConverter:
    """A record's code (an agreement's ``code``, a dialogue body's ``short_name``), as its model validates it."""

    regex = _pattern_of(code_validator, CODE_MAX_LENGTH)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# Registered when the URL modules import this one (``<code:...>`` in commitments, dialogues, dashboards).
register_converter(CodeConverter, "code")
