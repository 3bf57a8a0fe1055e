"""Every page carries the security headers, and no page needs inline code that the CSP would block.

The authorisation matrix (test_authorisation_matrix.py) repeats the inline-code check on every page it can reach;
this file covers the admin and error pages, which it reaches only as one role.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

from .inline_code import inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    body = DialogueBodyFactory(short_name="SDD")
    commitment = CommitmentFactory(reference="SDP §7", responsible_body=body)
    StatusUpdateFactory(commitment=commitment)
    MeetingFactory(body=body)
    return commitment


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_protected_page(response, url):
    assert response.status_code in (200, 403, 404, 429), (url, response.status_code)
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"], url
    assert directives["style-src"] == ["'self'"], url
    assert directives["frame-ancestors"] == ["'none'"], url
    assert response["X-Frame-Options"] == "DENY", url
    assert response["Referrer-Policy"] == "same-origin", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert inline_code(response.content.decode()) == [], url


def test_sign_in_page(client):
    url = reverse("login")
    assert_protected_page(client.get(url), url)


def test_site_pages(editor_client, data):
    urls = [
        reverse("dashboards:home"),
        reverse("commitments:commitment_list"),
        data.get_absolute_url(),
        data.agreement.get_absolute_url(),
        reverse("dialogues:body_list"),
        data.responsible_body.get_absolute_url(),
    ]
    for url in urls:
        assert_protected_page(editor_client.get(url), url)


def test_admin_pages_including_history(client, data):
    client.force_login(UserFactory(admin=True, username="root"))
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        obj = model.objects.first()
        if obj is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
    for url in urls:
        assert_protected_page(client.get(url), url)


def test_error_pages(client, reviewer_client):
    response = reviewer_client.get("/no-such-page/")
    assert response.status_code == 404
    assert_protected_page(response, "404")
    assert "Not found" in response.content.decode()
