"""The API's JSON parser: DRF's, with a limit on how deeply the body may nest, refusing lone surrogates.

Python's ``json`` module recurses once per level of nesting, so a body such as ``{"a": [[[[...2,000 deep...]]]]}``
ends in ``RecursionError``, which DRF does not turn into a 400. The nesting is therefore measured first, in one
pass over the text, without recursion; a body nested deeper than :data:`MAX_DEPTH` is a ``ParseError`` (400,
``parse_error``). The tracker's own payloads nest two levels deep.

Whoever reads the body first meets the limit: the view, or (for a signed-in session) the CSRF check that
``SessionAuthentication`` runs, which reads ``request.POST`` and so parses the body before the view does. Either
way the answer is the API's 400, never a 500.

JSON text may also escape half of a UTF-16 surrogate pair on its own (``"\\ud800"``); Python's ``json`` decodes it
into a string that is no Unicode text: UTF-8 cannot encode it, so neither the database nor an answer repeating it
(a choice field's "is not a valid choice") can hold it. A body holding one anywhere, in a key or a value at any
depth, is therefore a ``ParseError`` naming where it is (a valid pair, one character, is accepted). Raw bytes of a
surrogate in the body are not UTF-8 and already fail to decode.
"""

from __future__ import annotations

import codecs
import re

from django.conf import settings
from django.utils.text import Truncator
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32

# A JSON string (with its escapes), or a bracket: strings are skipped, so "[[[[" inside one is not nesting.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
# The escape of a surrogate in JSON text (a pair is two of them); only a body holding one is searched further.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# A surrogate left in a decoded string: a pair decodes to one character, so what is left is a lone half.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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


def lone_surrogate_at(data) -> str | None:
    """Where in parsed JSON ``data`` a key or string holds a lone surrogate: ``"events.0"``, ``"a.\\ud800"`` for a
    key (escaped, so that an answer naming it can be encoded), ``""`` for the body itself; ``None`` if nowhere.
    Walked without recursion."""
    pending = [(data, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{_escaped(key)}" if path else _escaped(key)
                if LONE_SURROGATE.search(key):
                    return where
                pending.append((item, where))
        elif isinstance(value, list):
            pending.extend((item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value))
    return None


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class DepthLimitedJSONParser(JSONParser):
    """``application/json`` as DRF parses it, refusing bodies nested deeper than :data:`MAX_DEPTH` and bodies
    holding a lone surrogate."""

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
        data = super().parse(_Replay(raw), media_type, parser_context)
        if _SURROGATE_ESCAPE.search(text):
            where = lone_surrogate_at(data)
            if where is not None:
                place = f'at "{Truncator(where).chars(120)}"' if where else "as the body"
                raise ParseError(
                    f"JSON parse error - lone surrogate {place}: an escape \\ud800-\\udbff must be followed by one "
                    "\\udc00-\\udfff (the pair is one character), and neither may stand alone."
                )
        return data


class _Replay:
    """The bytes already read from the request, readable once more by DRF's parser."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, *args) -> bytes:
        data, self._data = self._data, b""
        return data
