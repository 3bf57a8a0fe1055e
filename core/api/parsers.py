"""The API's JSON parser: DRF's, with a limit on how deeply the body may nest.

Python's ``json`` module recurses once per level of nesting, so a body such as ``{"a": [[[[...2,000 deep...]]]]}``
ends in ``RecursionError``, which DRF does not turn into a 400. The nesting is therefore measured first, in one
pass over the text, without recursion; a body nested deeper than :data:`MAX_DEPTH` is a ``ParseError`` (400,
``parse_error``). The tracker's own payloads nest two levels deep.

Whoever reads the body first meets the limit: the view, or (for a signed-in session) the CSRF check that
``SessionAuthentication`` runs, which reads ``request.POST`` and so parses the body before the view does. Either
way the answer is the API's 400, never a 500.
"""

from __future__ import annotations

import codecs
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32

# A JSON string (with its escapes), or a bracket: strings are skipped, so "[[[[" inside one is not nesting.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (well-formedness is left to ``json``)."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        symbol = match.group()
        if symbol in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif symbol in "]}":
            depth -= 1
    return deepest


class DepthLimitedJSONParser(JSONParser):
    """``application/json`` as DRF parses it, refusing bodies nested deeper than :data:`MAX_DEPTH`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        return super().parse(_Replay(raw), media_type, parser_context)


class _Replay:
    """The bytes already read from the request, readable once more by DRF's parser."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, *args) -> bytes:
        data, self._data = self._data, b""
        return data
