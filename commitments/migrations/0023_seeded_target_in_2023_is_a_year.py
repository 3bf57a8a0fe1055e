"""The seed gave JS-2023 (PRESS ¶26) the target date 31 December 2023, a day no document gives: the press release
says the sides agreed to settle the remaining trade issues "in the course of 2023". Where the row still holds exactly
that seeded value, it becomes what the documents say: the year 2023 (stored on 1 January with
``target_date_precision=year``). A value anyone changed since is left alone. The correction counts as an edit
(``edit_version`` moves, so a form opened before it cannot write the old day back) and enters the audit history
without an author.
"""

import datetime as dt

from django.db import migrations
from django.db.models import F
from django.utils import timezone

REFERENCE = "JS-2023 (PRESS ¶26)"
SEEDED = (dt.date(2023, 12, 31), "day")
STATED = (dt.date(2023, 1, 1), "year")


def _move(apps, *, was, becomes) -> None:
    Commitment = apps.get_model("commitments", "Commitment")
    rows = Commitment.objects.filter(reference=REFERENCE, target_date=was[0], target_date_precision=was[1])
    commitment = rows.first()
    if commitment is None:
        return
    now = timezone.now()
    rows.update(
        target_date=becomes[0], target_date_precision=becomes[1], edit_version=F("edit_version") + 1, updated_at=now
    )
    History = apps.get_model("commitments", "HistoricalCommitment")
    latest = History.objects.filter(id=commitment.pk).order_by("-history_date", "-history_id").first()
    if latest is None:
        return
    latest.history_id = None
    latest.history_date = now
    latest.history_type = "~"
    latest.history_user = None
    latest.history_change_reason = "Target date as the source gives it"
    latest.target_date, latest.target_date_precision = becomes
    latest.edit_version = commitment.edit_version + 1
    latest.updated_at = now
    latest.save()


def correct(apps, schema_editor):
    _move(apps, was=SEEDED, becomes=STATED)


def restore(apps, schema_editor):
    # Before 0022 a target date had no precision: the year is written back as the day the seed had.
    _move(apps, was=STATED, becomes=SEEDED)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0022_target_date_precision")]

    operations = [migrations.RunPython(correct, restore)]
