"""What both domain apps share in the database: the documents the tracker's facts are taken from, and where in
them each record's facts stand (:class:`SourcedModel`)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]*$", "Use capital letters, digits and hyphens only, e.g. SDP or JS-2023."
)

# A withdrawal's reason is a sentence or two (what was wrong); the forms, the API and the services share the bound.
WITHDRAWAL_REASON_MAX_LENGTH = 1000


class SourceDocument(models.Model):
    """A document the tracker's facts are taken from (an analysis, an agreement text, a press report)."""

    key = models.SlugField(max_length=40, unique=True, help_text="Stable identifier, e.g. SDP-2024.")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    seed_file = models.CharField(max_length=200, blank=True, help_text="File name of the seed text, if any.")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.title} ({self.key})"


class SourcedModel(models.Model):
    """Where a record's facts come from: a document and a place in it (section, paragraph, page)."""

    source_document = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_locator = models.CharField(
        max_length=200, blank=True, help_text="Where in the document, e.g. §12(b) or section 3.2."
    )

    class Meta:
        abstract = True

    @property
    def source_reference(self) -> str:
        if self.source_document_id is None:
            return self.source_locator
        locator = f", {self.source_locator}" if self.source_locator else ""
        return f"{self.source_document.title}{locator}"
