"""What can be followed, the digest's weekdays and a digest's states."""

import calendar

from django.db import models


class FollowKind(models.TextChoices):
    COMMITMENT = "commitment", "Commitment"
    BODY = "body", "Dialogue body"
    AGREEMENT = "agreement", "Framework"
    AREA = "area", "Policy area"


# The digest's weekday: Monday 0 to Sunday 6, as ``date.weekday()`` counts, named by the standard library.
Weekday = models.IntegerChoices(
    "Weekday", [(name.upper(), (number, name)) for number, name in enumerate(calendar.day_name)], module=__name__
)


class DigestStatus(models.TextChoices):
    PENDING = "pending", "Claimed, not sent yet"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing to say (no e-mail)"
    NO_ADDRESS = "no_address", "No e-mail address"
    FAILED = "failed", "Failed"
