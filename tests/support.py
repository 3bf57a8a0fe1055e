"""Helpers the test suites of several apps share."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError


def assert_clean_errors(record, errors: dict[str, list[str]]) -> None:
    """``record.clean()`` refuses with exactly ``errors`` (field: messages), or accepts when ``errors`` is empty."""
    if not errors:
        record.clean()
        return
    with pytest.raises(ValidationError) as refused:
        record.clean()
    assert refused.value.message_dict == errors
