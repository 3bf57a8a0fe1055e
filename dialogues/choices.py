"""Controlled vocabularies of the dialogues app. The stored values are stable API values."""

from django.db import models


class Level(models.TextChoices):
    LEADERS = "leaders", "Leaders"
    MINISTERIAL = "ministerial", "Ministerial"
    SENIOR_OFFICIALS = "senior_officials", "Senior officials (DG/MD)"
    DIRECTOR = "director", "Director"
    WORKING = "working", "Working level"


class FlagCloseReason(models.TextChoices):
    MEETING = "meeting", "A meeting was recorded"
    NO_LONGER_OVERDUE = "no_longer_overdue", "No longer overdue"
    INACTIVE = "inactive", "Body deactivated"


class NotificationKind(models.TextChoices):
    OPENED = "opened", "Flag opened"
    REMINDER = "reminder", "Reminder"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Claimed, not sent yet"
    SENT = "sent", "Sent"
    NO_RECIPIENTS = "no_recipients", "Not sent: no contact for the body or the body it reports to"
    CANCELLED = "cancelled", "Not sent: the flag closed first"
    FAILED = "failed", "Not sent: gave up after repeated failures"
