"""Content negotiation, decided once per distinct question and process.

DRF's choice of renderer depends on nothing but the view's renderer classes, the format asked for (a suffix or
``?format=``) and the ``Accept`` header, and API clients repeat the same few; parsing the header again on every
request is most of what negotiation costs on a repeated read. Refusals (404 for an unknown format, 406) are not
kept: they are raised again by DRF's own code.
"""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

from core.fragments import LocalTable

_choices = LocalTable(64)


class KeptContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        asked_format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (tuple(type(renderer) for renderer in renderers), asked_format, request.META.get("HTTP_ACCEPT"))
        kept = _choices.get(key)
        if kept is not None:
            position, media_type = kept
            return renderers[position], media_type
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        position = next(index for index, candidate in enumerate(renderers) if candidate is renderer)
        _choices.put(key, (position, media_type))
        return renderer, media_type
