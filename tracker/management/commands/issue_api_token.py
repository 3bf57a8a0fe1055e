"""``manage.py issue_api_token <username> [--create-system-user] [--editor] [--rotate]``: a REST API token."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.roles import EDITORS, REVIEWERS


class Command(BaseCommand):
    help = (
        "Print the REST API token of a user, creating the token if needed. With --create-system-user, create the "
        "user first: a system account with no password (it can only use its token), in Reviewers (read) or, "
        "with --editor, in Editors (read and write)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--create-system-user",
            action="store_true",
            help="Create the user if it does not exist (no password: it signs in with its token only).",
        )
        parser.add_argument(
            "--editor", action="store_true", help="With --create-system-user: put the new user in Editors."
        )
        parser.add_argument(
            "--rotate", action="store_true", help="Replace an existing token: the old one stops working at once."
        )

    @transaction.atomic
    def handle(self, *args, username: str, create_system_user: bool, editor: bool, rotate: bool, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            if not create_system_user:
                raise CommandError(f"No user {username!r}. Add --create-system-user to create a system account.")
            user = User(**{User.USERNAME_FIELD: username})
            user.set_unusable_password()
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            user.save()
            user.groups.add(Group.objects.get_or_create(name=EDITORS if editor else REVIEWERS)[0])
            role = EDITORS if editor else REVIEWERS
            self.stderr.write(f"Created system user {username!r} in {role}.")
        elif editor:
            raise CommandError("--editor only applies to a user created with --create-system-user.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token would not work.")
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if not created:
            self.stderr.write("The user already had a token: printing it (use --rotate to replace it).")
        # The key alone on stdout, so that scripts can capture it: TOKEN=$(manage.py issue_api_token svc ...)
        self.stdout.write(token.key)
