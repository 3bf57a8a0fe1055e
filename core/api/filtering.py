"""The query string of a list: django-filter's backend, which also refuses the parameters that nothing reads.

A misspelt filter (``?agrement=SDP``) or one a list does not have (``?kind=review`` where there is none) would
otherwise be ignored, and the whole list would come back as if it were the filtered one. Every parameter a list
reads is a filter of its FilterSet (or, for a list without one, a parameter its view reads itself), a page
parameter of its paginator or DRF's ``format``; any other is a 400 naming it (and listing the ones that are read).
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.settings import api_settings


def known_parameters(view, filters=()) -> set[str]:
    """The query parameters ``view``'s list reads: ``filters``, its paginator's and ``format``."""
    known = set(filters)
    if api_settings.URL_FORMAT_OVERRIDE:
        known.add(api_settings.URL_FORMAT_OVERRIDE)
    paginator = getattr(view, "paginator", None)
    for name in ("page_query_param", "page_size_query_param"):
        if getattr(paginator, name, None):
            known.add(getattr(paginator, name))
    return known


def refuse_unknown_parameters(request, view, filters=()) -> None:
    """Raise a 400 naming each query parameter of ``request`` that ``view``'s list does not read."""
    known = known_parameters(view, filters)
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        message = f"Unknown query parameter: the ones read here are {', '.join(sorted(known))}."
        raise exceptions.ValidationError({name: [message] for name in unknown})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend (the FilterSet's errors are a 400 naming each parameter), refusing as well every
    query parameter that is neither a filter nor a page or format parameter (:func:`refuse_unknown_parameters`)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        refuse_unknown_parameters(request, view, filterset_class.base_filters if filterset_class else ())
        return super().filter_queryset(request, queryset, view)
