"""What can be followed, the digest's weekdays and a digest's states."""

from django.db import models


class FollowKind(models.TextChoices):
    COMMITMENT = "commitment", "Commitment"
    BODY = "body", "Dialogue body"
    AGREEMENT = "agreement", "Framework"
    AREA = "area", "Policy area"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class DigestStatus(models.TextChoices):
    PENDING = "pending", "Claimed, not sent yet"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing to say (no e-mail)"
    NO_ADDRESS = "no_address", "No e-mail address"
    FAILED = "failed", "Failed"
