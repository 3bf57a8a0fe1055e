"""Validators shared by the models, the forms and the API."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

# RFC 3986: a URI holds only unreserved and reserved characters and percent-escapes. Django's URLValidator is
# more lenient in the path and query (it accepts quotes, angle brackets, braces, backslashes and non-ASCII
# letters), so https://example.com/"><script> passed it, and broke `format: uri` for every API client that
# validates the schema.
_URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")

URI_MESSAGE = (
    "Enter a valid URL. Characters such as spaces, quotes, < > { } | \\ ^ ` and letters outside A-Z must be "
    "percent-encoded (as a browser's address bar copies them)."
)


def validate_uri(value: str) -> None:
    """An absolute http(s) URL that is also a valid URI (RFC 3986); the empty string passes (field optional)."""
    if not value:
        return
    URLValidator(schemes=["http", "https"])(value)
    if not _URI_CHARACTERS.fullmatch(value):
        raise ValidationError(URI_MESSAGE, code="invalid_uri")
