"""Schedule the overdue sweep daily at 06:00 Europe/Brussels in django-celery-beat's tables.

The schedule lives in the database (not in CELERY_BEAT_SCHEDULE) so that it can be moved, paused or run at once
from the admin without a deploy; beat's DatabaseScheduler picks up changes by itself. Matching on the task's
name keeps this idempotent, and an existing entry (perhaps edited by an administrator) is left as it is.
"""

from django.db import migrations

TASK_NAME = "Flag overdue dialogue bodies"
TASK = "dialogues.tasks.flag_overdue_dialogues"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="6",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Brussels",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "description": (
                "Opens an overdue flag for every dialogue body past its cadence plus grace, closes the flags of "
                "bodies that have met since, and e-mails their contacts (dialogues.services.overdue_sweep)."
            ),
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dialogues", "0002_flag_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
