"""Forms of the following pages: follow/unfollow (a button), the digest day, following a policy area."""

from __future__ import annotations

from django import forms

from commitments.choices import PolicyArea
from core.forms import AccessibleFormMixin

from .choices import FollowKind, Weekday

OFF = "off"


class FollowForm(AccessibleFormMixin, forms.Form):
    """What a follow button posts: the kind, the target's key, follow or unfollow, where to go back to."""

    kind = forms.ChoiceField(choices=FollowKind.choices)
    target = forms.CharField(max_length=100)
    action = forms.ChoiceField(choices=[("follow", "Follow"), ("unfollow", "Unfollow")])
    next = forms.CharField(max_length=500, required=False)


class DigestSettingsForm(AccessibleFormMixin, forms.Form):
    digest_day = forms.ChoiceField(
        label="When to send it",
        choices=[(str(value), f"Every {label}") for value, label in Weekday.choices] + [(OFF, "No digest")],
        help_text="An e-mail with what changed in what you follow since the last one; none when nothing did.",
    )

    def weekday(self) -> int | None:
        value = self.cleaned_data["digest_day"]
        return None if value == OFF else int(value)


class FollowAreaForm(AccessibleFormMixin, forms.Form):
    area = forms.ChoiceField(label="Policy area", choices=PolicyArea.choices)
