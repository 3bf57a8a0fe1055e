"""Controlled vocabularies of the dialogues app. The stored values are stable API values."""

from django.db import models


class Level(models.TextChoices):
    LEADERS = "leaders", "Leaders"
    MINISTERIAL = "ministerial", "Ministerial"
    SENIOR_OFFICIALS = "senior_officials", "Senior officials (DG/MD)"
    DIRECTOR = "director", "Director"
    WORKING = "working", "Working level"
    PARLIAMENTARY = "parliamentary", "Parliamentary"


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


class BodyState(models.TextChoices):
    """What a body's schedule says today; decided by ``dialogues.models.body_state`` alone."""

    ON_SCHEDULE = "on_schedule", "Met on schedule"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    NEVER_MET = "never_met", "No meeting recorded"
    CANNOT_TELL = "cannot_tell", "Cannot tell"
    AD_HOC = "ad_hoc", "Ad hoc"
    INACTIVE = "inactive", "Inactive"
