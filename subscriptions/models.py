"""Follows, each follower's settings (digest day, calendar token) and the digests claimed and sent."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from commitments.choices import PolicyArea

from .choices import DigestStatus, FollowKind, Weekday

TARGET_FIELDS = {
    FollowKind.COMMITMENT: "commitment",
    FollowKind.BODY: "body",
    FollowKind.AGREEMENT: "agreement",
    FollowKind.AREA: "area",
}


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


def _only(kind: str) -> Q:
    """The check "this follow names exactly the target of its kind"."""
    q = Q(kind=kind)
    for other_kind, name in TARGET_FIELDS.items():
        if name == "area":
            q &= ~Q(area="") if other_kind == kind else Q(area="")
        else:
            q &= Q(**{f"{name}__isnull": other_kind != kind})
    return q


class Follow(models.Model):
    """A user follows one commitment, dialogue body, framework or policy area. Once per user and target (database
    constraints), and the target fits the kind (a check constraint)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=20, choices=FollowKind.choices)
    commitment = models.ForeignKey(
        "commitments.Commitment", on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    body = models.ForeignKey(
        "dialogues.DialogueBody", on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    agreement = models.ForeignKey(
        "commitments.Agreement", on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    area = models.CharField("policy area", max_length=30, choices=PolicyArea.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "created_at", "pk"]
        constraints = [
            *[
                models.UniqueConstraint(fields=["user", name], condition=Q(kind=kind), name=f"follow_once_per_{name}")
                for kind, name in TARGET_FIELDS.items()
            ],
            models.CheckConstraint(
                condition=_only(FollowKind.COMMITMENT)
                | _only(FollowKind.BODY)
                | _only(FollowKind.AGREEMENT)
                | _only(FollowKind.AREA),
                name="follow_target_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.get_kind_display().lower()} {self.target_label}"

    @property
    def target(self):
        return getattr(self, TARGET_FIELDS[FollowKind(self.kind)])

    @property
    def target_label(self) -> str:
        if self.kind == FollowKind.AREA:
            return self.get_area_display()
        if self.kind == FollowKind.COMMITMENT:
            return f"{self.commitment.reference}: {self.commitment.title}"
        if self.kind == FollowKind.BODY:
            return self.body.full_name
        return f"{self.agreement.title} ({self.agreement.code})"

    @property
    def target_url(self) -> str:
        if self.kind == FollowKind.AREA:
            from django.urls import reverse

            return f"{reverse('commitments:commitment_list')}?area={self.area}"
        return self.target.get_absolute_url()

    def clean(self) -> None:
        name = TARGET_FIELDS.get(self.kind)
        if name is None:
            raise ValidationError({"kind": "Unknown kind of follow."})
        if not getattr(self, name if name == "area" else f"{name}_id"):
            raise ValidationError({name: "Say what to follow."})


class FollowerSettings(models.Model):
    """One user's digest day (``None``: no digest) and the secret of their calendar feed's address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_settings")
    digest_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices,
        null=True,
        blank=True,
        default=Weekday.MONDAY,
        help_text="The day the weekly digest is sent; empty: no digest.",
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token, editable=False)
    calendar_token_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "follower settings"

    def __str__(self) -> str:
        day = self.get_digest_weekday_display() if self.digest_weekday is not None else "no digest"
        return f"{self.user}: {day}"


class Digest(models.Model):
    """One user's weekly digest for the period ending ``due_on``: unique per (user, due_on), so that however
    many runs start at once (two beats, a retried task), only one claims it, and only the claimer sends it.

    Claim first, send after commit, mark sent right after the server accepted it (as the overdue notices do). A
    digest left ``pending`` by a run that died is taken over by a later run once ``DIGEST_LEASE_MINUTES`` passed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    due_on = models.DateField(help_text="The digest day; the period ends at the start of it.")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=DigestStatus.choices, default=DigestStatus.PENDING)
    claim_token = models.UUIDField(editable=False)
    claimed_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=1)
    items = models.PositiveIntegerField(default=0, help_text="How many changes it reported.")
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.EmailField(blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-due_on", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "due_on"], name="digest_once_per_user_and_period")]
        indexes = [models.Index(fields=["claim_token"], name="digest_claim_token")]

    def __str__(self) -> str:
        return f"Digest for {self.user} due {self.due_on} ({self.status})"
