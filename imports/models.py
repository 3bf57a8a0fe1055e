"""The audit record of every bulk import: what file, who, which kind, what it would do and what it did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


def kind_choices() -> list[tuple[str, str]]:
    """The kinds of :data:`imports.kinds.KINDS` (read when asked: that module imports the apps' forms)."""
    from .kinds import KINDS

    return [(name, kind.label) for name, kind in KINDS.items()]


class ImportRun(models.Model):
    """One uploaded file (page or command), its dry-run preview and, once confirmed, its result.

    ``plan`` is the preview, row by row (outcome, changes old → new, errors, and the values to write); confirming
    applies exactly that plan. ``fingerprint`` hashes the state (versions) of every record the file touches as the
    preview saw it: if it differs at confirmation, someone saved in between and nothing is written. ``upload``
    holds the file's bytes only until a background worker has read it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be read"
        PREVIEWED = "previewed", "Previewed: ready to apply"
        HAS_ERRORS = "has_errors", "Previewed: rows with errors, nothing can be applied"
        REFUSED = "refused", "Refused: the file cannot be read"
        APPLYING = "applying", "Being applied"
        APPLIED = "applied", "Applied"
        CONFLICT = "conflict", "Not applied: changed by someone else since the preview"
        FAILED = "failed", "Not applied: stopped by an error"

    kind = models.CharField(max_length=30, choices=kind_choices)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    dry_run = models.BooleanField(default=False, help_text="Run by the command with --dry-run: never applied.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_error = models.PositiveIntegerField(default=0)
    plan = models.JSONField(null=True, blank=True, editable=False)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    upload = models.BinaryField(null=True, blank=True, editable=False)
    previewed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"], name="importrun_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.file_name} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("imports:run_detail", kwargs={"pk": self.pk})

    @property
    def is_working(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.APPLYING)

    @property
    def can_apply(self) -> bool:
        return self.state == self.State.PREVIEWED and not self.dry_run and bool(self.rows_new + self.rows_changed)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": self.rows_new,
            "changed": self.rows_changed,
            "unchanged": self.rows_unchanged,
            "error": self.rows_error,
        }


class ImportedEntry(models.Model):
    """An entry of a commitment's history (a status update) that an import recorded: its timeline says so, and
    links the run for a reader who may open it (``imports.selectors.entry_origins``)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="entries")
    status_update = models.OneToOneField("commitments.StatusUpdate", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name_plural = "imported entries"

    def __str__(self) -> str:
        return f"Entry {self.status_update_id} from import {self.run_id}"
