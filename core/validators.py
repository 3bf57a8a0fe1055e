"""Validators shared by the models, the forms and the API."""

from __future__ import annotations

import datetime as dt
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


def in_utc(value: dt.datetime) -> dt.datetime:
    """``value`` (an aware date-time) in UTC, as the database stores it; refused when UTC cannot express it.

    Python accepts offsets up to ±23:59 and PostgreSQL only up to ±15:59, and a moment near the ends of the calendar
    (the year 1 east of Greenwich, Brussels included; the year 9999 west of it) is not a date-time at all in UTC:
    the database driver would fail on it (a 500) instead of the form or filter saying so here.
    """
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationError("Enter a date and time between the years 1 and 9999.", code="invalid") from exc
