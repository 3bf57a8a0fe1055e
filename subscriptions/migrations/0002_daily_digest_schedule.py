"""Schedule the digest run daily at 07:00 Europe/Brussels in django-celery-beat's tables.

Daily, not weekly: each user chooses the weekday of their digest, and the run sends the digests of the users
whose day it is (and takes over any left unsent). In the database, so it can be moved or paused in the admin;
idempotent, and an existing entry is left as an administrator may have edited it.
"""

from django.db import migrations

TASK_NAME = "Send the weekly digests due today"
TASK = "subscriptions.tasks.send_weekly_digests"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
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
                "E-mails each follower whose digest day it is what changed in what they follow since their last "
                "digest (subscriptions.services.digests_run); nothing to say, no e-mail."
            ),
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0001_follows_settings_digests"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
