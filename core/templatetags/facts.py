"""How the pages show facts: a date to the precision the documents give, and whether a fact is stated or assumed.

``{{ agreement.signed_on|approx_date:agreement.signed_on_precision }}`` prints "13 July 2023", "May 2020" or
"2015", never a day the documents do not give. ``{% fact_basis body "cadence" %}`` prints the basis of one fact:
"stated in SDP-2024, §5" or "**assumed** by the tracker's default: ...".
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.dateformat import format as date_format

from core.models import DatePrecision

register = template.Library()

FORMATS = {DatePrecision.DAY: "j F Y", DatePrecision.MONTH: "F Y", DatePrecision.YEAR: "Y"}
SHORT_FORMATS = {DatePrecision.DAY: "j M Y", DatePrecision.MONTH: "M Y", DatePrecision.YEAR: "Y"}


def format_approx_date(value: dt.date | None, precision: str = DatePrecision.DAY, *, short: bool = False) -> str:
    """The date as far as it is known; empty for no date. Shared by the templates, print, CSV and e-mails."""
    if value is None:
        return ""
    formats = SHORT_FORMATS if short else FORMATS
    return date_format(value, formats.get(precision or DatePrecision.DAY, formats[DatePrecision.DAY]))


def approx_iso(value: dt.date | None, precision: str | None = DatePrecision.DAY) -> str:
    """ISO 8601 as far as the date is known: "2023-07-13", "2023-07" or "2023" (CSV, ``<time datetime>``); empty
    for no date."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{value:%Y-%m}"
    return value.isoformat()


def format_approx_date_on(value: dt.date | None, precision: str = DatePrecision.DAY, *, short: bool = False) -> str:
    """The date with its preposition: "on 13 July 2023", "in July 2023", "in 2023"; empty for no date."""
    if value is None:
        return ""
    return f"{date_preposition(precision)} {format_approx_date(value, precision, short=short)}"


def about_years(days: int) -> str:
    """A long lateness in whole years, as a reader says it: "about 3 years" from 730 days on (under two years a
    round number of years would hide a year); empty below. The one rounding behind the overdue phrase
    (``dialogues.models.overdue_phrase``) and of :func:`about_duration`."""
    return f"about {round(days / 365)} years" if days >= 730 else ""


def count_of_days(days: int) -> str:
    """ "1,049 days", "1 day": a count of days with the thousands marked, for lengths known to the day."""
    return f"{days:,} day{'s' if days != 1 else ''}"


def about_duration(days: int) -> str:
    """A length of time one of whose ends the documents give only to the month or the year, as a reader says it:
    "about 3 years" (``about_years``), else "about 8 months" or "under a month"; a count of days would claim a day
    they do not give. The timeline's total lateness and its longest gap between meetings."""
    if years := about_years(days):
        return years
    months = round(days / 30.44)
    return "under a month" if months < 1 else f"about {months} month{'s' if months != 1 else ''}"


@register.filter
def approx_date(value: dt.date | None, precision: str = DatePrecision.DAY) -> str:
    """``{{ date|approx_date:precision }}``: "13 July 2023", "July 2023" or "2023"."""
    return format_approx_date(value, precision)


@register.filter
def approx_date_short(value: dt.date | None, precision: str = DatePrecision.DAY) -> str:
    """``{{ date|approx_date_short:precision }}``: "13 Jul 2023", "Jul 2023" or "2023" (tables)."""
    return format_approx_date(value, precision, short=True)


@register.filter
def date_preposition(precision: str = DatePrecision.DAY) -> str:
    """``met {{ precision|date_preposition }} {{ date|approx_date:precision }}``: "on" a day, "in" a month or year."""
    return "on" if (precision or DatePrecision.DAY) == DatePrecision.DAY else "in"


@register.inclusion_tag("includes/fact_basis.html")
def fact_basis(record, name: str, compact: bool = False) -> dict:
    """The basis of fact ``name`` of ``record`` (a model with ``ProvenanceMixin``)."""
    return {"fact": record.fact(name), "compact": compact}


@register.inclusion_tag("includes/assumed_mark.html")
def assumed_mark(record, name: str) -> dict:
    """ " assumed" after a fact in a table when no document states it (no query: the source is not read)."""
    return {"fact": record.fact(name)}


@register.inclusion_tag("includes/body_state.html")
def body_state(body, on=None) -> dict:
    """A dialogue body's state (``DialogueBody.state``), saying so when it rests on an assumption."""
    return {"state": body.state(on=on)}
