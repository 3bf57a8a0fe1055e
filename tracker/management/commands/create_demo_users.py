"""``manage.py create_demo_users``: the demo logins printed by ``make run`` (development only)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.roles import EDITORS, REVIEWERS

DEMO_USERS = (
    # username, password, group, is_superuser
    ("editor", "editor-demo-2026", EDITORS, False),
    ("reviewer", "reviewer-demo-2026", REVIEWERS, False),
    ("admin", "admin-demo-2026", None, True),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo accounts editor, reviewer and admin. Refused outside DEBUG."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow it even when DEBUG is off.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo accounts have well-known passwords; refusing outside DEBUG (use --force).")
        User = get_user_model()
        for username, password, group_name, is_superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_superuser = user.is_staff = is_superuser
            user.first_name = f"Demo {username}"
            user.set_password(password)
            user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            role = group_name or "administrator"
            self.stdout.write(f"  {username:<9} / {password:<20} ({role})")
