"""The OpenAPI schema of the API: what the shared machinery of ``core.api`` adds to every operation.

Kept apart from the other modules of ``core.api`` because drf-spectacular imports DRF's views, which import the
permission, throttle and pagination classes named in the settings.
"""

from __future__ import annotations

import re

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from core.api.conditional import ConditionalMixin, Freshness
from core.api.permissions import ReadOrEditorWrite

ERROR_CODES = (
    "invalid, parse_error, not_authenticated, authentication_failed, permission_denied, not_found, "
    "method_not_allowed, not_acceptable, unsupported_media_type, conflict, precondition_failed, content_too_large, "
    "uri_too_long, request_header_fields_too_large, throttled"
)


class ErrorSerializer(serializers.Serializer):
    """Every error has this shape (see :func:`api_exception_handler`)."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(help_text=f"What went wrong, for programs: one of {ERROR_CODES}.")
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=(
            "400 only: each invalid field (or query parameter) with its messages; `non_field_errors` for the request "
            "as a whole. Empty for other errors."
        ),
    )


class ThrottledErrorSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(allow_null=True, help_text="Seconds to wait (also the Retry-After header).")


ERROR_DESCRIPTIONS = {
    400: (
        "Invalid input: `errors` names each field or query parameter with its messages (a query parameter the "
        "list does not read, or one holding a NUL character, is one)."
    ),
    401: "Not signed in: send `Authorization: Token <key>` (or a session cookie).",
    403: "Signed in, but not allowed: writing needs membership of Editors (or a missing CSRF token on a session).",
    404: "No such object, or a page past the end of the list.",
    406: "None of the media types in `Accept` (or `format`) can be produced.",
    409: "Conflict with the current state: nothing was written.",
    412: (
        "A precondition does not hold: `If-Match` does not name the current ETag, `If-Unmodified-Since` is before "
        "the last change, or (on a write) `If-None-Match` names it. Nothing was written."
    ),
    413: "The body is larger than 2.5 MB: nothing was read or written.",
    414: "The address (path and query) is longer than 4,096 characters.",
    415: "The body is not JSON (`Content-Type: application/json`).",
    429: "Too many requests: wait `retry_after` seconds.",
    431: "The request headers are larger than 16 KiB in all.",
}


def query_parameter(name: str, kind, description: str) -> OpenApiParameter:
    """A query parameter of a list, described in words (its type as drf-spectacular reads ``kind``)."""
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description)


def repeatable_query_parameter(filterset_class, name: str, description: str) -> OpenApiParameter:
    """A multiple-choice filter of ``filterset_class`` described in words: an array of its choices, repeated in the
    query string (``?actor=eu&actor=both``), as drf-spectacular documents the filters it describes itself."""
    choices = [value for value, _ in filterset_class.base_filters[name].extra["choices"]]
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", "enum": choices}},
        OpenApiParameter.QUERY,
        description=description,
        style="form",
        explode=True,
    )


class TrackerAutoSchema(AutoSchema):
    """Adds to every operation what the shared machinery does: error answers, conditional requests, headers."""

    def _get_paginator(self):
        paginator = super()._get_paginator()
        if paginator is not None:
            # The examples of a page's next and previous links: this list's address (an id where it has one).
            path = re.sub(r"\{[^}]+\}", "42", self.path)
            paginator.schema_example_address = f"https://tracker.example.eu{path}"
        return paginator

    def _is_conditional_get(self) -> bool:
        return self.method == "GET" and isinstance(self.view, ConditionalMixin)

    def _is_conditional_write(self) -> bool:
        """A write checked against the ETag of the object it writes to, or of the list it adds to
        (``ConditionalMixin.check_write_preconditions``)."""
        return self.method in ("POST", "PATCH") and isinstance(self.view, ConditionalMixin)

    def _freshness(self) -> Freshness:
        if getattr(self.view, "action", None) == "history":
            return self.view.history_freshness
        return self.view.freshness

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_conditional_get():
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag of your copy: if it is still current the answer is 304, with no body.",
                )
            )
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 304],
                    description="Validator of this representation (weak); send it back as If-None-Match.",
                )
            )
            if self._freshness().last_modified:
                parameters.append(
                    OpenApiParameter(
                        "Last-Modified",
                        str,
                        OpenApiParameter.HEADER,
                        response=[200, 304],
                        description="Latest change of the data shown (an upper bound).",
                    )
                )
                if not self._is_list_view():
                    parameters.append(
                        OpenApiParameter(
                            "If-Modified-Since",
                            str,
                            OpenApiParameter.HEADER,
                            description="An HTTP date: 304 if nothing changed since (ignored when If-None-Match "
                            "is sent).",
                        )
                    )
        if self._is_conditional_write():
            target = "the object (a GET of `{id}/`)" if "{" in self.path else "the list (a GET of this address)"
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description=f"Optional: the ETag of {target} as you read it. If it has changed since, nothing "
                    "is written and the answer is 412; `*` matches any. The ETags are weak and compared as such.",
                )
            )
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Location", str, OpenApiParameter.HEADER, response=[201], description="Address of the new object."
                )
            )
        parameters.append(
            OpenApiParameter(
                "Retry-After", int, OpenApiParameter.HEADER, response=[429], description="Seconds to wait."
            )
        )
        parameters.append(
            OpenApiParameter("WWW-Authenticate", str, OpenApiParameter.HEADER, response=[401], description="`Token`.")
        )
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # An empty query parameter is no parameter: django-filter reads it as "no filter" (that is how the HTML
        # forms submit unused fields), pagination as the default, DRF's ``format`` as JSON.
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return operation

    def _stricter_permissions(self) -> list:
        """The view's permissions beyond the API's usual ones (:class:`ReadOrEditorWrite`): they may refuse a
        signed-in reader too (webhooks: superusers only)."""
        return [
            permission for permission in self.view.get_permissions() if not isinstance(permission, ReadOrEditorWrite)
        ]

    def _error_description(self, code: int) -> str:
        stricter = self._stricter_permissions()
        if code == 403 and stricter:
            return "Signed in, but not allowed. " + " ".join(permission.message for permission in stricter)
        return ERROR_DESCRIPTIONS[code]

    def _error_codes(self) -> list[int]:
        # 414 and 431 come before any view (tracker.middleware.RequestGuardMiddleware), for every operation.
        codes = [401, 406, 414, 429, 431]
        if self.method == "GET":
            is_list = self._is_list_view()
            codes += [400, 404] if is_list else [404]
            if self._stricter_permissions():
                codes.append(403)
        elif self.method in ("POST", "PATCH"):
            codes += [400, 403, 409, 413, 415]
            if "{" in self.path:  # an action on one object (withdraw, a change): the object may not exist
                codes.append(404)
        if self._is_conditional_get() or self._is_conditional_write():
            codes.append(412)  # If-Match or If-Unmodified-Since that does not hold
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if str(code) in responses:
                continue
            serializer = ThrottledErrorSerializer if code == 429 else ErrorSerializer
            response = self._get_response_for_code(serializer, str(code), ["application/json"], direction)
            response["description"] = self._error_description(code)
            responses[str(code)] = response
        if self._is_conditional_get():
            responses["304"] = {
                **self._get_response_for_code(None, "304", direction=direction),
                "description": "Not modified: the copy named by If-None-Match (or If-Modified-Since) is current.",
            }
        return dict(sorted(responses.items()))

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if media_types and list(media_types) == ["text/csv"]:
            # A CSV body is text; spectacular would otherwise wrap it in the JSON list's pagination envelope.
            description = serializer.description if isinstance(serializer, OpenApiResponse) else ""
            headers = self._get_response_headers_for_code(status_code, direction)
            return {
                **({"headers": headers} if headers else {}),
                "content": {"text/csv": {"schema": {"type": "string"}}},
                "description": description,
            }
        return super()._get_response_for_code(serializer, status_code, media_types, direction)


class StrictURLFieldExtension(OpenApiSerializerFieldExtension):
    """An optional URL is "a URI or the empty string": ``format: uri`` alone would call the empty string invalid."""

    target_class = "core.api.fields.StrictURLField"

    def map_serializer_field(self, auto_schema, direction):
        uri = {"type": "string", "format": "uri"}
        if self.target.max_length is not None:
            uri["maxLength"] = self.target.max_length
        if not self.target.allow_blank:
            return uri
        return {"anyOf": [uri, {"type": "string", "maxLength": 0}]}
