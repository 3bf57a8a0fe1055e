"""Strict JSON input: strings, URLs and integers accept only those JSON types, never a conversion."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.db import models
from rest_framework import serializers

from core.filters import BIGINT_MAX
from core.validators import validate_uri

# The largest id a BigAutoField can hold: larger ids in request bodies are refused before they reach the database.
MAX_ID = BIGINT_MAX


class _StringOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringOnly, serializers.CharField):
    """A JSON string; a number or a boolean is refused rather than converted."""


class StrictURLField(_StringOnly, serializers.URLField):
    """A JSON string that is an absolute URL and a valid URI (RFC 3986), or empty where the model allows blank."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # validate_uri checks the URL (http or https) and the URI: DRF's own URL check would say the same invalid URL
        # a second time.
        self.validators = [check for check in self.validators if not isinstance(check, URLValidator)]
        self.validators.append(validate_uri)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer; ``"5"``, ``true`` and ``1.5`` are refused rather than converted."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(int(data) if isinstance(data, float) else data)


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A related record named by its code: a JSON string, without NUL characters (which PostgreSQL cannot even
    compare), looked up in the database only if it can be a code. An empty code, where one is needed, may not be
    blank (DRF reads an empty string as null, and would say "may not be null" of what the client sent as "")."""

    default_error_messages = {"blank": serializers.CharField.default_error_messages["blank"]}

    def run_validation(self, data=serializers.empty):
        if data == "" and not self.allow_null:
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


_STRICT_TYPES = {serializers.CharField: StrictCharField, serializers.IntegerField: StrictIntegerField}


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose strings, URLs and integers accept only those JSON types.

    The model's own limits (lengths, ranges, URL syntax) still come from the model fields, and the services
    still run ``full_clean()``: this only stops ``"50"`` or ``true`` being read as numbers and text.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: _STRICT_TYPES[mapped]
            for field, mapped in serializers.ModelSerializer.serializer_field_mapping.items()
            if mapped in _STRICT_TYPES
        },
        models.URLField: StrictURLField,
    }


def recorded_choice(choices, *, help_text: str) -> serializers.ChoiceField:
    """A read-only choice that is the empty string where nothing is recorded (who must act, a party's own
    status)."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True, help_text=help_text)
