"""No password reset by e-mail: the form that let anyone make the tracker mail a staff address is gone.

Before the fix ``django.contrib.auth.urls`` served ``/accounts/password_reset/`` to anybody, unthrottled: 20 POSTs
sent 21 e-mails in about a second. Staff accounts are created by the administrator, who also sets a forgotten
password (admin, or ``manage.py changepassword``); see the README's Security section.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

RESET_URLS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


@pytest.mark.parametrize("url", RESET_URLS)
def test_the_reset_pages_do_not_exist(url):
    client = Client()
    assert client.get(url).status_code in (302, 404)  # sign-in first for anonymous visitors, then no page


def test_flooding_the_old_reset_form_sends_no_mail(client, editor, settings):
    settings.PUBLIC_READ = True
    editor.email = "desk@example.eu"
    editor.save()
    for _ in range(20):
        client.post("/accounts/password_reset/", {"email": editor.email})
    assert mail.outbox == []


def test_signed_in_staff_see_no_reset_page_either(editor_client):
    assert editor_client.get("/accounts/password_reset/").status_code == 404
    for name in ("password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"):
        with pytest.raises(NoReverseMatch):
            reverse(name)


def test_changing_ones_own_password_still_works(editor_client):
    response = editor_client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-new-passphrase-2026",
            "new_password2": "a-new-passphrase-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")


def test_the_sign_in_page_says_whom_to_ask(client):
    assert "administrator" in client.get(reverse("login")).content.decode()
