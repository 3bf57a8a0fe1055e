"""Content negotiation, decided once per distinct question and process, and refused with a reason.

DRF's choice of renderer depends on nothing but the view's renderer classes, the format asked for (a suffix or
``?format=``) and the ``Accept`` header, and API clients repeat the same few; parsing the header again on every
request is most of what negotiation costs on a repeated read. Refusals are not kept: they are raised again.

A format the endpoint does not offer (``?format=xyz``, ``?format=csv`` on a single commitment, a ``.xyz`` suffix)
is a 406 ``not_acceptable`` naming the formats it offers; DRF's own answer is a bare 404 "Not found.", which reads
as a missing object. An ``Accept`` header that no renderer satisfies is DRF's 406, also naming what is offered.
Negotiation runs before the view's handler, so a write asking for such a format writes nothing.
"""

from __future__ import annotations

from django.utils.text import Truncator
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

from core.fragments import LocalTable

_choices = LocalTable(64)


class FormatNotOffered(NotAcceptable):
    """406: the format asked for (``?format=`` or a suffix) is not one of the endpoint's."""


def _offered(renderers, attribute: str) -> str:
    return ", ".join(dict.fromkeys(getattr(renderer, attribute) for renderer in renderers))


class KeptContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        asked_format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (tuple(type(renderer) for renderer in renderers), asked_format, request.META.get("HTTP_ACCEPT"))
        kept = _choices.get(key)
        if kept is not None:
            position, media_type = kept
            return renderers[position], media_type
        try:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        except FormatNotOffered:
            raise
        except NotAcceptable as refusal:
            detail = f"{refusal.detail.rstrip('.')}; this endpoint offers: {_offered(renderers, 'media_type')}."
            raise NotAcceptable(detail, available_renderers=renderers) from refusal
        position = next(index for index, candidate in enumerate(renderers) if candidate is renderer)
        _choices.put(key, (position, media_type))
        return renderer, media_type

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = _offered(renderers, "format")
            detail = f'Format "{Truncator(format).chars(40)}" is not offered by this endpoint; it offers: {offered}.'
            raise FormatNotOffered(detail, available_renderers=renderers)
        return matching
