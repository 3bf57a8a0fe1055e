"""The stored schedules count from the last day a month- or year-precise date can mean.

The cadence rule used to count a meeting "June 2026" (stored 1 June) from 1 June, so a body was due, and flagged
overdue, up to a month (for a start known to the year, up to a year) before anyone could know it. The rule now
counts from the last day of the period (``dialogues.models.due_by``); this recomputes ``next_due_on`` and
``overdue_after`` of every body with a cadence, so that a deployed database says the same as the code.

An open overdue flag about the schedule that moved is moved with it (its due date, first overdue day and days
overdue at opening), so that it shows the due month rather than an invented first day; a body that is no longer
overdue under the rule has its flag closed by the next overdue sweep, as "no longer overdue". Closed flags are the
record of what the sweep did and are left as they are.

The arithmetic is written out here, as of this migration, rather than imported from the model, whose rule may
change later. Reversing leaves the corrected schedules in place.
"""

import calendar
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import migrations
from django.utils import timezone


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _due_by(start: date, precision: str, cadence_months: int) -> date:
    if precision == "month":
        return _month_end(start.replace(day=1) + relativedelta(months=cadence_months))
    if precision == "year":
        return _month_end(date(start.year, 12, 1) + relativedelta(months=cadence_months))
    return start + relativedelta(months=cadence_months)


def recompute_schedules(apps, schema_editor):
    DialogueBody = apps.get_model("dialogues", "DialogueBody")
    Meeting = apps.get_model("dialogues", "Meeting")
    OverdueFlag = apps.get_model("dialogues", "OverdueFlag")
    bodies = DialogueBody.objects.filter(cadence_months__isnull=False).only(
        "pk", "cadence_months", "grace_days", "established_on", "established_on_precision", "next_due_on"
    )
    for body in bodies.iterator():
        last = (
            Meeting.objects.filter(body_id=body.pk, withdrawn_at__isnull=True)
            .order_by("-held_on")
            .values_list("held_on", "held_on_precision")
            .first()
        )
        start, precision = last or (body.established_on, body.established_on_precision)
        if start is None:
            continue
        due = _due_by(start, precision, body.cadence_months)
        if due == body.next_due_on:
            continue
        overdue_after = due + timedelta(days=body.grace_days)
        DialogueBody.objects.filter(pk=body.pk).update(next_due_on=due, overdue_after=overdue_after)
        for flag in OverdueFlag.objects.filter(body_id=body.pk, closed_at__isnull=True, due_on=body.next_due_on):
            opened_on = timezone.localdate(flag.opened_at)
            flag.due_on = due
            flag.overdue_since = overdue_after + timedelta(days=1)
            flag.days_overdue_at_opening = max(0, (opened_on - due).days)
            flag.save(update_fields=["due_on", "overdue_since", "days_overdue_at_opening"])


class Migration(migrations.Migration):
    dependencies = [("dialogues", "0010_seed_texts_in_readers_words")]

    operations = [migrations.RunPython(recompute_schedules, migrations.RunPython.noop, elidable=True)]
