"""Page-number pagination with a bounded page size; malformed parameters are a 400, a page past the end a 404."""

from __future__ import annotations

import re

from django.core.paginator import InvalidPage
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

_DIGITS = re.compile(r"[0-9]+")
MAX_OFFSET = 2**62


def _positive_int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw) if _DIGITS.fullmatch(raw) else 0
    except ValueError:  # more digits than Python converts
        value = 0
    if value < 1:
        raise exceptions.ValidationError({name: ["Use a whole number from 1 upwards."]})
    return value


class TrackerPagination(PageNumberPagination):
    """``?page=N&page_size=M``: ``count``, ``next``, ``previous``, ``results``.

    ``page_size`` defaults to ``PAGE_SIZE`` (50) and is capped at :attr:`max_page_size` (100): a larger value
    returns 100 rows, never an error. A malformed ``page`` or ``page_size`` is a 400; a page past the end a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def validate_query(self, request) -> None:
        """Refuse a malformed ``page`` or ``page_size`` up front (before a 304 could answer the request)."""
        _positive_int_param(request, self.page_query_param)
        _positive_int_param(request, self.page_size_query_param)

    def get_page_size(self, request) -> int:
        requested = _positive_int_param(request, self.page_size_query_param)
        default = self.page_size or api_settings.PAGE_SIZE
        return min(requested or default, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        page_number = _positive_int_param(request, self.page_query_param) or 1
        paginator = self.django_paginator_class(queryset, page_size)
        known_count = getattr(view, "known_count", None)
        if known_count is not None:
            # The conditional-request check has just counted the same queryset: do not count it twice.
            paginator.count = known_count
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise exceptions.NotFound(
                f"Page {page_number} does not exist: there are {paginator.num_pages} pages of {page_size}."
            ) from exc
        return list(self.page)

    def page_rows(self, queryset, request) -> list:
        """The rows of the requested page, read before their count is known (:meth:`set_page` follows)."""
        self.request = request
        self._size = self.get_page_size(request)
        self._number = _positive_int_param(request, self.page_query_param) or 1
        offset = (self._number - 1) * self._size
        if offset > MAX_OFFSET:  # past the end of any table, and past what SQL's OFFSET takes
            return []
        return list(queryset[offset : offset + self._size])

    def set_page(self, rows: list, *, count: int) -> None:
        """The page of :meth:`page_rows`, once the count of every row is known (a page past the end is a 404)."""
        paginator = self.django_paginator_class((), self._size)
        paginator.count = count
        try:
            number = paginator.validate_number(self._number)
        except InvalidPage as exc:
            raise exceptions.NotFound(
                f"Page {self._number} does not exist: there are {paginator.num_pages} pages of {self._size}."
            ) from exc
        self.page = paginator._get_page(rows, number, paginator)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the end is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page, from 1; default {self.page_size or api_settings.PAGE_SIZE}. "
                    f"Values above {self.max_page_size} are capped at {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "results"]
        properties = paginated["properties"]
        properties["count"].update(minimum=0, description="Rows in the whole filtered list, on every page.")
        # DRF's examples name someone else's API (api.example.org/accounts/): this list's own address instead
        # (set by the schema generator, core.api.schema.TrackerAutoSchema).
        address = getattr(self, "schema_example_address", "https://tracker.example.eu/api/v1/commitments/")
        properties["next"].update(
            example=f"{address}?page=4",
            description="The next page: this list's address with the same parameters and `page` one higher; null "
            "on the last page.",
        )
        properties["previous"].update(
            example=f"{address}?page=2",
            description="The previous page, with the same parameters; null on the first page.",
        )
        return paginated
