"""The filter forms of the list pages: fields side by side in a grid.

``{% filter_grid form "search" "agreement" "overdue" %}`` shows the named fields of a filter form in that order,
each as ``includes/field.html`` shows a field, without "(optional)": every filter is optional.
"""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.inclusion_tag("includes/filter_grid.html")
def filter_grid(form: forms.Form, *names: str) -> dict:
    return {"fields": [form[name] for name in names]}
