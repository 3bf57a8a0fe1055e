"""The events a webhook can ask for, and the states of a delivery and of one attempt."""

from django.db import models


class EventType(models.TextChoices):
    STATUS_UPDATE_CREATED = "status_update.created", "A status update or review was recorded"
    STATUS_UPDATE_WITHDRAWN = "status_update.withdrawn", "A status update was withdrawn"
    MEETING_RECORDED = "meeting.recorded", "A meeting was recorded"
    MEETING_WITHDRAWN = "meeting.withdrawn", "A meeting was withdrawn"
    BODY_OVERDUE = "body.overdue", "A dialogue body fell overdue"
    COMMITMENT_CHANGED = "commitment.changed", "A commitment's details were edited"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending (being tried)"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed (gave up)"
    CANCELLED = "cancelled", "Cancelled (the hook was disabled)"


class AttemptOutcome(models.TextChoices):
    SUCCESS = "success", "2xx answer"
    HTTP_ERROR = "http_error", "Non-2xx answer"
    TIMEOUT = "timeout", "No answer in time"
    CONNECTION_ERROR = "connection_error", "Could not connect"
    REFUSED = "refused", "Refused: the target is a private or loopback address"
