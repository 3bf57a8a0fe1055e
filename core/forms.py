"""Form helpers both domain apps and the dashboards use: an error summary a keyboard or screen-reader user can
reach, and the browser's date picker."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField

from core.filters import BIGINT_MAX
from core.models import DatePrecision, period_start


@dataclass(frozen=True)
class ErrorLink:
    """One entry of a form's error summary: the message, and the id of the control it is about (if any)."""

    message: str
    target: str | None


class AccessibleFormMixin:
    """Errors a keyboard or screen-reader user can reach.

    Django (5.0+) marks a field with errors ``aria-invalid`` and points its ``aria-describedby`` at the error
    list; :meth:`error_summary` lists every message for the summary at the top of the page, each linked to the
    control it is about (the first option of a group of radio buttons or checkboxes).
    """

    def _post_clean(self):
        # A form field and the model rule behind it may both refuse the same value with the same words (a required
        # note of a review): say it once.
        super()._post_clean()
        for errors in self._errors.values():
            messages = [" ".join(error) if isinstance(error, ValidationError) else str(error) for error in errors.data]
            errors.data = [error for i, error in enumerate(errors.data) if messages[i] not in messages[:i]]

    def add_service_errors(self, error: ValidationError) -> None:
        """Attach a service's ``ValidationError`` to this form: to the field it names, else to the whole form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)

    def error_summary(self) -> list[ErrorLink]:
        links = [ErrorLink(str(message), None) for message in self.non_field_errors()]
        for bound in self.hidden_fields():
            links.extend(ErrorLink(str(message), None) for message in bound.errors)
        for bound in self.visible_fields():
            if not bound.errors:
                continue
            target = bound.id_for_label
            if bound.use_fieldset or not target:
                options = list(bound.subwidgets)
                target = options[0].id_for_label if options else bound.auto_id
            links.extend(ErrorLink(f"{bound.label}: {message}", target) for message in bound.errors)
        return links


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as ISO 8601 (YYYY-MM-DD) whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def optional_precision(field: forms.TypedChoiceField) -> forms.TypedChoiceField:
    """A ``<date>_precision`` choice as radio buttons (day, month, year), the whole day when none is sent: a form
    posted without it (a date left empty, an older form) reads as a full date, as before precisions existed."""
    field.widget = forms.RadioSelect(choices=field.choices)
    field.required = False
    field.empty_value = DatePrecision.DAY
    return field


class ApproximateDatesMixin:
    """A form whose dates carry their precision (``<date>`` and its ``<date>_precision`` choice, named in
    ``approximate_dates``): a day entered with "month" or "year" is read as that month or year (15 March 2025 with
    "month" is stored as March 2025, on the 1st) rather than refused. The model's rule (``precision_errors``) still
    refuses such a date from the API and the import, which say what they mean."""

    approximate_dates: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name in self.approximate_dates:
            if cleaned.get(name) is not None:
                cleaned[name] = period_start(cleaned[name], cleaned.get(f"{name}_precision"))
        return cleaned


# What a precision-carrying date's help text says of how it is stored.
STORED_TO_PRECISION = (
    "Known only to the month or the year? Choose that below: any day of it will do, and it is kept as that month "
    "or year."
)


class WithdrawalForm(AccessibleFormMixin, forms.Form):
    """Why an entry recorded by mistake (a status update, a meeting) is withdrawn: required, one bounded text."""

    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was wrong, e.g. “recorded for the wrong body”. Shown next to the withdrawn entry.",
        error_messages={"required": "Say why it is withdrawn."},
    )

    def __init__(self, *args, **kwargs):
        from .models import WITHDRAWAL_REASON_MAX_LENGTH

        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.max_length = WITHDRAWAL_REASON_MAX_LENGTH
        field.validators.append(validators.MaxLengthValidator(WITHDRAWAL_REASON_MAX_LENGTH))
        field.widget.attrs["maxlength"] = str(WITHDRAWAL_REASON_MAX_LENGTH)


class FactConfirmForm(AccessibleFormMixin, forms.Form):
    """An editor confirms an assumed fact by naming the document that states it and where.

    ``seen`` carries each offered fact's fingerprint as the form was opened (``fact=digest,...``): the service
    refuses the confirmation if the chosen fact has changed since (someone else confirmed or edited it).
    """

    fact = forms.ChoiceField(label="Fact", widget=forms.RadioSelect)
    source_document = forms.ModelChoiceField(
        label="Document that states it", queryset=None, empty_label="Choose a document"
    )
    locator = forms.CharField(
        label="Where in it", max_length=200, help_text="Section, paragraph or page, e.g. §5 or section 2.4."
    )
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, record=None, **kwargs):
        from .models import SourceDocument

        super().__init__(*args, **kwargs)
        self.fields["source_document"].queryset = SourceDocument.objects.order_by("key")
        labels = getattr(record, "PROVENANCE_LABELS", {})
        assumed = {name: fact for name, fact in record.facts.items() if fact.is_assumed}
        # A fact that was assumed when the form was opened stays a valid choice, so that someone else's confirmation
        # in between is reported as the conflict it is (409), not as an invalid choice.
        opened = self._seen(self.data.get(self.add_prefix("seen"), "")) if self.is_bound else {}
        offered = {**assumed, **{n: record.fact(n) for n in opened if n in record.PROVENANCE_FACTS}}
        self.fields["fact"].choices = [
            (
                name,
                f"{labels.get(name, name.replace('_', ' ').capitalize())}: {fact.display_value} ({fact.basis_text})",
            )
            for name, fact in offered.items()
        ]
        self.fields["locator"].widget.attrs["maxlength"] = "200"
        self.initial.setdefault("seen", ",".join(f"{name}={fact.fingerprint}" for name, fact in assumed.items()))

    @staticmethod
    def _seen(value: str) -> dict[str, str]:
        """``fact=digest,...`` as a dict."""
        return dict(item.split("=", 1) for item in (value or "").split(",") if "=" in item)

    def clean(self):
        cleaned = super().clean()
        seen = self._seen(cleaned.get("seen"))
        fact = cleaned.get("fact")
        if fact and fact not in seen:
            raise forms.ValidationError("This form is out of date: open it again from the record's page.")
        if fact:
            cleaned["expected_fingerprint"] = seen[fact]
        return cleaned


def posted_id(value) -> int | None:
    """An id as a form posted it (a string, a number or a model instance), or ``None`` when it is not one: not a
    whole number, or one no id column can hold (SQLite refuses to even compare with such a number)."""
    try:
        number = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= BIGINT_MAX else None


# -- What a person typed, kept through a conflict --------------------------------------------------------------


class _OpenedValueBoundField(BoundField):
    """A field whose hidden twin (``initial-<name>``) carries the value the form was opened with, which after a
    conflict differs from the value shown: the control shows what the person typed, the twin what is stored now."""

    def as_hidden(self, attrs=None, **kwargs):
        opened = getattr(self.form, "opened_values", {})
        if not kwargs.get("only_initial") or self.form.is_bound or self.name not in opened:
            return super().as_hidden(attrs, **kwargs)
        return self.field.hidden_widget().render(
            name=self.html_initial_name,
            value=self.field.prepare_value(opened[self.name]),
            attrs={"id": self.html_initial_id, **(attrs or {})},
            renderer=self.form.renderer,
        )


def carry_opened_values(form: forms.BaseForm) -> forms.BaseForm:
    """Let every visible field of ``form`` send back, hidden, the value the form showed when it was opened
    (Django's ``show_hidden_initial``), so that a refused save can tell what the person changed from what they
    merely left as it was (:func:`typed_changes`)."""
    form.bound_field_class = _OpenedValueBoundField
    for field in form.fields.values():
        if not field.widget.is_hidden:
            field.show_hidden_initial = True
    return form


def typed_changes(form: forms.BaseForm) -> dict:
    """The visible fields of a posted ``form`` the person changed from the value the form was opened with, with
    what they typed (as posted). Without the hidden opened value (a form rendered before it was carried), the
    value the form would start from now stands in for it."""
    changed = {}
    for bound in form.visible_fields():
        field = bound.field
        if bound.html_initial_name in form.data:
            try:
                opened = field.to_python(form._widget_data_value(field.hidden_widget(), bound.html_initial_name))
            except ValidationError:
                changed[bound.name] = bound.data
                continue
        else:
            opened = bound.initial
        if field.has_changed(opened, bound.data):
            changed[bound.name] = bound.data
    return changed


def keep_typed_values(sent: forms.BaseForm, fresh: forms.BaseForm) -> forms.BaseForm:
    """``fresh`` (an unbound form on the record as it stands after someone else's save) showing what the person
    had typed into ``sent``: their own changes in the fields they changed, the current value in every other field
    (so that saving again cannot undo the other change), and the current version in the hidden fields, so that a
    second save works once they have read what changed."""
    carry_opened_values(fresh)
    kept = typed_changes(sent)
    kept = {name: value for name, value in kept.items() if name in fresh.fields}
    # Read before the typed values go in (a bound field caches its initial value once it is read).
    fresh.opened_values = {name: fresh.get_initial_for_field(fresh.fields[name], name) for name in kept}
    fresh.initial = {**fresh.initial, **kept}
    fresh.kept_fields = tuple(kept)
    return fresh
