"""Sign-in hardening: throttled and logged failures, lockout page and reset, session expiry, passwords, admin."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from commitments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
OFFICE = "192.0.2.10"
ELSEWHERE = "198.51.100.7"


def sign_in(client, username, password, ip=OFFICE, url=None, **extra):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, ip=OFFICE, **extra):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password-guess", ip=ip, **extra)
        assert response.status_code in (200, 429)
    return response


def test_failures_below_the_limit_still_allow_the_right_password(client, editor):
    fail(client, editor.username, settings.AXES_FAILURE_LIMIT - 1)
    response = sign_in(client, editor.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_limit_locks_out_even_the_right_password_with_a_clear_page(client, editor):
    response = fail(client, editor.username, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    response = sign_in(client, editor.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Sign-in temporarily locked" in page
    assert editor.username in page
    assert "administrator" in page
    assert 'role="alert"' in page


def test_failed_sign_ins_are_recorded_and_logged_without_the_password(client, editor, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        fail(client, editor.username, 2)
    attempt = AccessAttempt.objects.get(username=editor.username, ip_address=OFFICE)
    assert attempt.failures_since_start == 2
    assert "wrong-password-guess" not in attempt.post_data
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("axes"))
    assert editor.username in logged
    assert OFFICE in logged
    assert "wrong-password-guess" not in logged


def test_lockout_is_per_username_and_address(client, editor, reviewer):
    """Nobody can lock a colleague out from elsewhere, and one locked pair does not block the office."""
    fail(client, editor.username, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, editor.username, PASSWORD, ip=ELSEWHERE).status_code == 302
    client.logout()
    assert sign_in(client, reviewer.username, PASSWORD, ip=OFFICE).status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, editor):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, editor.username, "wrong-password-guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = sign_in(client, editor.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429


def test_the_admin_sign_in_is_throttled_too(client):
    admin = UserFactory(admin=True, username="root")
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, admin.username, "wrong-password-guess", url=url)
    response = sign_in(client, admin.username, PASSWORD, url=url)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_lifts_after_the_cool_off(client, editor):
    fail(client, editor.username, settings.AXES_FAILURE_LIMIT)
    later = timezone.now() + dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    with time_machine.travel(later):
        assert sign_in(client, editor.username, PASSWORD).status_code == 302


def test_an_administrator_lifts_a_lock_with_the_command(client, editor):
    fail(client, editor.username, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset_username", editor.username)
    assert sign_in(client, editor.username, PASSWORD).status_code == 302


def test_an_administrator_lifts_a_lock_in_the_admin(client, editor):
    fail(client, editor.username, settings.AXES_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username=editor.username)
    admin_client = type(client)()
    admin_client.force_login(UserFactory(admin=True, username="root"))
    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert editor.username in changelist.content.decode()
    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert sign_in(client, editor.username, PASSWORD).status_code == 302


def test_a_session_expires_after_a_working_day(client, editor):
    assert sign_in(client, editor.username, PASSWORD).status_code == 302
    home = reverse("dashboards:home")
    assert client.get(home).status_code == 200
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_session_cookie_ends_with_the_browser_and_is_hidden_from_scripts(client, editor):
    response = sign_in(client, editor.username, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "1234567890123", "editor-user-2026", "qwertyuiop"],
)
def test_weak_passwords_are_refused(editor, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=editor)


def test_the_admin_refuses_to_create_a_user_with_a_weak_password(client):
    client.force_login(UserFactory(admin=True, username="root"))
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "password1": "password123", "password2": "password123", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_the_admin_is_for_staff_only(request, client, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.logout()
    response = sign_in(client, user.username, PASSWORD, url=reverse("admin:login"))
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert not signed_in(client)


def test_staff_reach_the_admin(client):
    client.force_login(UserFactory(admin=True, username="root"))
    assert client.get(reverse("admin:index")).status_code == 200


def test_behind_a_trusted_proxy_the_address_it_saw_is_used(client, editor, settings):
    """With one trusted proxy, the last X-Forwarded-For entry (written by the proxy) counts, not the first."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, editor.username, "wrong-password-guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {ELSEWHERE}")
    forged = f"203.0.113.250, {ELSEWHERE}"
    assert sign_in(client, editor.username, PASSWORD, HTTP_X_FORWARDED_FOR=forged).status_code == 429
    other = "203.0.113.250, 198.51.100.99"
    assert sign_in(client, editor.username, PASSWORD, HTTP_X_FORWARDED_FOR=other).status_code == 302
