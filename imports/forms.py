"""The upload form of the bulk import page."""

from __future__ import annotations

from django import forms

from core.forms import AccessibleFormMixin

from .kinds import KINDS


class ImportUploadForm(AccessibleFormMixin, forms.Form):
    """Which kind of records, and the file. The file itself is checked by ``imports.readers`` (format, size,
    encoding, columns): its refusal is shown on the file field."""

    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[(name, kind.label) for name, kind in KINDS.items()],
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="Spreadsheet file",
        help_text="CSV (UTF-8, commas) or XLSX, with the template's header row. Nothing is saved before you confirm "
        "the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
